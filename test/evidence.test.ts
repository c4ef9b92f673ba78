// Evidence that is kept (issue 18 §2): a photo sent with a report is downloaded from its platform after
// the event was answered, kept in the database, and still there after the platform's window (the fakes
// refuse the fetch by then); it shows on the console's hazard page to the viewer's tenant only. A file too
// large or not an image is refused with a message and nothing is stored; a failed download is retried
// within the window and then reported on the hazard's trail and to the reporter.
import { and, asc, eq } from 'drizzle-orm';
import ExcelJS from 'exceljs';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../db/client.ts';
import {
  completionPhotos,
  hazardEvents,
  hazardPhotos,
  hazards,
  outbox,
  storedFileChunks,
  storedFiles,
} from '../db/schema.ts';
import { EVIDENCE_LIMITS } from '../handlers/evidence-rules.ts';
import { SHEET_NAME } from '../handlers/ledger-export.ts';
import { FAKE_BOT_OPEN_ID } from './fakes/feishu-api.ts';
import type { FakeWecomApi } from './fakes/wecom-api.ts';
import {
  Browser,
  BUREAU,
  BUREAU_PASSWORD,
  fetchFrom,
  login,
  resetConsoleTenants,
} from './helpers/console-http.ts';
import { identityOf } from './helpers/db.ts';
import { feishuRequest, messageEvent } from './helpers/feishu-events.ts';
import { decodeJpegImage, pdf, png } from './helpers/images.ts';
import { harnessPerFile } from './helpers/per-file.ts';
import type { Harness } from './helpers/service.ts';
import { imageMessage, postWecom, textMessage, wecomCallback } from './helpers/wecom-events.ts';

const GROUP = 'oc_jishan_safety';
const DAY_MS = 24 * 3600 * 1000;

let database: Database;
let harness: Harness;
let wecom: FakeWecomApi;
let offsetMs = 0;
const now = () => Date.now() + offsetMs;
const clock = () => new Date(now());

harnessPerFile(
  (opened) => {
    ({ database, harness } = opened);
    wecom = harness.wecom!;
  },
  { clock, wecom: { now }, feishu: { now } },
);
beforeEach(async () => {
  offsetMs = 0;
  await resetConsoleTenants(harness, database);
});

/** Waits for the downloads the last events asked for, and for the messages they wrote. */
async function settle() {
  await harness.service.inbox.idle();
  await harness.service.downloads.pump.idle();
  await harness.service.downloads.runOnce();
  await harness.service.dispatcher.drain();
}

async function feishuSays(options: { text?: string; imageKey?: string; messageId?: string }) {
  const openId = await identityOf(database, 'chenjing', 'open_id');
  const event = messageEvent({ openId, chatId: GROUP, mention: [FAKE_BOT_OPEN_ID], ...options });
  const response = await harness.post('/webhooks/feishu', feishuRequest(event));
  expect(response.status).toBe(200);
  await settle();
}

async function wecomSays(inner: string) {
  // Signed at the service's time (its clock may have been moved).
  const timestamp = Math.floor(now() / 1000);
  expect((await postWecom(harness, wecomCallback(inner, { timestamp }))).status).toBe(200);
  await settle();
}

const photoRows = () => database.db.select().from(hazardPhotos).orderBy(asc(hazardPhotos.id));

async function consolePage() {
  const browser = new Browser(fetchFrom(() => harness.url));
  await login(browser);
  return { browser, ...(await browser.page('/console/hazards')) };
}

