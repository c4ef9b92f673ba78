// 隐患台账 in chat: open hazards for my unit, or for everyone when I am the office or a leader, with
// filters by state, category, overdue and listed.
import type { MessageContext } from '../bot/core/context.ts';
import { Refusal } from '../bot/core/errors.ts';
import { fields, listCard, note, text } from '../cards/model.ts';
import { holdersAtLevel } from '../db/queries/hazard-roles.ts';
import { categoryRules } from '../db/queries/hazards.ts';
import { type LedgerFilter, ledgerRows } from '../db/queries/ledger.ts';
import { officeStaff } from '../db/queries/org.ts';
import { childTenants, type Tenant } from '../db/queries/tenants.ts';
import { headedUnits } from '../db/queries/units.ts';
import { STATUS_LABEL } from './hazard-rules.ts';
import type { HazardStatus } from './hazard-workflow.ts';
import { schoolNamed } from './level-flows/access.ts';
import { capped, TEXT_LIMITS } from './text-limits.ts';
import { formatDateTime } from './time.ts';

const STATUS_WORDS: Record<string, HazardStatus[]> = {
  已上报: ['reported'],
  待受理: ['reported'],
  已受理: ['accepted'],
  整改中: ['accepted', 'rectifying'],
  待复查: ['pending_review'],
  已销号: ['closed'],
  已驳回: ['rejected'],
};

/**
 * `隐患台账 学校 <名称>`: the school of the bureau the office or a leader asks for (read only). Anyone else,
 * or a name that is not one of the tenant's schools, is refused; a school has no schools.
 */
async function schoolAsked(
  ctx: MessageContext,
  words: string[],
  seesAll: boolean,
): Promise<Tenant | undefined> {
  const at = words.findIndex(
    (word) => word === '学校' || word.startsWith('学校：') || word.startsWith('学校:'),
  );
  if (at < 0) return undefined;
  const inline = words[at]!.replace(/^学校[：:]?/, '');
  const name = inline || words[at + 1];
  words.splice(at, inline ? 1 : 2);
  const schools = await childTenants(ctx.db, ctx.tenant.id);
  if (schools.length === 0) throw new Refusal('本单位没有所辖学校，不能查看其他学校的隐患台账。');
  if (!seesAll) throw new Refusal('只有领导小组办公室和单位领导可以查看所辖学校的隐患台账。');
  const list = schools.map((school) => school.name).join('、');
  if (!name) throw new Refusal(`请写明学校名称，例如：隐患台账 学校 ${schools[0]!.name}。所辖学校：${list}`);
  const school = schoolNamed(schools, name);
  if (!school) throw new Refusal(`“${name}”不是本单位所辖学校。所辖学校：${list}`);
  return school;
}

export async function hazardLedger(ctx: MessageContext): Promise<void> {
  const { db, actor, now } = ctx;
  const words = ctx.args.split(/[\s,，]+/).filter(Boolean);
  const seesAll =
    (await officeStaff(db, ctx.tenant.id)).some((person) => person.id === actor.id) ||
    (await holdersAtLevel(db, ctx.tenant.id, ['first', 'direct'])).some((person) => person.id === actor.id);
  const school = await schoolAsked(ctx, words, seesAll);
  const tenant = school ?? ctx.tenant;
  const filter: LedgerFilter = {};
  const categoryNames = (await categoryRules(db, tenant.id)).map((rule) => rule.name);
  const keywords: string[] = [];
  for (const word of words) {
    if (word === '超期' || word === '逾期') filter.overdue = true;
    else if (word === '挂牌' || word === '挂牌督办') filter.listed = true;
    else if (word === '全部') filter.includeClosed = true;
    else if (Object.hasOwn(STATUS_WORDS, word))
      filter.statuses = [...(filter.statuses ?? []), ...STATUS_WORDS[word]!];
    else {
      const category = categoryNames.find((name) => name.includes(word));
      if (category) filter.categoryName = category;
      else keywords.push(capped(word, TEXT_LIMITS.place, '关键词'));
    }
  }
  if (keywords.length > 0) {
    filter.keywords = keywords;
    // Looking something up means "was it ever reported": closed ones too, unless a state is named.
    if (!filter.statuses) filter.includeClosed = true;
  }
  const units = seesAll ? [] : await headedUnits(db, actor.id);
  let scope = school ? school.name : '全校';
  if (!seesAll && units.length > 0) {
    filter.unitIds = units.map((unit) => unit.id);
    scope = units.map((unit) => unit.name).join('、');
  } else if (!seesAll) {
    filter.personId = actor.id;
    scope = '我上报或负责整改的';
  }
  const { rows, total } = await ledgerRows(db, tenant.id, filter, now);
  const lines = rows.map(({ hazard, unitName }) => {
    const overdue =
      hazard.deadline && hazard.deadline < now && !['closed', 'rejected'].includes(hazard.status);
    const deadline = hazard.deadline
      ? `期限 ${formatDateTime(hazard.deadline, tenant.timezone).slice(5, 10)}`
      : '';
    return [
      `${hazard.code}｜${STATUS_LABEL[hazard.status]}｜${unitName ?? '未分派'}`,
      deadline && `${deadline}${overdue ? '（超期）' : ''}`,
      hazard.listed ? '【挂牌】' : '',
      Array.from(hazard.description).length > 24
        ? `${Array.from(hazard.description).slice(0, 24).join('')}…`
        : hazard.description,
    ]
      .filter(Boolean)
      .join(' ');
  });
  ctx.reply({
    kind: 'card',
    card: listCard(`隐患台账（${scope}）`, 'blue', [
      fields([
        [
          '筛选',
          words.filter((word) => !keywords.includes(word)).join('、') ||
            (keywords.length > 0 ? '' : '未销号的隐患'),
        ],
        [
          '关键词',
          keywords.length > 0 ? `${keywords.join('、')}（查找隐患描述和地点，含已销号）` : undefined,
        ],
        ['共', `${total} 条`],
      ]),
      text(
        lines.length > 0
          ? lines.join('\n')
          : keywords.length > 0
            ? `没有找到描述或地点含“${keywords.join('”“')}”的隐患。`
            : '没有符合条件的隐患。',
      ),
      total > rows.length &&
        note(`仅显示前 ${rows.length} 条。完整台账可在网页控制台导出，或运行 npm run ledger:export。`),
      note('查看单条：隐患 YH-…。可加条件：超期、挂牌、整改中、待复查、已销号、全部、类别名，或关键词。'),
    ]),
  });
}
