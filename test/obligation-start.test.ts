// Obligations start when they can be met (issue 15 §2): a fresh install, a post changing hands and a
// database holding false misses, with the obligations job run under later clocks. No period that ended
// before the organization was loaded, the post created or the holder took it is recorded as missed; the
// period then running counts only if at least half of it remained (不考核 otherwise, with the reason);
// the dashboard, 我的职责 (simulator and Feishu), the quarterly report and the 述职述安 draft tell 未履职
// from 不考核; migration 0014 repairs old false misses with an audit row each.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { and, asc, eq, gt, like, sql } from 'drizzle-orm';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addAdminAccount } from '../bot/console/accounts.ts';
import { silentLogger } from '../bot/core/log.ts';
import type { Database } from '../db/client.ts';
import { importOrganization } from '../db/org-import.ts';
import { auditEvents, obligationPeriods, obligations, outbox, people, posts, tenants } from '../db/schema.ts';
import { isoDateIn } from '../handlers/calendar.ts';
import { parseOrgFile } from '../handlers/org-file.ts';
import { periodOf } from '../handlers/periods.ts';
import { runObligations } from '../jobs/obligations.ts';
import { FAKE_BOT_OPEN_ID } from './fakes/feishu-api.ts';
import { type ConsoleDriver, consoleDriver } from './helpers/console-driver.ts';
import {
  Browser,
  cellByHeader,
  fetchFrom,
  login,
  PASSWORD,
  SCHOOL,
  unescapeHtml,
} from './helpers/console-http.ts';
import { exampleFile, identityOf, loadExample, openTestDatabase, resetDatabase } from './helpers/db.ts';
import { APP, feishuRequest, messageEvent } from './helpers/feishu-events.ts';
import { type Harness, startHarness } from './helpers/service.ts';

const ZONE = 'Asia/Shanghai';
const DAY = 86_400_000;
let clock = new Date('2026-12-03T02:00:00Z');
let database: Database;
let harness: Harness;
let bot: ConsoleDriver;

beforeAll(async () => {
  database = await openTestDatabase();
  harness = await startHarness(database, {}, { clock: () => clock });
  bot = consoleDriver(database, clock);
});
afterAll(async () => {
  await harness.close();
  await database.close();
});

const setClock = (at: Date | string) => {
  clock = new Date(at);
  bot.now = clock;
};

/** An empty database with the example organizations loaded at `at`, the school's office account, clock at `at`. */
async function freshInstall(at: string, files = ['school.yaml']) {
  await harness.service.dispatcher.idle();
  await resetDatabase(database);
  setClock(at);
  for (const file of files) {
    const { tenantId } = await loadExample(database, file, clock);
    if (file === 'school.yaml') bot.tenantId = tenantId;
  }
  await addAdminAccount(database.db, {
    tenantCode: SCHOOL,
    username: 'office',
    displayName: '周尹尹',
    password: PASSWORD,
  });
}

const run = () => runObligations({ db: database.db, channels: bot.channels, log: silentLogger, now: clock });

const allPeriods = () => database.db.select().from(obligationPeriods).orderBy(asc(obligationPeriods.id));
/** Messages that tell of a 未履职: a text of its own or a line of a digest card. */
const missTexts = async () =>
  (await database.db.select().from(outbox).where(sql`${outbox.body}::text like '%未履职%'`)).length;

async function obligationOf(post: string, code: string) {
  const [row] = await database.db
    .select({ id: obligations.id, cadence: obligations.cadence })
    .from(obligations)
    .innerJoin(posts, eq(posts.id, obligations.postId))
    .where(and(eq(posts.code, post), eq(obligations.code, code)));
  return row!;
}
async function cardsTo(code: string, obligationId: number) {
  return database.db
    .select()
    .from(outbox)
    .where(
      and(eq(outbox.personId, await bot.personId(code)), eq(outbox.subject, `obligation:${obligationId}`)),
    );
}

/** Days from one local date to another, both counted. */
const span = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / DAY + 1;
/** The rule, spelt out here: a period counts if it began on or after `start` or half of it was left. */
const counts = (period: { start: string; end: string }, start: string) =>
  period.end >= start &&
  (period.start >= start || span(start, period.end) * 2 >= span(period.start, period.end));

