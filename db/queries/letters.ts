// The 一岗双责 safety responsibility letter (责任书, 002 §四(二), 004): signing rounds, one letter per post
// and holder, who signs with whom, and the state of a round per unit for the office, reports and console.
// A successor in a post gets a letter of their own; the predecessor's stays as it was (004 附则).

import { and, asc, desc, eq, inArray, isNull, ne } from 'drizzle-orm';
import type { SigningRole } from '../../handlers/party-labels.ts';
import { chunks } from '../chunks.ts';
import type { Queryable } from '../client.ts';
import {
  auditEvents,
  letterRounds,
  letters,
  people,
  postHolders,
  postSupervisedUnits,
  posts,
  tenants,
  units,
} from '../schema.ts';
import { byIdInTenant, byKeyInTenant } from './rows.ts';

export type LetterRound = typeof letterRounds.$inferSelect;
export type Letter = typeof letters.$inferSelect;
export type Level = 'first' | 'direct' | 'post';

/** The subject of a letter's cards, reminders and audit rows. */
export const letterSubject = (letterId: number) => `letter:${letterId}`;
/** The subject of a round's progress cards (refreshed when someone signs). */
export const roundSubject = (roundId: number) => `letter-round:${roundId}`;

/** Starts a year's round; undefined when the year has one already. */
export async function insertRound(
  db: Queryable,
  row: typeof letterRounds.$inferInsert,
): Promise<LetterRound | undefined> {
  const [round] = await db.insert(letterRounds).values(row).onConflictDoNothing().returning();
  return round;
}

export const roundById = byIdInTenant(letterRounds);

/** The years of the tenant's rounds, latest first. */
export async function roundYears(db: Queryable, tenantId: number): Promise<number[]> {
  const rows = await db
    .select({ year: letterRounds.year })
    .from(letterRounds)
    .where(eq(letterRounds.tenantId, tenantId))
    .orderBy(desc(letterRounds.year));
  return rows.map((row) => row.year);
}

export const roundByYear = byKeyInTenant<typeof letterRounds, number>(letterRounds, letterRounds.year);

/**
 * Issues a letter to every current holder of every non-archived post who has none in this round yet,
 * with the post's duties as they stand now; appends an `issue` row to the audit trail for each. Safe to
 * repeat and to race: the unique (round, post, person) index keeps one letter per post and holder.
 */
export async function issueMissingLetters(
  db: Queryable,
  options: {
    tenantId: number;
    roundId: number;
    year: number;
    now: Date;
    actorId: number | null;
    /** The office's console account that started the round (actorId is then null). */
    actorAccountId?: number | null;
    note?: string;
  },
): Promise<Letter[]> {
  const { tenantId, roundId, now } = options;
  const missing = await db
    .select({
      postId: postHolders.postId,
      personId: postHolders.personId,
      business: posts.businessDuties,
      safety: posts.safetyDuties,
      isUnitHead: posts.isUnitHead,
      unitName: units.name,
      unitDuties: units.safetyDuties,
    })
    .from(postHolders)
    .innerJoin(posts, and(eq(posts.id, postHolders.postId), eq(posts.archived, false)))
    .leftJoin(units, eq(units.id, posts.unitId))
    .innerJoin(people, and(eq(people.id, postHolders.personId), eq(people.archived, false)))
    .leftJoin(
      letters,
      and(
        eq(letters.roundId, roundId),
        eq(letters.postId, postHolders.postId),
        eq(letters.personId, postHolders.personId),
      ),
    )
    .where(and(eq(postHolders.tenantId, tenantId), isNull(postHolders.endedAt), isNull(letters.id)))
    .orderBy(asc(postHolders.postId), asc(postHolders.personId));
  if (missing.length === 0) return [];
  const issued: Letter[] = [];
  for (const some of chunks(missing)) {
    const rows = await db
      .insert(letters)
      .values(
        some.map((row) => ({
          tenantId,
          roundId,
          postId: row.postId,
          personId: row.personId,
          duties: {
            business: row.business,
            safety: row.safety,
            ...(row.isUnitHead && row.unitName && row.unitDuties && row.unitDuties.length > 0
              ? { unit: { name: row.unitName, duties: row.unitDuties } }
              : {}),
          },
          issuedAt: now,
        })),
      )
      .onConflictDoNothing()
      .returning();
    issued.push(...rows);
  }
  for (const some of chunks(issued)) {
    await db.insert(auditEvents).values(
      some.map((letter) => ({
        tenantId,
        subject: letterSubject(letter.id),
        actorId: options.actorId,
        actorAccountId: options.actorAccountId ?? null,
        action: 'issue',
        toStatus: 'issued',
        note: options.note ?? null,
        data: { year: options.year, postId: letter.postId, personId: letter.personId },
        at: now,
      })),
    );
  }
  return issued.sort((a, b) => a.id - b.id);
}

