// Photos in Feishu cards: the fake's im/v1/images keeps Feishu's documented rules, a card may name only
// images its own app uploaded, and the sender uploads a card's stored photos before it sends or updates
// the card (the real SDK against the fake server on 127.0.0.1).
import type * as lark from '@larksuiteoapi/node-sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createFeishuClient, createFeishuSender, type FeishuClient } from '../bot/channels/feishu/sender.ts';
import { renderWecom } from '../bot/channels/wecom/render.ts';
import { DeliveryError, type OutboxRow } from '../bot/core/delivery.ts';
import { photosBlock } from '../cards/hazard.ts';
import { type Card, card, cardToText, fields, images } from '../cards/model.ts';
import type { StoredPhoto } from '../handlers/photo-text.ts';
import {
  FAKE_APP_ID,
  FAKE_APP_SECRET,
  type FakeFeishu,
  FeishuErrorCode,
  IMAGE_MAX_BYTES,
  startFakeFeishu,
} from './fakes/feishu-api.ts';
import { jpegImage, pngImage } from './helpers/images.ts';

const OTHER_APP = { appId: 'cli_a5fa4e0000000002', appSecret: 'other-secret' };
let fake: FakeFeishu;

beforeAll(async () => {
  fake = await startFakeFeishu({ apps: [{ appId: FAKE_APP_ID, appSecret: FAKE_APP_SECRET }, OTHER_APP] });
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.reset();
});

const sdk = (app = { appId: FAKE_APP_ID, appSecret: FAKE_APP_SECRET }) =>
  createFeishuClient({ ...app, domain: fake.url }).client();

async function upload(bytes: Buffer, imageType = 'message') {
  try {
    const data = await (await sdk()).im.image.create({
      data: { image_type: imageType as 'message', image: bytes },
    });
    return { key: data?.image_key };
  } catch (error) {
    const response = (error as { response?: { status: number; data: { code: number } } }).response;
    return { status: response?.status, code: response?.data.code };
  }
}

/** A GIF's header with the given size (the fake reads the logical screen size, as Feishu checks it). */
function gifHeader(width: number, height: number): Buffer {
  const header = Buffer.alloc(32);
  header.write('GIF89a', 0, 'latin1');
  header.writeUInt16LE(width, 6);
  header.writeUInt16LE(height, 8);
  return header;
}

describe('the fake im/v1/images keeps the documented rules', () => {
  it('takes a JPEG and a PNG for messages and issues a key for each', async () => {
    const jpeg = await upload(jpegImage(32, 24));
    const png = await upload(pngImage(4, 4));
    expect(jpeg.key).toMatch(/^img_v3_/);
    expect(png.key).toMatch(/^img_v3_/);
    expect(fake.images.map((image) => [image.format, image.appId])).toEqual([
      ['jpeg', FAKE_APP_ID],
      ['png', FAKE_APP_ID],
    ]);
    expect(fake.images[0]!.bytes.equals(jpegImage(32, 24))).toBe(true);
  });

  it.each([
    ['an empty file', Buffer.alloc(0), FeishuErrorCode.imageEmpty],
    [
      'a file over 10 MB',
      Buffer.concat([jpegImage(8, 8), Buffer.alloc(IMAGE_MAX_BYTES)]),
      FeishuErrorCode.imageTooLarge,
    ],
    ['a text file', Buffer.from('这不是图片，是一段文字。'), FeishuErrorCode.imageFormat],
    ['a PDF', Buffer.from('%PDF-1.7\n1 0 obj\n<<>>\nendobj\n'), FeishuErrorCode.imageFormat],
    ['a GIF over 2000 × 2000', gifHeader(2001, 10), FeishuErrorCode.imageResolution],
    ['a PNG over 12000 × 12000', pngImage(1, 1).fill(0x2f, 16, 20), FeishuErrorCode.imageResolution],
  ])('refuses %s with HTTP 400 and its code', async (_what, bytes, code) => {
    expect(await upload(bytes)).toEqual({ status: 400, code });
    expect(fake.images).toHaveLength(0);
  });

  it('refuses an image_type other than message or avatar', async () => {
    expect(await upload(pngImage(2, 2), 'sticker')).toEqual({
      status: 400,
      code: FeishuErrorCode.imageInvalidParam,
    });
  });

  it('takes a GIF of 2000 × 2000', async () => {
    expect((await upload(gifHeader(2000, 2000))).key).toMatch(/^img_v3_/);
  });
});

