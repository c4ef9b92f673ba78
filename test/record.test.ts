// `记录`: the note is kept as written (学校, 日期, 时间 inside a sentence are text; fields only as markers
// or a trailing date), and an obligation's scope decides what counts: a unit's own check does not meet
// the school-wide monthly 大检查 (002 §四(四)), which the example school marks `scope: 全校`.
import { readFileSync } from 'node:fs';
import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../bot/core/log.ts';
import type { Database } from '../db/client.ts';
import { completions, obligationPeriods, obligations, outbox, posts, units } from '../db/schema.ts';
import { dashboardData } from '../handlers/dashboard.ts';
import { parseOrgFile } from '../handlers/org-file.ts';
import { runObligations } from '../jobs/obligations.ts';
import { FAKE_BOT_OPEN_ID } from './fakes/feishu-api.ts';
import { type ConsoleDriver, consoleDriver } from './helpers/console-driver.ts';
import { exampleFile, openTestDatabase, seedExample } from './helpers/db.ts';
import { feishuRequest, messageEvent } from './helpers/feishu-events.ts';
import { type Harness, startHarness } from './helpers/service.ts';

let database: Database;
let bot: ConsoleDriver;
/** Friday 2026-11-20, 10:00 in Shanghai. */
const NOW = new Date('2026-11-20T02:00:00Z');

beforeAll(async () => {
  database = await openTestDatabase();
  bot = consoleDriver(database, NOW);
});
afterAll(async () => {
  await database.close();
});
beforeEach(async () => {
  bot.tenantId = (await seedExample(database)).tenantId;
  bot.now = NOW;
});

async function recorded(code: string) {
  return database.db
    .select({
      note: completions.note,
      date: completions.date,
      school: completions.school,
      scope: completions.scope,
    })
    .from(completions)
    .where(eq(completions.personId, await bot.personId(code)))
    .orderBy(asc(completions.id));
}

async function unitOf(code: string) {
  const [row] = await database.db.select({ id: units.id }).from(units).where(eq(units.code, code));
  return row?.id;
}

async function obligationId(post: string, code: string) {
  const [row] = await database.db
    .select({ id: obligations.id })
    .from(obligations)
    .innerJoin(posts, eq(posts.id, obligations.postId))
    .where(and(eq(posts.code, post), eq(obligations.code, code)));
  return row!.id;
}

describe('记录 keeps the note as written', () => {
  it('takes 学校, 日期 and 时间 inside a sentence as text', async () => {
    const meeting = await bot.say('wangxiaofang', '记录 会议 研究放学时间段校门口交通秩序');
    expect(meeting).toContain('已记录会议');
    expect(meeting).not.toContain('日期请写成');
    await bot.say('wangxiaofang', '记录 会议 学校安全工作会议，核对学生出生日期和上学时间');
    expect(await recorded('wangxiaofang')).toEqual([
      { note: '研究放学时间段校门口交通秩序', date: '2026-11-20', school: null, scope: 'own' },
      {
        note: '学校安全工作会议，核对学生出生日期和上学时间',
        date: '2026-11-20',
        school: null,
        scope: 'own',
      },
    ]);
  });

  it('takes fields only as markers or a trailing date', async () => {
    await bot.say('wangxiaofang', '记录 会议 日期：11月5日 召开学校安全工作会议，部署冬季消防');
    await bot.say('wangxiaofang', '记录 会议 研究寒假学校安全 日期:2026-11-06');
    await bot.say('wangxiaofang', '记录 会议 专题研究校门口交通 11月9日');
    await bot.say('wangxiaofang', '记录 会议 时间：11月10日下午 地点：三楼会议室 内容：部署防溺水');
    await bot.say('wangxiaofang', '记录 会议 日期 11月11日 研究食堂安全');
    expect((await recorded('wangxiaofang')).map((row) => [row.date, row.note])).toEqual([
      ['2026-11-05', '召开学校安全工作会议，部署冬季消防'],
      ['2026-11-06', '研究寒假学校安全'],
      ['2026-11-09', '专题研究校门口交通'],
      ['2026-11-10', '时间：11月10日下午 地点：三楼会议室 内容：部署防溺水'],
      ['2026-11-11', '研究食堂安全'],
    ]);
  });

  it('refuses a marker with a bad value, writing nothing', async () => {
    expect(await bot.say('wangxiaofang', '记录 会议 日期：下周一 研究交通安全')).toContain('日期请写成');
    expect(await bot.say('wangxiaofang', '记录 会议 研究交通安全 日期：')).toContain('“日期：”后请写明日期');
    expect(await bot.say('wangxiaofang', '记录 会议 研究交通安全 范围：随便')).toContain(
      '“范围：”请写“全校”或“本处室”',
    );
    expect(await bot.say('wangxiaofang', '记录 会议 日期：11月5日 日期：11月6日 研究')).toContain(
      '只能写一次',
    );
    expect(await recorded('wangxiaofang')).toEqual([]);
  });

  it('takes 学校： for a supervision visit, and a contracted school named in the note', async () => {
    const bureau = parseOrgFile('bureau.yaml', readFileSync(exampleFile('bureau.yaml'), 'utf8'));
    bot.tenantId = (await seedExample(database, 'bureau.yaml')).tenantId;
    // The deputy head of the bureau for safety: two contracted schools.
    const post = bureau.posts.find((candidate) => candidate.code === 'fu-ju-zhang-an-quan')!;
    const visitor = bureau.people.find((person) => person.posts.includes(post.code));
    const [first, second] = post.obligations.find((o) => o.schools.length > 1)!.schools;
    await bot.say(visitor!.code, `记录 督查 学校：${first} 检查学校食堂，学校门卫值守正常`);
    await bot.say(visitor!.code, `记录 督查 到${second}检查校门值守`);
    expect((await recorded(visitor!.code)).map((row) => [row.school, row.note])).toEqual([
      [first, '检查学校食堂，学校门卫值守正常'],
      [second, `到${second}检查校门值守`],
    ]);
  });
});

