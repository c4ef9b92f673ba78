// Issue 15 §3, what people see is complete and honest: a unit's own duties in 我的职责 and the head's
// 责任书; what a hazard's cards show (the pending extension with both deadlines, the latest steps of the
// trail); 临时管控措施 and a shorter deadline on 受理; 指派 by name, namesakes by choice.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { renderCardHtml } from '../bot/channels/console/render.ts';
import { renderFeishuCard } from '../bot/channels/feishu/render.ts';
import { renderWecom } from '../bot/channels/wecom/render.ts';
import { hazardCard } from '../cards/hazard.ts';
import { type Card, cardToText } from '../cards/model.ts';
import type { Database } from '../db/client.ts';
import { hazardView } from '../db/queries/hazards.ts';
import { hazardEvents, hazards, letters, people, tasks } from '../db/schema.ts';
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

const REPORTER = 'chenjing';
const HEAD = 'yinxianju'; // 安保处
const DIRECT = 'xuejianping'; // 分管安保处
const PRINCIPAL = 'wangxiaofang';
const OFFICE = 'zhouyinyin';

const theHazard = async () => (await database.db.select().from(hazards))[0]!;
const lastCardTo = async (code: string): Promise<Card> => {
  const cards = (await bot.inbox(await bot.personId(code))).filter((body) => body.startsWith('{'));
  return JSON.parse(cards.at(-1)!) as Card;
};
const inputsOf = (card: Card, form: string) =>
  card.blocks.flatMap((block) =>
    block.kind === 'form' && block.name === form ? block.inputs.map((input) => input) : [],
  );

describe('a unit’s own safety duties', () => {
  const WATER = '校园水、电、气、油安全使用；配电间及用电线路安全维护'; // 总务处 in examples/school.yaml
  const HEAD_OF_GENERAL = 'huangchun'; // 总务处主任
  const MEMBER_OF_GENERAL = 'wuyunan'; // 总务处副主任
  const OTHER_HEAD = HEAD; // 安保处, whose duties differ

  it('shows them in 我的职责: to the head as the unit’s, to its members as 本处室职责, to nobody else', async () => {
    const head = await bot.say(HEAD_OF_GENERAL, '我的职责');
    expect(head).toContain('处室安全职责（总务处，由本人负责落实）');
    expect(head).toContain(WATER);
    const member = await bot.say(MEMBER_OF_GENERAL, '我的职责');
    expect(member).toContain('本处室职责（总务处）');
    expect(member).toContain(WATER);
    expect(await bot.say(OTHER_HEAD, '我的职责')).not.toContain(WATER);
  });

  it('puts them in the unit head’s 责任书, and only there', async () => {
    await bot.say(OFFICE, '发起责任书 2026');
    const letterOf = async (code: string) =>
      (
        await database.db
          .select()
          .from(letters)
          .where(eq(letters.personId, await bot.personId(code)))
      )[0]!;
    const headLetter = await letterOf(HEAD_OF_GENERAL);
    expect(headLetter.duties.unit?.name).toBe('总务处');
    expect(headLetter.duties.unit?.duties).toContain(WATER);
    expect((await letterOf(MEMBER_OF_GENERAL)).duties.unit).toBeUndefined();
    const card = cardToText(await lastCardTo(HEAD_OF_GENERAL));
    expect(card).toContain('本处室安全职责（总务处，处室负责人负责落实）');
    expect(card).toContain(WATER);
    expect(cardToText(await lastCardTo(MEMBER_OF_GENERAL))).not.toContain(WATER);
  });
});