describe('a fresh install', () => {
  it('loaded in December: no 未履职 for periods before it, the quarter then 3/4 over 不考核, December assessed', async () => {
    await freshInstall('2026-12-03T02:00:00Z', ['school.yaml', 'bureau.yaml']); // Thursday 10:00
    await run();
    // The issue saw 18 (school) and 51 (bureau) 未履职 at this point.
    expect(await allPeriods()).toEqual([]);
    expect(await missTexts()).toBe(0);
    const meeting = await obligationOf('xiao-zhang', 'safety-meeting'); // quarterly
    const check = await obligationOf('an-bao-chu-zhu-ren', 'hazard-check'); // monthly
    const drill = await obligationOf('an-bao-chu-zhu-ren', 'evacuation-drill'); // autumn semester
    // No reminder for a quarter or a semester that cannot be assessed; December is (29 of 31 days left).
    expect(await cardsTo('wangxiaofang', meeting.id)).toEqual([]);
    expect(await cardsTo('yinxianju', drill.id)).toEqual([]);
    const december = await cardsTo('yinxianju', check.id);
    expect(december).toHaveLength(1);
    expect(JSON.stringify(december[0]!.body)).toContain('2026年12月至少 1 次');

    // Day one: the dashboard is not red.
    const office = new Browser(fetchFrom(() => harness.url));
    await login(office);
    const dayOne = (await office.page('/console/dashboard')).html;
    expect(dayOne).not.toContain('class="cell missed"');

    // 安保处 does its December check; nobody else does anything. Reminders at d10, then the close.
    setClock('2026-12-10T02:00:00Z');
    await bot.say('yinxianju', '记录 检查 全校安全隐患排查');
    setClock('2026-12-21T02:00:00Z');
    await run();
    expect(await cardsTo('wangxiaofang', meeting.id)).toEqual([]);
    setClock('2027-01-01T00:00:00Z');
    await run();
    await run();

    const closed = await allPeriods();
    const [principalQ4] = closed.filter((row) => row.obligationId === meeting.id);
    expect(principalQ4).toMatchObject({
      periodKey: '2026-Q4',
      met: null,
      exemptReason: '2026-12-03组织导入时本期已过半（仅余 29/92 天），不考核',
    });
    expect(closed.find((row) => row.obligationId === check.id)).toMatchObject({
      periodKey: '2026-12',
      met: true,
    });
    // Every 未履职 left is one the rule assesses; the December checks of the other heads are among them.
    const missed = closed.filter((row) => row.met === false);
    expect(missed.length).toBeGreaterThan(0);
    for (const row of missed)
      expect(counts({ start: row.periodStart, end: row.periodEnd }, '2026-12-03')).toBe(true);
    expect(missed.some((row) => row.periodKey === '2026-12')).toBe(true);
    expect(closed.filter((row) => row.periodKey === '2026-Q4').every((row) => row.met === null)).toBe(true);
    expect(await missTexts()).toBeGreaterThan(0);
    const toPrincipal = (await bot.inbox(await bot.personId('wangxiaofang'))).join('\n');
    expect(toPrincipal).not.toContain('主持召开学校安全工作会议）2026年第四季度未完成');

    // 我的职责 in the simulator and on Feishu: the quarter is 不考核, not a 未履职.
    setClock('2027-01-02T02:00:00Z');
    const duties = await bot.say('wangxiaofang', '我的职责');
    expect(duties).toContain('不考核（不计为未履职）');
    expect(duties).toContain(
      '2026-10-01至2026-12-31 主持召开学校安全工作会议：2026-12-03组织导入时本期已过半',
    );
    expect(duties).not.toContain('未履职记录');
    const event = messageEvent({
      openId: await identityOf(database, 'wangxiaofang', 'open_id'),
      chatId: 'oc_jishan_safety',
      mention: [FAKE_BOT_OPEN_ID],
      text: '我的职责',
    });
    const signed = feishuRequest(event, {
      encryptKey: APP.encryptKey,
      timestamp: Math.floor(clock.getTime() / 1000), // the service checks the replay window on its clock
    });
    expect((await harness.post('/webhooks/feishu', signed)).status).toBe(200);
    await harness.service.dispatcher.drain();
    const reply = harness.feishu.messages.filter((m) => m.replyTo === event.event.message.message_id);
    expect(JSON.stringify(reply.map((m) => m.content))).toContain('2026-12-03组织导入时本期已过半');

    // The dashboard: the quarter's 不考核 are counted apart, grey where nothing else is, with the reason.
    await login(office); // a month later: the day-one session has long ended
    const heat = (await office.page('/console/dashboard')).html;
    expect(heat).toContain('不考核（到任或建档时当期已过半）');
    expect(unescapeHtml(heat)).toMatch(/data-quarter="2026Q4"[^>]*data-exempt="\d+"/);
    expect(heat).toContain('2026-12-03组织导入时本期已过半（仅余 29/92 天），不考核');

    // The quarterly report counts 不考核 in a column of its own, outside the rate.
    const q4 = (await office.page('/console/reports/quarterly?quarter=2026-Q4')).html;
    const schoolId = bot.tenantId;
    const inSchool = closed.filter((entry) => entry.tenantId === schoolId);
    expect(cellByHeader(q4, '全单位合计', '职责未达标')).toBe(
      String(inSchool.filter((e) => e.met === false).length),
    );
    expect(cellByHeader(q4, '全单位合计', '职责不考核')).toBe(
      String(inSchool.filter((e) => e.met === null).length),
    );

    // The principal's 述职述安 draft does not list the quarter as a 不足.
    const principal = await bot.personId('wangxiaofang');
    const draft = await office.get(`/console/reports/statement.txt?person=${principal}&year=2026`);
    const text = await draft.text();
    expect(text).not.toContain('存在的不足）');
    expect(text).toContain('另：以下 1 项职责当期不考核，不计为不足：');
    expect(text).toContain('2026-Q4 主持召开学校安全工作会议（2026-12-03组织导入时本期已过半');
  });

  it('started on any day of the year sends no 未履职 and no reminder for a period it cannot be assessed in', async () => {
    // Local times in Shanghai: first minutes of a year, quarter and month ends late at night, mid-periods.
    const starts = [
      '2026-01-01T00:30:00+08:00',
      '2026-02-14T09:00:00+08:00',
      '2026-03-31T23:30:00+08:00',
      '2026-05-17T09:00:00+08:00',
      '2026-06-30T23:30:00+08:00',
      '2026-08-15T09:00:00+08:00',
      '2026-09-01T08:00:00+08:00',
      '2026-11-16T09:00:00+08:00',
      '2026-12-31T23:30:00+08:00',
    ];
    for (const at of starts) {
      await freshInstall(at);
      const loaded = isoDateIn(clock, ZONE);
      // Every obligation card of a run must be for a period the rule assesses, as of that run's day.
      const checkCards = async (afterId: number) => {
        const cards = await database.db
          .select({
            id: outbox.id,
            subject: outbox.subject,
            cadence: obligations.cadence,
            title: obligations.title,
          })
          .from(outbox)
          .innerJoin(obligations, sql`${outbox.subject} = 'obligation:' || ${obligations.id}`)
          .where(gt(outbox.id, afterId));
        for (const sent of cards) {
          const period = periodOf(isoDateIn(clock, ZONE), sent.cadence)!;
          expect(counts(period, loaded), `${at} ${sent.title} ${period.key}`).toBe(true);
        }
        return Math.max(afterId, ...cards.map((card) => card.id));
      };
      await run();
      const seen = await checkCards(0);
      setClock(new Date(clock.getTime() + DAY)); // the next day's run closes what ended overnight
      await run();
      await checkCards(seen);
      expect(await missTexts(), at).toBe(0);
      expect(
        (await allPeriods()).filter((row) => row.met === false),
        at,
      ).toEqual([]);
    }
  }, 240_000);
});

