import { readFileSync } from 'node:fs';
import { and, asc, eq, isNull } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../bot/core/log.ts';
import type { Card } from '../cards/model.ts';
import type { Database } from '../db/client.ts';
import { importOrganization } from '../db/org-import.ts';
import { letterStatus } from '../db/queries/letters.ts';
import { auditEvents, letterRounds, letters, outbox, postHolders, posts, reminders } from '../db/schema.ts';
import { parseOrgFile } from '../handlers/org-file.ts';
import { runLetterRounds } from '../jobs/letters.ts';
import { type ConsoleDriver, consoleDriver } from './helpers/console-driver.ts';
import { exampleFile, openTestDatabase, seedExample } from './helpers/db.ts';

const START = new Date('2026-03-02T02:00:00Z'); // Monday 10:00 in Shanghai
const DAY_MS = 24 * 3600 * 1000;
let database: Database;
let bot: ConsoleDriver;

beforeAll(async () => {
  database = await openTestDatabase();
  bot = consoleDriver(database, START);
});
afterAll(async () => {
  await database.close();
});
beforeEach(async () => {
  bot.tenantId = (await seedExample(database)).tenantId;
  bot.now = START;
});

const personId = (code: string) => bot.personId(code);
const say = (code: string, text: string) => bot.say(code, text);
const press = (code: string, action: string, args: Record<string, string>) => bot.press(code, action, args);

/** The cards sent to a person (not replies in their chat), in order. */
async function cardsTo(id: number) {
  const rows = await database.db
    .select()
    .from(outbox)
    .where(and(eq(outbox.personId, id), eq(outbox.op, 'send')))
    .orderBy(asc(outbox.id));
  return rows.flatMap((row) => (row.body.kind === 'card' ? [{ ...row, card: row.body.card as Card }] : []));
}

const currentHolders = async () =>
  database.db
    .select({ postId: postHolders.postId, personId: postHolders.personId })
    .from(postHolders)
    .innerJoin(posts, and(eq(posts.id, postHolders.postId), eq(posts.archived, false)))
    .where(isNull(postHolders.endedAt));
const letterOf = async (code: string) =>
  (
    await database.db
      .select()
      .from(letters)
      .where(eq(letters.personId, await personId(code)))
  )[0]!;
const signAudits = async (letterId: number) =>
  database.db
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.subject, `letter:${letterId}`), eq(auditEvents.action, 'sign')));
const runJob = (at: Date) =>
  runLetterRounds({ db: database.db, channels: bot.channels, log: silentLogger, now: at });

const OFFICE = 'zhouyinyin'; // 办公室主任, office director
const PRINCIPAL = 'wangxiaofang'; // 校长, 第一责任人
const TEACHER = 'chenjing'; // 初二（3）班班主任, 德育处
const GUARD = 'liguoqiang'; // 门卫, 安保处
const DEPUTY = 'xuejianping'; // 分管安全后勤副校长

