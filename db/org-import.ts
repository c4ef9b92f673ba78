// Writes a validated organization file in one transaction: all of it or nothing.
// Re-importing updates by code; what the file no longer names is archived (hazards keep their references),
// and holders who left a post get an end date, so a successor inherits the post's duties (004 附则).

import { and, eq, inArray, isNull, notInArray, or, sql } from 'drizzle-orm';
import { chatClaimProblem, claimedIdentities, type OrgFile, OrgFileError } from '../handlers/org-file.ts';
import { chunks } from './chunks.ts';
import { claimProblems, isUniqueViolation, lockClaims } from './claims.ts';
import type { Db, Tx } from './client.ts';
import { hazardPrefixOf, type LevelNote, linkLevels, writeLevelDeclarations } from './levels.ts';
import { importedNotices } from './queries/calendar.ts';
import { syncChecklists } from './queries/checklists.ts';
import {
  categories,
  categoryUnits,
  chats,
  identities,
  leadingGroupMembers,
  obligations,
  people,
  postHolders,
  postSupervisedUnits,
  posts,
  tenants,
  units,
} from './schema.ts';

export interface ImportSummary {
  tenantId: number;
  tenantCode: string;
  units: number;
  posts: number;
  people: number;
  categories: number;
  holdersStarted: number;
  holdersEnded: number;
  /** The bureau over this organization, once linked (its code). */
  bureau?: string;
  /** What is imported but not linked yet (a school or a bureau not loaded), by path in the file. */
  warnings: LevelNote[];
}

const ROLE_OF = {
  leader: 'leader',
  deputies: 'deputy',
  members: 'member',
  office_director: 'office_director',
  office_deputy: 'office_deputy',
} as const;

/**
 * Imports the file, or refuses it whole (OrgFileError) when it claims a chat or a platform id another
 * tenant holds. An import that lost a race for one (the unique index refused its insert) runs again once,
 * and the check then names the line.
 */
export async function importOrganization(db: Db, org: OrgFile, now = new Date()): Promise<ImportSummary> {
  try {
    return await importOnce(db, org, now);
  } catch (error) {
    if (!isUniqueViolation(error, 'identities_unique', 'chats_unique', 'tenants_hazard_prefix')) throw error;
    return importOnce(db, org, now);
  }
}

const fileOf = (org: OrgFile) => org.origin?.file ?? 'org.yaml';