const cardWithImage = (imgKey: string) =>
  JSON.stringify({
    schema: '2.0',
    config: { update_multi: true },
    body: { elements: [{ tag: 'img', img_key: imgKey, alt: { tag: 'plain_text', content: '整改前 1' } }] },
  });

async function sendCard(client: Promise<lark.Client>, content: string) {
  try {
    await (await client).im.message.create({
      params: { receive_id_type: 'chat_id' },
      data: { receive_id: 'oc_group', msg_type: 'interactive', content },
    });
    return { ok: true };
  } catch (error) {
    const response = (error as { response?: { status: number; data: { code: number; msg: string } } })
      .response;
    return { status: response?.status, code: response?.data.code, msg: response?.data.msg };
  }
}

describe('a card names only images its app uploaded', () => {
  it('sends a card with a key it issued to this app', async () => {
    const { key } = await upload(pngImage(2, 2));
    expect(await sendCard(sdk(), cardWithImage(key!))).toEqual({ ok: true });
    expect(fake.messages).toHaveLength(1);
  });

  it('refuses a key it never issued, and one issued to another app, with 230099', async () => {
    const { key } = await upload(pngImage(2, 2));
    const refused = { status: 400, code: FeishuErrorCode.imCardContentFailed };
    expect(await sendCard(sdk(), cardWithImage('img_v3_made_up'))).toMatchObject(refused);
    expect(await sendCard(sdk(OTHER_APP), cardWithImage(key!))).toMatchObject(refused);
    expect(fake.messages).toHaveLength(0);
  });
});

// ---------------------------------------------------------------------------------------------------
// The sender

const hazardCard = (fileIds: number[]): Card =>
  card('隐患 YH-2026-0007', 'orange', [
    fields([['隐患描述', '三楼东侧灭火器过期']]),
    images(
      fileIds.map((fileId, index) => ({ fileId, label: `整改前 ${index + 1}` })),
      `照片 ${fileIds.length} 张（整改前 ${fileIds.length}）`,
      `照片 ${fileIds.length} 张（整改前 ${fileIds.length}），请在管理后台查看`,
    ),
  ]);

let rowId = 1;
function row(value: Card, extra: Partial<OutboxRow> = {}): OutboxRow {
  return {
    id: rowId++,
    tenantId: 1,
    channel: 'feishu',
    op: 'send',
    targetKind: 'chat',
    targetId: 'oc_group',
    refMessageId: null,
    personId: null,
    body: { kind: 'card', card: value },
    subject: null,
    view: null,
    status: 'sending',
    attempts: 1,
    nextAttemptAt: new Date(),
    lockedUntil: null,
    lastError: null,
    platformMessageId: null,
    platformRef: null,
    createdAt: new Date(),
    sentAt: null,
    ...extra,
  } as OutboxRow;
}

/** Stored photos of tenant 1 by file id; reads are counted. */
function store(files: Record<number, StoredPhoto>) {
  const reads: string[] = [];
  return {
    reads,
    readPhoto: async (tenantId: number, fileId: number) => {
      reads.push(`${tenantId}:${fileId}`);
      return tenantId === 1 ? (files[fileId] ?? null) : null;
    },
  };
}

const imgKeysOf = (content: unknown): string[] => JSON.stringify(content).match(/img_v3_[0-9a-f]+/g) ?? [];

