import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../bot/core/log.ts';
import type { Database } from '../db/client.ts';
import { hazardEvents, hazardPhotos, hazards, reminders, tenants, units } from '../db/schema.ts';
import {
  decide,
  type HazardAction,
  type HazardRole,
  type HazardStatus,
  RULES,
} from '../handlers/hazard-workflow.ts';
import { runHazardDeadlines } from '../jobs/hazard-deadlines.ts';
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
  bot.now = new Date('2026-09-30T02:00:00Z'); // 10:00 in Shanghai, the day before the National Day holiday
});

const say = (code: string, text: string) => bot.say(code, text);
const press = (code: string, action: string, args: Record<string, string>, form?: Record<string, string>) =>
  bot.press(code, action, args, form);
const inbox = (id: number) => bot.inbox(id);
const personId = (code: string) => bot.personId(code);

const theHazard = async () => (await database.db.select().from(hazards))[0]!;
const trail = async () =>
  (await database.db.select().from(hazardEvents).orderBy(asc(hazardEvents.id))).map((row) => [
    row.action,
    row.fromStatus,
    row.toStatus,
  ]);

const REPORTER = 'chenjing';
const HEAD = 'yinxianju'; // 安保处
const OFFICE = 'zhouyinyin'; // 办公室主任, office director
const DIRECT = 'xuejianping'; // 分管安保处 的副校长
const PRINCIPAL = 'wangxiaofang';

describe('the state machine', () => {
  const statuses: HazardStatus[] = [
    'reported',
    'accepted',
    'rectifying',
    'pending_review',
    'closed',
    'rejected',
  ];
  const legal: Record<HazardAction, HazardStatus[]> = {
    accept: ['reported'],
    reject: ['reported', 'accepted', 'rectifying'],
    assign: ['reported', 'accepted', 'rectifying'],
    submit: ['accepted', 'rectifying'],
    pass: ['pending_review'],
    fail: ['pending_review'],
    requestExtension: ['accepted', 'rectifying'],
    decideExtension: ['accepted', 'rectifying'],
    list: ['reported', 'accepted', 'rectifying', 'pending_review'],
    complete: ['reported', 'accepted', 'rectifying', 'pending_review'],
    duplicate: ['reported', 'accepted', 'rectifying'],
  };
  const everyRole = new Set<HazardRole>([
    'unitHead',
    'office',
    'rectifier',
    'inspector',
    'directLeader',
    'leader',
  ]);

  it('allows exactly the legal transitions, to the right states', () => {
    for (const action of Object.keys(RULES) as HazardAction[]) {
      for (const status of statuses) {
        const verdict = decide(action, status, everyRole, { actorId: 1, rectifierId: 2, rectifiedById: 2 });
        expect(verdict.ok, `${action} from ${status}`).toBe(legal[action].includes(status));
      }
    }
    const to = (action: HazardAction, from: HazardStatus) => {
      const verdict = decide(action, from, everyRole, { actorId: 1 });
      return verdict.ok ? verdict.to : 'refused';
    };
    expect(to('accept', 'reported')).toBe('accepted');
    expect(to('submit', 'accepted')).toBe('pending_review');
    expect(to('submit', 'rectifying')).toBe('pending_review');
    expect(to('pass', 'pending_review')).toBe('closed');
    expect(to('fail', 'pending_review')).toBe('rectifying');
    expect(to('reject', 'reported')).toBe('rejected');
    expect(to('list', 'accepted')).toBeUndefined();
  });

  it('refuses the wrong role, and nobody re-inspects their own rectification', () => {
    expect(decide('accept', 'reported', new Set(['rectifier']), { actorId: 1 })).toEqual({
      ok: false,
      why: 'role',
    });
    expect(decide('pass', 'pending_review', new Set(['unitHead']), { actorId: 1 })).toEqual({
      ok: false,
      why: 'role',
    });
    expect(decide('pass', 'pending_review', new Set(['inspector']), { actorId: 7, rectifierId: 7 })).toEqual({
      ok: false,
      why: 'own-rectification',
    });
    expect(
      decide('fail', 'pending_review', new Set(['inspector']), { actorId: 7, rectifiedById: 7 }),
    ).toEqual({
      ok: false,
      why: 'own-rectification',
    });
    expect(decide('decideExtension', 'accepted', new Set(['unitHead', 'office']), { actorId: 1 }).ok).toBe(
      false,
    );
  });
});

