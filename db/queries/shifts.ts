// Duty shifts (值班带班): the roster import, what the cards and commands show, and the duty log for the
// ledger. Every query is scoped to one tenant.
import { and, asc, eq, gt, gte, inArray, isNotNull, lte, or, type SQL, sql } from 'drizzle-orm';
import type { RosterPerson, RosterRow } from '../../handlers/roster-file.ts';
import { shiftSubject } from '../../handlers/shift-rules.ts';
import type { Db, Queryable } from '../client.ts';
import { auditEvents, people, shiftAssignees, shiftLogs, shiftSwaps, shifts, tenants } from '../schema.ts';
import { personNames } from './people.ts';

/** The tenant's shifts whose local date lies in [from, to]. */
export const shiftsDated = (tenantId: number, from: string, to: string) =>
  and(eq(shifts.tenantId, tenantId), gte(shifts.date, from), lte(shifts.date, to));

export type Shift = typeof shifts.$inferSelect;
export type ShiftSwap = typeof shiftSwaps.$inferSelect;

export interface ShiftPerson {
  id: number;
  code: string;
  name: string;
  confirmedAt: Date | null;
}

export interface ShiftSwapView extends ShiftSwap {
  fromName: string;
  toName: string;
}

/** A shift with the names it shows: its people and their confirmations, its leader, its swaps. */
export interface ShiftView {
  shift: Shift;
  people: ShiftPerson[];
  leaderName: string | null;
  handoverByName: string | null;
  swaps: ShiftSwapView[];
  logCount: number;
}

/** The views of several shifts of a tenant, in the order of `ids`. */
export async function shiftViews(db: Queryable, tenantId: number, ids: number[]): Promise<ShiftView[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .select()
    .from(shifts)
    .where(and(eq(shifts.tenantId, tenantId), inArray(shifts.id, ids)));
  if (rows.length === 0) return [];
  const found = rows.map((row) => row.id);
  const assignees = await db
    .select({
      shiftId: shiftAssignees.shiftId,
      id: people.id,
      code: people.code,
      name: people.name,
      confirmedAt: shiftAssignees.confirmedAt,
    })
    .from(shiftAssignees)
    .innerJoin(people, eq(people.id, shiftAssignees.personId))
    .where(inArray(shiftAssignees.shiftId, found))
    .orderBy(asc(people.id));
  const swaps = await db
    .select()
    .from(shiftSwaps)
    .where(inArray(shiftSwaps.shiftId, found))
    .orderBy(asc(shiftSwaps.id));
  const logs = await db
    .select({ shiftId: shiftLogs.shiftId, count: sql<number>`count(*)::int` })
    .from(shiftLogs)
    .where(inArray(shiftLogs.shiftId, found))
    .groupBy(shiftLogs.shiftId);
  const names = await personNames(db, tenantId, [
    ...rows.flatMap((row) => [row.leaderId, row.handoverById]),
    ...swaps.flatMap((swap) => [swap.fromPersonId, swap.toPersonId]),
  ]);
  const byId = new Map(
    rows.map((shift) => [
      shift.id,
      {
        shift,
        people: assignees
          .filter((row) => row.shiftId === shift.id)
          .map(({ shiftId: _, ...person }) => person),
        leaderName: shift.leaderId ? (names.get(shift.leaderId) ?? null) : null,
        handoverByName: shift.handoverById ? (names.get(shift.handoverById) ?? null) : null,
        swaps: swaps
          .filter((swap) => swap.shiftId === shift.id)
          .map((swap) => ({
            ...swap,
            fromName: names.get(swap.fromPersonId) ?? '',
            toName: names.get(swap.toPersonId) ?? '',
          })),
        logCount: logs.find((row) => row.shiftId === shift.id)?.count ?? 0,
      } satisfies ShiftView,
    ]),
  );
  return ids.map((id) => byId.get(id)).filter((view): view is ShiftView => view !== undefined);
}

export async function shiftView(db: Queryable, tenantId: number, id: number): Promise<ShiftView | undefined> {
  return (await shiftViews(db, tenantId, [id]))[0];
}

