// Pure rules of hazards: category inference from free text, status names, human ids.

export interface CategoryRoute {
  unitId: number;
  position: number;
  scope: string | null;
  keywords: string[];
}

export interface CategoryRule {
  id: number;
  name: string;
  keywords: string[];
  routes: CategoryRoute[];
}

export interface Inference {
  categoryId: number;
  unitId: number;
  matched: string[];
}

const hits = (text: string, keywords: string[]) =>
  keywords.filter((keyword) => keyword && text.includes(keyword));
/** A longer keyword is stronger evidence than a short one (灭火器 vs 火). */
const score = (matched: string[]) => matched.reduce((sum, keyword) => sum + keyword.length, 0);

/**
 * Infers the category of a report by its keywords, and within the category the unit whose own keywords
 * match best (e.g. 食品配送 → 安保处, 食堂卫生 → 总务处); the category's first unit otherwise.
 */
export function inferCategory(text: string, rules: CategoryRule[]): Inference | undefined {
  let best: { rule: CategoryRule; matched: string[]; score: number } | undefined;
  for (const rule of rules) {
    const routeKeywords = rule.routes.flatMap((route) => route.keywords);
    const matched = [...new Set([...hits(text, rule.keywords), ...hits(text, routeKeywords)])];
    const value = score(matched);
    if (value > 0 && (!best || value > best.score)) best = { rule, matched, score: value };
  }
  if (!best) return undefined;
  const routes = [...best.rule.routes].sort((a, b) => a.position - b.position);
  let unit = routes[0];
  let unitScore = 0;
  for (const route of routes) {
    const value = score(hits(text, route.keywords));
    if (value > unitScore) {
      unit = route;
      unitScore = value;
    }
  }
  return unit && { categoryId: best.rule.id, unitId: unit.unitId, matched: best.matched };
}

export const STATUS_LABEL = {
  reported: '已上报',
  accepted: '已受理',
  rectifying: '整改中',
  pending_review: '待复查',
  closed: '已销号',
  rejected: '已驳回',
} as const;

export const SEVERITY_LABEL = { general: '一般', major: '较大', grave: '重大' } as const;

/**
 * YH-JSZX-2026-0042: the hazard's human id, numbered per tenant and year, with the tenant's prefix
 * (`tenants.hazard_prefix`, unique across tenants) so that a number names one hazard in the whole system.
 * Hazards numbered before issue 19 keep their YH-2026-0042.
 */
export const hazardCode = (prefix: string, year: number, sequence: number) =>
  `YH-${prefix}-${year}-${String(sequence).padStart(4, '0')}`;