/** Marks a letter signed and audits it; undefined when it was already signed (nothing is written). */
export async function signLetter(
  db: Queryable,
  letter: Letter,
  actorId: number,
  now: Date,
): Promise<Letter | undefined> {
  const [signed] = await db
    .update(letters)
    .set({ signedAt: now })
    .where(and(eq(letters.id, letter.id), isNull(letters.signedAt)))
    .returning();
  if (!signed) return undefined;
  await db.insert(auditEvents).values({
    tenantId: letter.tenantId,
    subject: letterSubject(letter.id),
    actorId,
    action: 'sign',
    fromStatus: 'issued',
    toStatus: 'signed',
    data: { postId: letter.postId },
    at: now,
  });
  return signed;
}

export const letterById = byIdInTenant(letters);

/** Whether the person holds the (non-archived) post now. */
export async function holdsPost(db: Queryable, postId: number, personId: number): Promise<boolean> {
  const [row] = await db
    .select({ id: postHolders.id })
    .from(postHolders)
    .innerJoin(posts, eq(posts.id, postHolders.postId))
    .where(
      and(
        eq(postHolders.postId, postId),
        eq(postHolders.personId, personId),
        isNull(postHolders.endedAt),
        eq(posts.archived, false),
      ),
    );
  return Boolean(row);
}

/** A person in a post, as the signing party shows them: 王晓芳（校长）. */
export interface Holder {
  personId: number;
  name: string;
  title: string;
}

/**
 * The other party of a letter (甲方), the level above the holder: 层层签订 (002 §四(二)).
 *   第一责任人 (校长/局长)          → the superior authority (上级教育行政部门; for a bureau, the government)
 *   直接责任人 (分管领导)           → the 第一责任人
 *   unit head (处室/科室负责人)     → the 分管领导 supervising the unit (→ 第一责任人 when none)
 *   other staff of a unit           → the unit's head (→ its 分管领导 → 第一责任人)
 *   a post outside any unit         → the 第一责任人
 * The holder never signs with themself: a level without anyone else falls through to the next.
 */
export interface SigningParty {
  /** Who signs (the feature names it: SIGNING_ROLE_LABEL). */
  role: SigningRole;
  holders: Holder[];
}

async function holdersWhere(db: Queryable, tenantId: number, where: ReturnType<typeof and>) {
  const rows = await db
    .selectDistinct({ personId: people.id, name: people.name, title: posts.title, postId: posts.id })
    .from(posts)
    .innerJoin(postHolders, and(eq(postHolders.postId, posts.id), isNull(postHolders.endedAt)))
    .innerJoin(people, and(eq(people.id, postHolders.personId), eq(people.archived, false)))
    .where(and(eq(posts.tenantId, tenantId), eq(posts.archived, false), where))
    .orderBy(asc(posts.id), asc(people.id));
  return rows.map(({ personId, name, title }) => ({ personId, name, title }));
}

