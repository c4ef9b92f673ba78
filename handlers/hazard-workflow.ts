// The hazard state machine (004 §一(二): 排查 → 记录 → 整改 → 复查 → 销号) and who may do each step.
// Pure: the handlers ask it, then write what it allows.

/** The states of a hazard; db/schema.ts builds its enum from this list. */
export const HAZARD_STATUSES = [
  'reported',
  'accepted',
  'rectifying',
  'pending_review',
  'closed',
  'rejected',
] as const;
export type HazardStatus = (typeof HAZARD_STATUSES)[number];

/**
 * Where a hazard came from (隐患来源 of the 隐患排查治理台账): a report from a member, a failing item of
 * an inspection round, a 督查 visit by the level above, or a matter the level above handed down.
 */
export const HAZARD_ORIGINS = ['report', 'inspection', 'supervision', 'assigned'] as const;
export type HazardOrigin = (typeof HAZARD_ORIGINS)[number];
export const HAZARD_ORIGIN_LABELS: Record<HazardOrigin, string> = {
  report: '上报',
  inspection: '检查',
  supervision: '督查',
  assigned: '上级交办',
};

/** What a person is to one hazard; computed from the organization (db/queries/hazard-roles.ts). */
export type HazardRole =
  | 'unitHead' // head of the responsible unit (处室负责人)
  | 'office' // the leading group's office (安全办公室)
  | 'rectifier' // the person rectifying it
  | 'inspector' // may re-inspect: the office or the inspection group (leading group)
  | 'directLeader' // 直接责任人: a leader supervising the unit (分管领导)
  | 'leader' // 第一责任人 or 直接责任人 of the tenant: may list a hazard for supervision
  | 'officeAccount'; // the office's web-console account in its own name: lists for supervision (DOMAIN §8)

export type HazardAction =
  | 'accept'
  | 'reject'
  | 'assign'
  | 'submit'
  | 'pass'
  | 'fail'
  | 'requestExtension'
  | 'decideExtension'
  | 'list'
  | 'complete'
  | 'duplicate';

const OPEN: HazardStatus[] = ['reported', 'accepted', 'rectifying', 'pending_review'];
/** The states a hazard is still being worked on in: every one of them is chased (jobs/hazard-deadlines.ts). */
export const OPEN_STATUSES: readonly HazardStatus[] = OPEN;
const UNDER_RECTIFICATION: HazardStatus[] = ['accepted', 'rectifying'];

interface Rule {
  from: HazardStatus[];
  /** The state after the step; undefined keeps the state (assign, extension, listing). */
  to?: HazardStatus;
  roles: HazardRole[];
}

export const RULES: Record<HazardAction, Rule> = {
  accept: { from: ['reported'], to: 'accepted', roles: ['unitHead', 'office'] },
  reject: { from: ['reported', 'accepted', 'rectifying'], to: 'rejected', roles: ['unitHead', 'office'] },
  assign: { from: ['reported', ...UNDER_RECTIFICATION], roles: ['unitHead', 'office'] },
  submit: { from: UNDER_RECTIFICATION, to: 'pending_review', roles: ['rectifier', 'unitHead'] },
  pass: { from: ['pending_review'], to: 'closed', roles: ['inspector'] },
  fail: { from: ['pending_review'], to: 'rectifying', roles: ['inspector'] },
  requestExtension: { from: UNDER_RECTIFICATION, roles: ['rectifier', 'unitHead'] },
  decideExtension: { from: UNDER_RECTIFICATION, roles: ['directLeader'] },
  list: { from: OPEN, roles: ['leader', 'officeAccount'] },
  complete: { from: OPEN, roles: ['unitHead', 'office'] },
  /** Marked a duplicate of another open hazard: closed as rejected, linked to it, counted once. */
  duplicate: { from: ['reported', 'accepted', 'rectifying'], to: 'rejected', roles: ['unitHead', 'office'] },
};

export type Verdict =
  | { ok: true; to: HazardStatus | undefined }
  | { ok: false; why: 'state' | 'role' | 'own-rectification' };

/**
 * Whether a person with these roles may take this step now. `rectifiedBy` is who submitted the
 * rectification: nobody re-inspects their own work (DOMAIN §4).
 */
export function decide(
  action: HazardAction,
  status: HazardStatus,
  roles: ReadonlySet<HazardRole>,
  context: { actorId: number; rectifierId?: number | null; rectifiedById?: number | null } = { actorId: 0 },
): Verdict {
  const rule = RULES[action];
  if (!rule.from.includes(status)) return { ok: false, why: 'state' };
  if (!rule.roles.some((role) => roles.has(role))) return { ok: false, why: 'role' };
  if (
    (action === 'pass' || action === 'fail') &&
    (context.actorId === context.rectifierId || context.actorId === context.rectifiedById)
  ) {
    return { ok: false, why: 'own-rectification' };
  }
  return { ok: true, to: rule.to };
}

export const isOpen = (status: HazardStatus) => OPEN.includes(status);

export const ACTION_LABEL: Record<HazardAction, string> = {
  accept: '受理',
  reject: '驳回',
  assign: '指派整改人',
  submit: '提交整改',
  pass: '复查通过',
  fail: '复查不通过',
  requestExtension: '申请延期',
  decideExtension: '审批延期',
  list: '挂牌督办',
  complete: '补充信息',
  duplicate: '标记为重复',
};

export const ROLE_NEEDED: Record<HazardAction, string> = {
  accept: '责任处室负责人或安全办公室',
  reject: '责任处室负责人或安全办公室',
  assign: '责任处室负责人或安全办公室',
  submit: '整改责任人或责任处室负责人',
  pass: '安全办公室或检查组',
  fail: '安全办公室或检查组',
  requestExtension: '整改责任人或责任处室负责人',
  decideExtension: '分管该处室的领导（直接责任人）',
  list: '学校领导（第一责任人、直接责任人）',
  complete: '上报人、责任处室负责人或安全办公室',
  duplicate: '责任处室负责人或安全办公室',
};