async function importOnce(db: Db, org: OrgFile, now: Date): Promise<ImportSummary> {
  return db.transaction(async (tx) => {
    await lockClaims(tx);
    const claimed = await claimProblems(tx, org);
    if (claimed.length > 0) throw new OrgFileError(fileOf(org), claimed);
    // Holiday notices are imported on their own (calendar:import, the console), not with the file.
    const [stored] = await tx
      .select({ settings: tenants.settings })
      .from(tenants)
      .where(eq(tenants.code, org.tenant.code))
      .for('update');
    const notices = importedNotices(stored?.settings);
    const { prefix, problem } = await hazardPrefixOf(tx, org);
    if (problem) throw new OrgFileError(fileOf(org), [problem]);
    const settings = notices ? { ...org.settings, holiday_notices: notices } : org.settings;
    const [tenant] = await tx
      .insert(tenants)
      .values({
        code: org.tenant.code,
        name: org.tenant.name,
        kind: org.tenant.kind,
        timezone: org.tenant.timezone,
        settings,
        hazardPrefix: prefix,
        bureauCode: org.tenant.bureau ?? null,
        createdAt: now,
      })
      .onConflictDoUpdate({
        target: tenants.code,
        set: {
          name: org.tenant.name,
          kind: org.tenant.kind,
          timezone: org.tenant.timezone,
          settings,
          hazardPrefix: prefix,
          bureauCode: org.tenant.bureau ?? null,
          // An imported organization is a real one, even where demo mode once loaded the same file; its
          // obligations count from this first real import, not from the demo (issue 15 §2).
          demo: false,
          createdAt: sql`case when ${tenants.demo} then ${now.toISOString()}::timestamptz else ${tenants.createdAt} end`,
        },
      })
      .returning({ id: tenants.id });
    const tenantId = tenant!.id;

    const unitIds = await upsertUnits(tx, tenantId, org);
    const postIds = await upsertPosts(tx, tenantId, org, unitIds, now);
    const personIds = await upsertPeople(tx, tenantId, org);

    const tenantPostIds = [...postIds.values()];
    if (tenantPostIds.length > 0) {
      await tx.delete(postSupervisedUnits).where(inArray(postSupervisedUnits.postId, tenantPostIds));
    }
    const supervised = org.posts.flatMap((post) =>
      post.supervises.map((unit) => ({ postId: postIds.get(post.code)!, unitId: unitIds.get(unit)! })),
    );
    if (supervised.length > 0) await tx.insert(postSupervisedUnits).values(supervised);

    await tx.delete(leadingGroupMembers).where(eq(leadingGroupMembers.tenantId, tenantId));
    const members = (Object.keys(ROLE_OF) as (keyof typeof ROLE_OF)[]).flatMap((key) =>
      org.leading_group[key].map((post) => ({ tenantId, postId: postIds.get(post)!, role: ROLE_OF[key] })),
    );
    if (members.length > 0) await tx.insert(leadingGroupMembers).values(members).onConflictDoNothing();
    await tx
      .update(tenants)
      .set({ officeUnitId: unitIds.get(org.leading_group.office)! })
      .where(eq(tenants.id, tenantId));

    await syncObligations(tx, tenantId, org, postIds, now);
    await replaceIdentities(tx, tenantId, org, personIds);
    const holders = await syncHolders(tx, tenantId, org, postIds, personIds, now);
    await replaceCategories(tx, tenantId, org, unitIds);
    await syncChecklists(tx, tenantId, org, unitIds);

    await syncChats(tx, tenantId, org);

    await writeLevelDeclarations(tx, tenantId, org, { units: unitIds, posts: postIds, people: personIds });
    const levels = await linkLevels(tx, tenantId, org);
    if (levels.problems.length > 0) throw new OrgFileError(fileOf(org), levels.problems);
    const [linked] = await tx
      .select({ code: tenants.code })
      .from(tenants)
      .where(eq(tenants.id, sql`(select parent_id from ${tenants} where id = ${tenantId})`));

    return {
      tenantId,
      tenantCode: org.tenant.code,
      units: org.units.length,
      posts: org.posts.length,
      people: org.people.length,
      categories: org.categories.length,
      ...holders,
      ...(linked ? { bureau: linked.code } : {}),
      warnings: levels.warnings,
    };
  });
}

async function upsertUnits(tx: Tx, tenantId: number, org: OrgFile) {
  const ids = new Map<string, number>();
  for (const unit of org.units) {
    const [row] = await tx
      .insert(units)
      .values({ tenantId, code: unit.code, name: unit.name, safetyDuties: unit.safety_duties })
      .onConflictDoUpdate({
        target: [units.tenantId, units.code],
        set: { name: unit.name, safetyDuties: unit.safety_duties, archived: false },
      })
      .returning({ id: units.id });
    ids.set(unit.code, row!.id);
  }
  await tx
    .update(units)
    .set({ archived: true })
    .where(and(eq(units.tenantId, tenantId), notInArray(units.code, [...ids.keys()])));
  return ids;
}

async function upsertPosts(tx: Tx, tenantId: number, org: OrgFile, unitIds: Map<string, number>, now: Date) {
  const ids = new Map<string, number>();
  for (const post of org.posts) {
    const values = {
      title: post.title,
      unitId: post.unit ? unitIds.get(post.unit)! : null,
      isUnitHead: post.head_of_unit,
      level: post.level,
      businessDuties: post.business_duties,
      safetyDuties: post.safety_duties,
      archived: false,
    };
    const [row] = await tx
      .insert(posts)
      .values({ tenantId, code: post.code, ...values, createdAt: now })
      .onConflictDoUpdate({ target: [posts.tenantId, posts.code], set: values })
      .returning({ id: posts.id });
    ids.set(post.code, row!.id);
  }
  await tx
    .update(posts)
    .set({ archived: true })
    .where(
      and(eq(posts.tenantId, tenantId), ids.size > 0 ? notInArray(posts.code, [...ids.keys()]) : sql`true`),
    );
  return ids;
}

