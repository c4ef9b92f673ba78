// The Wechaty channel's own rules: @-mentions in rooms, its own messages, numbered replies and their
// lifetime, photos following a report; nothing sent before the bot is ready, a conversation the puppet
// does not know yet tried again, room answers that @ the person they answer.
import { readFileSync } from 'node:fs';
import { and, eq, sql } from 'drizzle-orm';
import { FileBox } from 'file-box';
import { beforeEach, describe, expect, it } from 'vitest';
import { notInstalled } from '../bot/channels/wechaty/load.ts';
import { actions, button, card } from '../cards/model.ts';
import type { Database } from '../db/client.ts';
import { rememberPrompt } from '../db/queries/prompts.ts';
import {
  completionPhotos,
  completions,
  hazardPhotos,
  hazards,
  identities,
  inboundEvents,
  outbox,
  people,
  storedFiles,
  tenants,
} from '../db/schema.ts';
import { seedExample } from './helpers/db.ts';
import { pdf, png } from './helpers/images.ts';
import { harnessPerFile } from './helpers/per-file.ts';
import type { Harness } from './helpers/service.ts';
import { type MockWorld, startMockWechat } from './helpers/wechaty.ts';

let database: Database;
let harness: Harness;
let world: MockWorld;
let offsetMs = 0;
const clock = () => new Date(Date.now() + offsetMs);

const wxid = async (code: string) =>
  (
    await database.db
      .select({ value: identities.value, personId: people.id })
      .from(identities)
      .innerJoin(people, eq(people.id, identities.personId))
      .where(and(eq(people.code, code), eq(identities.channel, 'wechaty')))
  )[0]!;
const inboundCount = async () =>
  (await database.db.select({ n: sql<number>`count(*)::int` }).from(inboundEvents))[0]!.n;
async function settle(before: number) {
  for (let i = 0; i < 50 && (await inboundCount()) <= before; i++)
    await new Promise((r) => setTimeout(r, 20));
  await harness.service.dispatcher.drain();
  await new Promise((resolve) => setTimeout(resolve, 50));
}

harnessPerFile(
  (opened) => ({ database, harness } = opened),
  async (opened) => {
    await seedExample(opened);
    const ids = (await opened.db.select().from(identities).where(eq(identities.channel, 'wechaty'))).map(
      (r) => r.value,
    );
    world = await startMockWechat(ids);
    return { wechaty: world.bot, clock };
  },
);
beforeEach(() => {
  world.clear();
  offsetMs = 0;
});

/** A message to a chat, as a job or the console writes it; the dispatcher then sends it. */
async function toChat(chatId: string, text: string) {
  const [tenant] = await database.db.select().from(tenants);
  const [row] = await database.db
    .insert(outbox)
    .values({
      tenantId: tenant!.id,
      channel: 'wechaty',
      op: 'send',
      targetKind: 'chat',
      targetId: chatId,
      body: { kind: 'text', text },
    })
    .returning({ id: outbox.id });
  return async () => (await database.db.select().from(outbox).where(eq(outbox.id, row!.id)))[0]!;
}