describe('a photo sent with a report is kept', () => {
  it('on Feishu: fetched through its message after the answer, in the database and on the console 3 days later', async () => {
    await feishuSays({ text: '报隐患 操场东侧围墙出现裂缝，一般' });
    const bytes = png('feishu crack', 300 * 1024);
    harness.feishu.addResource({ messageId: 'om_photo_1', fileKey: 'img_v2_crack', bytes });
    await feishuSays({ imageKey: 'img_v2_crack', messageId: 'om_photo_1' });

    const resourceCalls = harness.feishu.calls.filter((call) => call.kind === 'resource.get');
    expect(resourceCalls.map((call) => [call.path, call.query.type, call.status])).toEqual([
      ['/open-apis/im/v1/messages/om_photo_1/resources/img_v2_crack', 'image', 200],
    ]);
    const [photo] = await photoRows();
    expect(photo).toMatchObject({
      fileKey: 'img_v2_crack',
      stage: 'before',
      fetchStatus: 'stored',
      fetchAttempts: 1,
    });
    // 300 KiB in two chunks of the database.
    const chunks = await database.db
      .select()
      .from(storedFileChunks)
      .where(eq(storedFileChunks.fileId, photo!.fileId!));
    expect(chunks).toHaveLength(2);
    // The hazard's Feishu cards went out before the photo was kept: they are updated to show it.
    const [uploaded] = harness.feishu.images;
    expect(uploaded && Buffer.from(uploaded.bytes).equals(Buffer.from(bytes))).toBe(true);
    const showing = harness.feishu.patches.filter((patch) =>
      JSON.stringify(patch.content).includes(`"img_key":"${uploaded!.imageKey}"`),
    );
    expect(showing.length).toBeGreaterThan(0);

    offsetMs = 3 * DAY_MS + 3600_000;
    const kept = await harness.service.evidence.read(photo!.tenantId, photo!.fileId!);
    expect(Buffer.from(kept!.bytes).equals(Buffer.from(bytes))).toBe(true);
    const { browser, html } = await consolePage();
    expect(html).toContain(`href="/console/hazards/photos/${photo!.id}"`);
    expect(html).toContain(`src="/console/hazards/photos/${photo!.id}/thumb"`);
    expect(html).toMatch(/data-stage="before"><span class="muted">整改前<\/span>/);
    const image = await browser.get(`/console/hazards/photos/${photo!.id}`);
    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await image.arrayBuffer()).equals(Buffer.from(bytes))).toBe(true);
    // What the page shows at 64 px: the photo's thumbnail, made when it was kept (a JPEG of its one pixel).
    await harness.service.evidence.settled();
    const thumb = await browser.get(`/console/hazards/photos/${photo!.id}/thumb`);
    expect(thumb.headers.get('content-type')).toBe('image/jpeg');
    const small = decodeJpegImage(new Uint8Array(await thumb.arrayBuffer()));
    expect([small.width, small.height]).toEqual([1, 1]);
    // And in the ledger XLSX, as the thumbnail of the hazard's row (a JPEG of the photo's one pixel).
    const year = new Date(now()).getFullYear();
    const ledger = await browser.get(
      `/console/ledger/export?from=${year - 1}-01-01&to=${year}-12-31&format=xlsx`,
    );
    expect(ledger.status).toBe(200);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(await ledger.arrayBuffer());
    const sheet = workbook.getWorksheet(SHEET_NAME)!;
    const [thumbnail] = sheet.getImages();
    expect(sheet.getImages()).toHaveLength(1);
    const embedded = workbook.getImage(Number(thumbnail!.imageId)).buffer as unknown as Uint8Array;
    const decoded = decodeJpegImage(embedded);
    expect([decoded.width, decoded.height]).toEqual([1, 1]);

    // Another tenant's office does not see it; nor does someone not logged in.
    const bureau = new Browser(fetchFrom(() => harness.url));
    await login(bureau, BUREAU, BUREAU_PASSWORD);
    expect((await bureau.get(`/console/hazards/photos/${photo!.id}`)).status).toBe(404);
    expect((await bureau.get(`/console/hazards/photos/${photo!.id}/thumb`)).status).toBe(404);
    const stranger = new Browser(fetchFrom(() => harness.url));
    expect((await stranger.get(`/console/hazards/photos/${photo!.id}`)).status).toBe(302);
  });

  it('on the WeCom app: media/get within its 3 days; after them WeCom refuses, the photo is still ours', async () => {
    await wecomSays(textMessage({ from: 'chenjing', content: '报隐患 教学楼三楼东侧灭火器过期，一般' }));
    const bytes = png('wecom extinguisher');
    const mediaId = wecom.addMedia(bytes, 'image/png');
    await wecomSays(imageMessage({ from: 'chenjing', mediaId }));

    const [photo] = await photoRows();
    expect(photo).toMatchObject({
      channel: 'wecom',
      fileKey: mediaId,
      fetchStatus: 'stored',
      stage: 'before',
    });
    expect(wecom.log.filter((call) => call.endpoint === 'media_get').map((call) => call.status)).toEqual([
      200,
    ]);

    offsetMs = 3 * DAY_MS + 60_000;
    // The platform's window is over: WeCom answers 40007 now (the fake, like WeCom).
    const token = (await (
      await fetch(`${wecom.url}/cgi-bin/gettoken?corpid=${wecom.corpId}&corpsecret=${wecom.corpSecret}`)
    ).json()) as { access_token: string };
    const late = await fetch(
      `${wecom.url}/cgi-bin/media/get?access_token=${token.access_token}&media_id=${mediaId}`,
    );
    expect(await late.json()).toEqual({ errcode: 40007, errmsg: 'invalid media_id' });

    const kept = await harness.service.evidence.read(photo!.tenantId, photo!.fileId!);
    expect(kept?.contentType).toBe('image/png');
    expect(Buffer.from(kept!.bytes).equals(Buffer.from(bytes))).toBe(true);
    const { html } = await consolePage();
    expect(html).toContain(`href="/console/hazards/photos/${photo!.id}"`);
    expect(html).toContain(`src="/console/hazards/photos/${photo!.id}/thumb"`);
  });

  it('a photo of the rectification is kept under 整改后', async () => {
    await feishuSays({ text: '报隐患 实验楼二楼走廊应急灯不亮，一般' });
    const [hazard] = await database.db.select().from(hazards);
    await database.db.update(hazards).set({ status: 'rectifying' }).where(eq(hazards.id, hazard!.id));
    harness.feishu.addResource({ messageId: 'om_after', fileKey: 'img_after', bytes: png('fixed lamp') });
    await feishuSays({ imageKey: 'img_after', messageId: 'om_after' });
    const [photo] = await photoRows();
    expect(photo).toMatchObject({ stage: 'after', fetchStatus: 'stored' });
    const { html } = await consolePage();
    expect(html).toMatch(/data-stage="after"><span class="muted">整改后<\/span>/);
  });
});

