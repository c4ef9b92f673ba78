// A district across levels for the benchmarks (issue 19): an education bureau and 200 school tenants of
// 50 staff each (a principal and 49 teachers; 10,002 people with the bureau's two), each school its own
// organization file naming the bureau (`tenant.bureau`), imported the way `npm run org:import` imports
// them. The bureau's ten 科室 members are contracted (分包) to twenty schools each and visit them
// (督查, twice a quarter).
import { type OrgFile, orgFileSchema } from '../../handlers/org-file.ts';

export const BUREAU_TENANT = 'bench-bureau';
export const SCHOOL_TENANTS = 200;
export const STAFF = 50;
export const CONTRACTORS = 10;

const pad = (n: number) => String(n).padStart(3, '0');
export const schoolCode = (s: number) => `bench-school-${pad(s)}`;
export const schoolName = (s: number) => `第${pad(s)}学校`;

export const CATEGORIES = [
  { code: 'xiao-fang', name: '消防安全', keywords: ['灭火器', '消防'] },
  { code: 'shi-pin', name: '食品安全', keywords: ['食堂', '食品'] },
  { code: 'xiao-she', name: '校舍设施', keywords: ['墙体', '栏杆'] },
];

/** The bureau: its office, its 局长, and the members contracted to the schools (`count` of them). */
export function bureauOrg(count = SCHOOL_TENANTS): OrgFile {
  const schools = Array.from({ length: count }, (_, i) => i + 1);
  const perMember = Math.ceil(count / CONTRACTORS);
  return orgFileSchema.parse({
    tenant: { code: BUREAU_TENANT, name: '某区教育体育局（基准测试）', kind: 'bureau' },
    schools: schools.map((s) => ({ code: schoolCode(s), name: schoolName(s) })),
    units: [{ code: 'an-quan-ke', name: '安全科', safety_duties: ['全区教育系统安全工作的综合协调'] }],
    posts: [
      {
        code: 'ju-zhang',
        title: '局长',
        level: '第一责任人',
        safety_duties: ['全区教育系统安全工作第一责任人'],
      },
      {
        code: 'an-quan-ke-zhang',
        title: '安全科科长',
        unit: 'an-quan-ke',
        head_of_unit: true,
        level: '直接责任人',
      },
      ...Array.from({ length: CONTRACTORS }, (_, m) => ({
        code: `fen-bao-${m + 1}`,
        title: `分包督查员${m + 1}`,
        unit: 'an-quan-ke',
        level: '岗位责任人',
        obligations: [
          {
            code: 'contracted-visits',
            kind: '督查',
            title: '分包学校专门督查',
            cadence: '每季度',
            min: 2,
            schools: schools.slice(m * perMember, (m + 1) * perMember).map(schoolName),
          },
        ],
      })),
    ],
    people: [
      {
        code: 'bureau-chief',
        name: '区局局长',
        posts: ['ju-zhang'],
        feishu: { open_id: 'ou_bench_bureau_chief' },
      },
      {
        code: 'bureau-office',
        name: '安全科科长',
        posts: ['an-quan-ke-zhang', ...Array.from({ length: CONTRACTORS }, (_, m) => `fen-bao-${m + 1}`)],
        feishu: { open_id: 'ou_bench_bureau_office' },
      },
    ],
    leading_group: { office: 'an-quan-ke', leader: ['ju-zhang'], office_director: ['an-quan-ke-zhang'] },
    categories: CATEGORIES.map((category) => ({ ...category, units: [{ unit: 'an-quan-ke' }] })),
  });
}

/** School `s` (1-based): a principal with a monthly inspection, 49 teachers with a quarterly meeting. */
export function schoolOrg(s: number): OrgFile {
  return orgFileSchema.parse({
    tenant: { code: schoolCode(s), name: schoolName(s), kind: 'school', bureau: BUREAU_TENANT },
    units: [
      { code: 'xiao-ban', name: '校长办公室' },
      { code: 'zong-wu', name: '总务处' },
    ],
    posts: [
      {
        code: 'xiao-zhang',
        title: '校长',
        unit: 'xiao-ban',
        head_of_unit: true,
        level: '第一责任人',
        safety_duties: ['本校安全工作第一责任人'],
        obligations: [{ code: 'jian-cha', kind: '检查', title: '校园安全检查', cadence: '每月' }],
      },
      {
        code: 'jiao-shi',
        title: '教师',
        unit: 'zong-wu',
        level: '岗位责任人',
        safety_duties: ['本班学生安全教育与管理'],
        obligations: [{ code: 'ban-hui', kind: '会议', title: '安全主题班会', cadence: '每季度' }],
      },
    ],
    people: Array.from({ length: STAFF }, (_, i) => ({
      code: `s${pad(s)}-p${i + 1}`,
      name: `教职工${s}-${i + 1}`,
      posts: [i === 0 ? 'xiao-zhang' : 'jiao-shi'],
      feishu: { open_id: `ou_bench_s${s}_p${i + 1}` },
    })),
    leading_group: { office: 'xiao-ban', leader: ['xiao-zhang'], office_director: ['xiao-zhang'] },
    categories: CATEGORIES.map((category) => ({ ...category, units: [{ unit: 'zong-wu' }] })),
  });
}
