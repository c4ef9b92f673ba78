// The order of the bureau's comparison (worst first, a rate with nothing to rate last) and the quarter
// before a quarter, as the 调度会 pack compares them.
import { describe, expect, it } from 'vitest';
import { compareOrderOf, orderSchools, type SchoolComparison } from '../handlers/bureau-compare.ts';
import { previousQuarterKey } from '../handlers/meeting-pack.ts';

const school = (name: string, values: Partial<SchoolComparison>): SchoolComparison => ({
  schoolId: name.length,
  name,
  open: 0,
  overdue: 0,
  listed: 0,
  dutiesMet: 0,
  dutiesMissed: 0,
  lettersIssued: 0,
  lettersSigned: 0,
  shiftSlots: 0,
  shiftConfirmed: 0,
  ...values,
});

const rows = [
  school('甲校', {
    open: 5,
    overdue: 1,
    dutiesMet: 9,
    dutiesMissed: 1,
    lettersIssued: 10,
    lettersSigned: 10,
  }),
  school('乙校', { open: 2, overdue: 3, dutiesMet: 1, dutiesMissed: 1 }),
  school('丙校', { open: 7, overdue: 1, listed: 2, lettersIssued: 4, lettersSigned: 1 }),
];
const names = (order: Parameters<typeof orderSchools>[1]) => orderSchools(rows, order).map((row) => row.name);

describe('the order of the comparison', () => {
  it('puts the most overdue first, then the most open', () => {
    expect(names('overdue')).toEqual(['乙校', '丙校', '甲校']);
    expect(names('open')).toEqual(['丙校', '甲校', '乙校']);
    expect(names('listed')).toEqual(['丙校', '甲校', '乙校']);
  });

  it('puts the lowest rate first and a school with nothing to rate last', () => {
    expect(names('duties')).toEqual(['乙校', '甲校', '丙校']);
    expect(names('letters')).toEqual(['丙校', '甲校', '乙校']);
  });

  it('takes only the orders it knows, overdue otherwise', () => {
    expect(compareOrderOf('letters')).toBe('letters');
    expect(compareOrderOf('toString')).toBe('overdue');
    expect(compareOrderOf(undefined)).toBe('overdue');
  });
});

describe('the quarter before', () => {
  it('steps back across the year', () => {
    expect(previousQuarterKey('2026-Q4')).toBe('2026-Q3');
    expect(previousQuarterKey('2026-Q1')).toBe('2025-Q4');
  });
});
