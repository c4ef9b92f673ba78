import { describe, expect, it } from 'vitest';
import {
  type CategoryRule,
  fundsText,
  hazardCode,
  hazardCodeIn,
  inferCategory,
  parseFunds,
} from '../handlers/hazard-rules.ts';
import { submitFieldsOf } from '../handlers/hazards/inputs.ts';

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

describe('整改资金', () => {
  it('reads an amount in yuan, and nothing that is not one', () => {
    expect(parseFunds('3000')).toBe(3000);
    expect(parseFunds('3,000')).toBe(3000);
    expect(parseFunds('1250.5元')).toBe(1250.5);
    expect(parseFunds('1.2万')).toBe(12000);
    for (const bad of ['三千', '-5', '1e5', '12.345', '99999999999', '', '3000美元'])
      expect(parseFunds(bad), bad).toBeUndefined();
    expect(fundsText(3000)).toBe('3,000 元');
    expect(fundsText(1250.5)).toBe('1,250.50 元');
  });

  it('takes 资金 <金额> from anywhere in 整改完成, the rest being the measures', () => {
    expect(submitFieldsOf('已更换灭火器 资金 3000')).toEqual({ measures: '已更换灭火器', funds: '3000' });
    expect(submitFieldsOf('整改资金：1.2万 已加固围墙')).toEqual({ measures: '已加固围墙', funds: '1.2万' });
    expect(submitFieldsOf('已更换灭火器')).toEqual({ measures: '已更换灭火器' });
  });
});