describe('a post changing hands', () => {
  it('gives the successor no period before they took it, and 不考核 for the one then more than half over', async () => {
    await freshInstall('2026-01-05T02:00:00Z');
    // 2026-11-20: 安保处主任 passes from 尹仙菊 to 王刚 (11 of November's 30 days, 42 of Q4's 92 left).
    setClock('2026-11-20T02:00:00Z');
    const file = exampleFile('school.yaml');
    const org = parseOrgFile(file, readFileSync(file, 'utf8'));
    org.people.find((person) => person.code === 'yinxianju')!.posts = [];
    org.people.push({
      code: 'wanggang',
      name: '王刚',
      posts: ['an-bao-chu-zhu-ren'],
      wecom: { userid: 'wanggang' },
    });
    await importOrganization(database.db, org, clock);
    await run();
    const check = await obligationOf('an-bao-chu-zhu-ren', 'hazard-check');
    const report = await obligationOf('an-bao-chu-zhu-ren', 'quarterly-report');
    expect(await cardsTo('wanggang', check.id)).toEqual([]);
    expect(await cardsTo('wanggang', report.id)).toEqual([]);
    expect(await bot.say('wanggang', '我的职责')).toContain(
      '2026年11月 本部门安全隐患排查 0/1 不考核（2026-11-20本人到任时本期已过半（仅余 11/30 天），不考核）',
    );

    setClock('2026-12-01T00:00:00Z');
    await run();
    const successor = await bot.personId('wanggang');
    const his = (await allPeriods()).filter((row) => row.personId === successor);
    expect(his).toMatchObject([
      {
        obligationId: check.id,
        periodKey: '2026-11',
        met: null,
        exemptReason: '2026-11-20本人到任时本期已过半（仅余 11/30 天），不考核',
      },
    ]);
    expect((await bot.inbox(successor)).join('\n')).not.toContain('未履职');
    // December is his in full: its notice goes out.
    expect(JSON.stringify((await cardsTo('wanggang', check.id)).map((row) => row.body))).toContain(
      '2026年12月至少 1 次',
    );
    // The quarter he joined 42 of 92 days before its end is not assessed either; nothing to 尹仙菊.
    setClock('2027-01-01T00:00:00Z');
    await run();
    const q4 = (await allPeriods()).find(
      (row) => row.personId === successor && row.obligationId === report.id,
    );
    expect(q4).toMatchObject({ periodKey: '2026-Q4', met: null });
    const predecessor = await bot.personId('yinxianju');
    expect(
      (await allPeriods()).filter((row) => row.personId === predecessor && row.periodEnd > '2026-11-20'),
    ).toEqual([]);
  });
});