describe('a hazard from report to 销号', () => {
  it('accepts, sets the deadline in working days across the National Day holiday, rectifies and closes', async () => {
    const reply = await say(REPORTER, '报隐患 教学楼三楼东侧灭火器过期，一般');
    const reported = await theHazard();
    expect(reported).toMatchObject({ place: '教学楼三楼东侧', severity: 'general', status: 'reported' });
    expect(reply).toContain(reported.code);
    expect(reply).not.toContain('请补充');

    const accepted = await press(HEAD, 'hazard.accept', { id: String(reported.id) });
    expect(accepted?.toast.kind).toBe('success');
    const afterAccept = await theHazard();
    // 7 working days from Wed 2026-09-30: Oct 1–7 are holidays, Sat Oct 10 is a make-up workday.
    expect(afterAccept.deadline?.toISOString()).toBe('2026-10-15T15:59:59.999Z');
    expect(afterAccept.rectifierId).toBe(await personId(HEAD));

    await press(HEAD, 'hazard.submit', { id: String(reported.id) }, { measures: '已更换 3 具灭火器' });
    expect((await theHazard()).status).toBe('pending_review');
    // The office is asked to re-inspect.
    expect((await inbox(await personId(OFFICE))).some((text) => text.includes('复查通过'))).toBe(true);

    const selfCheck = await press(HEAD, 'hazard.pass', { id: String(reported.id) });
    expect(selfCheck?.toast).toMatchObject({ kind: 'error' });
    expect((await theHazard()).status).toBe('pending_review');

    await press(OFFICE, 'hazard.pass', { id: String(reported.id) });
    const closed = await theHazard();
    expect(closed).toMatchObject({
      status: 'closed',
      reviewedById: await personId(OFFICE),
      measures: '已更换 3 具灭火器',
    });
    expect(closed.closedAt?.toISOString()).toBe(bot.now.toISOString());
    expect(await trail()).toEqual([
      ['report', null, 'reported'],
      ['accept', 'reported', 'accepted'],
      ['submit', 'accepted', 'pending_review'],
      ['pass', 'pending_review', 'closed'],
    ]);
    const evidence = (
      await database.db.select().from(hazardEvents).where(eq(hazardEvents.action, 'submit'))
    )[0]!;
    expect(evidence.evidence).toEqual({ measures: '已更换 3 具灭火器' });
    expect((await inbox(await personId(REPORTER))).join('\n')).toContain('复查通过并销号');
  });

  it('sends a failed re-inspection back with the reason, and a text command works like the button', async () => {
    await say(REPORTER, '报隐患 教学楼三楼东侧灭火器过期，一般');
    const { code } = await theHazard();
    expect(await say(HEAD, `受理 ${code}`)).toContain(`已受理 ${code}`);
    expect(await say(HEAD, `整改完成 ${code}`)).toContain('请写明整改措施');
    expect((await theHazard()).status).toBe('accepted');
    await say(HEAD, `整改完成 ${code} 更换了灭火器`);
    expect(await say(OFFICE, `复查不通过 ${code} 压力表仍指向红区`)).toContain('退回整改');
    const back = await theHazard();
    expect(back.status).toBe('rectifying');
    expect((await inbox(await personId(HEAD))).join('\n')).toContain('压力表仍指向红区');
    await say(HEAD, `整改完成 ${code} 重新充装`);
    await say(OFFICE, `复查通过 ${code}`);
    expect((await theHazard()).status).toBe('closed');
    expect((await trail()).map(([action]) => action)).toEqual([
      'report',
      'accept',
      'submit',
      'fail',
      'submit',
      'pass',
    ]);
  });

  it('takes photos sent right after 整改完成 as the rectification’s evidence', async () => {
    await say(REPORTER, '报隐患 教学楼三楼东侧灭火器过期，一般');
    const { id, code } = await theHazard();
    await press(HEAD, 'hazard.accept', { id: String(id) });
    await say(HEAD, `整改完成 ${code} 已更换灭火器`);
    const reply = await bot.say(HEAD, '', { attachments: [{ kind: 'image', key: 'img_after_fix' }] });
    expect(reply).toContain(`已将 1 张照片作为整改证据附到隐患 ${code}`);
    const photos = await database.db.select().from(hazardPhotos);
    expect(photos.map((photo) => [photo.hazardId, photo.fileKey, photo.stage])).toEqual([
      [id, 'img_after_fix', 'after'],
    ]);
    const evidence = (
      await database.db.select().from(hazardEvents).where(eq(hazardEvents.action, 'evidence'))
    )[0]!;
    expect(evidence.evidence).toMatchObject({ photos: ['img_after_fix'] });
  });

  it('keeps at most 20 photos of a hazard: the rest are refused, said so, and not downloaded', async () => {
    await say(REPORTER, '报隐患 教学楼三楼东侧灭火器过期，一般');
    const { id } = await theHazard();
    const attachments = Array.from({ length: 21 }, (_, index) => ({
      kind: 'image' as const,
      key: `img_${index}`,
    }));
    const reply = await bot.say(REPORTER, '', { attachments });
    expect(reply).toContain('已将 20 张照片附到隐患');
    expect(reply).toContain('另有 1 个文件未能保存（每条隐患最多保存 20 张照片，已达上限）');
    const photos = await database.db.select().from(hazardPhotos);
    expect(photos.filter((photo) => photo.hazardId === id && photo.fetchStatus === 'pending')).toHaveLength(
      20,
    );
    expect(photos.filter((photo) => photo.fetchStatus === 'failed').map((photo) => photo.fileKey)).toEqual([
      'img_20',
    ]);
  });

  it('takes photos sent with 整改完成 itself as 整改后', async () => {
    await say(REPORTER, '报隐患 教学楼三楼东侧灭火器过期，一般');
    const { id, code } = await theHazard();
    await press(HEAD, 'hazard.accept', { id: String(id) });
    const reply = await bot.say(HEAD, `整改完成 ${code} 已更换灭火器`, {
      attachments: [{ kind: 'image', key: 'img_with_step' }],
    });
    expect(reply).toContain('已附照片 1 张。');
    const photos = await database.db.select().from(hazardPhotos);
    expect(photos.map((photo) => [photo.hazardId, photo.fileKey, photo.stage])).toEqual([
      [id, 'img_with_step', 'after'],
    ]);
  });

  it('refuses steps by the wrong person or in the wrong state, and changes nothing', async () => {
    await say(REPORTER, '报隐患 教学楼三楼东侧灭火器过期，一般');
    const hazard = await theHazard();
    const refused = await press(REPORTER, 'hazard.accept', { id: String(hazard.id) });
    expect(refused?.toast).toEqual({
      kind: 'error',
      text: `只有安保处负责人或安全办公室可以受理隐患 ${hazard.code}。`,
    });
    expect(await say(HEAD, `复查通过 ${hazard.code}`)).toContain('不能复查通过');
    expect(await say(HEAD, `驳回 ${hazard.code}`)).toContain('请写明驳回原因');
    expect(await theHazard()).toEqual(hazard);
    expect(await trail()).toHaveLength(1);
    // A duplicate of a hazard that does not exist is a typo, not a reason (issue 15 §5: it would not link).
    expect(await say(HEAD, `驳回 ${hazard.code} 与 YH-2026-0000 重复`)).toContain(
      '没有找到隐患 YH-2026-0000',
    );
    expect(await theHazard()).toEqual(hazard);
    await say(HEAD, `驳回 ${hazard.code} 不属于安全隐患`);
    expect(await theHazard()).toMatchObject({ status: 'rejected', rejectReason: '不属于安全隐患' });
    expect((await inbox(hazard.reporterId)).join('\n')).toContain('已被驳回');
  });
});