/** A hazard number in either form: YH-2026-0042 (before issue 19) or YH-<prefix>-2026-0042. */
const HAZARD_CODE = /\b(YH-(?:[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*-)?\d{4}-\d{1,6})\b/i;

export type Severity = keyof typeof SEVERITY_LABEL;
const SEVERITY_OF: Record<string, Severity> = { 一般: 'general', 较大: 'major', 重大: 'grave' };

/** Parses a severity word (一般/较大/重大, or general/major/grave). */
export function parseSeverity(value: string): Severity | undefined {
  const trimmed = value.trim();
  // Own words only: `toString` is in every object.
  if (Object.hasOwn(SEVERITY_OF, trimmed)) return SEVERITY_OF[trimmed];
  return ['general', 'major', 'grave'].includes(trimmed) ? (trimmed as Severity) : undefined;
}

export interface ParsedReport {
  description: string;
  place?: string;
  severity?: Severity;
  /** A category named explicitly (类别：…), to match against the tenant's categories by name. */
  category?: string;
}

/** Campus place nouns: what a report's place starts with, and what two reports of one place share. */
const PLACE_NOUNS =
  '教学楼|实验楼|行政楼|办公楼|综合楼|科技楼|宿舍楼|宿舍|食堂|餐厅|图书馆|体育馆|礼堂|报告厅|操场|运动场|' +
  '篮球场|足球场|校门|大门|门卫室|车棚|停车场|配电房|配电间|锅炉房|厕所|卫生间|走廊|楼梯|围墙|实验室|机房|' +
  '音乐室|美术室|医务室|仓库|地下室|天台|泳池|游泳池|冷库|厨房';

const FLOOR = /[A-Za-z\d一二三四五六七八九十]+(?:号楼|栋|楼|层)/g;
const SIDE = /东侧|西侧|南侧|北侧|东面|西面|南面|北面|东边|西边|南边|北边|门口|后门|前门|侧门|楼梯口/g;
const wordsOf = (text: string, pattern: RegExp) =>
  new Set([...text.matchAll(pattern)].map((match) => match[0]));

/** The place words of a report (食堂; 三楼; 东侧), from its place and its description. */
export function placeWords(text: string) {
  return {
    nouns: wordsOf(text, new RegExp(`(?:${PLACE_NOUNS})`, 'g')),
    floors: wordsOf(text, FLOOR),
    sides: wordsOf(text, SIDE),
  };
}

const meet = (a: Set<string>, b: Set<string>) => [...a].some((word) => b.has(word));
const agree = (a: Set<string>, b: Set<string>) => a.size === 0 || b.size === 0 || meet(a, b);

/**
 * Whether two reports name the same place: a place noun in common (食堂), and no disagreement where both
 * say a floor (三楼 ≠ 四楼) or a side (东侧 ≠ 西侧). A hint to the unit head, never a verdict.
 */
export function samePlace(a: string, b: string): boolean {
  const [x, y] = [placeWords(a), placeWords(b)];
  return meet(x.nouns, y.nouns) && agree(x.floors, y.floors) && agree(x.sides, y.sides);
}

/** Words that say something is wrong (坏了, 过期, 松动 …): half of what makes a text read like a hazard. */
const FAULT =
  /坏|损坏|破损|破裂|破了|漏|裂|断了|断裂|折断|松动|脱落|掉落|掉了|失灵|失效|过期|堵塞|堵住|倾斜|生锈|锈蚀|不亮|不能用|不好用|不灵|故障|隐患|危险|缺失|丢失|积水|变质|发霉|老化|冒烟|异味|起火|着火|短路|坍塌|塌陷|摇晃|晃动|翘起|卡住|打不开|关不上|锁不上|没人管|无人值守|乱停|拥堵|异物|超员|违规|私拉|乱接/;
const GREETING =
  /^(?:你好|您好|大家好|老师好|早上好|上午好|中午好|下午好|晚上好|早安|晚安|谢谢|多谢|辛苦了?|好的|收到|嗯|哈喽|hi|hello)[\s!！。.，,~～]*/i;

/**
 * Whether a text with no command reads like a hazard report, so the bot offers to file it: it names
 * something of the tenant's category table (a category keyword) *and* says something is wrong (a fault
 * word), and it is not a question. Conservative on purpose: a missed offer costs a retyped 报隐患, a
 * wrong one costs trust. A greeting alone never qualifies; a greeting followed by a report does.
 */
export function readsLikeHazard(text: string, rules: CategoryRule[]): boolean {
  const rest = text.trim().replace(GREETING, '').trim();
  const length = Array.from(rest).length;
  if (length < 5) return false;
  if (/[?？]\s*$|[吗呢么]\s*[。.!！~～]*$/.test(rest)) return false;
  if (/^(?:请问|怎么|如何|为什么|能不能|可以|是否)/.test(rest)) return false;
  return FAULT.test(rest) && inferCategory(rest, rules) !== undefined;
}

const FIELD = /(地点|位置|类别|分类|程度|严重程度|等级)\s*[:：]\s*([^\s，,。；;]+)/g;
/**
 * A campus place at the start of a report (教学楼三楼东侧…, 食堂后门…): a known place word, then an
 * optional floor and side. Anything less certain is asked for, not guessed.
 */
const LEADING_PLACE = new RegExp(
  `^((?:${PLACE_NOUNS})` +
    '(?:[A-Za-z\\d一二三四五六七八九十]+(?:号楼|栋|楼|层))?' +
    '(?:东侧|西侧|南侧|北侧|东面|西面|南面|北面|东边|西边|南边|北边|门口|后门|前门|侧门|楼梯口|走廊)?)',
);

/**
 * Reads the fields of a report: explicit `地点：… 程度：… 类别：…` anywhere, a severity word standing
 * alone (一般/较大/重大隐患), and otherwise a place at the start of the description.
 */
export function parseReport(text: string): ParsedReport {
  const report: ParsedReport = { description: '' };
  let rest = text.replace(FIELD, (_match, key: string, value: string) => {
    if (key === '地点' || key === '位置') report.place = value;
    else if (key === '类别' || key === '分类') report.category = value;
    else report.severity = parseSeverity(value.replace(/隐患$/, '')) ?? report.severity;
    return ' ';
  });
  const standalone = /(?:^|[\s，,。；;])(一般|较大|重大)(?:隐患)?(?=$|[\s，,。；;])/.exec(rest);
  if (!report.severity && standalone) {
    report.severity = SEVERITY_OF[standalone[1]!];
    rest = rest.replace(standalone[0], ' ');
  }
  report.description = rest
    .replace(/\s+/g, ' ')
    .replace(/^[\s，,。；;]+|[\s，,；;]+$/g, '')
    .trim();
  if (!report.place) report.place = LEADING_PLACE.exec(report.description)?.[1];
  return report;
}

/** A hazard number (either form) inside a command's arguments, and what follows it. */
export function hazardCodeIn(text: string): { code: string; rest: string } | undefined {
  const match = HAZARD_CODE.exec(text);
  if (!match) return undefined;
  return { code: match[1]!.toUpperCase(), rest: text.slice(match.index + match[0].length).trim() };
}

/** The largest 整改资金 a hazard records (numeric(12,2) holds less than 10^10 yuan). */
export const MAX_FUNDS = 9_999_999_999.99;

/**
 * 整改资金 as written (`3000`, `3,000`, `1250.5元`, `1.2万`): yuan, at most two decimals; undefined when it is
 * not an amount or out of range.
 */
export function parseFunds(value: string): number | undefined {
  const match = /^([0-9][0-9,，]*(?:\.[0-9]+)?)\s*(万)?\s*元?$/.exec(value.trim());
  if (!match) return undefined;
  const digits = match[1]!.replace(/[,，]/g, '');
  const yuan = Number(digits) * (match[2] ? 10_000 : 1);
  const cents = Math.round(yuan * 100);
  if (!Number.isFinite(yuan) || Math.abs(cents - yuan * 100) > 1e-6 || yuan > MAX_FUNDS) return undefined;
  return cents / 100;
}

/** `3000` → `3,000 元`, `1250.5` → `1,250.50 元`. */
export function fundsText(yuan: number): string {
  const whole = Number.isInteger(yuan);
  return `${yuan.toLocaleString('en-US', { minimumFractionDigits: whole ? 0 : 2, maximumFractionDigits: 2 })} 元`;
}