export async function signingParty(
  db: Queryable,
  tenant: { id: number; kind: string },
  post: { level: Level; isUnitHead: boolean; unitId: number | null },
  personId: number,
): Promise<SigningParty> {
  const others = (list: Holder[]) => list.filter((holder) => holder.personId !== personId);
  const first = async (): Promise<SigningParty> => {
    const holders = others(await holdersWhere(db, tenant.id, eq(posts.level, 'first')));
    return holders.length > 0 ? { role: 'first', holders } : superior();
  };
  const superior = (): SigningParty => ({
    role: tenant.kind === 'bureau' ? 'superior_government' : 'superior_education',
    holders: [],
  });
  const direct = async (unitId: number) => {
    const supervising = db
      .select({ postId: postSupervisedUnits.postId })
      .from(postSupervisedUnits)
      .where(eq(postSupervisedUnits.unitId, unitId));
    return others(
      await holdersWhere(db, tenant.id, and(eq(posts.level, 'direct'), inArray(posts.id, supervising))),
    );
  };
  if (post.level === 'first') return superior();
  if (post.level === 'direct' || post.unitId === null) return first();
  if (!post.isUnitHead) {
    const heads = others(
      await holdersWhere(db, tenant.id, and(eq(posts.unitId, post.unitId), eq(posts.isUnitHead, true))),
    );
    if (heads.length > 0) return { role: 'unit_head', holders: heads };
  }
  const leaders = await direct(post.unitId);
  return leaders.length > 0 ? { role: 'direct', holders: leaders } : first();
}

/** Everything a letter's card shows. */
export interface LetterView {
  letter: Letter;
  year: number;
  postTitle: string;
  level: Level;
  unitName: string | null;
  personName: string;
  /** The holder still holds the post: only then may they sign. */
  current: boolean;
  party: SigningParty;
  /** Former holders of the post with a letter in this round: the successor continues their duties. */
  predecessors: { name: string; signedAt: Date | null }[];
}

export async function letterView(
  db: Queryable,
  tenant: { id: number; kind: string },
  letterId: number,
): Promise<LetterView | undefined> {
  const [row] = await db
    .select({
      letter: letters,
      year: letterRounds.year,
      postTitle: posts.title,
      level: posts.level,
      isUnitHead: posts.isUnitHead,
      unitId: posts.unitId,
      unitName: units.name,
      personName: people.name,
    })
    .from(letters)
    .innerJoin(letterRounds, eq(letterRounds.id, letters.roundId))
    .innerJoin(posts, eq(posts.id, letters.postId))
    .leftJoin(units, eq(units.id, posts.unitId))
    .innerJoin(people, eq(people.id, letters.personId))
    .where(and(eq(letters.tenantId, tenant.id), eq(letters.id, letterId)));
  if (!row) return undefined;
  const { letter } = row;
  const holders = await db
    .select({ personId: postHolders.personId })
    .from(postHolders)
    .innerJoin(posts, and(eq(posts.id, postHolders.postId), eq(posts.archived, false)))
    .where(and(eq(postHolders.postId, letter.postId), isNull(postHolders.endedAt)));
  const currentIds = new Set(holders.map((holder) => holder.personId));
  const others = await db
    .select({ personId: letters.personId, name: people.name, signedAt: letters.signedAt })
    .from(letters)
    .innerJoin(people, eq(people.id, letters.personId))
    .where(
      and(
        eq(letters.roundId, letter.roundId),
        eq(letters.postId, letter.postId),
        ne(letters.personId, letter.personId),
      ),
    )
    .orderBy(asc(letters.id));
  return {
    letter,
    year: row.year,
    postTitle: row.postTitle,
    level: row.level,
    unitName: row.unitName,
    personName: row.personName,
    current: currentIds.has(letter.personId),
    party: await signingParty(db, tenant, row, letter.personId),
    predecessors: others
      .filter((other) => !currentIds.has(other.personId))
      .map(({ name, signedAt }) => ({ name, signedAt })),
  };
}

/** A person's letters of a round, with the post and whether they still hold it. */
export async function lettersOf(db: Queryable, tenantId: number, roundId: number, personId: number) {
  const rows = await db
    .select({ letter: letters, postTitle: posts.title })
    .from(letters)
    .innerJoin(posts, eq(posts.id, letters.postId))
    .where(and(eq(letters.tenantId, tenantId), eq(letters.roundId, roundId), eq(letters.personId, personId)))
    .orderBy(asc(letters.id));
  const out: { letter: Letter; postTitle: string; current: boolean }[] = [];
  for (const row of rows) out.push({ ...row, current: await holdsPost(db, row.letter.postId, personId) });
  return out;
}