/** The views of the tenant's shifts meeting a condition, in the order given. */
async function shiftViewsWhere(
  db: Queryable,
  tenantId: number,
  condition: SQL | undefined,
  order: SQL[],
): Promise<ShiftView[]> {
  const rows = await db
    .select({ id: shifts.id })
    .from(shifts)
    .where(and(eq(shifts.tenantId, tenantId), condition))
    .orderBy(...order);
  return shiftViews(
    db,
    tenantId,
    rows.map((row) => row.id),
  );
}

/** The shifts of a local date, plus any shift of an earlier date still running at `now` (a night shift). */
export async function shiftsForDay(db: Queryable, tenantId: number, date: string, now: Date) {
  return shiftViewsWhere(
    db,
    tenantId,
    or(eq(shifts.date, date), and(lte(shifts.startsAt, now), gt(shifts.endsAt, now))),
    [asc(shifts.startsAt), asc(shifts.name), asc(shifts.id)],
  );
}

/**
 * The shifts a person is on (as one of the people on duty, or as the 带班领导) that overlap
 * [from, to], earliest start first.
 */
export async function shiftsOfPerson(
  db: Queryable,
  tenantId: number,
  personId: number,
  window: { from: Date; to: Date },
): Promise<ShiftView[]> {
  return shiftViewsWhere(
    db,
    tenantId,
    and(
      lte(shifts.startsAt, window.to),
      gte(shifts.endsAt, window.from),
      or(
        eq(shifts.leaderId, personId),
        sql`exists (select 1 from ${shiftAssignees} where ${shiftAssignees.shiftId} = ${shifts.id} and ${shiftAssignees.personId} = ${personId})`,
      ),
    ),
    [asc(shifts.startsAt), asc(shifts.id)],
  );
}

export interface AuditEntry {
  tenantId: number;
  shiftId: number;
  actorId: number | null;
  /** The office's console account that made the change (actorId is then null). */
  actorAccountId?: number | null;
  action: string;
  fromStatus?: string | null;
  toStatus?: string | null;
  note?: string | null;
  data?: Record<string, unknown> | null;
  at: Date;
}

/** Appends to the audit trail of a shift (subject `shift:<id>`). */
export async function appendShiftAudit(db: Queryable, entry: AuditEntry): Promise<void> {
  await db.insert(auditEvents).values({
    tenantId: entry.tenantId,
    subject: shiftSubject(entry.shiftId),
    actorId: entry.actorId,
    actorAccountId: entry.actorAccountId ?? null,
    action: entry.action,
    fromStatus: entry.fromStatus ?? null,
    toStatus: entry.toStatus ?? null,
    note: entry.note ?? null,
    data: entry.data ?? null,
    at: entry.at,
  });
}

// ---------------------------------------------------------------------------------------------------
// The roster import

/** Whom a roster may name: the tenant's own people (outside reporters excluded). */
export async function rosterPeople(db: Queryable, tenantId: number): Promise<RosterPerson[]> {
  return db
    .select({ id: people.id, code: people.code, name: people.name, archived: people.archived })
    .from(people)
    .where(and(eq(people.tenantId, tenantId), eq(people.isOutside, false)))
    .orderBy(asc(people.id));
}

export interface RosterImportSummary {
  from: string;
  to: string;
  /** Shifts written from the file. */
  created: number;
  /** Shifts of the period not started yet, removed and written anew from the file. */
  replaced: number;
  /** Shifts of the period already started: kept as recorded, with their confirmations and duty log. */
  kept: number;
  /** Rows of the file not written because their shift (same date and 班次) had already started. */
  skippedRows: number[];
}

const keyOf = (date: string, name: string) => `${date}\u0000${name}`;

/**
 * Imports roster rows in one transaction. The period is the rows' first to last date; re-importing a
 * period replaces its shifts that have not started by `now` (deleted, with their pending swaps, and
 * written anew). Shifts already started are history and stay as they are — people, confirmations,
 * duty log, handover — and a row of the file for the same date and 班次 is skipped. A confirmation
 * given ahead of a replaced shift carries over when the same person is on the same date and 班次 again.
 */
