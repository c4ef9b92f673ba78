// The outputs of kept photos through the running service: the ledger XLSX with a thumbnail in the row of
// each hazard that has a stored photo, and the photo packs (ZIP) of a hazard and of a period from the
// console, within the viewer's school only; a photo not stored is listed as missing in the pack's index.
import { randomUUID } from 'node:crypto';
import { and, desc, eq } from 'drizzle-orm';
import ExcelJS from 'exceljs';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../db/client.ts';
import { addHazardPhotos } from '../db/queries/hazards.ts';
import { hazards, people } from '../db/schema.ts';
import type { PhotoStage } from '../handlers/evidence-rules.ts';
import { PHOTO_HEADERS, SHEET_NAME, XLSX_HEADER } from '../handlers/ledger-export.ts';
import { PACK_INDEX_HEADER, PACK_INDEX_NAME } from '../handlers/photo-pack.ts';
import { FAKE_BOT_OPEN_ID } from './fakes/feishu-api.ts';
import {
  Browser,
  BUREAU,
  BUREAU_PASSWORD,
  fetchFrom,
  login,
  resetConsoleTenants,
  schoolAndReporter,
} from './helpers/console-http.ts';
import { identityOf, openTestDatabase } from './helpers/db.ts';
import { feishuRequest, messageEvent } from './helpers/feishu-events.ts';
import { decodeJpegImage, jpegImage, pngImage } from './helpers/images.ts';
import { type Harness, startHarness } from './helpers/service.ts';

let database: Database;
let harness: Harness;
let browser: Browser;
const fetcher = fetchFrom(() => harness.url);

beforeAll(async () => {
  database = await openTestDatabase();
  harness = await startHarness(database);
});
afterAll(async () => {
  await harness.close();
  await database.close();
});
beforeEach(async () => {
  // Thumbnails still being made belong to the files of the test before.
  await harness.service.evidence.settled();
  await resetConsoleTenants(harness, database);
  browser = new Browser(fetcher);
  await login(browser);
});

const year = new Date().getFullYear();
const PERIOD = `from=${year}-01-01&to=${year}-12-31`;

const school = () => schoolAndReporter(database);

type Photo = { stage: PhotoStage; bytes?: Uint8Array; status?: 'pending' | 'failed'; error?: string };

/** A console message from a member of the school, processed through the core. */
async function say(code: string, text: string) {
  const { tenant } = await school();
  const [person] = await database.db
    .select()
    .from(people)
    .where(and(eq(people.tenantId, tenant.id), eq(people.code, code)));
  const id = randomUUID();
  await harness.service.core.handle({
    type: 'message',
    channel: 'console',
    eventKey: id,
    sender: { ids: [{ kind: 'person', value: String(person!.id) }], name: person!.name },
    chat: { id: `console:${person!.id}`, type: 'p2p' },
    at: new Date(),
    platformTenant: String(tenant.id),
    messageId: id,
    text,
    mentionedBot: false,
    mentions: [],
    attachments: [],
  });
  await harness.service.dispatcher.drain();
}

/** A hazard reported in chat, then its photos as the downloads leave them: stored, pending or failed. */
async function report(text: string, photos: Photo[]) {
  const { tenant } = await school();
  await say('chenjing', text);
  const [hazard] = await database.db
    .select()
    .from(hazards)
    .where(eq(hazards.tenantId, tenant.id))
    .orderBy(desc(hazards.id))
    .limit(1);
  for (const photo of photos) await addPhoto(hazard!.id, photo);
  return hazard!;
}

/** A photo of the hazard sent by 陈静, as its download left it (kept when it has bytes). */
async function addPhoto(hazardId: number, photo: Photo) {
  const { tenant, reporter } = await school();
  const stored = photo.bytes
    ? (await harness.service.evidence.put(tenant.id, photo.bytes, { imagesOnly: true })).file
    : undefined;
  await addHazardPhotos(database.db, [
    {
      tenantId: tenant.id,
      hazardId,
      channel: 'feishu',
      fileKey: `img_${randomUUID()}`,
      addedById: reporter.id,
      stage: photo.stage,
      fetchStatus: stored ? 'stored' : (photo.status ?? 'pending'),
      fetchError: photo.error ?? null,
      fileId: stored?.id ?? null,
      // A photo left pending stays so: the service's downloads would otherwise try it (its key is made up).
      fetchNextAt: new Date(Date.now() + 24 * 3600_000),
    },
  ]);
}

const before = jpegImage(48, 32);
const after = pngImage(6, 4, [30, 160, 60]);

