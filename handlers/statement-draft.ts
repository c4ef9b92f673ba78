// A person's 述职述安 report of a year as the console shows it: the draft written from the records (with
// the accidents of what they answer for: the whole school for its 第一责任人, the units they lead or head,
// else those naming them), and the version the office saved over it, if any.
import type { Queryable } from '../db/client.ts';
import { type Leader, statementRecords } from '../db/queries/reports.ts';
import { type StatementScope, statementDraft } from '../db/queries/statements.ts';
import type { Tenant } from '../db/queries/tenants.ts';
import { ACCIDENT_KIND_LABELS, ACCIDENT_SEVERITY_LABELS } from './accident-rules.ts';
import { accidentsWithParties, type Party, responsibleUnits } from './accidents.ts';
import { isoDateIn } from './calendar.ts';
import { yearSpan } from './reports.ts';
import { type StatementAccident, statementText } from './statement.ts';

/** The year's accidents the person answers for, oldest first, as the report tells them. */
async function accidentsOf(
  db: Queryable,
  tenant: Tenant,
  personId: number,
  scope: StatementScope | undefined,
  span: { from: Date; to: Date },
): Promise<StatementAccident[]> {
  const unitIds = new Set(scope?.kind === 'units' ? scope.units.map((unit) => unit.id) : []);
  const answersFor = (parties: Party[]) =>
    scope?.kind === 'whole' ||
    parties.some((party) => party.personId === personId) ||
    [...responsibleUnits(parties)].some((unitId) => unitIds.has(unitId));
  return (await accidentsWithParties(db, tenant.id, span))
    .filter(({ parties }) => answersFor(parties))
    .map(({ accident }) => accident)
    .reverse()
    .map((accident) => ({
      date: isoDateIn(accident.occurredAt, tenant.timezone),
      kind: ACCIDENT_KIND_LABELS[accident.kind],
      place: accident.place,
      severity: ACCIDENT_SEVERITY_LABELS[accident.severity],
      summary: accident.summary,
    }));
}

/** The generated draft, the saved version (if any) and the text to show: the saved one first. */
export async function statementFor(db: Queryable, tenant: Tenant, person: Leader, year: number, now: Date) {
  const span = yearSpan(year, tenant.timezone);
  const records = await statementRecords(db, tenant.id, person.id, span);
  const accidents = await accidentsOf(db, tenant, person.id, records.scope, span);
  const generated = statementText(person, year, records, tenant.timezone, { now, accidents });
  const saved = await statementDraft(db, tenant.id, person.id, year);
  return { generated, saved, text: saved?.text ?? generated };
}
