// The accident register's rules and the scored assessment's arithmetic (issue 20 §4-5): which accident
// proposes which 一票否决, an item's points, the score and the 等次, and the scheme in the org file.
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_ASSESSMENT,
  type ItemScore,
  itemPoints,
  proposedVeto,
  scoreOf,
} from '../handlers/accident-rules.ts';
import { settingsSchema, tenantSettings } from '../handlers/settings.ts';

const item = (key: string) => DEFAULT_ASSESSMENT.items.find((one) => one.key === key)!;
const scored = (points: (number | null)[]): ItemScore[] =>
  DEFAULT_ASSESSMENT.items.map((one, index) => ({
    key: one.key,
    name: one.name,
    weight: one.weight,
    measure: null,
    computed: points[index] ?? null,
    points: points[index] ?? null,
  }));

describe('accident rules', () => {
  it('proposes 一票否决 only for a 八杜绝 kind with someone responsible; 重大 and above as 重大安全事故', () => {
    expect(proposedVeto({ kind: 'fire', severity: 'general', responsible: true })).toBe('eight_never');
    expect(proposedVeto({ kind: 'drowning', severity: 'grave', responsible: true })).toBe('grave_accident');
    expect(proposedVeto({ kind: 'stampede', severity: 'especially_grave', responsible: true })).toBe(
      'grave_accident',
    );
    expect(proposedVeto({ kind: 'fire', severity: 'grave', responsible: false })).toBeUndefined();
    expect(proposedVeto({ kind: 'other', severity: 'grave', responsible: true })).toBeUndefined();
  });

  it('gives an item its share of the weight, accidents taking per_accident% each', () => {
    expect(itemPoints(item('duties'), { done: 3, of: 4 })).toBe(22.5);
    expect(itemPoints(item('duties'), { done: 0, of: 0 })).toBeNull();
    expect(itemPoints(item('duties'), null)).toBeNull();
    expect(itemPoints(item('accidents'), { done: 0, of: 0 })).toBe(20);
    expect(itemPoints(item('accidents'), { done: 1, of: 0 })).toBe(10);
    expect(itemPoints(item('accidents'), { done: 3, of: 0 })).toBe(0);
  });

  it('scales the score over the items measured; 一票否决 is 不合格 whatever the score', () => {
    expect(scoreOf(DEFAULT_ASSESSMENT, scored([30, 30, 10, 10, 20]), false)).toEqual({
      score: 100,
      grade: 'excellent',
    });
    // Only duties (15 of 30) and accidents (20 of 20) measured: 35 of 50 → 70.
    expect(scoreOf(DEFAULT_ASSESSMENT, scored([15, null, null, null, 20]), false)).toEqual({
      score: 70,
      grade: 'pass',
    });
    expect(scoreOf(DEFAULT_ASSESSMENT, scored([0, 0, null, null, 20]), false).grade).toBe('fail');
    expect(scoreOf(DEFAULT_ASSESSMENT, scored([30, 30, 10, 10, 20]), true)).toEqual({
      score: 100,
      grade: 'fail',
    });
  });

  it('takes the scheme and the report hours from the org file, with the defaults otherwise', () => {
    expect(tenantSettings({}).assessment).toEqual(DEFAULT_ASSESSMENT);
    expect(tenantSettings({}).accident_report_hours).toBe(1);
    const own = settingsSchema.parse({
      accident_report_hours: 2,
      assessment: {
        items: [{ key: 'accidents', name: '事故', source: 'accidents', weight: 100 }],
        grades: { excellent: 95, pass: 70 },
      },
    });
    expect(own.assessment.items).toHaveLength(1);
    expect(own.accident_report_hours).toBe(2);
    const refused = settingsSchema.safeParse({
      assessment: { items: DEFAULT_ASSESSMENT.items, grades: { excellent: 60, pass: 90 } },
    });
    expect(refused.success).toBe(false);
    const twice = settingsSchema.safeParse({
      assessment: { items: [item('duties'), item('duties')], grades: { excellent: 90, pass: 60 } },
    });
    expect(twice.success).toBe(false);
  });
});
