// The rows a 述职述安 report is written from beyond the person's own records (DOMAIN §7; 003 §四.1-2,
// seed 000): the scope the person answers for (the whole school for a 第一责任人, the units a 分管领导
// supervises and a 部门负责人 heads), that scope's hazards, records, closed duty periods and 责任书 of the
// year, the person's open items and next year's duties; and the report as edited in the console.
// Rows only: handlers/statement.ts counts and words them.
import { and, asc, eq, gte, inArray, isNull, lte, notInArray, or, type SQL } from 'drizzle-orm';
import type { Queryable } from '../client.ts';
import {
  auditEvents,
  completions,
  hazards,
  letterRounds,
  letters,
  obligationPeriods,
  obligations,
  postHolders,
  postSupervisedUnits,
  posts,
  statementDrafts,
  tasks,
  units,
} from '../schema.ts';
import { periodsEnding } from './obligations.ts';

/** A report's span (as `Span` of ./reports.ts, which imports this file): local dates and the end instant. */
type YearSpan = { start: string; end: string; to: Date };

/** What a person answers for: the whole tenant, some units, or only their own work. */
export type StatementScope =
  | { kind: 'whole' }
  | { kind: 'units'; units: { id: number; name: string }[] }
  | { kind: 'own' };

/** The scope of a person's current posts: 第一责任人 → whole; 分管 units and the unit headed → units. */
export async function statementScope(
  db: Queryable,
  tenantId: number,
  personId: number,
): Promise<StatementScope> {
  const held = await db
    .select({ id: posts.id, level: posts.level, unitId: posts.unitId, head: posts.isUnitHead })
    .from(postHolders)
    .innerJoin(posts, eq(posts.id, postHolders.postId))
    .where(
      and(
        eq(postHolders.tenantId, tenantId),
        eq(postHolders.personId, personId),
        isNull(postHolders.endedAt),
        eq(posts.archived, false),
      ),
    );
  if (held.some((post) => post.level === 'first')) return { kind: 'whole' };
  const ids = new Set<number>();
  for (const post of held) if (post.head && post.unitId !== null) ids.add(post.unitId);
  const supervising = held.filter((post) => post.level === 'direct').map((post) => post.id);
  if (supervising.length > 0) {
    const rows = await db
      .select({ unitId: postSupervisedUnits.unitId })
      .from(postSupervisedUnits)
      .where(inArray(postSupervisedUnits.postId, supervising));
    for (const row of rows) ids.add(row.unitId);
  }
  if (ids.size === 0) return { kind: 'own' };
  const named = await db
    .select({ id: units.id, name: units.name })
    .from(units)
    .where(and(eq(units.tenantId, tenantId), inArray(units.id, [...ids]), eq(units.archived, false)))
    .orderBy(asc(units.id));
  return named.length > 0 ? { kind: 'units', units: named } : { kind: 'own' };
}

/** What the scope's rows of the year are. */
export interface ScopeRows {
  /** Hazards reported by the span's end (duplicates left out). */
  hazards: {
    code: string;
    description: string;
    status: (typeof hazards.$inferSelect)['status'];
    createdAt: Date;
    closedAt: Date | null;
    deadline: Date | null;
    listedAt: Date | null;
  }[];
  /** Records (会议, 检查, 演练…) dated within the span. */
  completions: { kind: (typeof completions.$inferSelect)['kind']; scope: string }[];
  /** Duty periods that ended within the span: true met, false missed, null not assessed. */
  periods: { met: boolean | null }[];
  /** The year's 责任书 of the scope's posts. */
  letters: { signedAt: Date | null }[];
}

