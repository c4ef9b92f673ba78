// 帮助, and the answer to anything the bot does not understand: never silence (DESIGN.md §5).
// Help is by role: a member sees the few commands a member needs; unit heads, leaders and the office see
// more; `帮助 <命令>` explains one command with an example.
import type { MessageContext } from '../bot/core/context.ts';
import type { CommandSpec, Router } from '../bot/core/router.ts';
import { card, fields, listCard, note } from '../cards/model.ts';
import { holdersAtLevel } from '../db/queries/hazard-roles.ts';
import { officeStaff } from '../db/queries/org.ts';
import { childTenants } from '../db/queries/tenants.ts';
import { headedUnits } from '../db/queries/units.ts';
import { FOLLOW_UP_WINDOW_MS } from './evidence-rules.ts';
import { hazardCodeIn } from './hazard-rules.ts';
import { offerReport, showHazard } from './hazards/index.ts';
import { noteFollowUp, startRoundByListName } from './rounds.ts';

/** Who reads the help, from the least to the most commands. */
export type HelpRole = 'outside' | 'member' | 'head' | 'leader' | 'office';
const RANK: Record<HelpRole, number> = { outside: 0, member: 1, head: 2, leader: 3, office: 4 };
const ROLE_NAME: Record<HelpRole, string> = {
  outside: '所有人（含校外人员）',
  member: '全体教职工',
  head: '处室负责人及以上',
  leader: '学校领导及安全办公室',
  office: '安全办公室',
};

/**
 * The least role whose help lists a command (by its first name). A command not named here is listed for
 * the office only, and `帮助 <命令>` still explains it to anyone.
 */
const LISTED_FROM: Record<string, HelpRole> = {
  报隐患: 'outside',
  我的待办: 'member',
  我的职责: 'member',
  隐患台账: 'member',
  今天谁值班: 'member',
  确认到岗: 'member',
  隐患: 'head',
  补充: 'head',
  受理: 'head',
  驳回: 'head',
  指派: 'head',
  整改完成: 'head',
  申请延期: 'head',
  记录: 'head',
  督查报告: 'head',
  收到: 'head',
  完成: 'head',
  值班日志: 'head',
  交班: 'head',
  换班: 'head',
  签订责任书: 'head',
  开始检查: 'head',
  检查签字: 'head',
  我的责任书: 'head',
  批准延期: 'leader',
  不批准延期: 'leader',
  挂牌督办: 'leader',
  派任务: 'leader',
  事故登记: 'leader',
  整改通知: 'leader',
  约谈整改: 'leader',
  通知进度: 'leader',
};

/** Commands about the schools under a tenant: listed only where there are schools (a bureau). */
const LEVEL_ABOVE_ONLY: ReadonlySet<string> = new Set(['整改通知', '约谈整改', '通知进度']);

/** One example per command, as a person would type it. */
const EXAMPLES: Record<string, string> = {
  报隐患: '报隐患 食堂冷库门密封条损坏，冷气外泄 一般',
  补充: '补充 YH-2026-0001 地点 教学楼三楼东侧 程度 较大',
  隐患台账: '隐患台账 灭火器',
  隐患: '隐患 YH-2026-0001',
  受理: '受理 YH-2026-0001',
  驳回: '驳回 YH-2026-0002 与 YH-2026-0001 重复',
  指派: '指派 YH-2026-0001 @张三',
  整改完成: '整改完成 YH-2026-0001 已更换灭火器 4 具',
  申请延期: '申请延期 YH-2026-0001 5 配件需厂家供货',
  批准延期: '批准延期 YH-2026-0001',
  不批准延期: '不批准延期 YH-2026-0001',
  复查通过: '复查通过 YH-2026-0001',
  复查不通过: '复查不通过 YH-2026-0001 应急灯仍不亮',
  挂牌督办: '挂牌督办 YH-2026-0001 围墙加固 截止 2026-12-31',
  整改通知: '整改通知 区实验小学 食堂后门消防通道堵塞，限期清理并书面报告 截止 2026-12-31',
  约谈整改: '约谈整改 区实验小学 约谈后落实校门值守整改，书面报告整改情况',
  通知进度: '通知进度',
  我的职责: '我的职责',
  我的待办: '我的待办',
  记录: '记录 会议 安全专题会，研究冬季防火',
  督查报告: '督查报告 提交',
  开始检查: '开始检查 每月安全保卫工作大检查',
  检查签字: '检查签字',
  派任务: '派任务 @总务处 检查全校消防通道 截止 2026-12-20',
  收到: '收到 RW-2026-0001',
  完成: '完成 RW-2026-0001 已检查完毕，发现问题 2 处已整改',
  今天谁值班: '今天谁值班',
  确认到岗: '确认到岗',
  值班日志: '值班日志 22:00 巡查宿舍楼，一切正常',
  交班: '交班 夜间无异常，东门门禁已报修',
  换班: '换班 12月20日 @李四',
  发起责任书: '发起责任书 2027',
  责任书进度: '责任书进度',
  我的责任书: '我的责任书',
  签订责任书: '签订责任书',
  事故登记: '事故登记 2026',
  帮助: '帮助 报隐患',
};