describe('asking for what is missing', () => {
  it('asks the reporter for severity and place, and tells the 第一责任人 at once when it turns out grave', async () => {
    const reply = await say(REPORTER, '报隐患 有个东西看起来不太对劲');
    const hazard = await theHazard();
    expect(hazard).toMatchObject({ severity: null, place: null, categoryId: null });
    const asked = (await inbox(await personId(REPORTER))).join('\n');
    expect(asked).toContain('请补充隐患信息');
    expect(asked).toContain('hazard.complete');
    expect(reply).toContain(hazard.code);

    await press(REPORTER, 'hazard.complete', { id: String(hazard.id), severity: 'grave' });
    await say(REPORTER, `补充 ${hazard.code} 地点 实验楼二楼 类别 教学活动`);
    const completed = await theHazard();
    expect(completed.severity).toBe('grave');
    expect(completed.place).toBe('实验楼二楼');
    const [unit] = await database.db.select().from(units).where(eq(units.id, completed.unitId!));
    expect(unit!.name).toBe('教务处');
    const principal = await inbox(await personId(PRINCIPAL));
    expect(principal.filter((text) => text.includes(hazard.code))).toHaveLength(1);
    // Setting it grave again does not tell the principal twice.
    await say(REPORTER, `补充 ${hazard.code} 程度 重大`);
    expect(
      (await inbox(await personId(PRINCIPAL))).filter((text) => text.includes(hazard.code)),
    ).toHaveLength(1);
  });

  it('accepts a report in one message when everything is there, and routes by the category table', async () => {
    await say(REPORTER, '报隐患 食堂后门 食品配送车辆无证进出 较大');
    const hazard = await theHazard();
    expect(hazard.severity).toBe('major');
    const [unit] = await database.db.select().from(units).where(eq(units.id, hazard.unitId!));
    expect(unit!.name).toBe('安保处');
    expect((await inbox(await personId(REPORTER))).join('\n')).not.toContain('请补充');
  });
});

