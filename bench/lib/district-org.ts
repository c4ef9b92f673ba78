// A district-sized organization for the benchmarks: an education bureau with its safety section and 200
// schools of 50 staff each (a principal and 49 teachers): 10,002 people, each reachable on Feishu and
// WeCom. Built as an organization file and imported the way `npm run org:import` imports one.
import { type OrgFile, orgFileSchema } from '../../handlers/org-file.ts';

export const DISTRICT_TENANT = 'bench-district';
export const SCHOOLS = 200;
export const STAFF_PER_SCHOOL = 50;
/** The bureau's 局长 (第一责任人), who starts the 责任书 round. */
export const CHIEF = { code: 'ju-zhang-ren', openId: 'ou_bench_chief', wecom: 'bench_chief' };

const pad = (n: number) => String(n).padStart(3, '0');
export const openIdOf = (index: number) => `ou_bench_${index}`;
export const wecomIdOf = (index: number) => `bench_${index}`;

/** The district's organization; `count` schools (fewer for a scaled-down copy in tests). */
export function districtOrg(count = SCHOOLS): OrgFile {
  const schools = Array.from({ length: count }, (_, s) => s + 1);
  const people: Record<string, unknown>[] = [
    {
      code: CHIEF.code,
      name: '区局局长',
      posts: ['ju-zhang'],
      feishu: { open_id: CHIEF.openId },
      wecom: { userid: CHIEF.wecom },
    },
    { code: 'ke-zhang-ren', name: '安全科科长', posts: ['an-quan-ke-zhang'] },
  ];
  let index = 0;
  for (const s of schools) {
    for (let i = 0; i < STAFF_PER_SCHOOL; i++) {
      index += 1;
      people.push({
        code: `p${index}`,
        name: `教职工${index}`,
        posts: [i === 0 ? `xiao-zhang-${pad(s)}` : `jiao-shi-${pad(s)}`],
        feishu: { open_id: openIdOf(index) },
        wecom: { userid: wecomIdOf(index) },
      });
    }
  }
  return orgFileSchema.parse({
    tenant: { code: DISTRICT_TENANT, name: '某区教育局（基准测试）', kind: 'bureau' },
    units: [
      { code: 'an-quan-ke', name: '安全科', safety_duties: ['全区教育系统安全工作的综合协调'] },
      ...schools.map((s) => ({ code: `school-${pad(s)}`, name: `第${pad(s)}学校` })),
    ],
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
      ...schools.flatMap((s) => [
        {
          code: `xiao-zhang-${pad(s)}`,
          title: '校长',
          unit: `school-${pad(s)}`,
          head_of_unit: true,
          level: '直接责任人',
          safety_duties: ['本校安全工作第一责任人'],
          obligations: [{ code: `jian-cha-${pad(s)}`, kind: '检查', title: '校园安全检查', cadence: '每月' }],
        },
        {
          code: `jiao-shi-${pad(s)}`,
          title: '教师',
          unit: `school-${pad(s)}`,
          safety_duties: ['本班学生安全教育与管理'],
        },
      ]),
    ],
    people,
    leading_group: { office: 'an-quan-ke', leader: ['ju-zhang'], office_director: ['an-quan-ke-zhang'] },
    categories: [
      { code: 'xiao-fang', name: '消防安全', keywords: ['灭火器', '消防'], units: [{ unit: 'an-quan-ke' }] },
    ],
  });
}
