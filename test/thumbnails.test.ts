// Thumbnails of kept photos through the running service (issue 20 §7): a photo received on a channel gets
// its thumbnail (a JPEG of 128 px, a few KB) made in the background once it is kept, beside the stored
// file; the ledger XLSX embeds that thumbnail instead of the photo, so a ledger of 300 photos stays small. A
// "JPEG" that does not decode gets none, and the footer counts it; a photo kept before thumbnails existed
// gets one made by the export, kept for the next.
import { randomUUID } from 'node:crypto';
import { asc, desc } from 'drizzle-orm';
import ExcelJS from 'exceljs';
import { beforeEach, describe, expect, it } from 'vitest';
import { createEvidenceStore } from '../bot/core/evidence.ts';
import { silentLogger } from '../bot/core/log.ts';
import type { Database } from '../db/client.ts';
import { dropUnreferencedFile } from '../db/queries/evidence.ts';
import { addHazardPhotos } from '../db/queries/hazards.ts';
import { hazardPhotos, hazards, storedFiles, storedFileThumbnails } from '../db/schema.ts';
import type { PhotoStage } from '../handlers/evidence-rules.ts';
import { PHOTO_HEADERS, SHEET_NAME, XLSX_HEADER } from '../handlers/ledger-export.ts';
import { createThumbnailCatchUp, THUMBNAIL_CATCH_UP } from '../jobs/thumbnail-catch-up.ts';
import { FAKE_BOT_OPEN_ID } from './fakes/feishu-api.ts';
import { Browser, fetchFrom, login, resetConsoleTenants, schoolAndReporter } from './helpers/console-http.ts';
import { identityOf } from './helpers/db.ts';
import { feishuRequest, messageEvent } from './helpers/feishu-events.ts';
import {
  corruptJpeg,
  decodeJpegImage,
  paintedImage,
  photoJpeg,
  pngImage,
  withComment,
} from './helpers/images.ts';
import { harnessPerFile } from './helpers/per-file.ts';
import type { Harness } from './helpers/service.ts';

let database: Database;
let harness: Harness;
harnessPerFile((opened) => {
  ({ database, harness } = opened);
});
beforeEach(async () => {
  // Thumbnails still being made belong to the files of the test before.
  await harness.service.evidence.settled();
  await resetConsoleTenants(harness, database);
});

const year = new Date().getFullYear();
const PERIOD = `from=${year}-01-01&to=${year}-12-31`;
const JPEG_START = [0xff, 0xd8, 0xff];

const school = () => schoolAndReporter(database);

/** A message from 陈静 in the school's Feishu group, processed, its photo downloaded and kept. */
async function feishuSays(options: { text?: string; imageKey?: string; messageId?: string }) {
  const openId = await identityOf(database, 'chenjing', 'open_id');
  const event = messageEvent({ openId, chatId: 'oc_jishan_safety', mention: [FAKE_BOT_OPEN_ID], ...options });
  expect((await harness.post('/webhooks/feishu', feishuRequest(event))).status).toBe(200);
  await harness.service.inbox.idle();
  await harness.service.downloads.pump.idle();
  await harness.service.downloads.runOnce();
  await harness.service.dispatcher.drain();
}

/** A photo sent on Feishu right after the report it belongs to. */
async function feishuPhoto(bytes: Uint8Array) {
  const key = `img_v2_${randomUUID()}`;
  const messageId = `om_${randomUUID()}`;
  harness.feishu.addResource({ messageId, fileKey: key, bytes });
  await feishuSays({ imageKey: key, messageId });
}

async function ledger() {
  const browser = new Browser(fetchFrom(() => harness.url));
  await login(browser);
  const response = await browser.get(`/console/ledger/export?${PERIOD}&format=xlsx`);
  expect(response.status).toBe(200);
  const bytes = Buffer.from(await response.arrayBuffer());
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(bytes as unknown as ExcelJS.Buffer);
  const sheet = workbook.getWorksheet(SHEET_NAME)!;
  const images = sheet.getImages().map((image) => ({
    row: Math.floor(image.range.tl.nativeRow) + 1,
    column: Math.floor(image.range.tl.nativeCol),
    // exceljs reads the drawing's extent back, in pixels (its types leave it out).
    shown: (image.range as unknown as { ext: { width: number; height: number } }).ext,
    bytes: Buffer.from(workbook.getImage(Number(image.imageId)).buffer as unknown as Uint8Array),
  }));
  const texts: string[] = [];
  sheet.eachRow((row) => texts.push(String(row.getCell(1).value ?? '')));
  return { size: bytes.byteLength, sheet, images, footer: texts.slice(-2).join('\n') };
}

