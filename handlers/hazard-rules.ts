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

/** YH-2026-0042: the hazard's human id, numbered per tenant and year. */
export const hazardCode = (year: number, sequence: number) =>
  `YH-${year}-${String(sequence).padStart(4, '0')}`;
