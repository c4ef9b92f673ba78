// How the house names a party in words (vocabulary: imports nothing of the house): a console account
// acting in its own name (issue 14), and the 甲方 of a 责任书 (DOMAIN §3), which db/queries/letters.ts
// returns as a role code.

/** How the trail names an account: `安全办公室（后台账号 zhang）`. */
export const accountLabel = (account: { username: string; displayName: string }) =>
  `${account.displayName}（后台账号 ${account.username}）`;

/** Who signs a 责任书 with a post's holder. */
export const SIGNING_ROLES = [
  'first',
  'superior_government',
  'superior_education',
  'unit_head',
  'direct',
] as const;
export type SigningRole = (typeof SIGNING_ROLES)[number];

export const SIGNING_ROLE_LABEL: Record<SigningRole, string> = {
  first: '第一责任人',
  superior_government: '上级人民政府',
  superior_education: '上级教育行政部门',
  unit_head: '处室负责人',
  direct: '分管领导（直接责任人）',
};