describe('the Feishu sender shows a card’s stored photos', () => {
  let feishu: FeishuClient;
  beforeEach(() => {
    feishu = createFeishuClient({ appId: FAKE_APP_ID, appSecret: FAKE_APP_SECRET, domain: fake.url });
  });

  it('uploads each photo once, before the card, and the card names the keys it got', async () => {
    const photos = store({
      11: { bytes: jpegImage(64, 48), contentType: 'image/jpeg' },
      12: { bytes: pngImage(8, 8), contentType: 'image/png' },
    });
    const sender = createFeishuSender(feishu, { readPhoto: photos.readPhoto });
    const sent = await sender.deliver(row(hazardCard([11, 12])));

    const kinds = fake.calls.filter((call) => call.kind !== 'auth.tenant_token').map((call) => call.kind);
    expect(kinds).toEqual(['image.create', 'image.create', 'message.create']);
    expect(fake.images.map((image) => image.format)).toEqual(['jpeg', 'png']);
    const content = fake.contentOf(sent.platformMessageId!);
    expect(imgKeysOf(content)).toEqual(fake.images.map((image) => image.imageKey));
    expect(JSON.stringify(content)).toContain('整改前 2');

    // The card updated later names the same keys without uploading again.
    await sender.deliver(row(hazardCard([11, 12]), { op: 'update', refMessageId: sent.platformMessageId! }));
    expect(fake.images).toHaveLength(2);
    expect(fake.patches).toHaveLength(1);
    expect(imgKeysOf(fake.patches[0]!.content)).toEqual(fake.images.map((image) => image.imageKey));
    expect(photos.reads).toEqual(['1:11', '1:12']);
  });

  it('shows a photo not stored, or refused by Feishu, as the text line', async () => {
    const photos = store({ 21: { bytes: Buffer.from('not an image at all'), contentType: 'image/jpeg' } });
    const sender = createFeishuSender(feishu, { readPhoto: photos.readPhoto });
    const sent = await sender.deliver(row(hazardCard([21, 22])));
    expect(fake.images).toHaveLength(0);
    const content = JSON.stringify(fake.contentOf(sent.platformMessageId!));
    expect(imgKeysOf(content)).toEqual([]);
    expect(content).toContain('照片 2 张（整改前 2），请在管理后台查看');
  });

  it('fails the row for another try when the upload meets a server error, and sends nothing', async () => {
    const photos = store({ 31: { bytes: pngImage(2, 2), contentType: 'image/png' } });
    const sender = createFeishuSender(feishu, { readPhoto: photos.readPhoto });
    fake.force({ match: 'image.create', status: 500 });
    const error = await sender.deliver(row(hazardCard([31]))).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DeliveryError);
    expect((error as DeliveryError).retryable).toBe(true);
    expect(fake.messages).toHaveLength(0);

    const sent = await sender.deliver(row(hazardCard([31])));
    expect(imgKeysOf(fake.contentOf(sent.platformMessageId!))).toEqual([fake.images[0]!.imageKey]);
  });

  it('never shows another tenant’s photo', async () => {
    const photos = store({ 41: { bytes: pngImage(2, 2), contentType: 'image/png' } });
    const sender = createFeishuSender(feishu, { readPhoto: photos.readPhoto });
    const sent = await sender.deliver(row(hazardCard([41]), { tenantId: 2 }));
    expect(fake.images).toHaveLength(0);
    expect(imgKeysOf(fake.contentOf(sent.platformMessageId!))).toEqual([]);
  });
});

describe('channels without images in cards show the text line', () => {
  const value = hazardCard([1, 2, 3]);
  it('as text', () => {
    expect(cardToText(value)).toContain('照片 3 张（整改前 3），请在管理后台查看');
  });
  it('on WeCom', () => {
    const body = renderWecom(
      { kind: 'card', card: value },
      { taskId: 'task_1', cardUrl: 'https://example.cn' },
    );
    expect(JSON.stringify(body)).toContain('照片 3 张（整改前 3），请在管理后台查看');
  });
});

describe('the hazard card’s photos', () => {
  const photo = (stage: 'before' | 'after', fileId: number | null, status = 'stored') => ({
    stage,
    status,
    fileId,
  });

  it('shows both stages, half each when there are more than four, and counts every photo', () => {
    const block = photosBlock([
      photo('before', 1),
      photo('before', 2),
      photo('before', null, 'pending'),
      photo('before', 4),
      photo('after', 5),
      photo('after', 6),
      photo('after', 7),
    ]);
    expect(block).toEqual({
      kind: 'images',
      images: [
        { fileId: 1, label: '整改前 1' },
        { fileId: 2, label: '整改前 2' },
        { fileId: 5, label: '整改后 1' },
        { fileId: 6, label: '整改后 2' },
      ],
      caption: '照片 7 张（整改前 4，整改后 3），其余 3 张见管理后台',
      fallback: '照片 7 张（整改前 4，整改后 3），请在管理后台查看',
    });
  });

  it('counts a photo being downloaded, not one given up', () => {
    const block = photosBlock([
      photo('before', null, 'pending'),
      photo('before', null, 'failed'),
      photo('after', 3),
    ]);
    expect(block).toMatchObject({
      images: [{ fileId: 3, label: '整改后 1' }],
      fallback: '照片 2 张（整改前 1，整改后 1），请在管理后台查看',
    });
    expect(photosBlock([photo('before', null, 'failed')])).toBe(false);
  });

  it('fills the four with one stage when the other has few, and shows nothing without photos', () => {
    const block = photosBlock([
      photo('before', 1),
      photo('after', 2),
      photo('after', 3),
      photo('after', 4),
      photo('after', 5),
    ]);
    expect(block && block.kind === 'images' && block.images.map((image) => image.label)).toEqual([
      '整改前 1',
      '整改后 1',
      '整改后 2',
      '整改后 3',
    ]);
    expect(photosBlock([])).toBe(false);
  });
});