export async function scopeRows(
  db: Queryable,
  tenantId: number,
  scope: StatementScope,
  span: YearSpan,
  year: number,
): Promise<ScopeRows> {
  if (scope.kind === 'own') return { hazards: [], completions: [], periods: [], letters: [] };
  const unitIds = scope.kind === 'units' ? scope.units.map((unit) => unit.id) : undefined;
  const inUnits = (column: typeof posts.unitId | typeof hazards.unitId): SQL | undefined =>
    unitIds ? inArray(column, unitIds) : undefined;
  // The people of the scope: current holders of its units' posts (a record is its author's).
  const members = unitIds
    ? db
        .select({ id: postHolders.personId })
        .from(postHolders)
        .innerJoin(posts, eq(posts.id, postHolders.postId))
        .where(
          and(
            eq(postHolders.tenantId, tenantId),
            isNull(postHolders.endedAt),
            inArray(posts.unitId, unitIds),
          ),
        )
    : undefined;
  const [hazardRows, completionRows, periodRows, letterRows] = await Promise.all([
    db
      .select({
        code: hazards.code,
        description: hazards.description,
        status: hazards.status,
        createdAt: hazards.createdAt,
        closedAt: hazards.closedAt,
        deadline: hazards.deadline,
        listedAt: hazards.listedAt,
      })
      .from(hazards)
      .where(
        and(
          eq(hazards.tenantId, tenantId),
          isNull(hazards.duplicateOfId),
          lte(hazards.createdAt, span.to),
          inUnits(hazards.unitId),
        ),
      )
      .orderBy(asc(hazards.createdAt), asc(hazards.id)),
    db
      .select({ kind: completions.kind, scope: completions.scope })
      .from(completions)
      .where(
        and(
          eq(completions.tenantId, tenantId),
          gte(completions.date, span.start),
          lte(completions.date, span.end),
          members ? inArray(completions.personId, members) : undefined,
        ),
      ),
    db
      .select({ met: obligationPeriods.met })
      .from(obligationPeriods)
      .innerJoin(obligations, eq(obligations.id, obligationPeriods.obligationId))
      .innerJoin(posts, eq(posts.id, obligations.postId))
      .where(and(periodsEnding(tenantId, span.start, span.end), inUnits(posts.unitId))),
    db
      .select({ signedAt: letters.signedAt })
      .from(letters)
      .innerJoin(letterRounds, eq(letterRounds.id, letters.roundId))
      .innerJoin(posts, eq(posts.id, letters.postId))
      .where(and(eq(letters.tenantId, tenantId), eq(letterRounds.year, year), inUnits(posts.unitId))),
  ]);
  return { hazards: hazardRows, completions: completionRows, periods: periodRows, letters: letterRows };
}

/** The person's own rows beyond what they did: letters, open items, next year's duties. */
export interface PersonRows {
  /** The person's 责任书 of the year's round, per post. */
  letters: { post: string; issuedAt: Date; signedAt: Date | null }[];
  /** Hazards not closed or rejected that the person rectifies or whose unit they head, oldest first. */
  openHazards: { code: string; description: string; deadline: Date | null; listed: boolean }[];
  /** Tasks assigned to the person (or their unit) neither done nor cancelled. */
  openTasks: { code: string; content: string; dueAt: Date }[];
  /** The live duties of the person's current posts: next year's obligations. */
  duties: {
    title: string;
    cadence: (typeof obligations.$inferSelect)['cadence'];
    minCount: number;
    kind: string;
  }[];
}