export async function importRoster(
  db: Db,
  tenantId: number,
  rows: readonly RosterRow[],
  now: Date,
  /** The console account that uploaded it; none from the command line. */
  byAccountId: number | null = null,
): Promise<RosterImportSummary> {
  if (rows.length === 0) throw new Error('importRoster: the roster has no rows');
  const dates = rows.map((row) => row.date).sort();
  const from = dates[0]!;
  const to = dates.at(-1)!;
  return db.transaction(async (tx) => {
    // One import per tenant at a time: a second one waits here and then sees the first one's shifts.
    const [tenant] = await tx
      .select({ id: tenants.id })
      .from(tenants)
      .where(eq(tenants.id, tenantId))
      .for('update');
    if (!tenant) throw new Error(`importRoster: no tenant ${tenantId}`);
    const named = [...new Set(rows.flatMap((row) => [...row.personIds, row.leaderId]))];
    const known = await tx
      .select({ id: people.id })
      .from(people)
      .where(and(eq(people.tenantId, tenantId), inArray(people.id, named)));
    if (known.length !== named.length) {
      throw new Error('importRoster: the roster names people of another tenant');
    }

    const existing = await tx
      .select()
      .from(shifts)
      .where(shiftsDated(tenantId, from, to));
    const started = existing.filter((shift) => shift.startsAt <= now);
    const replaced = existing.filter((shift) => shift.startsAt > now);
    const confirmed = new Map<string, Date>();
    if (replaced.length > 0) {
      const ids = replaced.map((shift) => shift.id);
      const confirmations = await tx
        .select({
          shiftId: shiftAssignees.shiftId,
          personId: shiftAssignees.personId,
          at: shiftAssignees.confirmedAt,
        })
        .from(shiftAssignees)
        .where(and(inArray(shiftAssignees.shiftId, ids), isNotNull(shiftAssignees.confirmedAt)));
      for (const confirmation of confirmations) {
        const shift = replaced.find((candidate) => candidate.id === confirmation.shiftId)!;
        confirmed.set(`${keyOf(shift.date, shift.name)}\u0000${confirmation.personId}`, confirmation.at!);
      }
      await tx.delete(shifts).where(inArray(shifts.id, ids));
      for (const shift of replaced) {
        await appendShiftAudit(tx, {
          tenantId,
          shiftId: shift.id,
          actorId: null,
          actorAccountId: byAccountId,
          action: 'roster.replace',
          fromStatus: 'scheduled',
          toStatus: 'removed',
          note: `重新导入 ${from} 至 ${to} 的值班表时替换`,
          at: now,
        });
      }
    }

    const keep = new Set(started.map((shift) => keyOf(shift.date, shift.name)));
    const skippedRows: number[] = [];
    let created = 0;
    for (const row of rows) {
      if (keep.has(keyOf(row.date, row.name))) {
        skippedRows.push(row.row);
        continue;
      }
      const [shift] = await tx
        .insert(shifts)
        .values({
          tenantId,
          date: row.date,
          name: row.name,
          startsAt: row.startsAt,
          endsAt: row.endsAt,
          place: row.place,
          leaderId: row.leaderId,
          createdAt: now,
        })
        .returning({ id: shifts.id });
      await tx.insert(shiftAssignees).values(
        row.personIds.map((personId) => ({
          shiftId: shift!.id,
          personId,
          confirmedAt: confirmed.get(`${keyOf(row.date, row.name)}\u0000${personId}`) ?? null,
        })),
      );
      await appendShiftAudit(tx, {
        tenantId,
        shiftId: shift!.id,
        actorId: null,
        actorAccountId: byAccountId,
        action: 'roster.import',
        toStatus: 'scheduled',
        data: { row: row.row, people: row.personIds, leader: row.leaderId },
        at: now,
      });
      created++;
    }
    return { from, to, created, replaced: replaced.length, kept: started.length, skippedRows };
  });
}