describe('extensions and listing', () => {
  it('lets the 直接责任人 approve an extension, and nobody else', async () => {
    await say(REPORTER, '报隐患 教学楼三楼东侧灭火器过期，一般');
    const { id, code } = await theHazard();
    await press(HEAD, 'hazard.accept', { id: String(id) });
    const before = (await theHazard()).deadline!;
    await press(HEAD, 'hazard.extend', { id: String(id) }, { days: '5', reason: '等待消防器材到货' });
    expect((await inbox(await personId(DIRECT))).join('\n')).toContain('批准延期');
    expect(
      (await press(OFFICE, 'hazard.extension', { id: String(id), decision: 'approve' }))?.toast.kind,
    ).toBe('error');
    expect((await theHazard()).deadline).toEqual(before);
    await say(DIRECT, `批准延期 ${code}`);
    const after = (await theHazard()).deadline!;
    // Five more working days after 2026-10-15: Oct 16, 19, 20, 21, 22.
    expect(after.toISOString()).toBe('2026-10-22T15:59:59.999Z');
    expect((await inbox(await personId(HEAD))).join('\n')).toContain('延期申请已批准');
  });

  it('lists a hazard for supervision by a leader; the listing shows on its cards', async () => {
    await say(REPORTER, '报隐患 教学楼三楼东侧灭火器过期，一般');
    const { code } = await theHazard();
    expect(await say(REPORTER, `挂牌督办 ${code} 全面更换 截止 2026-12-31`)).toContain('只有');
    expect(await say(PRINCIPAL, `挂牌督办 ${code} 全面更换老化灭火器 截止 2026-12-31`)).toContain(
      '已挂牌督办',
    );
    const listed = await theHazard();
    expect(listed).toMatchObject({
      listed: true,
      listedMatter: '全面更换老化灭火器',
      listedById: await personId(PRINCIPAL),
      listedByAccountId: null,
    });
    expect(listed.listedDeadline?.toISOString()).toBe('2026-12-31T15:59:59.999Z');
    const [listing] = await database.db.select().from(hazardEvents).where(eq(hazardEvents.action, 'list'));
    expect(listing).toMatchObject({ actorId: await personId(PRINCIPAL), actorAccountId: null });
    // The head's card names the leader who listed it, as `隐患 YH-…` does for anyone.
    const headCards = (await inbox(await personId(HEAD))).join('\n');
    expect(headCards).toContain('【挂牌督办】');
    expect(headCards).toMatch(/督办人[^王]{0,20}王晓芳/);
    expect(await say(REPORTER, `隐患 ${code}`)).toMatch(/督办人[^王]{0,20}王晓芳/);
  });

  it('takes a 挂牌督办 matter up to TEXT_LIMITS.matter (500) in chat, and refuses a deadline already past', async () => {
    await say(REPORTER, '报隐患 教学楼三楼东侧灭火器过期，一般');
    const { code } = await theHazard();
    // 2026-09-30 is today: a listing ending yesterday would be overdue the moment it is made.
    expect(await say(PRINCIPAL, `挂牌督办 ${code} 全面更换 截止 2026-09-29`)).toContain(
      '督办期限 2026-09-29 已过：不能早于今天（2026-09-30）。',
    );
    expect(await say(PRINCIPAL, `挂牌督办 ${code} ${'换'.repeat(501)} 截止 2026-12-31`)).toContain(
      '督办事项最多 500 字',
    );
    expect((await theHazard()).listed).toBe(false);
    expect(await trail()).toEqual([['report', null, 'reported']]);
    expect(await say(PRINCIPAL, `挂牌督办 ${code} ${'换'.repeat(300)} 截止 2026-09-30`)).toContain(
      '已挂牌督办',
    );
    expect((await theHazard()).listedMatter).toBe('换'.repeat(300));
  });

  it('gives the office’s console account 挂牌督办 and nothing else (RULES)', () => {
    const account = new Set<HazardRole>(['officeAccount']);
    for (const action of Object.keys(RULES) as HazardAction[]) {
      const verdict = decide(action, RULES[action].from[0]!, account);
      expect(verdict.ok, action).toBe(action === 'list');
    }
  });
});

