// The bureau's console account on /console/supervision (issue 19), over real HTTP against the real
// service: 挂牌督办 of a school's hazard and a 整改通知书 to its 第一责任人, in the bureau's name, through
// the chat's own functions; only the bureau's schools are offered or accepted (ids guessed in the forms
// are refused and nothing is written); a school's admin has no schools to act on.
import { and, eq } from 'drizzle-orm';
import { beforeEach, describe, expect, it } from 'vitest';
import { adminAccounts, hazards, outbox, tasks } from '../db/schema.ts';
import { useConsoleHarness } from './helpers/console-harness.ts';
import { BUREAU, BUREAU_PASSWORD, csrfOf, login, stripTags } from './helpers/console-http.ts';

const NOW = new Date('2026-11-24T02:00:00Z'); // Tuesday 10:00 in Shanghai

const t = useConsoleHarness(NOW);
beforeEach(async () => {
  await t.bot.say('yinxianju', '报隐患 教学楼东侧围墙倾斜开裂 一般');
  t.bot.tenantId = t.bureauId;
  await t.bot.say('zhengweidong', '报隐患 局机关大院监控损坏，一般');
});

const hazardOf = async (code: string) =>
  (await t.database.db.select().from(hazards).where(eq(hazards.code, code)))[0]!;
async function bureauAccount() {
  const [row] = await t.database.db
    .select({ id: adminAccounts.id })
    .from(adminAccounts)
    .where(and(eq(adminAccounts.tenantId, t.bureauId), eq(adminAccounts.username, 'office')));
  return row!.id;
}
async function asBureau() {
  const browser = t.newBrowser();
  await login(browser, BUREAU, BUREAU_PASSWORD);
  return browser;
}

describe('/console/supervision', () => {
  it('lists a school’s hazard in the bureau’s name and tells the school', async () => {
    const browser = await asBureau();
    const page = await browser.page('/console/supervision');
    expect(page.response.status).toBe(200);
    const text = stripTags(page.html);
    expect(text).toContain('昆山市花桥集善中学 · YH-JSZX-2026-0001');
    expect(text).not.toContain('YH-QJTJ-2026-0001');

    const school = await hazardOf('YH-JSZX-2026-0001');
    const posted = await browser.post('/console/supervision/list', {
      _csrf: csrfOf(page.html),
      hazard: String(school.id),
      matter: '围墙拆除重建，期间封闭该路段',
      deadline: '2026-12-31',
    });
    expect(posted.status).toBe(303);
    expect(await hazardOf('YH-JSZX-2026-0001')).toMatchObject({
      listed: true,
      listedByTenantId: t.bureauId,
      listedByAccountId: await bureauAccount(),
      listedById: null,
    });
    const toFirst = await t.bot.inbox(await t.bot.personId('wangxiaofang'));
    expect(toFirst.find((sent) => sent.includes('某区教育体育局挂牌督办'))).toContain('围墙拆除重建');
    const after = await browser.page('/console/supervision');
    expect(stripTags(after.html)).toContain('已挂牌督办');
  });

  it('refuses a hazard id that is no school’s of the bureau, and writes nothing', async () => {
    const browser = await asBureau();
    const page = await browser.page('/console/supervision');
    const own = await hazardOf('YH-QJTJ-2026-0001');
    const before = (await t.database.db.select().from(outbox)).length;
    for (const id of [String(own.id), '999999']) {
      const refused = await browser.post('/console/supervision/list', {
        _csrf: csrfOf(page.html),
        hazard: id,
        matter: '加固',
        deadline: '2026-12-31',
      });
      expect(refused.status, id).toBe(400);
      expect(stripTags(await refused.text())).toContain('找不到这条隐患。');
    }
    expect((await hazardOf('YH-QJTJ-2026-0001')).listed).toBe(false);
    expect(await t.database.db.select().from(outbox)).toHaveLength(before);
  });

  it('sends a 整改通知书 to the school’s 第一责任人 and shows its state per school', async () => {
    const browser = await asBureau();
    const page = await browser.page('/console/supervision');
    const posted = await browser.post('/console/supervision/notice', {
      _csrf: csrfOf(page.html),
      school: String(t.schoolId),
      kind: 'rectification_notice',
      content: '围墙隐患限期整改并书面报告',
      due: '',
    });
    expect(posted.status).toBe(303);
    const [task] = await t.database.db.select().from(tasks);
    expect(task).toMatchObject({
      tenantId: t.schoolId,
      kind: 'rectification_notice',
      assigneeId: await t.bot.personId('wangxiaofang'),
      assignerAccountId: await bureauAccount(),
      assignerTenantId: t.bureauId,
    });
    const shown = stripTags((await browser.page('/console/supervision')).html);
    expect(shown).toContain('昆山市花桥集善中学');
    expect(shown).toContain('RW-2026-0001');
    expect(shown).toContain('待确认');

    // The 第一责任人 acknowledges: the bureau's office hears of it (its account sent it).
    t.bot.tenantId = t.schoolId;
    await t.bot.say('wangxiaofang', '收到 RW-2026-0001');
    expect(await t.bot.inbox(await t.bot.personId('zhengweidong'))).toContain(
      '王晓芳 已确认收到任务 RW-2026-0001。',
    );
    expect(stripTags((await browser.page('/console/supervision')).html)).toContain('已确认收到');

    // The bureau itself is no school of the bureau.
    const refused = await browser.post('/console/supervision/notice', {
      _csrf: csrfOf(page.html),
      school: String(t.bureauId),
      kind: 'rectification_notice',
      content: '自查',
      due: '',
    });
    expect(refused.status).toBe(400);
    expect(stripTags(await refused.text())).toContain('请选择本单位所辖的学校。');
    expect(await t.database.db.select().from(tasks)).toHaveLength(1);
  });

  it('gives a school’s admin nothing to act on', async () => {
    const browser = t.newBrowser();
    await login(browser);
    const page = await browser.page('/console/supervision');
    expect(stripTags(page.html)).toContain('本单位没有所辖学校');
    const school = await hazardOf('YH-JSZX-2026-0001');
    const listed = await browser.post('/console/supervision/list', {
      _csrf: csrfOf(page.html),
      hazard: String(school.id),
      matter: '加固',
      deadline: '2026-12-31',
    });
    expect(listed.status).toBe(400);
    const sent = await browser.post('/console/supervision/notice', {
      _csrf: csrfOf(page.html),
      school: String(t.schoolId),
      kind: 'rectification_notice',
      content: '自查',
      due: '',
    });
    expect(sent.status).toBe(400);
    expect((await hazardOf('YH-JSZX-2026-0001')).listed).toBe(false);
    expect(await t.database.db.select().from(tasks)).toHaveLength(0);
  });
});