describe('what a record counts for (scope)', () => {
  it('asks the office director whose check it is; her own check does not meet the school-wide 大检查', async () => {
    const asked = await bot.say('zhouyinyin', '记录 检查 办公室安全隐患排查');
    expect(asked).toContain('请写明范围');
    expect(asked).toContain('组织全校安全保卫工作大检查（全校）');
    expect(await recorded('zhouyinyin')).toEqual([]);

    const own = await bot.say('zhouyinyin', '记录 检查 范围：本处室 办公室安全隐患排查');
    expect(own).toContain('本部门安全隐患排查：1/1 ✓');
    expect(own).not.toContain('大检查');
    let duties = await bot.say('zhouyinyin', '我的职责');
    expect(duties).toContain('本部门安全隐患排查 1/1 ✓');
    expect(duties).toContain('组织全校安全保卫工作大检查（全校） 0/1');

    const wide = await bot.say('zhouyinyin', '记录 检查 范围：全校 全校安全保卫工作大检查，查出隐患 3 处');
    expect(wide).toContain('组织全校安全保卫工作大检查：1/1 ✓');
    duties = await bot.say('zhouyinyin', '我的职责');
    expect(duties).toContain('组织全校安全保卫工作大检查（全校） 1/1 ✓');
    expect((await recorded('zhouyinyin')).map((row) => row.scope)).toEqual(['own', 'school']);
  });

  it('refuses 范围：全校 from someone with no school-wide duty of the kind', async () => {
    expect(await bot.say('huangchun', '记录 检查 范围：全校 检查总务处仓库')).toContain(
      '你的岗位没有全校范围的“检查”职责',
    );
    expect(await recorded('huangchun')).toEqual([]);
    // Without the marker it is 总务处's own monthly check.
    expect(await bot.say('huangchun', '记录 检查 检查总务处仓库')).toContain('本部门安全隐患排查：1/1 ✓');
  });

  it('the 记录完成 button of the 大检查 reminder records a school-wide check', async () => {
    const id = await obligationId('ban-gong-shi-zhu-ren', 'campus-inspection');
    const result = await bot.press(
      'zhouyinyin',
      'obligation.record',
      { id: String(id) },
      { note: '十一月大检查' },
    );
    expect(result?.toast.text).toBe('已记录：组织全校安全保卫工作大检查');
    expect(await recorded('zhouyinyin')).toMatchObject([{ note: '十一月大检查', scope: 'school' }]);
  });

  it('the month closes with the 大检查 missed when only the unit check was recorded; the dashboard shows it as the school’s', async () => {
    const campus = await obligationId('ban-gong-shi-zhu-ren', 'campus-inspection');
    const own = await obligationId('ban-gong-shi-zhu-ren', 'hazard-check');
    const run = () =>
      runObligations({ db: database.db, channels: bot.channels, log: silentLogger, now: bot.now });
    bot.now = new Date('2026-11-01T00:00:00Z');
    await run();
    // The start of November: a card of its own, or a line of the day's digest to the office director.
    const notice = (
      await database.db
        .select()
        .from(outbox)
        .where(eq(outbox.personId, await bot.personId('zhouyinyin')))
    )
      .map((row) => JSON.stringify(row.body))
      .join('\n');
    expect(notice).toContain('全校范围的记录');
    expect(notice).toContain('记录 检查 范围：全校 <说明>');

    bot.now = new Date('2026-11-10T02:00:00Z');
    await bot.say('zhouyinyin', '记录 检查 范围：本处室 办公室安全隐患排查');
    for (const day of ['2026-11-20', '2026-11-28', '2026-12-01', '2026-12-02']) {
      bot.now = new Date(`${day}T00:00:00Z`);
      await run();
    }
    const closed = await database.db
      .select({
        obligationId: obligationPeriods.obligationId,
        met: obligationPeriods.met,
        done: obligationPeriods.done,
      })
      .from(obligationPeriods)
      .where(
        and(
          eq(obligationPeriods.personId, await bot.personId('zhouyinyin')),
          eq(obligationPeriods.periodKey, '2026-11'),
        ),
      );
    expect(closed.find((row) => row.obligationId === own)).toMatchObject({ met: true, done: 1 });
    expect(closed.find((row) => row.obligationId === campus)).toMatchObject({ met: false, done: 0 });
    // Her misses of November, each a line of the office's daily digest (a message alone when single).
    const missed = (await bot.inbox(await bot.personId('zhouyinyin')))
      .flatMap((message) => message.split(/\\n|\n/))
      .filter((line) => /(^|\d\. |")周尹尹（/.test(line) && line.includes('2026年11月'));
    expect(missed).toHaveLength(1);
    expect(missed[0]).toContain('组织全校安全保卫工作大检查');

    const dashboard = await dashboardData(database.db, bot.tenantId, bot.now, 'Asia/Shanghai');
    // The 大检查's misses are in the school's row, not 办公室's (which holds the post that runs it).
    const campusMissed = await database.db
      .select()
      .from(obligationPeriods)
      .where(and(eq(obligationPeriods.obligationId, campus), eq(obligationPeriods.met, false)));
    const total = (unit: string) =>
      dashboard.heat.find((row) => row.unit === unit)?.cells.reduce((sum, cell) => sum + cell.missed, 0) ?? 0;
    expect(campusMissed.length).toBeGreaterThan(0);
    expect(total('全校')).toBe(campusMissed.length);
    const officeMissed = await database.db
      .select({ id: obligationPeriods.id })
      .from(obligationPeriods)
      .innerJoin(obligations, eq(obligations.id, obligationPeriods.obligationId))
      .innerJoin(posts, eq(posts.id, obligations.postId))
      .where(and(eq(obligationPeriods.met, false), eq(posts.unitId, (await unitOf('ban-gong-shi'))!)));
    expect(total('办公室')).toBe(officeMissed.length - campusMissed.length);
  });
});

describe('记录 on Feishu', () => {
  let harness: Harness;
  const ZHOU = 'ou_926ad0c0557846d89224739c049c0848';
  beforeAll(async () => {
    harness = await startHarness(database);
  });
  afterAll(async () => {
    await harness.close();
  });

  async function say(text: string) {
    const event = messageEvent({
      openId: ZHOU,
      chatId: 'oc_jishan_safety',
      mention: [FAKE_BOT_OPEN_ID],
      text,
    });
    const response = await harness.post('/webhooks/feishu', feishuRequest(event));
    expect(response.status).toBe(200);
    await harness.service.dispatcher.drain();
    const reply = harness.feishu.messages.find(
      (message) => message.replyTo === event.event.message.message_id,
    );
    return JSON.stringify(reply?.content);
  }

  it('records a note with 时间 in it, and asks whose a check is', async () => {
    expect(await say('记录 会议 研究放学时间段校门口交通秩序')).toContain('研究放学时间段校门口交通秩序');
    expect(await say('记录 检查 全校安全保卫工作大检查')).toContain('请写明范围');
    expect(await say('记录 检查 范围：全校 全校安全保卫工作大检查')).toContain(
      '组织全校安全保卫工作大检查：1/1',
    );
    expect((await recorded('zhouyinyin')).map((row) => [row.note, row.scope])).toEqual([
      ['研究放学时间段校门口交通秩序', 'own'],
      ['全校安全保卫工作大检查', 'school'],
    ]);
  });
});
