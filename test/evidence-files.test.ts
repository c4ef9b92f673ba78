// Files kept as evidence (issue 18 §2, "every photo (and file)"): a document or a video sent after a
// record (记录) is downloaded on arrival and kept with the record, still ours once the platform has
// forgotten it (Feishu message resources, WeCom media/get within 3 days); after a hazard report it is
// refused politely (a hazard takes photos only) and nothing is written; a program is refused by its bytes;
// a file that follows nothing gets an answer saying what files are kept for.
import { asc } from 'drizzle-orm';
import ExcelJS from 'exceljs';
import { beforeEach, describe, expect, it } from 'vitest';
import { buildXml } from '../bot/channels/wecom/xml.ts';
import type { Database } from '../db/client.ts';
import { completionPhotos, completions, hazardPhotos, storedFileChunks, storedFiles } from '../db/schema.ts';
import { FeishuErrorCode, RESOURCE_MAX_BYTES } from './fakes/feishu-api.ts';
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
import { pdf } from './helpers/images.ts';
import { harnessPerFile } from './helpers/per-file.ts';
import type { Harness } from './helpers/service.ts';
import { nextMsgId, postWecom, textMessage, WECOM_APP, wecomCallback } from './helpers/wecom-events.ts';

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

async function settle() {
  await harness.service.inbox.idle();
  await harness.service.downloads.pump.idle();
  await harness.service.downloads.runOnce();
  await harness.service.dispatcher.drain();
}

const P2P = 'oc_p2p_chenjing';

/** A Feishu message of chenjing's in the p2p chat: text, or a file / video (message_type file, media). */
async function feishuSays(
  options: { text: string } | { file: { key: string; name: string; type?: 'file' | 'media' } },
  messageId?: string,
) {
  const openId = await identityOf(database, 'chenjing', 'open_id');
  const event = messageEvent({
    openId,
    chatId: P2P,
    chatType: 'p2p',
    messageId,
    text: 'text' in options ? options.text : '',
  });
  if ('file' in options) {
    const { key, name, type = 'file' } = options.file;
    event.event.message.message_type = type;
    event.event.message.content = JSON.stringify(
      type === 'media'
        ? { file_key: key, image_key: 'img_cover', file_name: name, duration: 3000 }
        : { file_key: key, file_name: name },
    );
  }
  expect((await harness.post('/webhooks/feishu', feishuRequest(event))).status).toBe(200);
  await settle();
}

/** The texts the fake Feishu was sent since `from` (cards as their JSON). */
const feishuTexts = (from = 0) => harness.feishu.messages.slice(from).map((message) => message.rawContent);

async function wecomSays(inner: string) {
  const timestamp = Math.floor(now() / 1000);
  expect((await postWecom(harness, wecomCallback(inner, { timestamp }))).status).toBe(200);
  await settle();
}

const videoMessage = (from: string, mediaId: string) =>
  buildXml({
    ToUserName: WECOM_APP.corpId,
    FromUserName: from,
    CreateTime: Math.floor(now() / 1000),
    MsgType: 'video',
    MediaId: mediaId,
    ThumbMediaId: 'thumb_media',
    MsgId: nextMsgId(),
    AgentID: String(WECOM_APP.agentId),
  });

const recordFiles = () => database.db.select().from(completionPhotos).orderBy(asc(completionPhotos.id));

/** A real XLSX (a zip the bytes say is a spreadsheet). */
async function spreadsheet() {
  const workbook = new ExcelJS.Workbook();
  workbook.addWorksheet('检查表').addRow(['部位', '情况']);
  return new Uint8Array(await workbook.xlsx.writeBuffer());
}

/** A short MP4: its ftyp box is what the bytes are known by. */
const mp4 = () =>
  new Uint8Array(
    Buffer.concat([Buffer.from('000000186674797069736f6d0000020069736f6d', 'hex'), Buffer.alloc(4096, 7)]),
  );

/** A Windows program (MZ header), whatever it is named. */
const program = () => new Uint8Array(Buffer.concat([Buffer.from('MZ'), Buffer.alloc(2048, 0x90)]));