/** What a roster file is read against: the tenant's people and time zone (handlers/roster-import.ts). */
export async function rosterReading(db: Queryable, tenantId: number) {
  const [tenant] = await db
    .select({ timezone: tenants.timezone })
    .from(tenants)
    .where(eq(tenants.id, tenantId));
  if (!tenant) throw new Error(`importRosterFile: no tenant ${tenantId}`);
  return { people: await rosterPeople(db, tenantId), timeZone: tenant.timezone };
}

// ---------------------------------------------------------------------------------------------------
// The duty log for the ledger

export interface ShiftLogRow {
  shiftId: number;
  date: string;
  name: string;
  startsAt: Date;
  endsAt: Date;
  place: string | null;
  leader: { id: number; name: string } | null;
  /** The people on duty (after any accepted swap), with when each confirmed being at their post. */
  people: { id: number; name: string; confirmedAt: Date | null }[];
  /** The duty log (值班日志), oldest first. */
  logs: { at: Date; personId: number | null; personName: string | null; text: string }[];
  handover: { note: string; byId: number | null; byName: string | null; at: Date | null } | null;
}

/**
 * The shifts whose local date lies in [from, to] (`YYYY-MM-DD`, both included), in order of start, with
 * their people, confirmations, duty log lines in order, and handover note: the duty part of the ledger.
 */
export async function shiftLogRows(
  db: Queryable,
  tenantId: number,
  period: { from: string; to: string },
): Promise<ShiftLogRow[]> {
  const views = await shiftViewsWhere(
    db,
    tenantId,
    and(gte(shifts.date, period.from), lte(shifts.date, period.to)),
    [asc(shifts.date), asc(shifts.startsAt), asc(shifts.name), asc(shifts.id)],
  );
  if (views.length === 0) return [];
  const logs = await db
    .select({
      shiftId: shiftLogs.shiftId,
      at: shiftLogs.at,
      personId: shiftLogs.personId,
      personName: people.name,
      text: shiftLogs.text,
    })
    .from(shiftLogs)
    .leftJoin(people, eq(people.id, shiftLogs.personId))
    .where(
      and(
        eq(shiftLogs.tenantId, tenantId),
        inArray(
          shiftLogs.shiftId,
          views.map((view) => view.shift.id),
        ),
      ),
    )
    .orderBy(asc(shiftLogs.at), asc(shiftLogs.id));
  return views.map(({ shift, people: onDuty, leaderName, handoverByName }) => ({
    shiftId: shift.id,
    date: shift.date,
    name: shift.name,
    startsAt: shift.startsAt,
    endsAt: shift.endsAt,
    place: shift.place,
    leader: shift.leaderId ? { id: shift.leaderId, name: leaderName ?? '' } : null,
    people: onDuty.map(({ id, name, confirmedAt }) => ({ id, name, confirmedAt })),
    logs: logs.filter((log) => log.shiftId === shift.id).map(({ shiftId: _, ...log }) => log),
    handover:
      shift.handoverNote !== null
        ? {
            note: shift.handoverNote,
            byId: shift.handoverById,
            byName: handoverByName,
            at: shift.handoverAt,
          }
        : null,
  }));
}

/** Every tenant's shifts starting by a moment and not yet ended at another, as ids. */
export async function shiftsStartingBy(db: Queryable, startsBy: Date, endsAfter: Date) {
  return db
    .select({ id: shifts.id, tenantId: shifts.tenantId })
    .from(shifts)
    .where(and(lte(shifts.startsAt, startsBy), gt(shifts.endsAt, endsAfter)));
}

/** The ids of the tenant's shifts whose local date lies in [from, to], in order of start. */
export async function shiftIdsBetween(
  db: Queryable,
  tenantId: number,
  from: string,
  to: string,
): Promise<number[]> {
  const rows = await db
    .select({ id: shifts.id })
    .from(shifts)
    .where(shiftsDated(tenantId, from, to))
    .orderBy(asc(shifts.date), asc(shifts.startsAt), asc(shifts.name), asc(shifts.id));
  return rows.map((row) => row.id);
}