describe('starting a round', () => {
  it('is refused politely to anyone but the office and the 第一责任人', async () => {
    const reply = await say(TEACHER, '发起责任书 2026');
    expect(reply).toContain('由安全办公室或第一责任人发起');
    expect(await database.db.select().from(letterRounds)).toHaveLength(0);
    expect(await database.db.select().from(letters)).toHaveLength(0);
    expect(await say(DEPUTY, '/letters-start 2026')).toContain('由安全办公室或第一责任人发起');
  });

  it('issues one letter per post and holder, with the duties of the post, once per year', async () => {
    const reply = await say(OFFICE, '发起责任书 2026');
    const holders = await currentHolders();
    const issued = await database.db.select().from(letters);
    expect(issued).toHaveLength(holders.length);
    expect(holders.length).toBe(17);
    expect(new Set(issued.map((letter) => `${letter.postId}:${letter.personId}`))).toEqual(
      new Set(holders.map((holder) => `${holder.postId}:${holder.personId}`)),
    );
    expect(reply).toContain(`向 17 人下发 17 份责任书`);
    const [round] = await database.db.select().from(letterRounds);
    expect(round).toMatchObject({ year: 2026, startedById: await personId(OFFICE) });

    // The duties are a snapshot of the post's at issue time.
    const teacherLetter = await letterOf(TEACHER);
    const [post] = await database.db.select().from(posts).where(eq(posts.id, teacherLetter.postId));
    expect(teacherLetter.duties).toEqual({ business: post!.businessDuties, safety: post!.safetyDuties });
    expect(teacherLetter.signedAt).toBeNull();

    // A second start says it exists and shows the progress; nothing new is issued.
    const again = await say(PRINCIPAL, '发起责任书 2026年度');
    expect(again).toContain('无需重复发起');
    expect(again).toContain('2026年度责任书签订进度');
    expect(await database.db.select().from(letters)).toHaveLength(17);
    expect(await database.db.select().from(letterRounds)).toHaveLength(1);
  });

  it('asks for the year, and refuses a year far off', async () => {
    expect(await say(OFFICE, '发起责任书')).toContain('请写明年度');
    expect(await say(OFFICE, '发起责任书 2062')).toContain('不在可办理的范围内');
    expect(await database.db.select().from(letterRounds)).toHaveLength(0);
  });

  it('sends each holder a card with the post, level, duties, signing parties and a 确认签订 button', async () => {
    await say(OFFICE, '发起责任书 2026');
    const teacher = await personId(TEACHER);
    const [sent] = await cardsTo(teacher);
    const letter = await letterOf(TEACHER);
    expect(sent).toMatchObject({ subject: `letter:${letter.id}`, view: 'holder' });
    const card = JSON.stringify(sent!.card);
    expect(sent!.card.title).toBe('2026年度一岗双责安全责任书');
    expect(card).toContain('初二（3）班班主任（德育处）');
    expect(card).toContain('岗位责任人');
    expect(card).toContain('负责本班学生日常管理、思想教育和家校联系'); // business duty
    expect(card).toContain('本班安全工作第一责任人'); // safety duty
    expect(card).toContain('处室负责人 林晨杰（德育处主任）'); // staff sign with their unit head
    expect(card).toContain('"action":"letter.sign"');
    expect(card).toContain('由继任者继续履行');

    // A unit head signs with the 分管领导 of the unit; a 分管领导 with the 第一责任人; the principal upward.
    const headCard = JSON.stringify((await cardsTo(await personId('yinxianju')))[0]!.card);
    expect(headCard).toContain('分管领导（直接责任人） 薛建平（分管安全后勤副校长）');
    const deputyCard = JSON.stringify((await cardsTo(await personId(DEPUTY)))[0]!.card);
    expect(deputyCard).toContain('直接责任人');
    expect(deputyCard).toContain('第一责任人 王晓芳（校长）');
    const principalCard = JSON.stringify((await cardsTo(await personId(PRINCIPAL)))[0]!.card);
    expect(principalCard).toContain('上级教育行政部门');
  });
});

describe('signing', () => {
  it('is done by the holder only, once, and refreshes the card', async () => {
    await say(OFFICE, '发起责任书 2026');
    const letter = await letterOf(TEACHER);
    bot.now = new Date(START.getTime() + 3600 * 1000);

    const other = await press(GUARD, 'letter.sign', { id: String(letter.id) });
    expect(other?.toast.kind).toBe('error');
    expect(other?.toast.text).toContain('只能由本人确认签订');
    expect((await letterOf(TEACHER)).signedAt).toBeNull();
    expect(await signAudits(letter.id)).toHaveLength(0);

    const signed = await press(TEACHER, 'letter.sign', { id: String(letter.id) });
    expect(signed?.toast).toMatchObject({ kind: 'success' });
    expect(signed?.toast.text).toContain('已确认签订');
    expect((await letterOf(TEACHER)).signedAt?.toISOString()).toBe(bot.now.toISOString());
    const audits = await signAudits(letter.id);
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({
      actorId: await personId(TEACHER),
      fromStatus: 'issued',
      toStatus: 'signed',
      tenantId: bot.tenantId,
    });
    // The card not yet delivered was rewritten: signed, no button any more.
    const [card] = await cardsTo(await personId(TEACHER));
    expect(JSON.stringify(card!.card)).toContain('已签订');
    expect(JSON.stringify(card!.card)).not.toContain('letter.sign');

    bot.now = new Date(START.getTime() + 2 * 3600 * 1000);
    const twice = await press(TEACHER, 'letter.sign', { id: String(letter.id) });
    expect(twice?.toast.text).toContain('已签订');
    expect(twice?.toast.kind).toBe('info');
    expect(await signAudits(letter.id)).toHaveLength(1);
    expect((await letterOf(TEACHER)).signedAt?.toISOString()).toBe(
      new Date(START.getTime() + 3600 * 1000).toISOString(),
    );

    expect((await press(TEACHER, 'letter.sign', { id: '99999' }))?.toast.kind).toBe('error');
  });

  it('by text command, for bot.channels without buttons', async () => {
    await say(OFFICE, '发起责任书 2026');
    const reply = await say(TEACHER, '签订责任书 2026');
    expect(reply).toContain('已确认签订2026年度一岗双责安全责任书：初二（3）班班主任');
    const letter = await letterOf(TEACHER);
    expect(letter.signedAt).not.toBeNull();
    expect(await signAudits(letter.id)).toHaveLength(1);
    expect(await say(TEACHER, '/letters-sign')).toContain('已签订');
    expect(await signAudits(letter.id)).toHaveLength(1);
    expect(await say(TEACHER, '签订责任书 2026 门卫')).toContain('您的责任书中没有岗位“门卫”');
    expect(await say(GUARD, '签订责任书 2025')).toContain('尚未发起');
    // 我的责任书 shows the letter again, now signed.
    expect(await say(TEACHER, '我的责任书')).toContain('已签订');
  });
});

