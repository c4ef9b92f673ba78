// The accident register's words and rules (DOMAIN §6, §6a): the 八杜绝 kinds of 004 §二(三) and 其他, the
// severities, which accident proposes 一票否决 (002 §四(一), 003 §七.3), and the scored year-end scheme
// (001 §三.4: 制度落实, 隐患排查治理, 事故) with its 等次 — all pure; the schema stores the lists.
import { z } from 'zod';

/** 004 §二(三) “八杜绝”, in the seed's order, and 其他 for what the eight do not name. */
export const ACCIDENT_KINDS = [
  'fire',
  'collapse',
  'traffic',
  'food_poisoning',
  'stampede',
  'epidemic',
  'drowning',
  'liability',
  'other',
] as const;
export type AccidentKind = (typeof ACCIDENT_KINDS)[number];

/** The seed's wording (004 §二(三)), one per kind. */
export const ACCIDENT_KIND_LABELS: Record<AccidentKind, string> = {
  fire: '火灾事故',
  collapse: '校舍房屋垮塌伤亡事故',
  traffic: '师生群体交通事故',
  food_poisoning: '食物中毒事故',
  stampede: '拥挤踩踏伤亡事故',
  epidemic: '流行病大面积传染事故',
  drowning: '学生溺水事故',
  liability: '校园责任事故、较大以上事故或影响恶劣的治安刑事案件',
  other: '其他事故或事件',
};

/** The short words an organization file names a kind by (`accident: 溺水`), or the English name. */
export const ACCIDENT_KIND_WORDS = {
  火灾: 'fire',
  垮塌: 'collapse',
  交通: 'traffic',
  食物中毒: 'food_poisoning',
  踩踏: 'stampede',
  传染病: 'epidemic',
  溺水: 'drowning',
  责任: 'liability',
  其他: 'other',
} as const satisfies Record<string, AccidentKind>;

/** 生产安全事故 grades (一般/较大/重大/特别重大). */
export const ACCIDENT_SEVERITIES = ['general', 'major', 'grave', 'especially_grave'] as const;
export type AccidentSeverity = (typeof ACCIDENT_SEVERITIES)[number];
export const ACCIDENT_SEVERITY_LABELS: Record<AccidentSeverity, string> = {
  general: '一般',
  major: '较大',
  grave: '重大',
  especially_grave: '特别重大',
};

export const isEightNever = (kind: AccidentKind) => kind !== 'other';

/**
 * 一票否决 of a unit (003 §七.3) — the four cases of the seed, and an accident of the 八杜绝 kinds with
 * responsibility (004 §二(三), §三(二); 002 §四(一)), proposed by the accident register.
 */
export const VETO_KINDS = [
  'grave_accident',
  'exceeded_target',
  'failed_assessment',
  'concealed',
  'eight_never',
] as const;
export type VetoKind = (typeof VETO_KINDS)[number];

export const VETO_LABEL: Record<VetoKind, string> = {
  grave_accident: '发生重大安全事故',
  exceeded_target: '超过事故控制指标',
  failed_assessment: '考核不合格',
  concealed: '瞒报谎报事故',
  eight_never: '发生“八杜绝”责任事故',
};

/**
 * The 一票否决 an accident proposes for its responsible units and people, or none: only an accident of a
 * 八杜绝 kind for which someone is responsible; 重大 and above is the seed's first case (003 §七.3 一).
 */
export function proposedVeto(accident: {
  kind: AccidentKind;
  severity: AccidentSeverity;
  responsible: boolean;
}): VetoKind | undefined {
  if (!accident.responsible || !isEightNever(accident.kind)) return undefined;
  return accident.severity === 'grave' || accident.severity === 'especially_grave'
    ? 'grave_accident'
    : 'eight_never';
}

export const PROPOSAL_STATUSES = ['pending', 'confirmed', 'dismissed'] as const;
export type ProposalStatus = (typeof PROPOSAL_STATUSES)[number];
export const PROPOSAL_STATUS_LABELS: Record<ProposalStatus, string> = {
  pending: '待确认',
  confirmed: '已确认',
  dismissed: '已驳回',
};

/** When an accident must have been reported to the level above. */
export const reportDueAt = (occurredAt: Date, hours: number) =>
  new Date(occurredAt.getTime() + hours * 3600_000);

// -------------------------------------------------------------------------------------------------
// The scored year-end assessment (issue 20 §5)

/** What an item of the scheme is measured by. */
export const ASSESSMENT_SOURCES = ['obligations', 'hazards', 'inspections', 'letters', 'accidents'] as const;
export type AssessmentSource = (typeof ASSESSMENT_SOURCES)[number];