async function upsertPeople(tx: Tx, tenantId: number, org: OrgFile) {
  const ids = new Map<string, number>();
  for (const person of org.people) {
    const values = {
      name: person.name,
      phone: person.phone ?? person.mobile ?? null,
      archived: false,
      isOutside: false,
    };
    const [row] = await tx
      .insert(people)
      .values({ tenantId, code: person.code, ...values })
      .onConflictDoUpdate({ target: [people.tenantId, people.code], set: values })
      .returning({ id: people.id });
    ids.set(person.code, row!.id);
  }
  await tx
    .update(people)
    .set({ archived: true })
    .where(
      and(
        eq(people.tenantId, tenantId),
        eq(people.isOutside, false),
        ids.size > 0 ? notInArray(people.code, [...ids.keys()]) : sql`true`,
      ),
    );
  return ids;
}

/**
 * The file's chats are bound to the tenant, and the tenant's chats the file no longer names are released.
 * A chat bound to another tenant is never taken over (claimProblems refused it; this holds in a race).
 */
async function syncChats(tx: Tx, tenantId: number, org: OrgFile) {
  for (const [index, chat] of org.chats.entries()) {
    const [row] = await tx
      .insert(chats)
      .values({ tenantId, channel: chat.channel, chatId: chat.id, name: chat.name })
      .onConflictDoUpdate({
        target: [chats.channel, chats.chatId],
        set: { name: chat.name ?? null },
        setWhere: eq(chats.tenantId, tenantId),
      })
      .returning({ id: chats.id });
    if (!row) throw new OrgFileError(fileOf(org), [chatClaimProblem(org, index)]);
  }
  const named = new Set(org.chats.map((chat) => `${chat.channel}\0${chat.id}`));
  const bound = await tx.select().from(chats).where(eq(chats.tenantId, tenantId));
  const released = bound.filter((row) => !named.has(`${row.channel}\0${row.chatId}`)).map((row) => row.id);
  for (const some of chunks(released)) await tx.delete(chats).where(inArray(chats.id, some));
}

async function replaceIdentities(tx: Tx, tenantId: number, org: OrgFile, personIds: Map<string, number>) {
  const rows = claimedIdentities(org).map((id) => ({
    tenantId,
    personId: personIds.get(org.people[id.person]!.code)!,
    channel: id.channel,
    kind: id.kind,
    value: id.value,
  }));
  // The file is the truth for its people; an identity it gives to someone takes it from anyone else of
  // the tenant (an outside reporter who has since been added to the organization becomes that person),
  // and from another tenant's outside reporter or archived member, whom it no longer reaches there. A
  // current member of another tenant keeps it: claimProblems refused the file, and in a race the unique
  // index refuses the insert.
  const filePeople = [...personIds.values()];
  if (filePeople.length > 0) {
    await tx
      .delete(identities)
      .where(and(eq(identities.tenantId, tenantId), inArray(identities.personId, filePeople)));
  }
  const formerOrOutside = tx
    .select({ id: people.id })
    .from(people)
    .where(or(eq(people.archived, true), eq(people.isOutside, true)));
  const taken = new Map<string, string[]>();
  for (const row of rows) {
    const key = `${row.channel}\0${row.kind}`;
    const values = taken.get(key) ?? [];
    values.push(row.value);
    taken.set(key, values);
  }
  for (const [key, values] of taken) {
    const [channel, kind] = key.split('\0') as [(typeof rows)[number]['channel'], string];
    for (const some of chunks(values)) {
      await tx
        .delete(identities)
        .where(
          and(
            or(eq(identities.tenantId, tenantId), inArray(identities.personId, formerOrOutside)),
            eq(identities.channel, channel),
            eq(identities.kind, kind),
            inArray(identities.value, some),
          ),
        );
    }
  }
  for (const some of chunks(rows)) await tx.insert(identities).values(some);
}

