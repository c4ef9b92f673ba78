// An accident as the console's form records it, for tests that need one in the register.
import type { NewAccident } from '../../db/queries/accidents.ts';

/** A responsible, general accident with no confidential details; `fields` names what the test is about. */
export function accidentInput(
  fields: Pick<NewAccident, 'kind' | 'occurredAt' | 'place' | 'summary' | 'unitIds'> & Partial<NewAccident>,
): Omit<NewAccident, 'reportDueAt'> {
  return {
    severity: 'general',
    students: 1,
    staff: 0,
    injured: 0,
    deaths: 0,
    responsible: true,
    injuredNames: '',
    handling: '',
    followUp: '',
    reportedAt: null,
    reportedTo: null,
    postIds: [],
    ...fields,
  };
}