const assessmentItem = z.strictObject({
  key: z.string().regex(/^[a-z][a-z0-9_]*$/, 'must be lower-case letters, digits and _'),
  name: z.string().min(1).max(40),
  source: z.enum(ASSESSMENT_SOURCES),
  weight: z.number().positive().max(100),
  /** accidents only: the share of the item's points each accident takes away (100: one accident, nothing). */
  per_accident: z.number().min(0).max(100).optional(),
});

export const assessmentSchema = z
  .strictObject({
    items: z.array(assessmentItem).min(1).max(12),
    /** 等次: 优秀 from `excellent` points, 合格 from `pass`; below, 不合格. 一票否决 is 不合格 whatever the score. */
    grades: z.strictObject({ excellent: z.number().min(0).max(100), pass: z.number().min(0).max(100) }),
  })
  .refine((scheme) => new Set(scheme.items.map((item) => item.key)).size === scheme.items.length, {
    message: 'item keys must be unique',
    path: ['items'],
  })
  .refine((scheme) => scheme.grades.pass <= scheme.grades.excellent, {
    message: 'pass must not be above excellent',
    path: ['grades'],
  });
export type AssessmentScheme = z.output<typeof assessmentSchema>;

/**
 * The default scheme, from 001 §三.4 (制度落实, 隐患排查治理, 分包学校事故发生) with the records the system
 * keeps for each: duties met, hazards handled on time, inspections done, 责任书 signed, accidents.
 * The weights and thresholds are ours (the seeds give none); the org file may set its own.
 */
export const DEFAULT_ASSESSMENT: AssessmentScheme = {
  items: [
    { key: 'duties', name: '制度落实（职责达标）', source: 'obligations', weight: 30 },
    { key: 'hazards', name: '隐患排查治理（按期整改）', source: 'hazards', weight: 30 },
    { key: 'inspections', name: '安全检查', source: 'inspections', weight: 10 },
    { key: 'letters', name: '责任书签订', source: 'letters', weight: 10 },
    { key: 'accidents', name: '事故控制', source: 'accidents', weight: 20, per_accident: 50 },
  ],
  grades: { excellent: 90, pass: 60 },
};

export const GRADES = ['excellent', 'pass', 'fail'] as const;
export type Grade = (typeof GRADES)[number];
export const GRADE_LABELS: Record<Grade, string> = { excellent: '优秀', pass: '合格', fail: '不合格' };

/** What a unit did, as parts of a whole: `done` of `of` (null `of`: nothing to measure). */
export interface Measure {
  done: number;
  of: number;
}

export interface ItemScore {
  key: string;
  name: string;
  weight: number;
  /** The measure the points come from (accidents: `done` is the count). */
  measure: Measure | null;
  /** Points from the records; null when there was nothing to measure. */
  computed: number | null;
  /** The office's adjustment, when there is one. */
  adjusted?: { points: number; reason: string };
  /** What counts: the adjustment, else the computed points. */
  points: number | null;
}

const round1 = (value: number) => Math.round(value * 10) / 10;

/** One item's points from its measure: the rate times the weight; accidents take `per_accident`% each. */
export function itemPoints(item: AssessmentScheme['items'][number], measure: Measure | null): number | null {
  if (item.source === 'accidents') {
    const count = measure?.done ?? 0;
    return round1(Math.max(0, item.weight * (1 - (count * (item.per_accident ?? 50)) / 100)));
  }
  if (!measure || measure.of === 0) return null;
  return round1((item.weight * Math.min(measure.done, measure.of)) / measure.of);
}

/**
 * The score out of 100: the items that had something to measure, their points scaled to their weights'
 * share (a unit with no duties is not marked down for them), and the 等次 — 不合格 under 一票否决.
 */
export function scoreOf(
  scheme: AssessmentScheme,
  items: ItemScore[],
  vetoed: boolean,
): { score: number | null; grade: Grade } {
  const counted = items.filter((item) => item.points !== null);
  const weight = counted.reduce((sum, item) => sum + item.weight, 0);
  const score =
    weight === 0 ? null : round1((counted.reduce((sum, item) => sum + (item.points ?? 0), 0) / weight) * 100);
  if (vetoed) return { score, grade: 'fail' };
  if (score === null) return { score, grade: 'pass' };
  const grade =
    score >= scheme.grades.excellent ? 'excellent' : score >= scheme.grades.pass ? 'pass' : 'fail';
  return { score, grade };
}
