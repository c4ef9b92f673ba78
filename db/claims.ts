// A group chat binding and a platform identity belong to one tenant. An organization file may only claim
// what no other tenant holds (the check below gives the precise refusal; the unique indexes
// `chats_unique` and `identities_unique`, across tenants, are the guarantee when two imports race).
// Moving one between tenants is an operator's act on the command line (`npm run org:move`), audited in
// both tenants' trails.
import { and, eq, inArray, ne, or, sql } from 'drizzle-orm';
import type { Channel as AnyChannel } from '../bot/core/types.ts';
import {
  chatClaimProblem,
  claimedIdentities,
  identityClaimProblem,
  inFileOrder,
  type OrgFile,
} from '../handlers/org-file.ts';
import { chunks } from './chunks.ts';
import type { Db, Queryable } from './client.ts';
import { auditEvents, chats, identities, people, tenants } from './schema.ts';

/** The platforms whose chats and ids a tenant may hold (the console is no one's). */
type Channel = Exclude<AnyChannel, 'console'>;

/** The lock every writer of chats and platform ids takes for its transaction (any number: one of ours). */
const CLAIMS_LOCK = 720_002;

/**
 * Serialises the transactions that claim or move chats and platform ids (imports, org:move): the check
 * reads identities and chats in separate statements, each of which sees what committed before it, so an
 * import running beside another could see the other's chat but not its ids and name only half of what it
 * claims. Imports are rare; waiting for one another costs nothing. Held until the transaction ends.
 */