describe('the ledger XLSX', () => {
  it('has the first stored photo of each stage (整改前, 整改后) as a thumbnail anchored in its row', async () => {
    const first = await report('报隐患 教学楼三楼东侧灭火器过期，一般', [
      { stage: 'before', status: 'pending' },
      { stage: 'before', bytes: before },
      { stage: 'after', bytes: after },
    ]);
    const failedOnly = await report('报隐患 操场跑道破损，一般', [
      { stage: 'before', status: 'failed', error: '文件为空' },
    ]);
    const third = await report('报隐患 食堂后门水管漏水，一般', [{ stage: 'after', bytes: after }]);

    const response = await browser.get(`/console/ledger/export?${PERIOD}&format=xlsx`);
    expect(response.status).toBe(200);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(await response.arrayBuffer());
    const sheet = workbook.getWorksheet(SHEET_NAME)!;
    expect((sheet.getRow(2).values as unknown[]).slice(1)).toEqual([...XLSX_HEADER]);
    // 0-based, as drawings anchor.
    const beforeColumn = XLSX_HEADER.indexOf(PHOTO_HEADERS.before);
    const afterColumn = XLSX_HEADER.indexOf(PHOTO_HEADERS.after);
    expect(afterColumn).toBe(beforeColumn + 1);
    const rowOf = (code: string) => {
      for (let row = 3; row <= sheet.rowCount; row += 1)
        if (sheet.getRow(row).getCell(2).value === code) return row;
      throw new Error(`no row for ${code}`);
    };

    const anchored = sheet.getImages().map((image) => ({
      row: Math.floor(image.range.tl.nativeRow) + 1,
      column: Math.floor(image.range.tl.nativeCol),
      bytes: Buffer.from(workbook.getImage(Number(image.imageId)).buffer as unknown as Uint8Array),
    }));
    expect(anchored.map(({ row, column }) => ({ row, column }))).toEqual([
      { row: rowOf(first.code), column: beforeColumn },
      { row: rowOf(first.code), column: afterColumn },
      { row: rowOf(third.code), column: afterColumn },
    ]);
    // The first stored photo of the stage by arrival (the pending one has no file), as its thumbnail: a
    // JPEG of the photo's size (these are smaller than 128 px; test/thumbnails.test.ts has large ones).
    expect(
      anchored.map(({ bytes }) => decodeJpegImage(bytes)).map((image) => [image.width, image.height]),
    ).toEqual([
      [48, 32],
      [6, 4],
      [6, 4],
    ]);
    // The count column counts the photos kept or being downloaded…
    const countColumn = XLSX_HEADER.indexOf('照片数') + 1;
    expect(sheet.getRow(rowOf(first.code)).getCell(countColumn).value).toBe(3);
    // …but not one given up (its reason is on the pack's index and the trail).
    expect(sheet.getRow(rowOf(failedOnly.code)).getCell(countColumn).value).toBe(0);
  });
});

