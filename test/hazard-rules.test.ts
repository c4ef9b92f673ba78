import { describe, expect, it } from 'vitest';
import { type CategoryRule, hazardCode, hazardCodeIn, inferCategory } from '../handlers/hazard-rules.ts';

const rules: CategoryRule[] = [
  {
    id: 1,
    name: '内部设施',
    keywords: ['漏水', '灭火器', '电'],
    routes: [
      { unitId: 10, position: 0, scope: '水电', keywords: [] },
      { unitId: 11, position: 1, scope: '消防', keywords: ['灭火器'] },
    ],
  },
  {
    id: 2,
    name: '食品卫生',
    keywords: ['食堂', '过期'],
    routes: [
      { unitId: 10, position: 0, scope: '卫生', keywords: ['卫生'] },
      { unitId: 11, position: 1, scope: '配送', keywords: ['配送', '送货'] },
    ],
  },
];

describe('category inference', () => {
  it('picks the category with the strongest keyword evidence', () => {
    expect(inferCategory('三楼卫生间漏水', rules)).toMatchObject({ categoryId: 1, unitId: 10 });
    expect(inferCategory('食堂的菜过期了', rules)).toMatchObject({ categoryId: 2, unitId: 10 });
  });

  it('routes within a category by the unit keywords (several offices per category)', () => {
    expect(inferCategory('走廊灭火器压力不足', rules)).toMatchObject({ categoryId: 1, unitId: 11 });
    expect(inferCategory('食堂配送车辆无证', rules)).toMatchObject({ categoryId: 2, unitId: 11 });
    expect(inferCategory('食堂卫生差', rules)).toMatchObject({ categoryId: 2, unitId: 10 });
  });

  it('returns nothing when no keyword matches (the office takes it)', () => {
    expect(inferCategory('有个东西不太对', rules)).toBeUndefined();
  });

  it('numbers hazards YH-prefix-year-sequence, and finds a number of either form in a command', () => {
    expect(hazardCode('JSZX', 2026, 42)).toBe('YH-JSZX-2026-0042');
    expect(hazardCode('JISHAN-SCHOOL', 2026, 12345)).toBe('YH-JISHAN-SCHOOL-2026-12345');
    expect(hazardCodeIn('受理 yh-jishan-school-2026-0042 措施 拉警戒线')).toEqual({
      code: 'YH-JISHAN-SCHOOL-2026-0042',
      rest: '措施 拉警戒线',
    });
    expect(hazardCodeIn('受理 YH-2026-0042')).toEqual({ code: 'YH-2026-0042', rest: '' });
    expect(hazardCodeIn('驳回 YH-SYXX-2026-0002 与 YH-SYXX2-2026-0001 重复')?.code).toBe('YH-SYXX-2026-0002');
  });
});