describe('on Feishu', () => {
  it('a file after 记录 is kept with the record, and still ours 3 days later when Feishu no longer gives it', async () => {
    await feishuSays({ text: '记录 检查 期末安全大检查，查出问题三处' });
    const [record] = await database.db.select().from(completions);
    const bytes = await spreadsheet();
    harness.feishu.addResource({
      messageId: 'om_sheet',
      fileKey: 'file_v3_sheet',
      bytes,
      type: 'file',
      contentType: 'application/octet-stream',
    });
    const before = harness.feishu.messages.length;
    await feishuSays({ file: { key: 'file_v3_sheet', name: '安全检查表.xlsx' } }, 'om_sheet');

    const calls = harness.feishu.calls.filter((call) => call.kind === 'resource.get');
    expect(calls.map((call) => [call.path, call.query.type, call.status])).toEqual([
      ['/open-apis/im/v1/messages/om_sheet/resources/file_v3_sheet', 'file', 200],
    ]);
    const [file] = await recordFiles();
    expect(file).toMatchObject({
      completionId: record!.id,
      kind: 'file',
      fileKey: 'file_v3_sheet',
      fileName: '安全检查表.xlsx',
      fetchStatus: 'stored',
    });
    expect(feishuTexts(before).join('\n')).toContain('已将 1 个文件附到记录：检查');

    // Feishu forgets it (the fake no longer has the resource); the product still has the bytes.
    harness.feishu.reset();
    offsetMs = 3 * DAY_MS + 3600_000;
    const [stored] = await database.db.select().from(storedFiles);
    expect(stored).toMatchObject({
      contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      size: bytes.byteLength,
    });
    const kept = await harness.service.evidence.read(file!.tenantId, file!.fileId!);
    expect(Buffer.from(kept!.bytes).equals(Buffer.from(bytes))).toBe(true);
  });

  it('a video (media) after 记录 is fetched with type=file and kept as a file', async () => {
    await feishuSays({ text: '记录 演练 消防疏散演练，全校参加' });
    const bytes = mp4();
    harness.feishu.addResource({ messageId: 'om_video', fileKey: 'file_v3_video', bytes, type: 'file' });
    await feishuSays({ file: { key: 'file_v3_video', name: '疏散演练.mp4', type: 'media' } }, 'om_video');
    const [file] = await recordFiles();
    expect(file).toMatchObject({ kind: 'file', fileName: '疏散演练.mp4', fetchStatus: 'stored' });
    const [stored] = await database.db.select().from(storedFiles);
    expect(stored?.contentType).toBe('video/mp4');
  });

  it('a file after a hazard report is refused politely and nothing is written', async () => {
    await feishuSays({ text: '报隐患 操场东侧围墙出现裂缝，一般' });
    harness.feishu.addResource({
      messageId: 'om_doc',
      fileKey: 'file_v3_doc',
      bytes: pdf('notes'),
      type: 'file',
    });
    const before = harness.feishu.messages.length;
    await feishuSays({ file: { key: 'file_v3_doc', name: '说明.pdf' } }, 'om_doc');

    const told = feishuTexts(before).join('\n');
    expect(told).toContain('隐患只收照片，文件“说明.pdf”未保存');
    expect(await database.db.select().from(hazardPhotos)).toEqual([]);
    expect(await recordFiles()).toEqual([]);
    expect(await database.db.select().from(storedFiles)).toEqual([]);
    expect(harness.feishu.calls.filter((call) => call.kind === 'resource.get')).toEqual([]);
  });

  it('a program after 记录 is refused by its bytes, whatever its name; the sender is told', async () => {
    await feishuSays({ text: '记录 会议 安全工作例会' });
    harness.feishu.addResource({
      messageId: 'om_exe',
      fileKey: 'file_v3_exe',
      bytes: program(),
      type: 'file',
    });
    const before = harness.feishu.messages.length;
    await feishuSays({ file: { key: 'file_v3_exe', name: '会议纪要.pdf' } }, 'om_exe');

    const [file] = await recordFiles();
    expect(file).toMatchObject({ fetchStatus: 'failed', fileId: null });
    expect(file!.fetchError).toBe('可执行程序（识别为 exe）不予保存');
    expect(await database.db.select().from(storedFiles)).toEqual([]);
    expect(await database.db.select().from(storedFileChunks)).toEqual([]);
    expect(feishuTexts(before).join('\n')).toContain(
      '您发送的记录附件未能保存：可执行程序（识别为 exe）不予保存',
    );
  });

  it('a file that follows nothing is answered with what files are kept for', async () => {
    const before = harness.feishu.messages.length;
    await feishuSays({ file: { key: 'file_v3_alone', name: '通知.docx' } }, 'om_alone');
    const told = feishuTexts(before).join('\n');
    expect(told).toContain('收到文件，但未保存');
    expect(told).toContain('记录 会议|检查|督查|演练');
    expect(await recordFiles()).toEqual([]);
  });

  it('the fake refuses a resource over 100 MB, and a file_key of another message', async () => {
    const token = harness.feishu.tenantTokenFor();
    harness.feishu.addResource({
      messageId: 'om_big',
      fileKey: 'file_big',
      bytes: pdf('big'),
      type: 'file',
      size: RESOURCE_MAX_BYTES + 1,
    });
    const get = async (path: string) => {
      const response = await fetch(`${harness.feishu.url}/open-apis/im/v1/messages/${path}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      return { status: response.status, code: ((await response.json()) as { code: number }).code };
    };
    expect(await get('om_big/resources/file_big?type=file')).toEqual({
      status: 400,
      code: FeishuErrorCode.resourceTooLarge,
    });
    expect(await get('om_other/resources/file_big?type=file')).toEqual({
      status: 400,
      code: FeishuErrorCode.resourceNotInMessage,
    });
  });
});

describe('on the WeCom app', () => {
  it('a video after 记录 is kept from media/get within its 3 days; after them WeCom refuses, the file is ours', async () => {
    await wecomSays(textMessage({ from: 'chenjing', content: '记录 演练 防震演练' }));
    const bytes = mp4();
    const mediaId = wecom.addMedia(bytes, 'video/mp4');
    await wecomSays(videoMessage('chenjing', mediaId));
    const [file] = await recordFiles();
    expect(file).toMatchObject({ channel: 'wecom', kind: 'file', fileKey: mediaId, fetchStatus: 'stored' });

    offsetMs = 3 * DAY_MS + 60_000;
    const token = (await (
      await fetch(`${wecom.url}/cgi-bin/gettoken?corpid=${wecom.corpId}&corpsecret=${wecom.corpSecret}`)
    ).json()) as { access_token: string };
    const late = await fetch(
      `${wecom.url}/cgi-bin/media/get?access_token=${token.access_token}&media_id=${mediaId}`,
    );
    expect(await late.json()).toEqual({ errcode: 40007, errmsg: 'invalid media_id' });
    const kept = await harness.service.evidence.read(file!.tenantId, file!.fileId!);
    expect(kept?.contentType).toBe('video/mp4');
    expect(Buffer.from(kept!.bytes).equals(Buffer.from(bytes))).toBe(true);
  });

  it('a video after a hazard report is refused and not fetched', async () => {
    await wecomSays(textMessage({ from: 'chenjing', content: '报隐患 食堂后门消防通道被杂物堵塞，一般' }));
    const before = wecom.sent.length;
    const mediaId = wecom.addMedia(mp4(), 'video/mp4');
    await wecomSays(videoMessage('chenjing', mediaId));
    expect(
      wecom.sent
        .slice(before)
        .map((body) => JSON.stringify(body))
        .join('\n'),
    ).toContain('隐患只收照片');
    expect(await database.db.select().from(hazardPhotos)).toEqual([]);
    expect(await database.db.select().from(storedFiles)).toEqual([]);
    expect(wecom.log.filter((call) => call.endpoint === 'media_get')).toEqual([]);
  });
});

describe('on the console', () => {
  it("a record's file is downloaded by its office under its name; another school's office gets 404", async () => {
    await feishuSays({ text: '记录 检查 食堂专项检查' });
    const bytes = pdf('canteen report');
    harness.feishu.addResource({ messageId: 'om_pdf', fileKey: 'file_v3_pdf', bytes, type: 'file' });
    await feishuSays({ file: { key: 'file_v3_pdf', name: '食堂检查报告.pdf' } }, 'om_pdf');
    const [file] = await recordFiles();

    const browser = new Browser(fetchFrom(() => harness.url));
    await login(browser);
    const page = await browser.page('/console/records');
    expect(page.html).toContain('食堂专项检查');
    expect(page.html).toContain(`href="/console/records/files/${file!.id}"`);
    expect(page.html).toContain('食堂检查报告.pdf');
    const download = await browser.get(`/console/records/files/${file!.id}`);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('application/pdf');
    expect(download.headers.get('content-disposition')).toContain(encodeURIComponent('食堂检查报告.pdf'));
    expect(Buffer.from(await download.arrayBuffer()).equals(Buffer.from(bytes))).toBe(true);

    const bureau = new Browser(fetchFrom(() => harness.url));
    await login(bureau, BUREAU, BUREAU_PASSWORD);
    expect((await bureau.get(`/console/records/files/${file!.id}`)).status).toBe(404);
  });
});