describe('photo packs', () => {
  it('packs a hazard’s photos by stage, with an index that lists the missing one', async () => {
    const hazard = await report('报隐患 教学楼三楼东侧灭火器过期，一般', [
      { stage: 'before', bytes: before },
      { stage: 'before', status: 'failed', error: '文件过大（12.5 MB），上限 10 MB' },
      { stage: 'after', bytes: after },
      { stage: 'before', status: 'pending' },
    ]);
    const response = await browser.get(`/console/hazards/${hazard.id}/photos.zip`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/zip');
    expect(response.headers.get('content-disposition')).toContain(
      encodeURIComponent(`隐患照片_${hazard.code}.zip`),
    );
    const files = unzipSync(new Uint8Array(await response.arrayBuffer()));
    expect(Object.keys(files).sort()).toEqual(
      [`${hazard.code}/整改前-1.jpg`, `${hazard.code}/整改后-1.png`, PACK_INDEX_NAME].sort(),
    );
    expect(Buffer.from(files[`${hazard.code}/整改前-1.jpg`]!).equals(Buffer.from(before))).toBe(true);
    expect(Buffer.from(files[`${hazard.code}/整改后-1.png`]!).equals(Buffer.from(after))).toBe(true);

    const index = new TextDecoder().decode(files[PACK_INDEX_NAME]!).replace(/^\uFEFF/, '');
    const lines = index
      .trim()
      .split('\r\n')
      .map((line) => line.split(','));
    expect(lines[0]).toEqual([...PACK_INDEX_HEADER]);
    expect(lines.slice(1).map((line) => [line[0], line[1], line[2], line[3], line[5], line[6]])).toEqual([
      [hazard.code, '整改前', '1', `${hazard.code}/整改前-1.jpg`, '陈静', '已保存'],
      [hazard.code, '整改前', '2', '', '陈静', '缺失：未能保存（文件过大（12.5 MB），上限 10 MB）'],
      [hazard.code, '整改后', '1', `${hazard.code}/整改后-1.png`, '陈静', '已保存'],
      [hazard.code, '整改前', '3', '', '陈静', '缺失：尚未保存（正在从平台下载）'],
    ]);
  });

  it('packs a period’s hazards, each in its folder', async () => {
    const first = await report('报隐患 教学楼三楼东侧灭火器过期，一般', [{ stage: 'before', bytes: before }]);
    const second = await report('报隐患 操场跑道破损，一般', [{ stage: 'after', bytes: after }]);
    await report('报隐患 围墙东侧出现裂缝，一般', []);
    const response = await browser.get(`/console/ledger/photos?${PERIOD}`);
    expect(response.status).toBe(200);
    const files = unzipSync(new Uint8Array(await response.arrayBuffer()));
    expect(Object.keys(files).sort()).toEqual(
      [`${first.code}/整改前-1.jpg`, `${second.code}/整改后-1.png`, PACK_INDEX_NAME].sort(),
    );

    const bad = await browser.get(`/console/ledger/photos?from=${year}-12-31&to=${year}-01-01`);
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('早于开始日期');
  });

  it('never gives a school’s photos to another school, nor to anyone without a session', async () => {
    const hazard = await report('报隐患 教学楼三楼东侧灭火器过期，一般', [
      { stage: 'before', bytes: before },
    ]);
    const bureau = new Browser(fetcher);
    await login(bureau, BUREAU, BUREAU_PASSWORD);
    const refused = await bureau.get(`/console/hazards/${hazard.id}/photos.zip`);
    expect(refused.status).toBe(404);
    expect(refused.headers.get('content-type')).not.toContain('zip');
    // The bureau's period pack holds none of the school's hazards.
    const theirs = unzipSync(
      new Uint8Array(await (await bureau.get(`/console/ledger/photos?${PERIOD}`)).arrayBuffer()),
    );
    expect(Object.keys(theirs)).toEqual([PACK_INDEX_NAME]);

    const anonymous = await new Browser(fetcher).get(`/console/hazards/${hazard.id}/photos.zip`);
    expect([302, 303]).toContain(anonymous.status);
    expect((await browser.get('/console/hazards/999999/photos.zip')).status).toBe(404);
    expect((await browser.get('/console/hazards/x1/photos.zip')).status).toBe(404);
  });
});

describe('photos in Feishu cards', () => {
  it('uploads a hazard’s stored photos and shows them when its Feishu card is updated', async () => {
    const feishu = harness.feishu;
    feishu.reset();
    // Reported in a Feishu group, so the office head's card goes to Feishu.
    const event = messageEvent({
      openId: await identityOf(database, 'chenjing', 'open_id'),
      chatId: 'oc_jishan_safety',
      mention: [FAKE_BOT_OPEN_ID],
      text: '报隐患 教学楼三楼东侧灭火器过期，一般',
    });
    expect((await harness.post('/webhooks/feishu', feishuRequest(event))).status).toBe(200);
    await harness.service.dispatcher.drain();
    const { tenant: school_ } = await school();
    const [hazard] = await database.db
      .select()
      .from(hazards)
      .where(eq(hazards.tenantId, school_.id))
      .orderBy(desc(hazards.id))
      .limit(1);
    if (!hazard) throw new Error('no hazard reported');
    const headOpenId = 'ou_112a90a0fb8b36140b29344d9ec7b7b2'; // 尹仙菊, head of 安保处 (examples/school.yaml)
    const headCard = feishu.messages.find((message) => message.receiveId === headOpenId);
    expect(JSON.stringify(headCard?.content)).toContain(hazard.code);
    expect(feishu.images).toHaveLength(0);

    // The photo is kept after the card went out; the next change of the hazard updates its cards.
    await addPhoto(hazard.id, { stage: 'before', bytes: before });
    await say('yinxianju', `受理 ${hazard.code}`);

    expect(feishu.images).toHaveLength(1);
    expect(Buffer.from(feishu.images[0]!.bytes).equals(Buffer.from(before))).toBe(true);
    const updated = JSON.stringify(feishu.contentOf(headCard!.messageId));
    expect(updated).toContain(`"img_key":"${feishu.images[0]!.imageKey}"`);
    expect(updated).toContain('整改前 1');
    // Uploaded once, whatever the number of cards that show it.
    expect(feishu.calls.filter((call) => call.kind === 'image.create')).toHaveLength(1);
  });
});