/** What a command needs to know beyond its one-line summary. */
const DETAILS: Record<string, string> = {
  报隐患: `写明隐患情况即可；可加地点（如“地点：教学楼三楼”）和严重程度（一般、较大、重大）。类别自动识别并转责任处室负责人受理，缺少的信息会发卡片请您补充。照片可在 ${FOLLOW_UP_WINDOW_MS / 60_000} 分钟内随后补发。同一地点、同一类别 7 天内已有未销号的隐患时，会提示可能重复。`,
  隐患台账:
    '不加条件时显示未销号的隐患；可加 超期、挂牌、整改中、待复查、已销号、全部、类别名，其他词按关键词查找隐患描述和地点（含已销号）。',
  驳回: '原因中写“与 YH-… 重复”即标记为重复上报：并入原隐患，只计一次。',
  挂牌督办:
    '教育局领导和领导小组办公室也可用本命令对所辖学校的隐患挂牌督办（写完整编号，如 YH-JSZX-2026-0001）：该校第一责任人和安全办公室会收到通知，学校不能更改督办事项和期限。',
  整改通知:
    '学校写名称或其中能唯一确定的部分。通知发给该校第一责任人，由其按“收到”“完成”答复；不写截止日期时为 20 个工作日后（003 §五.3）。',
  约谈整改: '同“整改通知”：约谈后要求学校在期限内书面报告整改情况，默认 20 个工作日。',
};

export async function helpRoleOf(ctx: MessageContext): Promise<HelpRole> {
  const { db, tenant, actor } = ctx;
  if (actor.isOutside) return 'outside';
  if ((await officeStaff(db, tenant.id)).some((person) => person.id === actor.id)) return 'office';
  if ((await holdersAtLevel(db, tenant.id, ['first', 'direct'])).some((person) => person.id === actor.id))
    return 'leader';
  return (await headedUnits(db, actor.id)).length > 0 ? 'head' : 'member';
}

const listedFrom = (spec: CommandSpec): HelpRole => LISTED_FROM[spec.names[0]!] ?? 'office';

const ORDER = Object.keys(LISTED_FROM);
const orderOf = (spec: CommandSpec) => {
  const index = ORDER.indexOf(spec.names[0]!);
  return index < 0 ? ORDER.length : index;
};

/**
 * The commands a role's help lists, the most used first (the order of LISTED_FROM, then the router's);
 * 帮助 itself is the card's note.
 */
export function commandsFor(router: Router, role: HelpRole, hasSchools = false): CommandSpec[] {
  return router.commands
    .filter((spec) => spec.names[0] !== '帮助' && RANK[listedFrom(spec)] <= RANK[role])
    .filter((spec) => hasSchools || !LEVEL_ABOVE_ONLY.has(spec.names[0]!))
    .sort((a, b) => orderOf(a) - orderOf(b));
}

export function helpCard(router: Router, role: HelpRole = 'office', hasSchools = false) {
  const more = role === 'member' || role === 'head' || role === 'leader';
  return listCard('一岗双责安全助手', 'blue', [
    fields(commandsFor(router, role, hasSchools).map((spec) => [spec.usage, spec.summary])),
    more && note('任务、整改、责任书等卡片发给您时，直接按卡片上的按钮即可。'),
    note('发送“帮助 <命令>”查看用法和示例，如：帮助 报隐患。在群里使用时请先 @我。'),
  ]);
}

function commandCard(spec: CommandSpec) {
  const name = spec.names[0]!;
  const alias = spec.names.find((candidate) => candidate.startsWith('/'));
  return card(`帮助：${name}`, 'blue', [
    fields([
      ['用法', spec.usage],
      ['说明', spec.summary],
      ['示例', EXAMPLES[name]],
      ['适用', ROLE_NAME[listedFrom(spec)]],
    ]),
    DETAILS[name] ? note(DETAILS[name]) : undefined,
    alias ? note(`英文别名：${alias}`) : undefined,
  ]);
}

export const showHelp = (router: Router) => async (ctx: MessageContext) => {
  const asked = ctx.args.trim();
  const matched = asked ? router.match(asked) : undefined;
  if (matched) {
    ctx.reply({ kind: 'card', card: commandCard(matched.spec) });
    return;
  }
  if (asked) ctx.reply({ kind: 'text', text: `没有“${glance(asked)}”这条命令。以下是您常用的命令：` });
  ctx.reply({ kind: 'card', card: helpCard(router, await helpRoleOf(ctx), await hasSchools(ctx)) });
};

/** Whether the tenant has schools under it (a bureau): its help lists what goes down to them. */
const hasSchools = async (ctx: MessageContext) => (await childTenants(ctx.db, ctx.tenant.id)).length > 0;

// By characters, not UTF-16 units: half an emoji cannot be stored (PostgreSQL jsonb refuses it).
const glance = (said: string) => {
  const chars = Array.from(said);
  return chars.length > 20 ? `${chars.slice(0, 20).join('')}…` : said;
};

export const unknownInput = (router: Router) => async (ctx: MessageContext) => {
  // A hazard's number alone opens it (隐患 YH-…).
  const asked = hazardCodeIn(ctx.args);
  if (asked && asked.rest === '' && ctx.args.toUpperCase().startsWith(asked.code)) return showHazard(ctx);
  // A text right after a 不合格 without a note is that item's 问题描述 (handlers/rounds.ts).
  if (await noteFollowUp(ctx)) return;
  // `检查 <清单名>`: the short form of 开始检查, when it names a checklist exactly.
  if (await startRoundByListName(ctx)) return;
  // A text that reads like a hazard gets the offer to file it, not a lecture on commands.
  if (await offerReport(ctx)) return;
  const said = glance(ctx.args);
  ctx.reply({
    kind: 'text',
    text: said ? `没有看懂“${said}”。以下是我能做的事：` : '你好！以下是我能做的事：',
  });
  ctx.reply({ kind: 'card', card: helpCard(router, await helpRoleOf(ctx), await hasSchools(ctx)) });
};