describe('Wechaty channel', () => {
  it('ignores room chatter that does not @ the bot, and its own messages', async () => {
    const reporter = await wxid('chenjing');
    world.contact(reporter.value).say('报隐患 没有艾特机器人').to(world.room);
    await world.bot.say('机器人自己的话');
    await new Promise((resolve) => setTimeout(resolve, 200));
    await harness.service.dispatcher.drain();
    expect(await database.db.select().from(hazards)).toHaveLength(0);
    expect(await inboundCount()).toBe(0);
  });

  it('attaches a photo sent right after a report in the room', async () => {
    const reporter = await wxid('chenjing');
    let before = await inboundCount();
    world.contact(reporter.value).say('报隐患 围墙有裂缝', [world.botUser]).to(world.room);
    await settle(before);
    before = await inboundCount();
    const bytes = Buffer.from(png('crack'));
    world
      .contact(reporter.value)
      .say(FileBox.fromBase64(bytes.toString('base64'), 'crack.png'))
      .to(world.room);
    await settle(before);
    const photos = await database.db.select().from(hazardPhotos);
    expect(photos).toHaveLength(1);
    expect(photos[0]).toMatchObject({ channel: 'wechaty', fetchStatus: 'stored', stage: 'before' });
    // Kept from its FileBox on arrival: the puppet's copy is not needed any more.
    const kept = await harness.service.evidence.read(photos[0]!.tenantId, photos[0]!.fileId!);
    expect(Buffer.from(kept!.bytes).equals(bytes)).toBe(true);
    expect(world.inRoom().join('\n')).toContain('已将 1 张照片附到隐患');
  });

  it('refuses a numbered reply in a room from someone the card was not for, politely', async () => {
    const head = await wxid('yinxianju');
    const other = await wxid('chenjing');
    const [tenant] = await database.db.select().from(tenants);
    await rememberPrompt(database.db, {
      tenantId: tenant!.id,
      channel: 'wechaty',
      chatId: world.room.id,
      personId: head.personId,
      card: card('值班换班', 'blue', [actions(button('接受', 'hazard.accept', { id: '999' }))]),
    });
    const before = await inboundCount();
    world.contact(other.value).say('1').to(world.room);
    await settle(before);
    expect(world.inRoom().join('\n')).toContain('不是发给你的');
  });

  it('does not act on a number after the card has expired', async () => {
    const reporter = await wxid('chenjing');
    const head = await wxid('yinxianju');
    let before = await inboundCount();
    world
      .contact(reporter.value)
      .say('报隐患 教学楼三楼东侧灭火器过期，一般', [world.botUser])
      .to(world.room);
    await settle(before);
    expect(world.privateTo(head.value).join('\n')).toContain('回复 1 受理');
    offsetMs = 25 * 3600 * 1000;
    before = await inboundCount();
    world.contact(head.value).say('1').to(world.botUser);
    await settle(before);
    expect((await database.db.select().from(hazards))[0]!.status).toBe('reported');
    expect(world.privateTo(head.value).at(-1)).toContain('已过期');
  });

  it('sends nothing before the bot is logged in and ready, and gives nothing up while it waits', async () => {
    await world.logout();
    try {
      const row = await toChat(world.room.id, '本周安全检查提醒');
      // Longer than every retry of the outbox (8 tries, backoff up to 10 minutes) would take.
      for (let hour = 0; hour < 10; hour++) {
        await harness.service.dispatcher.drain();
        offsetMs += 3600 * 1000;
      }
      expect(world.inRoom()).toEqual([]);
      expect(await row()).toMatchObject({ status: 'pending', attempts: 0 });
      const health = (await (await harness.service.app.request('/healthz')).json()) as {
        connections: Record<string, unknown>;
      };
      expect(health.connections.wechaty).toMatchObject({ ok: false, state: 'logged-out' });

      await world.login();
      await harness.service.dispatcher.drain();
      expect(world.inRoom()).toEqual(['本周安全检查提醒']);
      expect(await row()).toMatchObject({ status: 'sent', attempts: 1 });
    } finally {
      if (!world.bot.isLoggedIn) await world.login();
    }
  });

  it('tries a room the puppet does not know yet again later, instead of failing the message', async () => {
    const roomId = 'new-group@chatroom';
    const row = await toChat(roomId, '新群的第一条通知');
    await harness.service.dispatcher.drain();
    expect(await row()).toMatchObject({ status: 'pending', attempts: 1 });
    expect((await row()).lastError).toContain('找不到微信会话');

    world.mocker.createRoom({ id: roomId, topic: '新建安全群', memberIdList: [world.botUser.id] });
    offsetMs += 60_000;
    await harness.service.dispatcher.drain();
    expect(world.inRoom(roomId)).toEqual(['新群的第一条通知']);
    expect((await row()).status).toBe('sent');
  });

  it('@-mentions in the room the person an answer is for', async () => {
    const reporter = await wxid('chenjing');
    const before = await inboundCount();
    world.contact(reporter.value).say('报隐患 二楼走廊应急灯不亮', [world.botUser]).to(world.room);
    await settle(before);
    const answers = world.inRoom();
    expect(answers.length).toBeGreaterThan(0);
    for (const answer of answers) expect(answer.startsWith(`@${reporter.value} `), answer).toBe(true);
    // A private answer has no one to @.
    const head = await wxid('yinxianju');
    const card = world.privateTo(head.value);
    expect(card).toHaveLength(1);
    expect(card[0]!.startsWith('@')).toBe(false);
  });

  it('names, when Wechaty is not installed, the install line with the versions package.json pins', () => {
    const { devDependencies } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    const version = (name: string) => String(devDependencies[name]).replace(/^\^/, '');
    const health = notInstalled('wechaty-puppet-service');
    expect(health).toMatchObject({ ok: false, state: 'not-installed' });
    expect(health.message).toContain(
      `npm install --no-save --save-prod --omit=dev wechaty@${version('wechaty')} ` +
        `wechaty-puppet-service@${version('wechaty-puppet-service')}`,
    );
    expect(health.message).toMatch(/^Wechaty 未安装：.*\/ Wechaty is not installed: /);
  });
});