/** One row of a round's status: a letter, or a current holder still waiting for theirs. */
export interface LetterStatusRow {
  unitId: number | null;
  unitName: string | null;
  postId: number;
  postTitle: string;
  level: Level;
  isUnitHead: boolean;
  personId: number;
  personName: string;
  /** Null for a current holder not issued a letter yet (a successor before the letters job has run). */
  letterId: number | null;
  issuedAt: Date | null;
  signedAt: Date | null;
  /**
   * Holds the post now. A former holder's signed letter stays on record; an unsigned one passed to the
   * successor with the post (004 附则) and no longer counts.
   */
  current: boolean;
}

const LEVEL_ORDER: Record<Level, number> = { first: 0, direct: 1, post: 2 };

/**
 * The status of a tenant's round of a year, per unit and person: every letter issued, plus current
 * holders who have none yet. Posts outside any unit (the leaders) come first with unitId null.
 * Empty when the year has no round.
 */
export async function letterStatus(
  db: Queryable,
  tenantId: number,
  year: number,
): Promise<LetterStatusRow[]> {
  const round = await roundByYear(db, tenantId, year);
  if (!round) return [];
  const columns = {
    unitId: posts.unitId,
    unitName: units.name,
    postId: posts.id,
    postTitle: posts.title,
    level: posts.level,
    isUnitHead: posts.isUnitHead,
    personId: people.id,
    personName: people.name,
  };
  const issued = await db
    .select({ ...columns, letterId: letters.id, issuedAt: letters.issuedAt, signedAt: letters.signedAt })
    .from(letters)
    .innerJoin(posts, eq(posts.id, letters.postId))
    .leftJoin(units, eq(units.id, posts.unitId))
    .innerJoin(people, eq(people.id, letters.personId))
    .where(eq(letters.roundId, round.id));
  const holding = await db
    .select(columns)
    .from(postHolders)
    .innerJoin(posts, and(eq(posts.id, postHolders.postId), eq(posts.archived, false)))
    .leftJoin(units, eq(units.id, posts.unitId))
    .innerJoin(people, and(eq(people.id, postHolders.personId), eq(people.archived, false)))
    .where(and(eq(postHolders.tenantId, tenantId), isNull(postHolders.endedAt)));
  const key = (row: { postId: number; personId: number }) => `${row.postId}:${row.personId}`;
  const currentKeys = new Set(holding.map(key));
  const issuedKeys = new Set(issued.map(key));
  const rows: LetterStatusRow[] = [
    ...issued.map((row) => ({ ...row, current: currentKeys.has(key(row)) })),
    ...holding
      .filter((row) => !issuedKeys.has(key(row)))
      .map((row) => ({ ...row, letterId: null, issuedAt: null, signedAt: null, current: true })),
  ];
  return rows.sort(
    (a, b) =>
      (a.unitId ?? 0) - (b.unitId ?? 0) ||
      LEVEL_ORDER[a.level] - LEVEL_ORDER[b.level] ||
      Number(b.isUnitHead) - Number(a.isUnitHead) ||
      a.postId - b.postId ||
      Number(b.current) - Number(a.current) ||
      (a.letterId ?? Number.MAX_SAFE_INTEGER) - (b.letterId ?? Number.MAX_SAFE_INTEGER),
  );
}

/** Unsigned letters of a round whose holders still hold the post: who the reminders go to. */
export async function unsignedCurrentLetters(db: Queryable, roundId: number): Promise<Letter[]> {
  const rows = await db
    .select({ letter: letters })
    .from(letters)
    .innerJoin(posts, and(eq(posts.id, letters.postId), eq(posts.archived, false)))
    .innerJoin(
      postHolders,
      and(
        eq(postHolders.postId, letters.postId),
        eq(postHolders.personId, letters.personId),
        isNull(postHolders.endedAt),
      ),
    )
    .where(and(eq(letters.roundId, roundId), isNull(letters.signedAt)))
    .orderBy(asc(letters.id));
  return rows.map((row) => row.letter);
}

/** Every tenant's rounds, with their tenant. */
export async function allRounds(db: Queryable) {
  return db
    .select({ round: letterRounds, tenant: tenants })
    .from(letterRounds)
    .innerJoin(tenants, eq(tenants.id, letterRounds.tenantId));
}