const thumbnailRows = () =>
  database.db.select().from(storedFileThumbnails).orderBy(asc(storedFileThumbnails.fileId));

describe('thumbnails of photos received on a channel', () => {
  it('are made once the photo is kept, 128 px and a few KB, and the ledger embeds them', async () => {
    await feishuSays({ text: '报隐患 教学楼三楼东侧灭火器过期，一般' });
    const large = photoJpeg(3000, 2000);
    await feishuPhoto(large);
    // A PNG with transparency: a sign on a clear background.
    const sign = paintedImage('png', 600, 400, (x, y) =>
      x > 150 && x < 450 && y > 100 && y < 300 ? [200, 30, 30, 255] : [0, 0, 0, 0],
    );
    await feishuPhoto(sign);
    await harness.service.evidence.settled();

    const photos = await database.db.select().from(hazardPhotos).orderBy(asc(hazardPhotos.id));
    expect(photos.map((photo) => photo.fetchStatus)).toEqual(['stored', 'stored']);
    const kept = await thumbnailRows();
    expect(kept.map((row) => [row.fileId, row.width, row.height, row.error])).toEqual([
      [photos[0]!.fileId, 128, 85, null],
      [photos[1]!.fileId, 128, 85, null],
    ]);
    for (const row of kept) {
      expect(row.data!.byteLength).toBeLessThan(8 * 1024);
      const image = decodeJpegImage(row.data!);
      expect([image.width, image.height]).toEqual([128, 85]);
    }
    // The PNG's clear background is white in the thumbnail, the sign red.
    const png = decodeJpegImage(kept[1]!.data!);
    const at = (x: number, y: number) =>
      Array.from(png.data.subarray((y * 128 + x) * 4, (y * 128 + x) * 4 + 3));
    expect(at(3, 3).every((value) => value > 240)).toBe(true);
    expect(at(64, 42)[0]).toBeGreaterThan(170);
    expect(at(64, 42)[1]).toBeLessThan(70);

    const { images, footer } = await ledger();
    // One row, the first stored photo of 整改前: the large JPEG's thumbnail, not the photo.
    expect(images).toHaveLength(1);
    expect(images[0]!.column).toBe(XLSX_HEADER.indexOf(PHOTO_HEADERS.before));
    expect([...images[0]!.bytes.subarray(0, 3)]).toEqual(JPEG_START);
    expect(images[0]!.bytes.equals(Buffer.from(kept[0]!.data!))).toBe(true);
    expect(images[0]!.bytes.byteLength * 50).toBeLessThan(large.byteLength);
    // Shown at 64 px on its long side, in its proportions.
    expect(images[0]!.shown.width).toBeCloseTo(64, 1);
    expect(images[0]!.shown.height).toBeCloseTo((64 * 85) / 128, 1);
    expect(footer).not.toContain('未嵌入');
  });

  it('are not made of a "JPEG" that does not decode: nothing fails, and the ledger’s footer counts it', async () => {
    await feishuSays({ text: '报隐患 操场跑道破损，一般' });
    await feishuPhoto(corruptJpeg('broken'));
    await harness.service.evidence.settled();
    const [photo] = await database.db.select().from(hazardPhotos);
    expect(photo).toMatchObject({ fetchStatus: 'stored' });
    expect((await thumbnailRows()).map((row) => [row.fileId, row.data, row.error])).toEqual([
      [photo!.fileId, null, '无法解码'],
    ]);
    const { images, footer } = await ledger();
    expect(images).toEqual([]);
    expect(footer).toContain('照片缩略图未嵌入：无法生成缩略图（文件损坏或分辨率过高） 1 张');
  });
});