export async function lockClaims(tx: Queryable): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(${CLAIMS_LOCK})`);
}

/**
 * What the file claims that another tenant holds: a chat bound to it, or a platform id of one of its
 * current members. An id of another tenant's outside reporter or archived member is no one's there any
 * more and may be claimed (the importer takes it over). Never names the other tenant.
 */
export async function claimProblems(db: Queryable, org: OrgFile) {
  const problems: { path: string; message: string }[] = [];
  const ids = claimedIdentities(org);
  const groups = new Map<string, typeof ids>();
  for (const id of ids) {
    const key = `${id.channel}\0${id.kind}`;
    groups.set(key, [...(groups.get(key) ?? []), id]);
  }
  const held = new Set<string>();
  for (const group of groups.values()) {
    const { channel, kind } = group[0]!;
    for (const some of chunks(group)) {
      const rows = await db
        .select({ value: identities.value })
        .from(identities)
        .innerJoin(people, eq(people.id, identities.personId))
        .innerJoin(tenants, eq(tenants.id, identities.tenantId))
        .where(
          and(
            eq(identities.channel, channel),
            eq(identities.kind, kind),
            inArray(
              identities.value,
              some.map((id) => id.value),
            ),
            ne(tenants.code, org.tenant.code),
            eq(people.archived, false),
            eq(people.isOutside, false),
          ),
        );
      for (const row of rows) held.add(`${channel}\0${kind}\0${row.value}`);
    }
  }
  for (const id of ids) {
    if (held.has(`${id.channel}\0${id.kind}\0${id.value}`)) {
      problems.push(identityClaimProblem(org, id));
    }
  }
  const boundElsewhere = new Set<string>();
  for (const some of chunks(org.chats)) {
    const rows = await db
      .select({ channel: chats.channel, chatId: chats.chatId })
      .from(chats)
      .innerJoin(tenants, eq(tenants.id, chats.tenantId))
      .where(
        and(
          ne(tenants.code, org.tenant.code),
          or(...some.map((chat) => and(eq(chats.channel, chat.channel), eq(chats.chatId, chat.id)))),
        ),
      );
    for (const row of rows) boundElsewhere.add(`${row.channel}\0${row.chatId}`);
  }
  org.chats.forEach((chat, index) => {
    if (boundElsewhere.has(`${chat.channel}\0${chat.id}`)) problems.push(chatClaimProblem(org, index));
  });
  return inFileOrder(problems);
}

/** True when the error (or what drizzle wraps in it) is a unique violation of one of these indexes. */
export function isUniqueViolation(error: unknown, ...constraints: string[]): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    const { code, constraint_name, constraint } = current as Record<string, unknown>;
    if (code === '23505') {
      const name = constraint_name ?? constraint;
      return typeof name !== 'string' || constraints.includes(name);
    }
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** Why a move does not fit the database; the command line words it (bot/cli/org-move.ts). */
export type MoveRefusal =
  | { kind: 'same_tenant' }
  | { kind: 'no_tenant'; code: string }
  | { kind: 'chat_not_bound'; tenant: TenantName; channel: Channel; chatId: string }
  | { kind: 'identity_not_held'; tenant: TenantName; channel: Channel; idKind: string; value: string }
  | { kind: 'no_person'; tenant: TenantName; person: string };
type TenantName = { name: string; code: string };

export class MoveError extends Error {
  override name = 'MoveError';
  constructor(readonly refusal: MoveRefusal) {
    super(refusal.kind);
  }
}

export interface MoveRequest {
  from: string;
  to: string;
  reason: string;
  /** Who ran it, as the operating system knows them (the command line has no login). */
  operator: string;
}

async function tenantsOf(db: Queryable, request: MoveRequest) {
  if (request.from === request.to) throw new MoveError({ kind: 'same_tenant' });
  const rows = await db
    .select()
    .from(tenants)
    .where(inArray(tenants.code, [request.from, request.to]));
  const find = (code: string) => {
    const tenant = rows.find((row) => row.code === code);
    if (!tenant) throw new MoveError({ kind: 'no_tenant', code });
    return tenant;
  };
  return { from: find(request.from), to: find(request.to) };
}

/** Both tenants' audit trails record the move: who, when, from, to, why. */
async function audit(
  db: Queryable,
  tenantIds: number[],
  subject: string,
  action: string,
  request: MoveRequest,
  data: Record<string, unknown>,
) {
  await db.insert(auditEvents).values(
    tenantIds.map((tenantId) => ({
      tenantId,
      subject,
      action,
      fromStatus: request.from,
      toStatus: request.to,
      note: request.reason,
      data: { ...data, operator: request.operator },
    })),
  );
}

/** Binds a group chat held by one tenant to another. */
export async function moveChat(
  db: Db,
  request: MoveRequest & { channel: Channel; chatId: string },
): Promise<{ fromName: string; toName: string }> {
  return db.transaction(async (tx) => {
    await lockClaims(tx);
    const { from, to } = await tenantsOf(tx, request);
    const [moved] = await tx
      .update(chats)
      .set({ tenantId: to.id })
      .where(
        and(
          eq(chats.tenantId, from.id),
          eq(chats.channel, request.channel),
          eq(chats.chatId, request.chatId),
        ),
      )
      .returning({ id: chats.id });
    if (!moved) {
      throw new MoveError({
        kind: 'chat_not_bound',
        tenant: { name: from.name, code: from.code },
        channel: request.channel,
        chatId: request.chatId,
      });
    }
    await audit(tx, [from.id, to.id], `chat:${moved.id}`, 'chat.moved', request, {
      channel: request.channel,
      chatId: request.chatId,
    });
    return { fromName: from.name, toName: to.name };
  });
}

/** Gives a platform id held by a person of one tenant to a person of another (by the person's code). */
export async function moveIdentity(
  db: Db,
  request: MoveRequest & { channel: Channel; kind: string; value: string; person: string },
): Promise<{ fromName: string; toName: string; personName: string }> {
  return db.transaction(async (tx) => {
    await lockClaims(tx);
    const { from, to } = await tenantsOf(tx, request);
    const [target] = await tx
      .select()
      .from(people)
      .where(and(eq(people.tenantId, to.id), eq(people.code, request.person), eq(people.archived, false)));
    if (!target) {
      throw new MoveError({
        kind: 'no_person',
        tenant: { name: to.name, code: to.code },
        person: request.person,
      });
    }
    const match = and(
      eq(identities.tenantId, from.id),
      eq(identities.channel, request.channel),
      eq(identities.kind, request.kind),
      eq(identities.value, request.value),
    );
    const [held] = await tx
      .select({ id: identities.id, person: people.code })
      .from(identities)
      .innerJoin(people, eq(people.id, identities.personId))
      .where(match)
      .for('update');
    if (!held) {
      throw new MoveError({
        kind: 'identity_not_held',
        tenant: { name: from.name, code: from.code },
        channel: request.channel,
        idKind: request.kind,
        value: request.value,
      });
    }
    await tx
      .update(identities)
      .set({ tenantId: to.id, personId: target.id })
      .where(eq(identities.id, held.id));
    await audit(tx, [from.id, to.id], `identity:${held.id}`, 'identity.moved', request, {
      channel: request.channel,
      kind: request.kind,
      value: request.value,
      fromPerson: held.person,
      toPerson: request.person,
    });
    return { fromName: from.name, toName: to.name, personName: target.name };
  });
}