describe("a record's photos", () => {
  it('a photo sent with 记录 (a Feishu post) is kept with the record', async () => {
    const openId = await identityOf(database, 'wangxiaofang', 'open_id');
    const event = messageEvent({
      openId,
      chatId: 'oc_p2p_wangxiaofang',
      chatType: 'p2p',
      messageId: 'om_record',
    });
    event.event.message.message_type = 'post';
    event.event.message.content = JSON.stringify({
      zh_cn: {
        title: '',
        content: [
          [
            { tag: 'text', text: '记录 会议 学校安全工作会议，部署冬季消防' },
            { tag: 'img', image_key: 'img_meeting' },
          ],
        ],
      },
    });
    const bytes = png('the meeting');
    harness.feishu.addResource({ messageId: 'om_record', fileKey: 'img_meeting', bytes });
    expect((await harness.post('/webhooks/feishu', feishuRequest(event))).status).toBe(200);
    await settle();
    const [photo] = await database.db.select().from(completionPhotos);
    expect(photo).toMatchObject({ kind: 'image', fileKey: 'img_meeting', fetchStatus: 'stored' });
    const kept = await harness.service.evidence.read(photo!.tenantId, photo!.fileId!);
    expect(Buffer.from(kept!.bytes).equals(Buffer.from(bytes))).toBe(true);
  });
});