/**
 * A document as WeChat delivers it (an Attachment message): the mock puppet types a FileBox by its media
 * type, and takes only application/octet-stream with a document's extension as an attachment.
 */
function documentBox(bytes: Uint8Array, name: string) {
  const box = FileBox.fromBase64(Buffer.from(bytes).toString('base64'), name);
  (box as unknown as { _mediaType: string })._mediaType = 'application/octet-stream';
  return box;
}

describe('Wechaty files', () => {
  async function say(text: string) {
    const reporter = await wxid('chenjing');
    const before = await inboundCount();
    world.contact(reporter.value).say(text, [world.botUser]).to(world.room);
    await settle(before);
  }
  async function send(bytes: Uint8Array, name: string) {
    const reporter = await wxid('chenjing');
    const before = await inboundCount();
    world.contact(reporter.value).say(documentBox(bytes, name)).to(world.room);
    await settle(before);
  }

  it('a file after 记录 is kept with the record from its FileBox on arrival', async () => {
    await say('记录 会议 安全工作例会，部署寒假安全');
    const [record] = await database.db.select().from(completions);
    const bytes = pdf('minutes');
    await send(bytes, '会议纪要.pdf');
    const [file] = await database.db.select().from(completionPhotos);
    expect(file).toMatchObject({
      completionId: record!.id,
      channel: 'wechaty',
      kind: 'file',
      fileName: '会议纪要.pdf',
      fetchStatus: 'stored',
    });
    // Ours, not the puppet's: read back from the store 3 days on.
    offsetMs = 3 * 24 * 3600_000 + 60_000;
    const kept = await harness.service.evidence.read(file!.tenantId, file!.fileId!);
    expect(kept?.contentType).toBe('application/pdf');
    expect(Buffer.from(kept!.bytes).equals(Buffer.from(bytes))).toBe(true);
    expect(world.inRoom().join('\n')).toContain('已将 1 个文件附到记录：会议');
  });

  it('a file after a hazard report is refused politely; nothing is kept, not even from its FileBox', async () => {
    await say('报隐患 二楼消防栓箱门损坏，一般');
    await send(pdf('not a photo'), '情况说明.pdf');
    expect(world.inRoom().join('\n')).toContain('隐患只收照片，文件“情况说明.pdf”未保存');
    expect(await database.db.select().from(hazardPhotos)).toEqual([]);
    expect(await database.db.select().from(completionPhotos)).toEqual([]);
    expect(await database.db.select().from(storedFiles)).toEqual([]);
  });

  it('a program after 记录 is refused by its bytes, whatever its name', async () => {
    await say('记录 检查 宿舍安全检查');
    await send(new Uint8Array(Buffer.concat([Buffer.from('MZ'), Buffer.alloc(1024, 0x90)])), '检查表.pdf');
    const [file] = await database.db.select().from(completionPhotos);
    expect(file).toMatchObject({
      fetchStatus: 'failed',
      fileId: null,
      fetchError: '可执行程序（识别为 exe）不予保存',
    });
    expect(await database.db.select().from(storedFiles)).toEqual([]);
    expect(world.inRoom().join('\n')).toContain('可执行程序（识别为 exe）不予保存');
  });
});