/** A hazard of the school written as a row, with photos kept by `put` (one per stage given). */
async function hazardWithPhotos(
  code: string,
  photos: Partial<Record<PhotoStage, Uint8Array>>,
  put: (tenantId: number, bytes: Uint8Array) => Promise<number>,
) {
  const { tenant, reporter } = await school();
  const [hazard] = await database.db
    .insert(hazards)
    .values({
      tenantId: tenant.id,
      reporterId: reporter.id,
      sourceChannel: 'feishu',
      code,
      description: `隐患 ${code}`,
    })
    .returning();
  for (const [stage, bytes] of Object.entries(photos) as [PhotoStage, Uint8Array][]) {
    await addHazardPhotos(database.db, [
      {
        tenantId: tenant.id,
        hazardId: hazard!.id,
        channel: 'feishu',
        fileKey: `img_${randomUUID()}`,
        addedById: reporter.id,
        stage,
        fetchStatus: 'stored',
        fileId: await put(tenant.id, bytes),
      },
    ]);
  }
  return hazard!;
}

describe('a thumbnail and its file', () => {
  it('goes when its file is deleted (kept on arrival, then refused by the handler)', async () => {
    const { tenant } = await school();
    const { file } = await harness.service.evidence.put(tenant.id, photoJpeg(400, 300, 5), {
      imagesOnly: true,
    });
    await harness.service.evidence.settled();
    expect((await thumbnailRows()).map((row) => row.fileId)).toEqual([file.id]);
    expect(await dropUnreferencedFile(database.db, tenant.id, file.id)).toBe(true);
    expect(await thumbnailRows()).toEqual([]);
    expect(await database.db.$count(storedFiles)).toBe(0);
  });
});

describe('thumbnails and the ledger', () => {
  it('makes the thumbnail of a photo kept before thumbnails existed at export, and keeps it', async () => {
    // Kept as before this change: no thread, no thumbnail.
    const before = createEvidenceStore({ db: database.db });
    const photo = photoJpeg(1600, 1200);
    await hazardWithPhotos('YH-OLD-0001', { before: photo }, async (tenantId, bytes) => {
      return (await before.put(tenantId, bytes, { imagesOnly: true })).file.id;
    });
    expect(await thumbnailRows()).toEqual([]);

    const first = await ledger();
    expect(first.images).toHaveLength(1);
    const image = decodeJpegImage(first.images[0]!.bytes);
    expect([image.width, image.height]).toEqual([128, 96]);
    const [kept] = await thumbnailRows();
    expect(kept).toMatchObject({ width: 128, height: 96, error: null });

    // The next export finds it kept: the same row, the same bytes.
    const second = await ledger();
    expect(await thumbnailRows()).toEqual([kept]);
    expect(second.images[0]!.bytes.equals(first.images[0]!.bytes)).toBe(true);
  });

  it('stays small with 300 photos: their thumbnails, not the photos', async () => {
    // Small photos, so that making 300 thumbnails takes seconds (bench/thumbnails.ts has phone-sized ones).
    const base = photoJpeg(320, 240, 7);
    const { evidence } = harness.service;
    const put = async (tenantId: number, bytes: Uint8Array) =>
      (await evidence.put(tenantId, bytes, { imagesOnly: true })).file.id;
    let photoBytes = 0;
    for (let index = 0; index < 150; index += 1) {
      // The same picture, each a distinct file (a comment segment).
      const before = withComment(base, `before ${index}`);
      const after = withComment(base, `after ${index}`);
      photoBytes += before.byteLength + after.byteLength;
      await hazardWithPhotos(`YH-MANY-${String(index).padStart(4, '0')}`, { before, after }, put);
    }
    await evidence.settled();
    expect(await database.db.$count(storedFileThumbnails)).toBe(300);

    const { size, images, footer } = await ledger();
    expect(images).toHaveLength(300);
    expect(images.every((image) => image.bytes.byteLength < 8 * 1024)).toBe(true);
    // 300 photos of ~27 KB are ~8 MB; the ledger embedding their thumbnails (~2.5 KB each) under 1 MB.
    expect(photoBytes).toBeGreaterThan(7 * 2 ** 20);
    expect(size).toBeLessThan(2 ** 20);
    expect(size * 8).toBeLessThan(photoBytes);
    expect(footer).not.toContain('未嵌入');
    const [last] = await database.db.select().from(hazards).orderBy(desc(hazards.id)).limit(1);
    expect(last!.code).toBe('YH-MANY-0149');
  }, 180_000);
});