describe('临时管控措施 and the deadline on 受理', () => {
  it('refuses to accept a 重大 hazard without 临时管控措施, and keeps them in the hazard, its cards and the trail', async () => {
    await bot.say(REPORTER, '报隐患 教学楼三楼东侧灭火器全部失效，重大');
    const reported = await theHazard();
    expect(reported.severity).toBe('grave');

    // The head's card asks for them in the accept form, as a required field.
    const headCard = await lastCardTo(HEAD);
    expect(inputsOf(headCard, 'accept')).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'interim', required: true })]),
    );

    const refused = await bot.press(HEAD, 'hazard.accept', { id: String(reported.id) });
    expect(refused?.toast.kind).toBe('error');
    expect(refused?.toast.text).toContain('临时管控措施');
    expect(refused?.toast.text).toContain(`受理 ${reported.code} 措施`);
    expect(await bot.say(HEAD, `受理 ${reported.code}`)).toContain('临时管控措施');
    expect(await theHazard()).toEqual(reported);

    const done = await bot.press(
      HEAD,
      'hazard.accept',
      { id: String(reported.id) },
      { interim: '已拉警戒线，专人值守，暂停使用三楼东侧楼梯' },
    );
    expect(done?.toast.kind).toBe('success');
    const accepted = await theHazard();
    expect(accepted).toMatchObject({
      status: 'accepted',
      interimMeasures: '已拉警戒线，专人值守，暂停使用三楼东侧楼梯',
    });
    const [acceptEvent] = await database.db
      .select()
      .from(hazardEvents)
      .where(eq(hazardEvents.action, 'accept'));
    expect(acceptEvent!.note).toContain('临时管控措施：已拉警戒线，专人值守，暂停使用三楼东侧楼梯');
    const shown = await bot.say(PRINCIPAL, `隐患 ${reported.code}`);
    expect(shown).toContain('临时管控措施');
    expect(shown).toContain('暂停使用三楼东侧楼梯');
  });

  it('takes a 较大 hazard without them, and a shorter deadline by text, but never a later one', async () => {
    await bot.say(REPORTER, '报隐患 教学楼三楼东侧灭火器过期，较大');
    const { code, id } = await theHazard();
    const optional = inputsOf(await lastCardTo(HEAD), 'accept');
    expect(optional.find((input) => input.name === 'interim')?.required).toBe(false);

    const later = await bot.press(HEAD, 'hazard.accept', { id: String(id) }, { deadline: '2027-06-30' });
    expect(later?.toast.text).toContain('不能晚于较大隐患的规定期限');
    expect((await theHazard()).status).toBe('reported');
    expect(await bot.say(HEAD, `受理 ${code} 期限 2026-11-01`)).toContain('不能早于今天');
    expect(await bot.say(HEAD, `受理 ${code} 期限 明年`)).toContain('整改期限请写成日期');
    expect((await theHazard()).status).toBe('reported');

    expect(await bot.say(HEAD, `受理 ${code} 期限 11月6日 措施 灭火器旁放置备用灭火器`)).toContain(
      `已受理 ${code}，整改期限 2026-11-06 23:59`,
    );
    const accepted = await theHazard();
    expect(accepted.deadline?.toISOString()).toBe('2026-11-06T15:59:59.999Z');
    expect(accepted.interimMeasures).toBe('灭火器旁放置备用灭火器');
    const [acceptEvent] = await database.db
      .select()
      .from(hazardEvents)
      .where(eq(hazardEvents.action, 'accept'));
    expect(acceptEvent!.note).toMatch(/^整改期限 2026-11-06 23:59（提前于规定期限 2026-11-\d\d 23:59）/);
  });

  it('renders the accept form on every channel: Feishu inputs, WeCom and Wechaty the command, the console an HTML form', async () => {
    await bot.say(REPORTER, '报隐患 教学楼三楼东侧灭火器全部失效，重大');
    const { code } = await theHazard();
    const card = await lastCardTo(HEAD);
    const feishu = JSON.stringify(renderFeishuCard(card));
    expect(feishu).toContain('"tag":"form","name":"accept"');
    expect(feishu).toContain('"name":"interim","required":true');
    expect(feishu).toContain('"name":"rectifier"');
    const wecom = JSON.stringify(renderWecom({ kind: 'card', card }, { taskId: 't1', cardUrl: 'https://x' }));
    expect(wecom).toContain('"text":"受理"');
    expect(wecom).toContain('"text":"指派"');
    expect(wecom).toContain(`受理 ${code} 措施`);
    const wechaty = cardToText(card, true);
    expect(wechaty).toContain(`受理 ${code} 措施 <临时管控措施>`);
    expect(wechaty).toMatch(/回复 \d 指派/);
    const html = renderCardHtml(card, { url: '/console/act', hidden: {} } as never);
    expect(html).toContain('name="form.interim"');
    expect(html).toContain('name="form.rectifier"');
  });
});

describe('the extension request on the cards', () => {
  it('shows the approver the days, the reason, both deadlines and the 督办期限; every card shows it pending and the latest steps', async () => {
    await bot.say(REPORTER, '报隐患 教学楼三楼东侧灭火器过期，一般');
    const { id, code } = await theHazard();
    await bot.press(HEAD, 'hazard.accept', { id: String(id) });
    await bot.say(PRINCIPAL, `挂牌督办 ${code} 全面更换老化灭火器 截止 2026-11-12`);
    await bot.press(HEAD, 'hazard.extend', { id: String(id) }, { days: '5', reason: '等待<消防器材>到货' });

    const approver = await lastCardTo(DIRECT);
    const text = cardToText(approver);
    expect(text).toContain('延期申请：延期 5 天（待审批）');
    expect(text).toContain('申请人：尹仙菊');
    expect(text).toContain('延期原因：等待<消防器材>到货');
    // 7 working days after Mon 2026-11-02 → Wed 11-11; five more → Wed 11-18.
    expect(text).toContain('现整改期限：2026-11-11 23:59');
    expect(text).toContain('申请延至：2026-11-18 23:59');
    expect(text).toContain('督办期限：2026-11-12 23:59');
    expect(text).toContain('注意：申请延至的期限晚于督办期限 2026-11-12 23:59');
    expect(approver.blocks.some((block) => block.kind === 'actions')).toBe(true);
    // The approver's card leads with the request, so WeCom's short card keeps it.
    const wecom = JSON.stringify(
      renderWecom({ kind: 'card', card: approver }, { taskId: 't2', cardUrl: 'https://x' }),
    );
    expect(wecom).toContain('"keyname":"延期申请","value":"延期 5 天（待审批）"');
    // The user's text stays inert on Feishu.
    expect(JSON.stringify(renderFeishuCard(approver))).not.toContain('<消防器材>');

    const shown = await bot.say(REPORTER, `隐患 ${code}`);
    expect(shown).toContain('延期 5 天（待审批）');
    expect(shown).toContain('申请延至');
    expect(shown).toContain('进展');
    expect(shown).toContain('尹仙菊 申请延期；申请延期 5 天：等待<消防器材>到货');
    expect(shown).toContain('王晓芳 挂牌督办');
    // Only the latest three steps: the report is not among them any more.
    expect(shown).not.toContain('上报 → 已上报');

    await bot.say(DIRECT, `批准延期 ${code}`);
    const after = cardToText(
      hazardCard((await hazardView(database.db, bot.tenantId, id))!, 'Asia/Shanghai', 'public', bot.now),
    );
    expect(after).not.toContain('待审批');
    expect(after).toContain('审批延期；批准延期至 2026-11-18 23:59');
  });
});