describe('deadlines and escalation', () => {
  async function overdueHazard() {
    await say(REPORTER, '报隐患 教学楼三楼东侧灭火器过期，一般');
    const { id } = await theHazard();
    await press(HEAD, 'hazard.accept', { id: String(id) });
    return theHazard();
  }
  const run = () =>
    runHazardDeadlines({ db: database.db, channels: bot.channels, log: silentLogger, now: bot.now });
  const steps = async () =>
    (await database.db.select().from(reminders).where(eq(reminders.tenantId, bot.tenantId))).map(
      (row) => `${row.step}:${row.personId}`,
    );

  it('reminds before the deadline, then escalates up the levels, each step once however often it runs', async () => {
    const hazard = await overdueHazard();
    const [head, direct, principal, office, deputy] = await Promise.all(
      [HEAD, DIRECT, PRINCIPAL, OFFICE, 'wangxiaohua'].map(personId),
    );
    bot.now = new Date('2026-10-01T00:00:00Z');
    expect(await run()).toEqual({ sent: 0 });
    bot.now = new Date('2026-10-14T02:00:00Z'); // one day before the deadline
    await run();
    await run();
    expect(await steps()).toEqual([`due-soon:${head}`]);
    bot.now = new Date('2026-10-16T02:00:00Z'); // the day after
    await Promise.all([run(), run()]);
    expect((await steps()).sort()).toEqual(
      [`due-soon:${head}`, `overdue:${direct}`, `overdue:${head}`].sort(),
    );
    bot.now = new Date('2026-10-18T02:00:00Z');
    await run();
    await run();
    expect((await steps()).filter((step) => step.startsWith('overdue-escalated')).sort()).toEqual(
      [`overdue-escalated:${principal}`, `overdue-escalated:${office}`, `overdue-escalated:${deputy}`].sort(),
    );
    const principalCards = (await inbox(principal!)).filter((text) => text.includes(hazard.code));
    expect(principalCards).toHaveLength(1);
    expect(principalCards[0]).toContain('超期未整改');
    // A closed hazard is not chased.
    await press(HEAD, 'hazard.submit', { id: String(hazard.id) }, { measures: '已更换' });
    await press(OFFICE, 'hazard.pass', { id: String(hazard.id) });
    bot.now = new Date('2026-10-30T02:00:00Z');
    expect(await run()).toEqual({ sent: 0 });
  });

  it('arms the steps again when an extension moves the deadline, and chases an overdue listed hazard', async () => {
    const hazard = await overdueHazard();
    bot.now = new Date('2026-10-14T02:00:00Z');
    await run();
    await press(HEAD, 'hazard.extend', { id: String(hazard.id) }, { days: '5', reason: '等待到货' });
    await press(DIRECT, 'hazard.extension', { id: String(hazard.id), decision: 'approve' });
    bot.now = new Date('2026-10-21T02:00:00Z');
    await run();
    expect((await steps()).filter((step) => step.startsWith('due-soon'))).toHaveLength(2);

    await say(PRINCIPAL, `挂牌督办 ${hazard.code} 限期整改 截止 2026-10-22`);
    bot.now = new Date('2026-10-23T02:00:00Z');
    await run();
    const head = await personId(HEAD);
    expect(await steps()).toContain(`listed-overdue:${head}`);
    const [tenant] = await database.db.select().from(tenants);
    expect(tenant!.id).toBe(bot.tenantId);
    const listedReminders = await database.db
      .select()
      .from(reminders)
      .where(and(eq(reminders.step, 'listed-overdue'), eq(reminders.personId, head)));
    expect(listedReminders).toHaveLength(1);
  });
});

describe('隐患台账 in chat', () => {
  it('shows a unit head their unit, the office everything, and filters overdue', async () => {
    await say(REPORTER, '报隐患 教学楼三楼东侧灭火器过期，一般');
    await say(REPORTER, '报隐患 食堂 食堂卫生差，一般');
    const head = await say(HEAD, '隐患台账');
    expect(head).toContain('隐患台账（安保处）');
    expect(head).toContain('灭火器过期');
    expect(head).not.toContain('食堂卫生差');
    const office = await say(OFFICE, '隐患台账');
    expect(office).toContain('隐患台账（全校）');
    expect(office).toContain('食堂卫生差');
    const { id } = (await database.db.select().from(hazards).orderBy(asc(hazards.id)))[0]!;
    await press(HEAD, 'hazard.accept', { id: String(id) });
    bot.now = new Date('2026-10-20T02:00:00Z');
    const overdue = await say(OFFICE, '隐患台账 超期');
    expect(overdue).toContain('（超期）');
    expect(overdue).not.toContain('食堂卫生差');
    expect(await say(REPORTER, '隐患台账')).toContain('我上报或负责整改的');
  });
});