describe('progress', () => {
  it('counts per unit who signed of how many, and names who has not', async () => {
    await say(OFFICE, '发起责任书 2026');
    await press(TEACHER, 'letter.sign', { id: String((await letterOf(TEACHER)).id) });
    await say(PRINCIPAL, '签订责任书');

    expect(await say(TEACHER, '责任书进度')).toContain('仅供安全办公室和第一责任人查看');
    const reply = await say(OFFICE, '/letters 2026');
    expect(reply).toContain('2026年度责任书签订进度');
    expect(reply).toContain('2/17 已签订');
    // 德育处: 主任 林晨杰, 副主任 侯燕婷, 班主任 陈静 (signed).
    expect(reply).toContain(
      '"label":"德育处","value":"1/3 已签订；未签订：林晨杰（德育处主任）、侯燕婷（德育处副主任）"',
    );
    // The leaders, outside any unit: 校长 signed, the two deputies not.
    expect(reply).toContain(
      '"label":"校领导","value":"1/3 已签订；未签订：薛建平（分管安全后勤副校长）、章方辉（分管教学德育副校长）"',
    );
    expect(reply).toContain('"label":"安保处","value":"0/2 已签订');

    const rows = await letterStatus(database.db, bot.tenantId, 2026);
    expect(rows).toHaveLength(17);
    expect(rows.filter((row) => row.signedAt)).toHaveLength(2);
    expect(rows.find((row) => row.personName === '陈静')).toMatchObject({
      unitName: '德育处',
      postTitle: '初二（3）班班主任',
      current: true,
    });
    expect(await letterStatus(database.db, bot.tenantId, 2025)).toEqual([]);

    // The office's progress card follows the signatures.
    await press(GUARD, 'letter.sign', { id: String((await letterOf(GUARD)).id) });
    const [progress] = await database.db
      .select()
      .from(outbox)
      .where(eq(outbox.view, 'progress'))
      .orderBy(asc(outbox.id));
    expect(JSON.stringify(progress!.body)).toContain('3/17 已签订');
  });
});