/** A GIF of one pixel: kept, never given a thumbnail (THUMBNAIL_SOURCES). */
const GIF_1X1 = 'R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==';

describe('thumbnails caught up after an upgrade or a restart', () => {
  it('are made of the photos kept without one, once, leaving the fresh ones to their own making', async () => {
    const { tenant } = await school();
    // Kept as before thumbnails existed: no thread, no thumbnail.
    const before = createEvidenceStore({ db: database.db });
    const keep = async (bytes: Uint8Array) =>
      (await before.put(tenant.id, bytes, { imagesOnly: true })).file.id;
    // First in line, a photo that cannot be read now (kept in a bucket this instance is not given).
    const [unreadable] = await database.db
      .insert(storedFiles)
      .values({
        tenantId: tenant.id,
        sha256: 'f'.repeat(64),
        contentType: 'image/jpeg',
        size: 1000,
        location: 's3',
        objectKey: 'evidence/elsewhere',
      })
      .returning();
    const jpeg = await keep(photoJpeg(1600, 1200, 3));
    const png = await keep(pngImage(300, 200));
    const broken = await keep(corruptJpeg('catch-up'));
    const gif = await keep(Buffer.from(GIF_1X1, 'base64'));
    expect(await thumbnailRows()).toEqual([]);

    const { evidence } = harness.service;
    const log = { lines: [] as unknown[], warnings: [] as unknown[] };
    const logger = {
      ...silentLogger,
      info: (...line: unknown[]) => log.lines.push(line),
      warn: (...line: unknown[]) => log.warnings.push(line),
    };
    // Kept a moment ago: still the background's to make.
    const fresh = createThumbnailCatchUp({ db: database.db, store: evidence, log: logger });
    expect(await fresh.runOnce()).toEqual({ made: 0, refused: 0 });
    expect(await thumbnailRows()).toEqual([]);

    const later = new Date(Date.now() + THUMBNAIL_CATCH_UP.settleMs + 1000);
    const catchUp = createThumbnailCatchUp({
      db: database.db,
      store: evidence,
      log: logger,
      clock: () => later,
    });
    expect(await catchUp.runOnce()).toEqual({ made: 2, refused: 1 });
    const rows = await thumbnailRows();
    expect(rows.map((row) => [row.fileId, row.width, row.height, row.error === null])).toEqual([
      [jpeg, 128, 96, true],
      [png, 128, 85, true],
      [broken, null, null, false],
    ]);
    expect(rows.some((row) => row.fileId === gif)).toBe(false);
    expect(log.lines).toEqual([['thumbnails made for photos kept without one', { made: 2, refused: 1 }]]);
    // The unreadable one is told and left for the next run; the others went on.
    expect(log.warnings).toEqual([
      [
        'thumbnail not made',
        { file: unreadable!.id, error: expect.stringContaining('no bucket is configured') },
      ],
    ]);

    // Nothing is made twice; the unreadable one is tried again.
    expect(await catchUp.runOnce()).toEqual({ made: 0, refused: 0 });
    expect(log.warnings).toHaveLength(2);
    expect(await thumbnailRows()).toEqual(rows);
    await catchUp.stop();
  });

  it('stops after the photo under way when the service stops', async () => {
    const { tenant } = await school();
    const before = createEvidenceStore({ db: database.db });
    for (let seed = 1; seed <= 3; seed++) {
      await before.put(tenant.id, photoJpeg(1600, 1200, 10 + seed), { imagesOnly: true });
    }
    const later = new Date(Date.now() + THUMBNAIL_CATCH_UP.settleMs + 1000);
    const catchUp = createThumbnailCatchUp({
      db: database.db,
      store: harness.service.evidence,
      log: silentLogger,
      clock: () => later,
    });
    const run = catchUp.runOnce();
    // Stopped while its first photo is being made: that one is kept, the others wait for the next start.
    await new Promise((resolve) => setTimeout(resolve, 20));
    await catchUp.stop();
    await run;
    expect((await thumbnailRows()).length).toBeLessThanOrEqual(1);
  });
});