describe('migration 0014', () => {
  it('removes misses of periods before the duty could be met and makes the half-over one 不考核, audited', async () => {
    await freshInstall('2026-12-03T02:00:00Z');
    const migrationsFolder = fileURLToPath(new URL('../db/migrations', import.meta.url));
    const migration = readMigrationFiles({ migrationsFolder }).find((candidate) =>
      candidate.sql.join('').includes('obligation_periods_exempt'),
    );
    expect(migration).toBeDefined();
    // The repair runs on a database the old job wrote: today's schema, rows as the old job left them.
    const repair = migration!.sql.slice(
      migration!.sql.findIndex((statement) => statement.includes('UPDATE "posts"')),
    );
    const meeting = await obligationOf('xiao-zhang', 'safety-meeting');
    const check = await obligationOf('an-bao-chu-zhu-ren', 'hazard-check');
    const principal = await bot.personId('wangxiaofang');
    const head = await bot.personId('yinxianju');
    const row = (obligationId: number, personId: number, key: string, start: string, end: string) => ({
      tenantId: bot.tenantId,
      obligationId,
      personId,
      periodKey: key,
      periodStart: start,
      periodEnd: end,
      done: 0,
      needed: 1,
      met: false,
      closedAt: new Date('2026-12-03T02:00:00Z'),
    });
    await database.db.insert(obligationPeriods).values([
      row(meeting.id, principal, '2026-Q3', '2026-07-01', '2026-09-30'),
      row(check.id, head, '2026-11', '2026-11-01', '2026-11-30'),
      row(meeting.id, principal, '2026-Q4', '2026-10-01', '2026-12-31'),
      row(check.id, head, '2026-12', '2026-12-01', '2026-12-31'), // a real miss: stays
      { ...row(check.id, head, '2026-10', '2026-10-01', '2026-10-31'), met: true, done: 1 }, // met: stays
    ]);
    for (const statement of repair) await database.db.execute(sql.raw(statement));

    const left = await allPeriods();
    expect(left.map((entry) => [entry.periodKey, entry.met, entry.exemptReason])).toEqual([
      ['2026-Q4', null, '2026-12-03组织导入时本期已过半（仅余 29/92 天），不考核'],
      ['2026-12', false, null],
      ['2026-10', true, null],
    ]);
    const trail = await database.db
      .select()
      .from(auditEvents)
      .where(like(auditEvents.action, 'period.%'))
      .orderBy(asc(auditEvents.id));
    expect(trail.map((entry) => [entry.subject, entry.action, entry.data?.periodKey])).toEqual(
      expect.arrayContaining([
        [`obligation:${meeting.id}`, 'period.voided', '2026-Q3'],
        [`obligation:${check.id}`, 'period.voided', '2026-11'],
        [`obligation:${meeting.id}`, 'period.exempted', '2026-Q4'],
      ]),
    );
    expect(trail).toHaveLength(3);
    expect(trail.find((entry) => entry.data?.periodKey === '2026-Q3')!.note).toBe(
      '2026-09-30 结束的这一期早于2026-12-03组织导入，不应记为未履职，已删除（数据修复）',
    );
    expect(trail.every((entry) => entry.tenantId === bot.tenantId && entry.fromStatus === 'missed')).toBe(
      true,
    );
    // Posts and obligations got the moment the organization was loaded.
    const [post] = await database.db.select().from(posts).where(eq(posts.code, 'xiao-zhang'));
    expect(post!.createdAt.toISOString()).toBe('2026-12-03T02:00:00.000Z');
    const [tenant] = await database.db.select().from(tenants).where(eq(tenants.id, bot.tenantId));
    expect(tenant!.createdAt.toISOString()).toBe('2026-12-03T02:00:00.000Z');
    expect(await database.db.select().from(people).where(eq(people.code, 'wangxiaofang'))).toHaveLength(1);
  });
});