describe('what is not kept', () => {
  it('a photo too large, or not an image, is refused with a message and nothing is stored', async () => {
    await wecomSays(textMessage({ from: 'chenjing', content: '报隐患 食堂后门消防通道被杂物堵塞，一般' }));
    const before = wecom.sent.length;
    const huge = wecom.addMedia(png('huge', EVIDENCE_LIMITS.fileBytes + 1024), 'image/png');
    await wecomSays(imageMessage({ from: 'chenjing', mediaId: huge }));
    const document = wecom.addMedia(pdf('not a photo'), 'image/jpeg');
    await wecomSays(imageMessage({ from: 'chenjing', mediaId: document }));

    const photos = await photoRows();
    expect(photos.map((photo) => [photo.fetchStatus, photo.fileId])).toEqual([
      ['failed', null],
      ['failed', null],
    ]);
    expect(photos[0]!.fetchError).toMatch(/超过单个文件 10 MB 的上限/);
    expect(photos[1]!.fetchError).toMatch(/不是图片（识别为 pdf）/);
    expect(await database.db.select().from(storedFiles)).toEqual([]);
    expect(await database.db.select().from(storedFileChunks)).toEqual([]);
    const told = wecom.sent.slice(before).map((body) => JSON.stringify(body));
    expect(told.some((text) => text.includes('未能保存') && text.includes('超过单个文件 10 MB 的上限'))).toBe(
      true,
    );
    expect(told.some((text) => text.includes('未能保存') && text.includes('不是图片'))).toBe(true);
    const trail = await database.db
      .select()
      .from(hazardEvents)
      .where(eq(hazardEvents.action, 'evidence_failed'));
    expect(trail).toHaveLength(2);
    const { html } = await consolePage();
    expect(html).toContain('照片未能保存：');
  });

  it('a hazard keeps at most 60 MB of photos: the one past it is refused and reported', async () => {
    await wecomSays(textMessage({ from: 'chenjing', content: '报隐患 体育馆看台座椅破损，一般' }));
    const size = Math.floor(9.5 * 2 ** 20);
    for (let index = 0; index < 7; index++) {
      const mediaId = wecom.addMedia(png(`seat ${index}`, size), 'image/png');
      await wecomSays(imageMessage({ from: 'chenjing', mediaId }));
    }
    const photos = await photoRows();
    expect(photos.map((photo) => photo.fetchStatus)).toEqual([...Array(6).fill('stored'), 'failed']);
    expect(photos[6]!.fetchError).toBe('每条隐患的照片合计不超过 60 MB，已达上限');
    expect(await database.db.select().from(storedFiles)).toHaveLength(6);
  });

  it('a download that fails is retried with backoff within the window, then reported', async () => {
    await wecomSays(textMessage({ from: 'chenjing', content: '报隐患 操场看台栏杆松动，一般' }));
    const mediaId = wecom.addMedia(png('railing'), 'image/png');
    wecom.failNext(20, 'media_get');
    const before = wecom.sent.length;
    await wecomSays(imageMessage({ from: 'chenjing', mediaId }));
    let [photo] = await photoRows();
    expect(photo).toMatchObject({ fetchStatus: 'pending', fetchAttempts: 1 });
    expect(photo!.fetchNextAt.getTime()).toBeGreaterThan(now());
    // Not due yet: nothing is tried.
    const tries = () => wecom.log.filter((call) => call.endpoint === 'media_get').length;
    const tried = tries();
    await harness.service.downloads.runOnce();
    expect(tries()).toBe(tried);

    // Each retry when it comes due, until the attempts are spent: then failed and reported.
    for (let round = 0; round < EVIDENCE_LIMITS.attempts && photo!.fetchStatus === 'pending'; round++) {
      offsetMs = photo!.fetchNextAt.getTime() - Date.now() + 1000;
      await settle();
      [photo] = await photoRows();
    }
    expect(photo).toMatchObject({
      fetchStatus: 'failed',
      fetchAttempts: EVIDENCE_LIMITS.attempts,
      fileId: null,
    });
    expect(photo!.fetchUntil!.getTime() - photo!.createdAt.getTime()).toBeLessThanOrEqual(3 * DAY_MS + 5000);
    expect(now()).toBeLessThan(photo!.fetchUntil!.getTime());
    const [note] = await database.db
      .select()
      .from(hazardEvents)
      .where(and(eq(hazardEvents.action, 'evidence_failed'), eq(hazardEvents.hazardId, photo!.hazardId)));
    expect(note!.note).toBe('从平台下载失败（已尝试 8 次）');
    const told = wecom.sent.slice(before).map((body) => JSON.stringify(body));
    expect(told.filter((text) => text.includes('照片未能保存'))).toHaveLength(1);
    expect(told.find((text) => text.includes('照片未能保存'))).toContain('请重新发送该照片');
    expect(await database.db.select().from(storedFiles)).toEqual([]);
  });

  it('a MediaId past its 3 days is given up at once, the reporter told the window has passed', async () => {
    const mediaId = wecom.addMedia(png('socket'), 'image/png');
    // The service was down for 3 days: the messages (CreateTime then) are processed only now.
    offsetMs = 3 * DAY_MS + 60_000;
    await wecomSays(textMessage({ from: 'chenjing', content: '报隐患 宿舍楼一层插座外露，一般' }));
    await wecomSays(imageMessage({ from: 'chenjing', mediaId }));
    const [photo] = await photoRows();
    expect(photo).toMatchObject({ fetchStatus: 'failed', fetchAttempts: 1 });
    expect(photo!.fetchError).toContain('40007');
    const texts = (await database.db.select().from(outbox)).map((row) => JSON.stringify(row.body));
    expect(texts.some((text) => text.includes('照片未能保存') && text.includes('期限已过'))).toBe(true);
  });
});