async function syncHolders(
  tx: Tx,
  tenantId: number,
  org: OrgFile,
  postIds: Map<string, number>,
  personIds: Map<string, number>,
  now: Date,
) {
  const wanted = new Set(
    org.people.flatMap((person) =>
      person.posts.map((post) => `${postIds.get(post)}:${personIds.get(person.code)}`),
    ),
  );
  const current = await tx
    .select({ id: postHolders.id, postId: postHolders.postId, personId: postHolders.personId })
    .from(postHolders)
    .where(and(eq(postHolders.tenantId, tenantId), isNull(postHolders.endedAt)));
  const have = new Set(current.map((row) => `${row.postId}:${row.personId}`));
  const ended = current.filter((row) => !wanted.has(`${row.postId}:${row.personId}`)).map((row) => row.id);
  if (ended.length > 0)
    await tx.update(postHolders).set({ endedAt: now }).where(inArray(postHolders.id, ended));
  const started = [...wanted]
    .filter((key) => !have.has(key))
    .map((key) => {
      const [postId, personId] = key.split(':').map(Number);
      return { tenantId, postId: postId!, personId: personId!, startedAt: now };
    });
  for (const some of chunks(started)) await tx.insert(postHolders).values(some);
  return { holdersStarted: started.length, holdersEnded: ended.length };
}

async function replaceCategories(tx: Tx, tenantId: number, org: OrgFile, unitIds: Map<string, number>) {
  const ids = new Map<string, number>();
  for (const category of org.categories) {
    const values = { name: category.name, keywords: category.keywords, archived: false };
    const [row] = await tx
      .insert(categories)
      .values({ tenantId, code: category.code, ...values })
      .onConflictDoUpdate({ target: [categories.tenantId, categories.code], set: values })
      .returning({ id: categories.id });
    ids.set(category.code, row!.id);
  }
  const tenantCategories = tx
    .select({ id: categories.id })
    .from(categories)
    .where(eq(categories.tenantId, tenantId));
  await tx.delete(categoryUnits).where(inArray(categoryUnits.categoryId, tenantCategories));
  await tx
    .update(categories)
    .set({ archived: true })
    .where(
      and(
        eq(categories.tenantId, tenantId),
        ids.size > 0 ? notInArray(categories.code, [...ids.keys()]) : sql`true`,
      ),
    );
  const routes = org.categories.flatMap((category) =>
    category.units.map((route, position) => ({
      categoryId: ids.get(category.code)!,
      unitId: unitIds.get(route.unit)!,
      position,
      scope: route.scope ?? null,
      keywords: route.keywords,
    })),
  );
  if (routes.length > 0) await tx.insert(categoryUnits).values(routes);
}

/** Obligations live on posts (DOMAIN §3); by (post, code), archived when the file drops them. */
async function syncObligations(
  tx: Tx,
  tenantId: number,
  org: OrgFile,
  postIds: Map<string, number>,
  now: Date,
) {
  for (const post of org.posts) {
    const postId = postIds.get(post.code)!;
    for (const obligation of post.obligations) {
      const values = {
        kind: obligation.kind,
        title: obligation.title,
        cadence: obligation.cadence,
        minCount: obligation.min,
        schools: obligation.schools,
        scope: obligation.scope,
        source: obligation.source ?? null,
        archived: false,
      };
      await tx
        .insert(obligations)
        .values({ tenantId, postId, code: obligation.code, ...values, createdAt: now })
        .onConflictDoUpdate({ target: [obligations.postId, obligations.code], set: values });
    }
    const kept = post.obligations.map((obligation) => obligation.code);
    await tx
      .update(obligations)
      .set({ archived: true })
      .where(
        and(eq(obligations.postId, postId), kept.length > 0 ? notInArray(obligations.code, kept) : sql`true`),
      );
  }
}
