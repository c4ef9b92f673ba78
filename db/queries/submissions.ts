// What goes up a level (issue 19): reports submitted to the level above, acknowledged and commented there.
// The rows of `submissions`: the sender reads its own (tenant_id), the receiver those sent to it
// (to_tenant_id) from itself or from a school whose parent it is — never another bureau's.
import { and, asc, desc, eq, isNull, or } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { Queryable } from '../client.ts';
import { people, submissions, tenants } from '../schema.ts';

export type Submission = typeof submissions.$inferSelect;
export type SubmissionKind = Submission['kind'];

/** One report of a kind, period and person (null: the tenant's own) from a tenant, if submitted. */
export async function submissionOf(
  db: Queryable,
  tenantId: number,
  kind: SubmissionKind,
  period: string,
  personId: number | null,
): Promise<Submission | undefined> {
  const [row] = await db
    .select()
    .from(submissions)
    .where(
      and(
        eq(submissions.tenantId, tenantId),
        eq(submissions.kind, kind),
        eq(submissions.period, period),
        personId === null ? isNull(submissions.personId) : eq(submissions.personId, personId),
      ),
    );
  return row;
}

/**
 * Submits (or submits again, replacing the text) a report; a report the level above has acknowledged or
 * commented is kept as it was: `{ kept }` is returned and nothing changes.
 */
export async function submit(
  db: Queryable,
  row: Omit<typeof submissions.$inferInsert, 'id'> & { personId: number | null },
): Promise<{ submission: Submission; again: boolean } | { kept: Submission }> {
  const existing = await submissionOf(db, row.tenantId, row.kind, row.period, row.personId);
  if (existing && (existing.acknowledgedAt || existing.commentedAt)) return { kept: existing };
  if (existing) {
    const [updated] = await db
      .update(submissions)
      .set({ title: row.title, body: row.body, submittedBy: row.submittedBy, submittedAt: row.submittedAt })
      .where(eq(submissions.id, existing.id))
      .returning();
    return { submission: updated!, again: true };
  }
  const [inserted] = await db.insert(submissions).values(row).returning();
  return { submission: inserted!, again: false };
}

/** A listed submission with where it comes from and whose it is. */
export interface SubmissionRow {
  submission: Submission;
  fromName: string;
  personName: string | null;
}

const from = alias(tenants, 'from_tenant');

/** Submissions with the name of the tenant that sent them and of the person they are about. */
const receivedRows = (db: Queryable) =>
  db
    .select({ submission: submissions, fromName: from.name, personName: people.name })
    .from(submissions)
    .innerJoin(from, eq(from.id, submissions.tenantId))
    .leftJoin(people, eq(people.id, submissions.personId))
    .$dynamic();

/** Received by a tenant: from itself or from a tenant whose parent it is; newest first. */
const received = (toTenantId: number) =>
  and(eq(submissions.toTenantId, toTenantId), or(eq(from.id, toTenantId), eq(from.parentId, toTenantId)));

export async function submissionsTo(
  db: Queryable,
  toTenantId: number,
  limit = 500,
): Promise<SubmissionRow[]> {
  return receivedRows(db)
    .where(received(toTenantId))
    .orderBy(asc(from.name), desc(submissions.period), desc(submissions.submittedAt))
    .limit(limit);
}

/** One received submission by id: another tenant's (or one sent elsewhere) is undefined. */
export async function receivedSubmission(
  db: Queryable,
  toTenantId: number,
  id: number,
): Promise<SubmissionRow | undefined> {
  const [row] = await receivedRows(db).where(and(received(toTenantId), eq(submissions.id, id)));
  return row;
}

/** What a tenant submitted, newest first, with the comments it got. */
export async function submissionsFrom(
  db: Queryable,
  tenantId: number,
  limit = 200,
): Promise<SubmissionRow[]> {
  return db
    .select({ submission: submissions, fromName: tenants.name, personName: people.name })
    .from(submissions)
    .innerJoin(tenants, eq(tenants.id, submissions.tenantId))
    .leftJoin(people, eq(people.id, submissions.personId))
    .where(eq(submissions.tenantId, tenantId))
    .orderBy(desc(submissions.submittedAt), desc(submissions.id))
    .limit(limit);
}

/** The level above acknowledges a submission, with a comment when given (a later comment replaces it). */
export async function acknowledgeSubmission(
  db: Queryable,
  toTenantId: number,
  id: number,
  by: string,
  at: Date,
  comment?: string,
): Promise<Submission | undefined> {
  const row = await receivedSubmission(db, toTenantId, id);
  if (!row) return undefined;
  const [updated] = await db
    .update(submissions)
    .set({
      acknowledgedBy: row.submission.acknowledgedBy ?? by,
      acknowledgedAt: row.submission.acknowledgedAt ?? at,
      ...(comment ? { comment, commentedBy: by, commentedAt: at } : {}),
    })
    .where(eq(submissions.id, id))
    .returning();
  return updated;
}

/** The submissions of a kind and period sent to a tenant: who has submitted (for the chase after the deadline). */
export async function submittedFor(db: Queryable, toTenantId: number, kind: SubmissionKind, period: string) {
  return db
    .select({ tenantId: submissions.tenantId, personId: submissions.personId })
    .from(submissions)
    .where(
      and(eq(submissions.toTenantId, toTenantId), eq(submissions.kind, kind), eq(submissions.period, period)),
    );
}

/** One of a tenant's own submissions by id (another tenant's is undefined). */
export async function sentSubmission(
  db: Queryable,
  tenantId: number,
  id: number,
): Promise<SubmissionRow | undefined> {
  const [row] = await db
    .select({ submission: submissions, fromName: tenants.name, personName: people.name })
    .from(submissions)
    .innerJoin(tenants, eq(tenants.id, submissions.tenantId))
    .leftJoin(people, eq(people.id, submissions.personId))
    .where(and(eq(submissions.tenantId, tenantId), eq(submissions.id, id)));
  return row;
}
