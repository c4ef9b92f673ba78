// Issue 15 §5 "Less noise, more guidance": help by role, a hazard-like text offered as a report,
// duplicates and search, driven through the real core and router as the console's chat simulator does.
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../db/client.ts';
import { categoryRules } from '../db/queries/hazards.ts';
import { ledgerExportIds } from '../db/queries/ledger-export.ts';
import { hazardEvents, hazardPhotos, hazards, reportOffers, units } from '../db/schema.ts';
import { dashboardData } from '../handlers/dashboard.ts';
import { readsLikeHazard, samePlace } from '../handlers/hazard-rules.ts';
import { spanReport } from '../handlers/report-stats.ts';
import { quarterSpan } from '../handlers/reports.ts';
import { type ConsoleDriver, consoleDriver } from './helpers/console-driver.ts';
import { openTestDatabase, seedExample } from './helpers/db.ts';

let database: Database;
let bot: ConsoleDriver;

beforeAll(async () => {
  database = await openTestDatabase();
  bot = consoleDriver(database, new Date());
});
afterAll(async () => {
  await database.close();
});
beforeEach(async () => {
  bot.tenantId = (await seedExample(database)).tenantId;
  bot.now = new Date('2026-11-02T02:00:00Z'); // Monday 10:00 in Shanghai
});

const MEMBER = 'chenjing'; // 班主任
const GATE = 'liguoqiang'; // 门卫
const HEAD = 'huangchun'; // 总务处主任: the canteen's unit
const OTHER_HEAD = 'yinxianju'; // 安保处主任
const OFFICE = 'zhouyinyin'; // 办公室主任
const PRINCIPAL = 'wangxiaofang';

const allHazards = () => database.db.select().from(hazards).orderBy(asc(hazards.id));
/** The command lines (usages) a help card lists. */
const listed = (answer: string) => {
  const cardJson = answer.split('\n').find((line) => line.startsWith('{'));
  const parsed = JSON.parse(cardJson!) as { blocks: { kind: string; fields?: { label: string }[] }[] };
  return parsed.blocks.find((block) => block.kind === 'fields')!.fields!.map((field) => field.label);
};
const DAY = 24 * 3600 * 1000;

describe('help by role', () => {
  it('gives a member the six commands a member needs, and no workflow steps', async () => {
    const lines = listed(await bot.say(MEMBER, '帮助'));
    expect(lines).toEqual([
      '报隐患 <隐患情况>',
      '我的待办',
      '我的职责',
      '隐患台账 [超期|挂牌|整改中|全部] [关键词]',
      '今天谁值班',
      '确认到岗',
    ]);
  });

  it('gives a unit head the hazard steps, a leader 挂牌督办 and 派任务, the office everything', async () => {
    const head = listed(await bot.say(HEAD, '帮助'));
    expect(head).toContain('受理 YH-… [措施 <临时管控措施>] [期限 <日期>]');
    expect(head).toContain('整改完成 YH-… <整改措施> [资金 <金额>]');
    expect(head).not.toContain('挂牌督办 YH-… <事项> 截止 <日期>');
    const leader = listed(await bot.say(PRINCIPAL, '帮助'));
    expect(leader).toContain('挂牌督办 YH-… <事项> 截止 <日期>');
    expect(leader).toContain('派任务 @人|@处室 <内容> 截止 <日期>');
    expect(leader).not.toContain('发起责任书 <年度>');
    const office = listed(await bot.say(OFFICE, '帮助'));
    expect(office).toContain('复查通过 YH-… [复查意见]');
    expect(office).toContain('发起责任书 <年度>');
    expect(office.length).toBeGreaterThan(leader.length);
    expect(leader.length).toBeGreaterThan(head.length);
    expect(head.length).toBeGreaterThan(6);
  });

  it('explains one command with an example: 帮助 报隐患', async () => {
    const answer = await bot.say(MEMBER, '帮助 报隐患');
    expect(answer).toContain('帮助：报隐患');
    expect(answer).toContain('示例');
    expect(answer).toContain('报隐患 食堂冷库门密封条损坏');
    expect(answer).toContain('/report');
    // A command outside the member's list is still explained on request.
    expect(await bot.say(MEMBER, '帮助 挂牌督办')).toContain(
      '挂牌督办 YH-2026-0001 围墙加固 截止 2026-12-31',
    );
    expect(await bot.say(MEMBER, '/help 隐患台账')).toContain('按关键词查找');
  });

  it('answers an unknown command name politely, with the role help', async () => {
    const answer = await bot.say(MEMBER, '帮助 飞行');
    expect(answer).toContain('没有“飞行”这条命令');
    expect(answer).toContain('确认到岗');
  });

  it('answers unknown text with the role help, not every command', async () => {
    const answer = await bot.say(MEMBER, '今天天气不错');
    expect(answer).toContain('没有看懂');
    expect(answer).not.toContain('发起责任书');
  });
});