export async function personRows(
  db: Queryable,
  tenantId: number,
  personId: number,
  year: number,
): Promise<PersonRows> {
  const heldPosts = db
    .select({ id: postHolders.postId })
    .from(postHolders)
    .where(and(eq(postHolders.personId, personId), isNull(postHolders.endedAt)));
  const headedUnits = db
    .select({ id: posts.unitId })
    .from(posts)
    .innerJoin(postHolders, eq(postHolders.postId, posts.id))
    .where(
      and(
        eq(postHolders.personId, personId),
        isNull(postHolders.endedAt),
        eq(posts.isUnitHead, true),
        eq(posts.archived, false),
      ),
    );
  const [letterRows, hazardRows, taskRows, dutyRows] = await Promise.all([
    db
      .select({ post: posts.title, issuedAt: letters.issuedAt, signedAt: letters.signedAt })
      .from(letters)
      .innerJoin(letterRounds, eq(letterRounds.id, letters.roundId))
      .innerJoin(posts, eq(posts.id, letters.postId))
      .where(and(eq(letters.tenantId, tenantId), eq(letters.personId, personId), eq(letterRounds.year, year)))
      .orderBy(asc(letters.id)),
    db
      .select({
        code: hazards.code,
        description: hazards.description,
        deadline: hazards.deadline,
        listed: hazards.listed,
      })
      .from(hazards)
      .where(
        and(
          eq(hazards.tenantId, tenantId),
          notInArray(hazards.status, ['closed', 'rejected']),
          isNull(hazards.duplicateOfId),
          or(eq(hazards.rectifierId, personId), inArray(hazards.unitId, headedUnits)),
        ),
      )
      .orderBy(asc(hazards.createdAt), asc(hazards.id)),
    db
      .select({ code: tasks.code, content: tasks.content, dueAt: tasks.dueAt })
      .from(tasks)
      .where(
        and(
          eq(tasks.tenantId, tenantId),
          notInArray(tasks.status, ['done', 'cancelled']),
          or(eq(tasks.assigneeId, personId), inArray(tasks.assigneeUnitId, headedUnits)),
        ),
      )
      .orderBy(asc(tasks.dueAt), asc(tasks.id)),
    db
      .select({
        title: obligations.title,
        cadence: obligations.cadence,
        minCount: obligations.minCount,
        kind: obligations.kind,
      })
      .from(obligations)
      .innerJoin(posts, eq(posts.id, obligations.postId))
      .where(
        and(
          eq(obligations.tenantId, tenantId),
          eq(obligations.archived, false),
          eq(posts.archived, false),
          inArray(obligations.postId, heldPosts),
        ),
      )
      .orderBy(asc(obligations.id)),
  ]);
  return { letters: letterRows, openHazards: hazardRows, openTasks: taskRows, duties: dutyRows };
}

// -------------------------------------------------------------------------------------------------
// The report as edited

export type StatementDraft = typeof statementDrafts.$inferSelect;

export async function statementDraft(
  db: Queryable,
  tenantId: number,
  personId: number,
  year: number,
): Promise<StatementDraft | undefined> {
  const [row] = await db
    .select()
    .from(statementDrafts)
    .where(
      and(
        eq(statementDrafts.tenantId, tenantId),
        eq(statementDrafts.personId, personId),
        eq(statementDrafts.year, year),
      ),
    );
  return row;
}

/** Saves the edited text of a person's report for a year (one per person and year). */
export async function saveStatementDraft(
  db: Queryable,
  tenantId: number,
  draft: {
    personId: number;
    year: number;
    text: string;
    editedBy: string;
    accountId: number | null;
    at: Date;
  },
): Promise<void> {
  await db
    .insert(statementDrafts)
    .values({
      tenantId,
      personId: draft.personId,
      year: draft.year,
      text: draft.text,
      editedBy: draft.editedBy,
      editedByAccountId: draft.accountId,
      editedAt: draft.at,
    })
    .onConflictDoUpdate({
      target: [statementDrafts.tenantId, statementDrafts.personId, statementDrafts.year],
      set: {
        text: draft.text,
        editedBy: draft.editedBy,
        editedByAccountId: draft.accountId,
        editedAt: draft.at,
      },
    });
  await db.insert(auditEvents).values({
    tenantId,
    subject: `statement:${draft.personId}:${draft.year}`,
    actorAccountId: draft.accountId,
    action: 'statement.save',
    note: `${draft.text.length} 字`,
    data: { by: draft.editedBy },
    at: draft.at,
  });
}

/** Discards the edited text: the report is generated from the records again. Returns rows removed. */
export async function discardStatementDraft(
  db: Queryable,
  tenantId: number,
  personId: number,
  year: number,
  by: { editedBy: string; accountId: number | null; at: Date },
): Promise<number> {
  const removed = await db
    .delete(statementDrafts)
    .where(
      and(
        eq(statementDrafts.tenantId, tenantId),
        eq(statementDrafts.personId, personId),
        eq(statementDrafts.year, year),
      ),
    )
    .returning({ id: statementDrafts.id });
  if (removed.length > 0)
    await db.insert(auditEvents).values({
      tenantId,
      subject: `statement:${personId}:${year}`,
      actorAccountId: by.accountId,
      action: 'statement.discard',
      data: { by: by.editedBy },
      at: by.at,
    });
  return removed.length;
}
