// The kinds of recurring duties (DOMAIN §3), as people write them in Chinese.
/** The kinds of obligations; db/schema.ts builds its enum from this list. */
export const OBLIGATION_KINDS = [
  'meeting',
  'inspection',
  'supervision',
  'drill',
  'report',
  'visit',
  'plan',
  'annual_report',
] as const;
export type ObligationKind = (typeof OBLIGATION_KINDS)[number];

/** Whose an obligation's records are: the holder's own unit, or the whole school. */
export type ObligationScope = 'own' | 'school';

export const KIND_WORDS = {
  会议: 'meeting',
  检查: 'inspection',
  督查: 'supervision',
  演练: 'drill',
  报告: 'report',
  调研: 'visit',
  计划: 'plan',
  述职: 'annual_report',
} as const satisfies Record<string, ObligationKind>;

export const KIND_LABEL: Record<ObligationKind, string> = {
  meeting: '会议',
  inspection: '检查',
  supervision: '督查',
  drill: '演练',
  report: '报告',
  visit: '调研',
  plan: '计划',
  annual_report: '述职',
};

/** How a tenant calls its whole organization, for school-wide obligations: 全校, or 全局 for a bureau. */
export const wholeWord = (tenantKind: string) => (tenantKind === 'bureau' ? '全局' : '全校');