describe('a text that reads like a hazard but has no command', () => {
  it('is offered as a report; the writer files it with the button, once', async () => {
    const answer = await bot.say(MEMBER, '食堂冷库门密封条坏了');
    expect(answer).toContain('要作为隐患上报吗？');
    expect(answer).toContain('hazard.offer');
    expect(await allHazards()).toHaveLength(0);
    const [offer] = await database.db.select().from(reportOffers);

    // Someone else cannot press it.
    const foreign = await bot.press(GATE, 'hazard.offer', { offer: String(offer!.id) });
    expect(foreign?.toast.kind).toBe('error');
    expect(foreign?.toast.text).toContain('只有发这条消息的人');
    expect(await allHazards()).toHaveLength(0);

    const pressed = await bot.press(MEMBER, 'hazard.offer', { offer: String(offer!.id) });
    expect(pressed?.toast).toEqual({ kind: 'success', text: '已上报隐患 YH-JSZX-2026-0001' });
    expect(JSON.stringify(pressed?.card)).toContain('食堂冷库门密封条坏了');
    const [hazard] = await allHazards();
    expect(hazard).toMatchObject({ code: 'YH-JSZX-2026-0001', description: '食堂冷库门密封条坏了' });
    const [unit] = await database.db.select().from(units).where(eq(units.id, hazard!.unitId!));
    expect(unit!.name).toBe('总务处');
    // The head of 总务处 got the card with 受理.
    const headInbox = await bot.inbox(await bot.personId(HEAD));
    expect(headInbox.some((message) => message.includes('hazard.accept'))).toBe(true);

    // A second press files nothing.
    const again = await bot.press(MEMBER, 'hazard.offer', { offer: String(offer!.id) });
    expect(again?.toast.text).toContain('已上报为 YH-JSZX-2026-0001');
    expect(await allHazards()).toHaveLength(1);
  });

  it('files one hazard when the button is pressed twice at once', async () => {
    await bot.say(MEMBER, '食堂冷库门密封条坏了');
    const [offer] = await database.db.select().from(reportOffers);
    const presses = await Promise.all([
      bot.press(MEMBER, 'hazard.offer', { offer: String(offer!.id) }),
      bot.press(MEMBER, 'hazard.offer', { offer: String(offer!.id) }),
    ]);
    expect(presses.map((answer) => answer?.toast.kind).sort()).toEqual(['error', 'success']);
    expect(await allHazards()).toHaveLength(1);
  });

  it('is never offered for a greeting, a question or chatter', async () => {
    for (const text of [
      '你好',
      '老师好！',
      '谢谢',
      '食堂今天的饭菜怎么样？',
      '灭火器过期了吗',
      '食堂的菜真好吃',
    ]) {
      const answer = await bot.say(MEMBER, text);
      expect(answer, text).not.toContain('要作为隐患上报吗');
    }
    expect(await database.db.select().from(reportOffers)).toHaveLength(0);
  });

  it('takes a greeting followed by a report as a report', async () => {
    expect(await bot.say(MEMBER, '老师好，三楼走廊的灭火器过期了')).toContain('要作为隐患上报吗？');
  });

  it('uses the tenant category table: a fault with no category keyword is not offered', async () => {
    const rules = await categoryRules(database.db, bot.tenantId);
    expect(readsLikeHazard('食堂冷库门密封条坏了', rules)).toBe(true);
    expect(readsLikeHazard('我的自行车坏了', rules)).toBe(false);
    expect(readsLikeHazard('配电箱冒烟', rules)).toBe(true);
    expect(readsLikeHazard('食堂', rules)).toBe(false);
    expect(readsLikeHazard('请问食堂灯坏了找谁', rules)).toBe(false);
  });
});