describe('successors and reminders (jobs/letters.ts)', () => {
  it('issues the successor a letter of their own; the predecessor’s signed letter stays', async () => {
    await say(OFFICE, '发起责任书 2026');
    const guardLetter = await letterOf(GUARD);
    await press(GUARD, 'letter.sign', { id: String(guardLetter.id) });
    expect(await runJob(bot.now)).toEqual({ issued: 0, reminded: 0 });

    // Mid-year the 门卫 post passes from 李国强 to 王刚.
    bot.now = new Date('2026-05-11T02:00:00Z');
    const file = exampleFile('school.yaml');
    const org = parseOrgFile(file, readFileSync(file, 'utf8'));
    org.people.find((person) => person.code === GUARD)!.posts = [];
    org.people.push({ code: 'wanggang', name: '王刚', posts: ['men-wei'], wecom: { userid: 'wanggang' } });
    const summary = await importOrganization(database.db, org, bot.now);
    expect(summary).toMatchObject({ holdersStarted: 1, holdersEnded: 1 });

    const before = await letterStatus(database.db, bot.tenantId, 2026);
    expect(before.find((row) => row.personName === '王刚')).toMatchObject({ letterId: null, current: true });

    // Ten weeks on, the 16 others who have not signed are reminded too (once, for both steps).
    expect(await runJob(bot.now)).toEqual({ issued: 1, reminded: 16 });
    expect(await runJob(bot.now)).toEqual({ issued: 0, reminded: 0 });
    const successor = await letterOf('wanggang');
    expect(successor).toMatchObject({ postId: guardLetter.postId, signedAt: null });
    expect(successor.issuedAt.toISOString()).toBe(bot.now.toISOString());
    const [card] = await cardsTo(await personId('wanggang'));
    const text = JSON.stringify(card!.card);
    expect(card).toMatchObject({ subject: `letter:${successor.id}`, view: 'holder' });
    expect(text).toContain('您接任了门卫');
    expect(text).toContain('李国强（已于 2026-03-02 10:00 签订）');
    expect(text).toContain('letter.sign');

    const kept = await letterOf(GUARD);
    expect(kept.signedAt?.toISOString()).toBe(START.toISOString());
    expect(await database.db.select().from(letters)).toHaveLength(18);

    // Progress counts the post's current holder; the predecessor's letter stays on record.
    const rows = await letterStatus(database.db, bot.tenantId, 2026);
    expect(rows.find((row) => row.personName === '李国强')).toMatchObject({ current: false });
    expect(rows.filter((row) => row.current)).toHaveLength(17);
    const reply = await say(OFFICE, '责任书进度');
    expect(reply).toContain(
      '"label":"安保处","value":"0/2 已签订；未签订：尹仙菊（安保处主任）、王刚（门卫）"',
    );
    expect(reply).toContain('李国强（门卫）');

    // The predecessor can no longer sign for the post; the successor can.
    expect(await say(GUARD, '签订责任书')).toContain('没有需要您签订');
    expect((await press('wanggang', 'letter.sign', { id: String(successor.id) }))?.toast.kind).toBe(
      'success',
    );
  });

  it('reminds who has not signed after 3 and after 7 days, each once across runs', async () => {
    await say(OFFICE, '发起责任书 2026');
    await press(TEACHER, 'letter.sign', { id: String((await letterOf(TEACHER)).id) });
    const unsigned = 16;
    const at = (days: number, hours = 0) => new Date(START.getTime() + days * DAY_MS + hours * 3600 * 1000);

    expect(await runJob(at(2, 23))).toEqual({ issued: 0, reminded: 0 });
    expect(await runJob(at(3))).toEqual({ issued: 0, reminded: unsigned });
    expect(await runJob(at(3, 1))).toEqual({ issued: 0, reminded: 0 });
    expect(await runJob(at(5))).toEqual({ issued: 0, reminded: 0 });

    // Someone signs in between: no second reminder for them.
    bot.now = at(6);
    await say(GUARD, '签订责任书 2026');
    expect(await runJob(at(7, 1))).toEqual({ issued: 0, reminded: unsigned - 1 });
    expect(await runJob(at(7, 2))).toEqual({ issued: 0, reminded: 0 });
    expect(await runJob(at(30))).toEqual({ issued: 0, reminded: 0 });

    const rows = await database.db.select().from(reminders);
    expect(rows.filter((row) => row.step === 'remind-3d')).toHaveLength(unsigned);
    expect(rows.filter((row) => row.step === 'remind-7d')).toHaveLength(unsigned - 1);
    const guard = await personId(GUARD);
    const guardLetter = await letterOf(GUARD);
    expect(rows.filter((row) => row.personId === guard)).toEqual([
      expect.objectContaining({ subject: `letter:${guardLetter.id}`, period: '2026', step: 'remind-3d' }),
    ]);

    const deputyCards = await cardsTo(await personId(DEPUTY));
    expect(deputyCards.map((sent) => sent.card.title)).toEqual([
      '2026年度一岗双责安全责任书',
      '【提醒】2026年度一岗双责安全责任书',
      '【提醒】2026年度一岗双责安全责任书',
    ]);
    expect(JSON.stringify(deputyCards[1]!.card)).toContain('已下发 3 天');
    expect(JSON.stringify(deputyCards[2]!.card)).toContain('已下发 7 天仍未签订');
    // The signed teacher got no reminder.
    expect(await cardsTo(await personId(TEACHER))).toHaveLength(1);
  });

  it('sends one message when both reminders fall due in one run, and leaves other years alone', async () => {
    await say(OFFICE, '发起责任书 2026');
    expect((await runJob(new Date(START.getTime() + 8 * DAY_MS))).reminded).toBe(17);
    expect(await database.db.select().from(reminders)).toHaveLength(34);
    expect((await cardsTo(await personId(DEPUTY))).length).toBe(2);
    // In 2027 the 2026 round is no longer chased.
    await database.db.delete(reminders);
    expect(await runJob(new Date('2027-01-10T02:00:00Z'))).toEqual({ issued: 0, reminded: 0 });
  });
});