describe('指派 by name', () => {
  async function accepted() {
    await bot.say(REPORTER, '报隐患 教学楼三楼东侧灭火器过期，一般');
    const hazard = await theHazard();
    await bot.press(HEAD, 'hazard.accept', { id: String(hazard.id) });
    return hazard;
  }
  const namesake = async () => {
    const [office] = await database.db.select().from(people).where(eq(people.code, OFFICE));
    await database.db
      .insert(people)
      .values({ tenantId: bot.tenantId, code: 'zhouyinyin2', name: office!.name });
    return office!;
  };

  it('takes a typed name or a person code, in the text command and in the card form', async () => {
    const { id, code } = await accepted();
    const office = (await database.db.select().from(people).where(eq(people.code, OFFICE)))[0]!;
    expect(await bot.say(HEAD, `指派 ${code} ${office.name}`)).toContain(
      `已指派 ${office.name} 整改 ${code}`,
    );
    expect((await theHazard()).rectifierId).toBe(office.id);
    expect((await bot.inbox(office.id)).join('\n')).toContain('提交整改');

    const reporter = await bot.personId(REPORTER);
    const pressed = await bot.press(HEAD, 'hazard.assign', { id: String(id) }, { rectifier: '@chenjing' });
    expect(pressed?.toast).toMatchObject({ kind: 'success' });
    expect((await theHazard()).rectifierId).toBe(reporter);

    const unknown = await bot.press(HEAD, 'hazard.assign', { id: String(id) }, { rectifier: '张三丰' });
    expect(unknown?.toast).toMatchObject({ kind: 'error' });
    expect(unknown?.toast.text).toContain('没有“张三丰”');
    expect((await theHazard()).rectifierId).toBe(reporter);
  });

  it('takes the simulator’s @-mention', async () => {
    const { code } = await accepted();
    const office = await bot.personId(OFFICE);
    await bot.say(HEAD, `指派 ${code} @周尹尹`, {
      mentions: [{ ids: [{ kind: 'person', value: String(office) }], name: '周尹尹' }],
    });
    expect((await theHazard()).rectifierId).toBe(office);
  });

  it('offers namesakes as a choice instead of guessing, and the choice assigns', async () => {
    const { id, code } = await accepted();
    const office = await namesake();
    const before = (await theHazard()).rectifierId;
    const reply = await bot.say(HEAD, `指派 ${code} ${office.name}`);
    expect(reply).toContain(`请选择 ${code} 的整改人`);
    expect(reply).toContain(`${office.name}（办公室）`);
    expect((await theHazard()).rectifierId).toBe(before);
    const choice = JSON.parse(reply.split('\n').find((line) => line.includes('请选择'))!) as Card;
    const buttons = choice.blocks.flatMap((block) => (block.kind === 'actions' ? block.buttons : []));
    expect(buttons).toHaveLength(2);
    expect(new Set(buttons.map((button) => button.args.person)).size).toBe(2);

    // The card form with the shared name gets the same choice.
    const pressed = await bot.press(HEAD, 'hazard.assign', { id: String(id) }, { rectifier: office.name });
    expect(pressed?.toast.kind).toBe('info');
    expect((await theHazard()).rectifierId).toBe(before);

    const chosen = buttons.find((button) => button.args.person === String(office.id))!;
    expect(await bot.press(REPORTER, chosen.action, chosen.args)).toMatchObject({ toast: { kind: 'error' } });
    expect((await bot.press(HEAD, chosen.action, chosen.args))?.toast.kind).toBe('success');
    expect((await theHazard()).rectifierId).toBe(office.id);
  });

  it('派任务 refuses a shared name with the person codes instead of taking the first, as 换班 does', async () => {
    const office = await namesake();
    const reply = await bot.say(PRINCIPAL, `派任务 @${office.name} 检查消防通道 截止 2026-11-20`);
    expect(reply).toContain(`“${office.name}”有 2 人同名`);
    expect(reply).toContain('@zhouyinyin2');
    expect(await database.db.select().from(tasks)).toHaveLength(0);
  });
});