describe('duplicates', () => {
  it('tells the reporter of a likely duplicate and lets the unit head mark it: linked, counted once', async () => {
    await bot.say(MEMBER, '报隐患 食堂冷库门密封条损坏 一般');
    bot.now = new Date(bot.now.getTime() + 2 * DAY);
    const answer = await bot.say(GATE, '报隐患 食堂冷库门关不严，冷气外泄 一般', {
      attachments: [{ kind: 'image', key: 'img_cold_room' }],
    });
    expect(answer).toContain('可能与 YH-JSZX-2026-0001');
    expect(answer).toContain('重复');
    const [original, second] = await allHazards();
    expect(second!.similarToId).toBe(original!.id);
    // The unit head's card offers to mark it.
    const headInbox = await bot.inbox(await bot.personId(HEAD));
    expect(headInbox.at(-1)).toContain('hazard.duplicate');
    expect(headInbox.at(-1)).toContain('与 YH-JSZX-2026-0001 重复');

    // Not the reporter, not another unit's head.
    const refused = await bot.press(OTHER_HEAD, 'hazard.duplicate', {
      id: String(second!.id),
      of: String(original!.id),
    });
    expect(refused?.toast.kind).toBe('error');
    expect((await allHazards())[1]!.duplicateOfId).toBeNull();

    const marked = await bot.press(HEAD, 'hazard.duplicate', {
      id: String(second!.id),
      of: String(original!.id),
    });
    expect(marked?.toast).toEqual({
      kind: 'success',
      text: '已将 YH-JSZX-2026-0002 标记为与 YH-JSZX-2026-0001 重复',
    });
    const [, duplicate] = await allHazards();
    expect(duplicate).toMatchObject({ status: 'rejected', duplicateOfId: original!.id });
    // The reporter is told; the photo follows the original; the trail of both says so.
    const gateInbox = await bot.inbox(await bot.personId(GATE));
    expect(gateInbox.at(-1)).toContain('已并入 YH-JSZX-2026-0001');
    const photos = await database.db
      .select()
      .from(hazardPhotos)
      .where(eq(hazardPhotos.hazardId, original!.id));
    expect(photos).toHaveLength(1);
    const trail = await database.db
      .select()
      .from(hazardEvents)
      .where(eq(hazardEvents.hazardId, original!.id));
    expect(trail.map((row) => row.note)).toContain('重复上报 YH-JSZX-2026-0002 已并入（照片 1 张）');
    expect(await bot.say(MEMBER, '隐患 YH-JSZX-2026-0001')).toContain('另有重复上报');

    // Counted once: the ledger, the dashboard, the quarterly report and the ledger export.
    const ledger = await bot.say(OFFICE, '隐患台账 全部');
    expect(ledger).toContain('1 条');
    expect(ledger).not.toContain('YH-JSZX-2026-0002');
    const dashboard = await dashboardData(database.db, bot.tenantId, bot.now, 'Asia/Shanghai');
    expect(Object.values(dashboard.byState).reduce((sum, n) => sum + n, 0)).toBe(1);
    expect(dashboard.byCategory.reduce((sum, bar) => sum + bar.value, 0)).toBe(1);
    expect(dashboard.weekly.reduce((sum, bar) => sum + bar.value, 0)).toBe(1);
    const span = quarterSpan('2026-Q4', 'Asia/Shanghai')!;
    expect((await spanReport(database.db, bot.tenantId, span, bot.now)).total.hazardsFound).toBe(1);
    expect(await ledgerExportIds(database.db, bot.tenantId, { from: span.from, to: span.to })).toEqual([
      original!.id,
    ]);
  });

  it('links a duplicate named in 驳回 … 与 YH-… 重复, on every channel that types', async () => {
    await bot.say(MEMBER, '报隐患 食堂冷库门密封条损坏 一般');
    await bot.say(GATE, '报隐患 食堂冷库门关不严 一般');
    const answer = await bot.say(HEAD, '驳回 YH-2026-0002 与 YH-2026-0001 重复');
    expect(answer).toContain('已将 YH-JSZX-2026-0002 标记为与 YH-JSZX-2026-0001 重复');
    expect((await allHazards())[1]).toMatchObject({
      status: 'rejected',
      duplicateOfId: (await allHazards())[0]!.id,
    });
    expect(await bot.say(HEAD, '驳回 YH-2026-0001 与 YH-2026-0099 重复')).toContain(
      '没有找到隐患 YH-2026-0099',
    );
    // Not back the other way, nor into itself.
    expect(await bot.say(HEAD, '驳回 YH-JSZX-2026-0001 与 YH-JSZX-2026-0002 重复')).toContain(
      '本身是重复上报',
    );
    expect(await bot.say(HEAD, '驳回 YH-JSZX-2026-0001 与 YH-JSZX-2026-0001 重复')).toContain(
      '不能把一条隐患标记为与自己重复',
    );
    expect((await allHazards())[0]).toMatchObject({ status: 'reported', duplicateOfId: null });
  });

  it('finds the likely duplicate when the category is given afterwards (补充)', async () => {
    await bot.say(MEMBER, '报隐患 食堂冷库门密封条损坏 一般');
    expect(await bot.say(GATE, '报隐患 冷库门关不严 一般')).not.toContain('可能与');
    expect((await allHazards())[1]!.categoryId).toBeNull();
    await bot.say(GATE, '补充 YH-2026-0002 类别 食品');
    const [original, second] = await allHazards();
    expect(second!.similarToId).toBe(original!.id);
    expect((await bot.inbox(await bot.personId(GATE))).join('\n')).toContain(
      'YH-JSZX-2026-0002 可能与 YH-JSZX-2026-0001',
    );
    expect((await bot.inbox(await bot.personId(HEAD))).at(-1)).toContain('hazard.duplicate');
  });

  it('merges one of two reports when two heads merge them into each other at once', async () => {
    // Several rounds: on PostgreSQL the crossed presses once deadlocked now and then (each held its own
    // report and waited for the other's); every round must merge exactly one of its pair.
    const floors = ['一', '二', '三', '四', '五', '六'];
    for (const floor of floors) {
      await bot.say(MEMBER, `报隐患 教学楼${floor}楼冷库门密封条损坏 一般`);
      await bot.say(GATE, `报隐患 教学楼${floor}楼冷库门关不严 一般`);
      const [first, second] = (await allHazards()).slice(-2);
      await Promise.all([
        bot.press(HEAD, 'hazard.duplicate', { id: String(second!.id), of: String(first!.id) }),
        bot.press(OFFICE, 'hazard.duplicate', { id: String(first!.id), of: String(second!.id) }),
      ]);
    }
    const merged = (await allHazards()).filter((hazard) => hazard.duplicateOfId !== null);
    expect(merged).toHaveLength(floors.length);
    expect((await allHazards()).filter((hazard) => hazard.status !== 'rejected')).toHaveLength(floors.length);
  });

  it('takes the same place words for the same place, and a different floor or side for another', () => {
    expect(samePlace('食堂冷库门密封条损坏', '食堂冷库门关不严')).toBe(true);
    expect(samePlace('教学楼三楼东侧灭火器过期', '三楼东侧教学楼走廊灭火器压力不足')).toBe(true);
    expect(samePlace('教学楼三楼东侧灭火器过期', '教学楼四楼西侧灭火器过期')).toBe(false);
    expect(samePlace('教学楼三楼东侧灭火器过期', '教学楼三楼西侧灭火器过期')).toBe(false);
    expect(samePlace('灭火器过期', '灭火器过期')).toBe(false);
  });

  it('does not suggest one after 7 days, in another place, or in another category', async () => {
    await bot.say(MEMBER, '报隐患 食堂冷库门密封条损坏 一般');
    expect(await bot.say(GATE, '报隐患 宿舍楼饮水机漏水 一般')).not.toContain('重复');
    expect(await bot.say(GATE, '报隐患 食堂配电箱冒烟 一般')).not.toContain('可能与');
    bot.now = new Date(bot.now.getTime() + 8 * DAY);
    expect(await bot.say(GATE, '报隐患 食堂冷库门关不严 一般')).not.toContain('可能与');
    expect((await allHazards()).every((hazard) => hazard.similarToId === null)).toBe(true);
  });
});

describe('隐患台账 <关键词>', () => {
  it('searches description and place within what the reader may see, closed ones too', async () => {
    await bot.say(MEMBER, '报隐患 食堂冷库门密封条损坏 一般');
    await bot.say(MEMBER, '报隐患 地点：实验楼二层 灭火器过期 一般');
    await bot.say(GATE, '报隐患 校门口护栏松动 一般');
    const office = await bot.say(OFFICE, '隐患台账 冷库');
    expect(office).toContain('YH-JSZX-2026-0001');
    expect(office).not.toContain('YH-JSZX-2026-0002');
    expect(office).toContain('共');
    const byPlace = await bot.say(OFFICE, '隐患台账 实验楼');
    expect(byPlace).toContain('YH-JSZX-2026-0002');
    expect(byPlace).not.toContain('YH-JSZX-2026-0001');
    // A member sees only what they reported or rectify.
    expect(await bot.say(MEMBER, '隐患台账 护栏')).toContain('没有找到描述或地点含“护栏”的隐患');
    expect(await bot.say(GATE, '隐患台账 护栏')).toContain('YH-JSZX-2026-0003');
    // Wildcards are text.
    expect(await bot.say(OFFICE, '隐患台账 %')).toContain('没有找到');
  });
});
