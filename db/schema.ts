// The single source of truth for the database. drizzle-kit generates db/migrations from this file.
import { sql } from 'drizzle-orm';
import {
  type AnyPgColumn,
  bigserial,
  boolean,
  check,
  customType,
  index,
  integer,
  jsonb,
  numeric,
  pgEnum,
  pgTable,
  primaryKey,
  serial,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import { CHANNELS } from '../bot/core/types.ts';
import type { Button, Card } from '../cards/model.ts';
import {
  ACCIDENT_KINDS,
  ACCIDENT_SEVERITIES,
  PROPOSAL_STATUSES,
  type VetoKind,
} from '../handlers/accident-rules.ts';
import { FETCH_STATUSES, FILE_LOCATIONS, PHOTO_STAGES } from '../handlers/evidence-rules.ts';
import { HAZARD_ORIGINS, HAZARD_STATUSES } from '../handlers/hazard-workflow.ts';
import {
  CHECKLIST_KINDS,
  ROUND_RESULTS,
  ROUND_SCOPES,
  type RoundStatus,
} from '../handlers/inspection-rules.ts';
import { OBLIGATION_KINDS, type ObligationScope } from '../handlers/obligation-kinds.ts';

export type { ObligationScope };

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
const createdAt = () => ts('created_at').notNull().defaultNow();
// Every row belongs to a tenant (DESIGN.md §4); `tenants` is declared below, hence the thunk.
const tenantRef = () =>
  integer('tenant_id')
    .notNull()
    .references((): AnyPgColumn => tenants.id);
/** The key and the tenant every tenant-scoped table starts with. */
const tenantRow = () => ({ id: serial('id').primaryKey(), tenantId: tenantRef() });
/** A column pointing at a person (`people` is declared below, hence the thunk). */
const personRef = (name: string) => integer(name).references((): AnyPgColumn => people.id);

export const channelEnum = pgEnum('channel', CHANNELS);
/** 第一责任人 / 直接责任人 / 岗位责任人 (004 §一(一), 002 §四(一)). */
export const levelEnum = pgEnum('responsibility_level', ['first', 'direct', 'post']);
export const leadingRoleEnum = pgEnum('leading_group_role', [
  'leader',
  'deputy',
  'member',
  'office_director',
  'office_deputy',
]);
export const severityEnum = pgEnum('hazard_severity', ['general', 'major', 'grave']);
export const hazardStatusEnum = pgEnum('hazard_status', HAZARD_STATUSES);
export const hazardOriginEnum = pgEnum('hazard_origin', HAZARD_ORIGINS);
export const outboxStatusEnum = pgEnum('outbox_status', ['pending', 'sending', 'sent', 'failed']);

export const tenants = pgTable(
  'tenants',
  {
    id: serial('id').primaryKey(),
    code: text('code').notNull().unique(),
    name: text('name').notNull(),
    kind: text('kind').notNull().default('school'),
    timezone: text('timezone').notNull().default('Asia/Shanghai'),
    /**
     * The level above (a bureau over its schools, a city bureau over district bureaus): resolved at import
     * from a bureau's `schools` and a school's `tenant.bureau`, whichever file comes first. Never a cycle.
     */
    parentId: integer('parent_id').references((): AnyPgColumn => tenants.id),
    /** The bureau a school's own file names (`tenant.bureau`), kept until that bureau is loaded. */
    bureauCode: text('bureau_code'),
    /** The organization's part of its hazard numbers (YH-<prefix>-2026-0001): unique across tenants. */
    hazardPrefix: text('hazard_prefix').notNull(),
    /** The leading group's office (领导小组办公室): the fallback route of every hazard. */
    officeUnitId: integer('office_unit_id'),
    /** Tenant policies (deadlines by severity, reminder lead times); see handlers/settings.ts. */
    settings: jsonb('settings').$type<Record<string, unknown>>().notNull().default({}),
    /** Loaded by demo mode from the example file; any import clears it (a real organization is never demo). */
    demo: boolean('demo').notNull().default(false),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('tenants_hazard_prefix').on(t.hazardPrefix),
    index('tenants_parent').on(t.parentId),
    check('tenants_not_own_parent', sql`${t.parentId} <> ${t.id}`),
  ],
);

/** The schools a bureau's file names (`schools`), by code: linked to their tenants when both are loaded. */
export const bureauSchools = pgTable(
  'bureau_schools',
  {
    bureauId: integer('bureau_id')
      .notNull()
      .references(() => tenants.id),
    code: text('code').notNull(),
    name: text('name').notNull(),
  },
  (t) => [primaryKey({ columns: [t.bureauId, t.code] })],
);

/**
 * 分包学校 (001 §三.1): a bureau's post, unit or person contracted to one of its schools. The school is
 * named as the file names it and points at the school's tenant once that school is linked to the bureau.
 */
export const bureauContracts = pgTable(
  'bureau_contracts',
  {
    id: serial('id').primaryKey(),
    bureauId: integer('bureau_id')
      .notNull()
      .references(() => tenants.id),
    postId: integer('post_id').references((): AnyPgColumn => posts.id),
    unitId: integer('unit_id').references((): AnyPgColumn => units.id),
    personId: personRef('person_id'),
    /** The obligation of the post that names the school (its 督查 visits), when it is one. */
    obligationCode: text('obligation_code'),
    schoolName: text('school_name').notNull(),
    schoolId: integer('school_id').references(() => tenants.id),
  },
  (t) => [
    index('bureau_contracts_bureau').on(t.bureauId),
    index('bureau_contracts_school').on(t.schoolId),
    check('bureau_contracts_one_holder', sql`num_nonnulls(${t.postId}, ${t.unitId}, ${t.personId}) = 1`),
  ],
);

export const units = pgTable(
  'units',
  {
    ...tenantRow(),
    code: text('code').notNull(),
    name: text('name').notNull(),
    safetyDuties: jsonb('safety_duties').$type<string[]>().notNull().default([]),
    archived: boolean('archived').notNull().default(false),
  },
  (t) => [uniqueIndex('units_tenant_code').on(t.tenantId, t.code)],
);

export const posts = pgTable(
  'posts',
  {
    ...tenantRow(),
    code: text('code').notNull(),
    title: text('title').notNull(),
    unitId: integer('unit_id').references(() => units.id),
    /** The holder of this post heads its unit (处室负责人) and receives the unit's hazards. */
    isUnitHead: boolean('is_unit_head').notNull().default(false),
    level: levelEnum('level').notNull().default('post'),
    businessDuties: jsonb('business_duties').$type<string[]>().notNull().default([]),
    safetyDuties: jsonb('safety_duties').$type<string[]>().notNull().default([]),
    archived: boolean('archived').notNull().default(false),
    /** When the post was first imported: its obligations are assessed from then on (issue 15 §2). */
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('posts_tenant_code').on(t.tenantId, t.code)],
);

/** 分管: the units a leader's post supervises; escalation climbs from a unit to these posts. */
export const postSupervisedUnits = pgTable(
  'post_supervised_units',
  {
    postId: integer('post_id')
      .notNull()
      .references(() => posts.id),
    unitId: integer('unit_id')
      .notNull()
      .references(() => units.id),
  },
  (t) => [primaryKey({ columns: [t.postId, t.unitId] })],
);

export const leadingGroupMembers = pgTable(
  'leading_group_members',
  {
    tenantId: tenantRef(),
    postId: integer('post_id')
      .notNull()
      .references(() => posts.id),
    role: leadingRoleEnum('role').notNull(),
  },
  (t) => [primaryKey({ columns: [t.postId, t.role] })],
);

export const people = pgTable(
  'people',
  {
    ...tenantRow(),
    /** Stable key from the organization file; outside reporters get a generated one. */
    code: text('code').notNull(),
    name: text('name').notNull(),
    phone: text('phone'),
    /** Someone not in the organization who reported through a chat (DOMAIN §4: anyone may report). */
    isOutside: boolean('is_outside').notNull().default(false),
    archived: boolean('archived').notNull().default(false),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('people_tenant_code').on(t.tenantId, t.code)],
);

/**
 * A person's address on one channel: Feishu open_id/user_id, WeCom userid, Wechaty contact id. Unique
 * across tenants: the service has one app per platform, so an id names one human everywhere, and it
 * belongs to one tenant (moved only by `npm run org:move`).
 */
export const identities = pgTable(
  'identities',
  {
    ...tenantRow(),
    personId: personRef('person_id').notNull(),
    channel: channelEnum('channel').notNull(),
    kind: text('kind').notNull(),
    value: text('value').notNull(),
  },
  (t) => [
    uniqueIndex('identities_unique').on(t.channel, t.kind, t.value),
    index('identities_lookup').on(t.channel, t.value),
  ],
);

/** Holders are kept apart from posts: duties stay with the post when its holder changes (004 附则). */
export const postHolders = pgTable(
  'post_holders',
  {
    ...tenantRow(),
    postId: integer('post_id')
      .notNull()
      .references(() => posts.id),
    personId: personRef('person_id').notNull(),
    startedAt: ts('started_at').notNull().defaultNow(),
    endedAt: ts('ended_at'),
  },
  (t) => [uniqueIndex('post_holders_current').on(t.postId, t.personId).where(sql`${t.endedAt} is null`)],
);

/** Group chats bound to a tenant, so that an outside reporter in a group is routed to its school. */
export const chats = pgTable(
  'chats',
  {
    ...tenantRow(),
    channel: channelEnum('channel').notNull(),
    chatId: text('chat_id').notNull(),
    name: text('name'),
  },
  (t) => [uniqueIndex('chats_unique').on(t.channel, t.chatId)],
);

/** Hazard categories with the keywords that recognise them and the units they route to (002 §三(三)2). */
export const categories = pgTable(
  'categories',
  {
    ...tenantRow(),
    code: text('code').notNull(),
    name: text('name').notNull(),
    keywords: jsonb('keywords').$type<string[]>().notNull().default([]),
    archived: boolean('archived').notNull().default(false),
  },
  (t) => [uniqueIndex('categories_tenant_code').on(t.tenantId, t.code)],
);

export const categoryUnits = pgTable(
  'category_units',
  {
    categoryId: integer('category_id')
      .notNull()
      .references(() => categories.id),
    unitId: integer('unit_id')
      .notNull()
      .references(() => units.id),
    position: integer('position').notNull(),
    /** What this unit handles within the category, e.g. 食堂卫生 vs 食品配送. */
    scope: text('scope'),
    keywords: jsonb('keywords').$type<string[]>().notNull().default([]),
  },
  (t) => [primaryKey({ columns: [t.categoryId, t.unitId] })],
);

/** Per-tenant sequences for human ids such as YH-2026-0001. */
export const counters = pgTable(
  'counters',
  {
    tenantId: tenantRef(),
    key: text('key').notNull(),
    value: integer('value').notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.key] })],
);

export const hazards = pgTable(
  'hazards',
  {
    ...tenantRow(),
    code: text('code').notNull(),
    description: text('description').notNull(),
    place: text('place'),
    categoryId: integer('category_id').references(() => categories.id),
    /** Null until the reporter or the handler says how grave it is: the bot asks, it does not guess. */
    severity: severityEnum('severity'),
    status: hazardStatusEnum('status').notNull().default('reported'),
    /** 挂牌督办 is a flag on an open hazard, not a state (003 §六). */
    listed: boolean('listed').notNull().default(false),
    reporterId: personRef('reporter_id').notNull(),
    /** 隐患来源: existing rows and every report from chat are `report`. */
    origin: hazardOriginEnum('origin').notNull().default('report'),
    sourceChannel: channelEnum('source_channel').notNull(),
    sourceChatId: text('source_chat_id'),
    unitId: integer('unit_id').references(() => units.id),
    acceptedById: personRef('accepted_by_id'),
    acceptedAt: ts('accepted_at'),
    /** Who rectifies: the unit head who accepted it, unless they assign someone. */
    rectifierId: personRef('rectifier_id'),
    deadline: ts('deadline'),
    /** The deadline was counted in working days through a year with no holiday schedule yet (（估算）). */
    deadlineEstimated: boolean('deadline_estimated').notNull().default(false),
    /** 临时管控措施 taken at acceptance until it is rectified: required for a 重大 hazard (DOMAIN §4). */
    interimMeasures: text('interim_measures'),
    measures: text('measures'),
    /** 整改资金 in yuan, given when the rectification is submitted (null: not given). */
    rectificationFunds: numeric('rectification_funds', { precision: 12, scale: 2, mode: 'number' }),
    rectifiedById: personRef('rectified_by_id'),
    rectifiedAt: ts('rectified_at'),
    reviewedById: personRef('reviewed_by_id'),
    reviewedAt: ts('reviewed_at'),
    closedAt: ts('closed_at'),
    rejectReason: text('reject_reason'),
    /** 挂牌督办 (003 §六): the matter, the unit that must fix it, and the deadline of the listing. */
    listedMatter: text('listed_matter'),
    listedUnitId: integer('listed_unit_id').references(() => units.id),
    listedDeadline: ts('listed_deadline'),
    /** A leader in chat (or the demo console acting as one); null when the office's account listed it. */
    listedById: personRef('listed_by_id'),
    /** The office's console account that listed it, in its own name (issue 14). */
    listedByAccountId: integer('listed_by_account_id').references((): AnyPgColumn => adminAccounts.id),
    /**
     * The level above that listed it (区教育局挂牌督办, issue 19): the lister (`listed_by_id` or
     * `listed_by_account_id`) is then of that tenant; null when the school listed it itself.
     */
    listedByTenantId: integer('listed_by_tenant_id').references((): AnyPgColumn => tenants.id),
    listedAt: ts('listed_at'),
    /** An open hazard this report looked like when it came in (same place words and category, 7 days). */
    similarToId: integer('similar_to_id').references((): AnyPgColumn => hazards.id),
    /** Marked a duplicate of this hazard (then rejected): linked to it and counted once. */
    duplicateOfId: integer('duplicate_of_id').references((): AnyPgColumn => hazards.id),
    createdAt: createdAt(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('hazards_tenant_code').on(t.tenantId, t.code),
    index('hazards_tenant_status').on(t.tenantId, t.status),
    index('hazards_tenant_created').on(t.tenantId, t.createdAt),
    // Listed by a member or by the office's console account, never both (neither before any listing).
    check('hazards_one_lister', sql`${t.listedById} is null or ${t.listedByAccountId} is null`),
  ],
);

export const photoStageEnum = pgEnum('photo_stage', PHOTO_STAGES);
export const fetchStatusEnum = pgEnum('fetch_status', FETCH_STATUSES);
export const fileLocationEnum = pgEnum('file_location', FILE_LOCATIONS);

/** Raw bytes (PostgreSQL `bytea`): a Uint8Array in, a Uint8Array (a Buffer on postgres.js) out. */
const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({ dataType: () => 'bytea' });

/**
 * A file kept by the product (a photo of a hazard, of a record): once per tenant and content (sha256).
 * Its bytes are `stored_file_chunks` (location `db`) or one object of the S3-compatible bucket (`s3`,
 * `object_key`). Written with its chunks in one transaction: a row exists only with all its bytes.
 */
export const storedFiles = pgTable(
  'stored_files',
  {
    ...tenantRow(),
    sha256: text('sha256').notNull(),
    /** As read from the bytes (file-type), not as the platform said. */
    contentType: text('content_type').notNull(),
    size: integer('size').notNull(),
    location: fileLocationEnum('location').notNull(),
    objectKey: text('object_key'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('stored_files_tenant_sha256').on(t.tenantId, t.sha256),
    check('stored_files_object_key', sql`(${t.location} = 's3') = (${t.objectKey} is not null)`),
  ],
);

/** The bytes of a file stored in the database, in order, in chunks of EVIDENCE_LIMITS.chunkBytes. */
export const storedFileChunks = pgTable(
  'stored_file_chunks',
  {
    fileId: integer('file_id')
      .notNull()
      .references(() => storedFiles.id),
    seq: integer('seq').notNull(),
    data: bytea('data').notNull(),
  },
  (t) => [primaryKey({ columns: [t.fileId, t.seq] })],
);

/**
 * A stored photo's thumbnail (handlers/thumbnail.ts): a JPEG of a few KB whose long side is 128 px, made
 * once when the photo is kept (on a thread of its own, bot/core/thumbnails.ts) or by the first ledger export
 * that needs it, and kept here beside the file whatever its location (the export reads it in one query, no
 * bucket round trip). `error` says why none can be made of this photo (not decodable, too many pixels): it is
 * not tried again.
 */
export const storedFileThumbnails = pgTable(
  'stored_file_thumbnails',
  {
    // Goes with its file (a file kept on arrival and then refused is deleted, its thumbnail perhaps being made).
    fileId: integer('file_id')
      .primaryKey()
      .references(() => storedFiles.id, { onDelete: 'cascade' }),
    tenantId: tenantRef(),
    data: bytea('data'),
    width: integer('width'),
    height: integer('height'),
    error: text('error'),
    createdAt: createdAt(),
  },
  (t) => [
    check(
      'stored_file_thumbnails_made_or_refused',
      sql`(${t.data} is null) = (${t.error} is not null) and (${t.data} is null) = (${t.width} is null)`,
    ),
  ],
);

/**
 * The download of a received file from its platform (bot/core/evidence.ts, jobs/evidence.ts): pending
 * until stored or given up; tried again at `fetch_next_at`, no later than `fetch_until` (the platform's
 * window from the message).
 */
const fetchState = () => ({
  /** The file as kept; null until the download succeeded. */
  fileId: integer('file_id').references((): AnyPgColumn => storedFiles.id),
  fetchStatus: fetchStatusEnum('fetch_status').notNull().default('pending'),
  fetchAttempts: integer('fetch_attempts').notNull().default(0),
  fetchNextAt: ts('fetch_next_at').notNull().defaultNow(),
  fetchUntil: ts('fetch_until'),
  /** Why it was refused or given up, in words for the reporter. */
  fetchError: text('fetch_error'),
});

export const hazardPhotos = pgTable(
  'hazard_photos',
  {
    ...tenantRow(),
    hazardId: integer('hazard_id')
      .notNull()
      .references(() => hazards.id),
    channel: channelEnum('channel').notNull(),
    /** The platform's own key (Feishu image_key, WeCom MediaId): what the download asks for. */
    fileKey: text('file_key').notNull(),
    messageId: text('message_id'),
    addedById: personRef('added_by_id'),
    /** 整改前, or 整改后 for photos of the rectification. */
    stage: photoStageEnum('stage').notNull().default('before'),
    ...fetchState(),
    createdAt: createdAt(),
  },
  (t) => [
    index('hazard_photos_hazard').on(t.hazardId),
    index('hazard_photos_pending').on(t.fetchNextAt).where(sql`${t.fetchStatus} = 'pending'`),
  ],
);

/** A photo (or file) sent with a record of a duty done (记录): kept as evidence like a hazard's. */
export const completionPhotos = pgTable(
  'completion_photos',
  {
    ...tenantRow(),
    completionId: integer('completion_id')
      .notNull()
      .references((): AnyPgColumn => completions.id),
    channel: channelEnum('channel').notNull(),
    /** A record may carry a document as well as a photo. */
    kind: text('kind').$type<'image' | 'file'>().notNull().default('image'),
    fileKey: text('file_key').notNull(),
    /** A document's name as its platform gave it (the console's download is named so). */
    fileName: text('file_name'),
    messageId: text('message_id'),
    addedById: personRef('added_by_id'),
    ...fetchState(),
    createdAt: createdAt(),
  },
  (t) => [
    index('completion_photos_completion').on(t.completionId),
    index('completion_photos_pending').on(t.fetchNextAt).where(sql`${t.fetchStatus} = 'pending'`),
  ],
);

/** A request to move a rectification deadline, decided by the unit's 直接责任人 (分管领导). */
export const hazardExtensions = pgTable(
  'hazard_extensions',
  {
    ...tenantRow(),
    hazardId: integer('hazard_id')
      .notNull()
      .references(() => hazards.id),
    requestedById: personRef('requested_by_id').notNull(),
    reason: text('reason').notNull(),
    days: integer('days').notNull(),
    newDeadline: ts('new_deadline').notNull(),
    /** As `hazards.deadline_estimated`, for the deadline asked for. */
    newDeadlineEstimated: boolean('new_deadline_estimated').notNull().default(false),
    status: text('status').$type<'pending' | 'approved' | 'denied'>().notNull().default('pending'),
    decidedById: personRef('decided_by_id'),
    decidedAt: ts('decided_at'),
    createdAt: createdAt(),
  },
  (t) => [index('hazard_extensions_hazard').on(t.hazardId)],
);

/**
 * Reminders and escalation steps sent, by their natural key: the unique index makes every step go out
 * once however often, and on however many instances, the jobs run.
 */
export const reminders = pgTable(
  'reminders',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    tenantId: tenantRef(),
    /** What it is about, e.g. `hazard:12`. */
    subject: text('subject').notNull(),
    /** Which round, e.g. the deadline it concerns: a moved deadline arms the steps again. */
    period: text('period').notNull(),
    personId: personRef('person_id').notNull(),
    step: text('step').notNull(),
    sentAt: ts('sent_at').notNull().defaultNow(),
    /**
     * The message of this step while it waits for the end of its job run, when each person's waiting
     * steps go out as one message (jobs/reminders.ts); null once it went, or for a step that sends nothing.
     */
    held: jsonb('held').$type<HeldReminder>(),
  },
  (t) => [
    uniqueIndex('reminders_natural_key').on(t.subject, t.period, t.personId, t.step),
    index('reminders_held').on(t.personId).where(sql`${t.held} is not null`),
  ],
);

/** A reminder's message as it waits in `reminders.held`: an outbound message without its addressee. */
export interface HeldReminder {
  body: { kind: 'text'; text: string } | { kind: 'card'; card: Card };
  subject?: string;
  view?: string;
  /** The line this step is in a digest; derived from the body when absent. */
  line?: string;
  /** The job run that claimed it (jobs/reminders.ts `inDigest`). */
  run?: string;
}

/** The audit trail (台账): one row per transition, append-only. */
export const hazardEvents = pgTable(
  'hazard_events',
  {
    ...tenantRow(),
    hazardId: integer('hazard_id')
      .notNull()
      .references(() => hazards.id),
    actorId: personRef('actor_id'),
    /** The office's console account, when the step was taken in the web console (actorId is then null). */
    actorAccountId: integer('actor_account_id').references((): AnyPgColumn => adminAccounts.id),
    action: text('action').notNull(),
    fromStatus: hazardStatusEnum('from_status'),
    toStatus: hazardStatusEnum('to_status'),
    note: text('note'),
    evidence: jsonb('evidence').$type<Record<string, unknown>>(),
    at: ts('at').notNull().defaultNow(),
  },
  (t) => [
    index('hazard_events_hazard').on(t.hazardId),
    check('hazard_events_one_actor', sql`${t.actorId} is null or ${t.actorAccountId} is null`),
  ],
);

/**
 * Inbound deliveries seen, keyed by the platform's id: at-least-once in, exactly-once effect. A webhook's
 * message event is written here as `pending` with its payload and answered (the inbox, bot/core/inbox.ts);
 * it is processed afterwards, in order per conversation, and becomes `done`, `refused` or `failed`.
 * Events processed at once (button presses, the console, Wechaty) are written `done` directly.
 */
export const inboundEvents = pgTable(
  'inbound_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    channel: channelEnum('channel').notNull(),
    eventKey: text('event_key').notNull(),
    tenantId: integer('tenant_id').references(() => tenants.id),
    status: text('status').notNull().default('done'),
    error: text('error'),
    /**
     * A pending event as the adapter normalized it (an InboundEvent, `at` as an ISO string); cleared once
     * processed, kept by a failed one for the operator.
     */
    payload: jsonb('payload').$type<Record<string, unknown>>(),
    /** The chat (or the sender, outside chats) whose events are processed in arrival order. */
    conversation: text('conversation'),
    receivedAt: ts('received_at').notNull().defaultNow(),
    processedAt: ts('processed_at'),
  },
  (t) => [
    uniqueIndex('inbound_events_key').on(t.channel, t.eventKey),
    index('inbound_events_pending').on(t.id).where(sql`${t.status} = 'pending'`),
    index('inbound_events_pending_conversation').on(t.conversation, t.id).where(sql`${t.status} = 'pending'`),
  ],
);

export type OutboxBody = { kind: 'text'; text: string } | { kind: 'card'; card: Card };

/**
 * Messages to send, written in the same transaction as the business change that caused them.
 * `op`: send a new message, reply to a platform message, or update (patch) a card sent before.
 */
export const outbox = pgTable(
  'outbox',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    tenantId: integer('tenant_id').references(() => tenants.id),
    channel: channelEnum('channel').notNull(),
    op: text('op').$type<'send' | 'reply' | 'update'>().notNull(),
    /** `chat` for a chat id, else the kind of the person's platform id (open_id, user_id, userid, id). */
    targetKind: text('target_kind').notNull(),
    targetId: text('target_id').notNull(),
    /** For op=reply the platform message replied to; for op=update the platform message to patch. */
    refMessageId: text('ref_message_id'),
    personId: personRef('person_id'),
    body: jsonb('body').$type<OutboxBody>().notNull(),
    /** What the card shows, e.g. `hazard:12`; later changes refresh every card of the subject. */
    subject: text('subject'),
    view: text('view'),
    status: outboxStatusEnum('status').notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: ts('next_attempt_at').notNull().defaultNow(),
    lockedUntil: ts('locked_until'),
    lastError: text('last_error'),
    platformMessageId: text('platform_message_id'),
    /**
     * What a channel needs besides the message id to change the message later; for WeCom the card's
     * single-use response_code (更新模版卡片消息). Written and read by that channel only.
     */
    platformRef: jsonb('platform_ref').$type<Record<string, unknown>>(),
    createdAt: createdAt(),
    sentAt: ts('sent_at'),
  },
  (t) => [index('outbox_due').on(t.status, t.nextAttemptAt), index('outbox_subject').on(t.subject)],
);

/**
 * The last card with buttons sent into a conversation on a channel without buttons (Wechaty): a reply
 * "1" there, from the person it was sent to and within its lifetime, presses its first button.
 */
export const cardPrompts = pgTable(
  'card_prompts',
  {
    id: serial('id').primaryKey(),
    tenantId: integer('tenant_id').references(() => tenants.id),
    channel: channelEnum('channel').notNull(),
    chatId: text('chat_id').notNull(),
    /** Who may answer; null when anyone in the conversation may (the handler still checks). */
    personId: personRef('person_id'),
    title: text('title').notNull(),
    buttons: jsonb('buttons').$type<Button[]>().notNull(),
    createdAt: createdAt(),
    expiresAt: ts('expires_at').notNull(),
  },
  (t) => [index('card_prompts_chat').on(t.channel, t.chatId, t.id)],
);

/**
 * Text that read like a hazard but carried no command, offered back as a report ("要作为隐患上报吗？");
 * the button files it once, for the person who wrote it.
 */
export const reportOffers = pgTable('report_offers', {
  ...tenantRow(),
  personId: personRef('person_id').notNull(),
  channel: channelEnum('channel').notNull(),
  chatId: text('chat_id').notNull(),
  messageId: text('message_id'),
  text: text('text').notNull(),
  createdAt: createdAt(),
  /** Set when the offer is taken: a second press files nothing. */
  hazardId: integer('hazard_id').references(() => hazards.id),
});

/** Web console accounts of a tenant's safety office; passwords are scrypt hashes (bot/console/auth). */
export const adminAccounts = pgTable(
  'admin_accounts',
  {
    ...tenantRow(),
    username: text('username').notNull(),
    displayName: text('display_name').notNull(),
    passwordHash: text('password_hash').notNull(),
    createdAt: createdAt(),
    lastLoginAt: ts('last_login_at'),
  },
  (t) => [uniqueIndex('admin_accounts_tenant_username').on(t.tenantId, t.username)],
);

/**
 * Logged-in console sessions (bot/console/sessions.ts), shared by every instance. Only a SHA-256 of the
 * cookie's token is kept, so a copy of this table logs nobody in.
 */
export const consoleSessions = pgTable(
  'console_sessions',
  {
    tokenHash: text('token_hash').primaryKey(),
    accountId: integer('account_id')
      .notNull()
      .references(() => adminAccounts.id, { onDelete: 'cascade' }),
    /** Of the password hash at login: a password changed by any path ends the session. */
    passwordFingerprint: text('password_fingerprint').notNull(),
    /** The client address at login, for the log. */
    address: text('address'),
    createdAt: ts('created_at').notNull(),
    lastSeenAt: ts('last_seen_at').notNull(),
    expiresAt: ts('expires_at').notNull(),
  },
  (t) => [
    index('console_sessions_account').on(t.accountId),
    index('console_sessions_expires').on(t.expiresAt),
  ],
);

/** Failed console logins per client address, per account and per both (bot/console/login-brake.ts). */
export const loginFailures = pgTable(
  'login_failures',
  {
    /** `pair:<address>|<tenant>|<user>`, `address:<address>` or `account:<tenant>|<user>` */
    key: text('key').primaryKey(),
    failures: integer('failures').notNull(),
    lastFailureAt: ts('last_failure_at').notNull(),
    blockedUntil: ts('blocked_until'),
    /** blocked_until as the latest attempt found it: what admitted or refused that attempt. */
    priorBlockedUntil: ts('prior_blocked_until'),
  },
  (t) => [index('login_failures_last').on(t.lastFailureAt)],
);

/** Secrets the service makes for itself (the console's cookie-signing key), shared by all instances. */
export const appSecrets = pgTable('app_secrets', {
  name: text('name').primaryKey(),
  value: text('value').notNull(),
  createdAt: createdAt(),
});

/**
 * The audit trail of everything but hazards (which keep their own ledger): tasks, shifts, letters and
 * obligations. One row per change: who, when, from, to, note.
 */
export const auditEvents = pgTable(
  'audit_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    tenantId: tenantRef(),
    /** e.g. `task:5`, `shift:12`, `letter:3`, `obligation:7` */
    subject: text('subject').notNull(),
    actorId: personRef('actor_id'),
    /** The office's console account, when the change was made in the web console (actorId is then null). */
    actorAccountId: integer('actor_account_id').references(() => adminAccounts.id),
    action: text('action').notNull(),
    fromStatus: text('from_status'),
    toStatus: text('to_status'),
    note: text('note'),
    data: jsonb('data').$type<Record<string, unknown>>(),
    at: ts('at').notNull().defaultNow(),
  },
  (t) => [index('audit_events_subject').on(t.subject)],
);

export const taskKindEnum = pgEnum('task_kind', [
  'plain',
  'rectification_notice',
  'interview_followup',
  'campaign',
]);
export const taskStatusEnum = pgEnum('task_status', ['assigned', 'acknowledged', 'done', 'cancelled']);

/** Work the leading group or the office assigns to a person or a unit (DOMAIN §5). */
export const tasks = pgTable(
  'tasks',
  {
    ...tenantRow(),
    code: text('code').notNull(),
    kind: taskKindEnum('kind').notNull().default('plain'),
    content: text('content').notNull(),
    /** A leader or office member in chat; null when the office assigned it from the web console. */
    assignerId: personRef('assigner_id'),
    assignerAccountId: integer('assigner_account_id').references(() => adminAccounts.id),
    /**
     * The level above that sent it (a bureau's 整改通知书 or 约谈整改 to a school's 第一责任人, issue 19):
     * the assigner (`assigner_id` or `assigner_account_id`) is then of that tenant; null within the tenant.
     */
    assignerTenantId: integer('assigner_tenant_id').references((): AnyPgColumn => tenants.id),
    /** A person, or a unit whose head answers for it. */
    assigneeId: personRef('assignee_id'),
    assigneeUnitId: integer('assignee_unit_id').references(() => units.id),
    dueAt: ts('due_at').notNull(),
    /** As `hazards.deadline_estimated`: the default 20 working days ran through an unknown year. */
    dueEstimated: boolean('due_estimated').notNull().default(false),
    status: taskStatusEnum('status').notNull().default('assigned'),
    acknowledgedById: personRef('acknowledged_by_id'),
    acknowledgedAt: ts('acknowledged_at'),
    completedById: personRef('completed_by_id'),
    completedAt: ts('completed_at'),
    completionNote: text('completion_note'),
    evidence: jsonb('evidence').$type<Record<string, unknown>>(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('tasks_tenant_code').on(t.tenantId, t.code),
    index('tasks_tenant_status').on(t.tenantId, t.status),
    // Assigned by a member or by the office's console account: exactly one of them.
    check('tasks_one_assigner', sql`(${t.assignerId} is null) <> (${t.assignerAccountId} is null)`),
  ],
);

/** A signing round of the 一岗双责 safety responsibility letter (责任书, 002 §四(二), 004). */
export const letterRounds = pgTable(
  'letter_rounds',
  {
    ...tenantRow(),
    year: integer('year').notNull(),
    startedById: personRef('started_by_id'),
    startedByAccountId: integer('started_by_account_id').references(() => adminAccounts.id),
    startedAt: ts('started_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('letter_rounds_tenant_year').on(t.tenantId, t.year)],
);

/** One holder's letter for one post in a round; a successor in the post gets a letter of their own. */
/**
 * A letter's duties: the post's own, and for a unit head the unit's (units.safety_duties), which the
 * head answers for; `unit` is absent in letters issued before it was recorded.
 */
export type LetterDuties = {
  business: string[];
  safety: string[];
  unit?: { name: string; duties: string[] };
};

export const letters = pgTable(
  'letters',
  {
    ...tenantRow(),
    roundId: integer('round_id')
      .notNull()
      .references(() => letterRounds.id),
    postId: integer('post_id')
      .notNull()
      .references(() => posts.id),
    personId: personRef('person_id').notNull(),
    /** The duties as they stood when the letter was issued: what was signed. */
    duties: jsonb('duties').$type<LetterDuties>().notNull(),
    issuedAt: ts('issued_at').notNull().defaultNow(),
    signedAt: ts('signed_at'),
  },
  (t) => [uniqueIndex('letters_round_post_person').on(t.roundId, t.postId, t.personId)],
);

/** A duty shift (值班带班, 004 §一(二)): people on duty and the leader in charge (带班领导). */
export const shifts = pgTable(
  'shifts',
  {
    ...tenantRow(),
    /** The local date of the shift (YYYY-MM-DD), for "today" and for replacing a period on re-import. */
    date: text('date').notNull(),
    name: text('name').notNull(),
    startsAt: ts('starts_at').notNull(),
    endsAt: ts('ends_at').notNull(),
    place: text('place'),
    leaderId: personRef('leader_id'),
    handoverNote: text('handover_note'),
    handoverById: personRef('handover_by_id'),
    handoverAt: ts('handover_at'),
    createdAt: createdAt(),
  },
  (t) => [index('shifts_tenant_date').on(t.tenantId, t.date)],
);

export const shiftAssignees = pgTable(
  'shift_assignees',
  {
    shiftId: integer('shift_id')
      .notNull()
      .references(() => shifts.id, { onDelete: 'cascade' }),
    personId: personRef('person_id').notNull(),
    confirmedAt: ts('confirmed_at'),
  },
  (t) => [primaryKey({ columns: [t.shiftId, t.personId] })],
);

/** The duty log (值班日志) of a shift; part of the ledger export. */
export const shiftLogs = pgTable('shift_logs', {
  ...tenantRow(),
  shiftId: integer('shift_id')
    .notNull()
    .references(() => shifts.id, { onDelete: 'cascade' }),
  personId: personRef('person_id'),
  text: text('text').notNull(),
  at: ts('at').notNull().defaultNow(),
});

/** A request to hand a shift to a colleague; it changes only when the colleague accepts. */
export const shiftSwaps = pgTable('shift_swaps', {
  ...tenantRow(),
  shiftId: integer('shift_id')
    .notNull()
    .references(() => shifts.id, { onDelete: 'cascade' }),
  fromPersonId: personRef('from_person_id').notNull(),
  toPersonId: personRef('to_person_id').notNull(),
  status: text('status').$type<'pending' | 'accepted' | 'declined'>().notNull().default('pending'),
  createdAt: createdAt(),
  decidedAt: ts('decided_at'),
});

export const obligationKindEnum = pgEnum('obligation_kind', OBLIGATION_KINDS);
export const cadenceEnum = pgEnum('cadence', [
  'weekly',
  'monthly',
  'quarterly',
  'semester',
  'half_year',
  'yearly',
]);

/** A recurring duty of a post (DOMAIN §3): e.g. ≥2 topic meetings on safety per quarter (001 §二(三)1). */
export const obligations = pgTable(
  'obligations',
  {
    ...tenantRow(),
    postId: integer('post_id')
      .notNull()
      .references(() => posts.id),
    code: text('code').notNull(),
    kind: obligationKindEnum('kind').notNull(),
    title: text('title').notNull(),
    cadence: cadenceEnum('cadence').notNull(),
    minCount: integer('min_count').notNull().default(1),
    /** For supervision visits (督查): the contracted schools (分包学校); the minimum applies to each. */
    schools: jsonb('schools').$type<string[]>().notNull().default([]),
    /**
     * What counts towards it: `own` — the holder's own records (their unit's check, their meeting);
     * `school` — only records made for the whole school (e.g. the monthly 大检查 of 002 §四(四)).
     */
    scope: text('scope').$type<ObligationScope>().notNull().default('own'),
    source: text('source'),
    archived: boolean('archived').notNull().default(false),
    /** When the obligation was first imported: it is assessed from then on (issue 15 §2). */
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('obligations_post_code').on(t.postId, t.code)],
);

/** A meeting held, an inspection done, a drill run…: counts for every obligation of its kind it meets. */
export const completions = pgTable(
  'completions',
  {
    ...tenantRow(),
    personId: personRef('person_id').notNull(),
    kind: obligationKindEnum('kind').notNull(),
    /** The local date it happened (YYYY-MM-DD). */
    date: text('date').notNull(),
    note: text('note').notNull(),
    school: text('school'),
    /**
     * A 督查 visit of a bureau's member at one of its schools (issue 19): the school's tenant, resolved from
     * the name through the member's 分包学校 (bureau_contracts). The school's record shows it.
     */
    schoolTenantId: integer('school_tenant_id').references((): AnyPgColumn => tenants.id),
    /** Whose it is: the holder's own (their unit's) or the whole school's; counts only where scopes match. */
    scope: text('scope').$type<ObligationScope>().notNull().default('own'),
    evidence: jsonb('evidence').$type<Record<string, unknown>>(),
    createdAt: createdAt(),
  },
  (t) => [
    index('completions_person_kind').on(t.personId, t.kind, t.date),
    index('completions_school_tenant').on(t.schoolTenantId, t.date),
  ],
);

/**
 * What goes up a level (issue 19; 003 §四-§五): a 分包 member's quarterly 督查 report to the office of their
 * own bureau, a school's quarterly report and its leaders' yearly 述职述安 to the bureau. The body is the
 * text as submitted; the level above acknowledges it and may comment, and the comment is kept.
 */
export const submissions = pgTable(
  'submissions',
  {
    /** The tenant it comes from (a school, or the bureau itself for a member's report). */
    ...tenantRow(),
    toTenantId: integer('to_tenant_id')
      .notNull()
      .references(() => tenants.id),
    kind: text('kind').$type<'supervision_report' | 'quarterly_report' | 'statement'>().notNull(),
    /** 2026-Q4 for quarterly ones, 2026 for the yearly 述职述安. */
    period: text('period').notNull(),
    /** Whose it is: the member or leader (null: the whole school's, e.g. its quarterly report). */
    personId: personRef('person_id'),
    title: text('title').notNull(),
    body: text('body').notNull(),
    /** Who submitted it: a member's name or the console account's label. */
    submittedBy: text('submitted_by').notNull(),
    submittedAt: ts('submitted_at').notNull(),
    acknowledgedBy: text('acknowledged_by'),
    acknowledgedAt: ts('acknowledged_at'),
    comment: text('comment'),
    commentedBy: text('commented_by'),
    commentedAt: ts('commented_at'),
  },
  (t) => [
    uniqueIndex('submissions_key').on(t.tenantId, t.kind, t.period, sql`coalesce(${t.personId}, 0)`),
    index('submissions_to').on(t.toTenantId, t.period),
  ],
);

/**
 * How a closed period of an obligation ended for a holder: met, missed, or not assessed (DOMAIN §3, §6).
 * Written once by the obligations job the day after the period closes; reports and 我的职责 read it.
 * A period already half over when the organization was loaded, the post or obligation created or the
 * holder took the post is not assessed (不考核): `met` is null and `exemptReason` says why (issue 15 §2).
 */
export const obligationPeriods = pgTable(
  'obligation_periods',
  {
    ...tenantRow(),
    obligationId: integer('obligation_id')
      .notNull()
      .references(() => obligations.id),
    personId: personRef('person_id').notNull(),
    periodKey: text('period_key').notNull(),
    periodStart: text('period_start').notNull(),
    periodEnd: text('period_end').notNull(),
    done: integer('done').notNull(),
    needed: integer('needed').notNull(),
    /** true met, false missed (未履职), null not assessed (不考核). */
    met: boolean('met'),
    exemptReason: text('exempt_reason'),
    closedAt: ts('closed_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('obligation_periods_key').on(t.obligationId, t.personId, t.periodKey),
    check('obligation_periods_exempt', sql`(${t.met} is null) = (${t.exemptReason} is not null)`),
  ],
);

/**
 * 一票否决 (003 §七.3): a unit fails the year's assessment for a grave accident, an exceeded accident
 * target, a failed assessment, or a concealed/misreported accident. Set by the office with a reason.
 */
export const vetoFlags = pgTable(
  'veto_flags',
  {
    ...tenantRow(),
    unitId: integer('unit_id')
      .notNull()
      .references(() => units.id),
    year: integer('year').notNull(),
    kind: text('kind').$type<VetoKind>().notNull(),
    reason: text('reason').notNull(),
    /** Who set it: the console account (web) or the person (chat). */
    setBy: text('set_by').notNull(),
    setAt: ts('set_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('veto_flags_unit_year_kind').on(t.unitId, t.year, t.kind)],
);

/** 一票否决 of a person (002 §四(一), 003 §七.3): the year's 评优评先、晋职晋级 withdrawn. */
export const personVetoFlags = pgTable(
  'person_veto_flags',
  {
    ...tenantRow(),
    personId: personRef('person_id').notNull(),
    year: integer('year').notNull(),
    kind: text('kind').$type<VetoKind>().notNull(),
    reason: text('reason').notNull(),
    setBy: text('set_by').notNull(),
    setAt: ts('set_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('person_veto_flags_person_year_kind').on(t.personId, t.year, t.kind)],
);

export const accidentKindEnum = pgEnum('accident_kind', ACCIDENT_KINDS);
export const accidentSeverityEnum = pgEnum('accident_severity', ACCIDENT_SEVERITIES);
export const vetoProposalStatusEnum = pgEnum('veto_proposal_status', PROPOSAL_STATUSES);

/**
 * 事故/事件登记 (DOMAIN §6): what happened, to whom, who is responsible, how it was handled and reported
 * upward. `injured_names` and `handling` are confidential: the office and the leaders only.
 */
export const accidents = pgTable(
  'accidents',
  {
    ...tenantRow(),
    /** SG-<prefix>-2026-0001, like a hazard's number. */
    code: text('code').notNull(),
    kind: accidentKindEnum('kind').notNull(),
    severity: accidentSeverityEnum('severity').notNull(),
    occurredAt: ts('occurred_at').notNull(),
    place: text('place').notNull(),
    summary: text('summary').notNull(),
    students: integer('students').notNull().default(0),
    staff: integer('staff').notNull().default(0),
    injured: integer('injured').notNull().default(0),
    deaths: integer('deaths').notNull().default(0),
    /** Someone bears responsibility (责任事故): the 八杜绝 kinds then propose 一票否决. */
    responsible: boolean('responsible').notNull().default(false),
    injuredNames: text('injured_names').notNull().default(''),
    handling: text('handling').notNull().default(''),
    followUp: text('follow_up').notNull().default(''),
    reportDueAt: ts('report_due_at').notNull(),
    reportedAt: ts('reported_at'),
    reportedTo: text('reported_to'),
    recordedBy: text('recorded_by').notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('accidents_tenant_code').on(t.tenantId, t.code)],
);

/** The units and posts (with the holder at the time) responsible for an accident. */
export const accidentParties = pgTable(
  'accident_parties',
  {
    ...tenantRow(),
    accidentId: integer('accident_id')
      .notNull()
      .references(() => accidents.id),
    unitId: integer('unit_id').references(() => units.id),
    postId: integer('post_id').references(() => posts.id),
    personId: personRef('person_id'),
  },
  (t) => [
    index('accident_parties_accident').on(t.accidentId),
    check('accident_parties_unit_or_post', sql`num_nonnulls(${t.unitId}, ${t.postId}) = 1`),
  ],
);

/** A 一票否决 an accident proposes for a unit or a person, until the office confirms or dismisses it. */
export const vetoProposals = pgTable(
  'veto_proposals',
  {
    ...tenantRow(),
    accidentId: integer('accident_id')
      .notNull()
      .references(() => accidents.id),
    unitId: integer('unit_id').references(() => units.id),
    personId: personRef('person_id'),
    year: integer('year').notNull(),
    kind: text('kind').$type<VetoKind>().notNull(),
    status: vetoProposalStatusEnum('status').notNull().default('pending'),
    decidedBy: text('decided_by'),
    decidedAt: ts('decided_at'),
    decisionReason: text('decision_reason'),
    createdAt: createdAt(),
  },
  (t) => [
    index('veto_proposals_tenant_status').on(t.tenantId, t.status),
    check('veto_proposals_unit_or_person', sql`num_nonnulls(${t.unitId}, ${t.personId}) = 1`),
  ],
);

/** The office's adjustment of one cell of the scored year-end table, with its reason. */
export const assessmentAdjustments = pgTable(
  'assessment_adjustments',
  {
    ...tenantRow(),
    year: integer('year').notNull(),
    unitId: integer('unit_id')
      .notNull()
      .references(() => units.id),
    item: text('item').notNull(),
    points: integer('points').notNull(),
    reason: text('reason').notNull(),
    setBy: text('set_by').notNull(),
    setAt: ts('set_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('assessment_adjustments_cell').on(t.tenantId, t.year, t.unitId, t.item)],
);

/**
 * A person's 述职述安 report for a year as edited in the console (DOMAIN §7): the draft is generated from
 * the records; once saved, this text is the report (regenerating keeps it unless the office discards it).
 */
export const statementDrafts = pgTable(
  'statement_drafts',
  {
    ...tenantRow(),
    personId: personRef('person_id').notNull(),
    year: integer('year').notNull(),
    text: text('text').notNull(),
    /** Who saved it: the console account (web) or the member acted as (demo). */
    editedBy: text('edited_by').notNull(),
    editedByAccountId: integer('edited_by_account_id').references((): AnyPgColumn => adminAccounts.id),
    editedAt: ts('edited_at').notNull(),
  },
  (t) => [uniqueIndex('statement_drafts_person_year').on(t.tenantId, t.personId, t.year)],
);

export const checklistKindEnum = pgEnum('checklist_kind', CHECKLIST_KINDS);
export const roundResultEnum = pgEnum('round_result', ROUND_RESULTS);
export const roundScopeEnum = pgEnum('round_scope', ROUND_SCOPES);

/** A checklist of the organization file (`checklists`): 004's targets, 002's 大检查, a unit's list. */
export const checklists = pgTable(
  'checklists',
  {
    ...tenantRow(),
    code: text('code').notNull(),
    name: text('name').notNull(),
    kind: checklistKindEnum('kind').notNull(),
    /** The unit whose list it is; null for a list a school-wide round may walk. */
    unitId: integer('unit_id').references(() => units.id),
    area: text('area'),
    source: text('source'),
    position: integer('position').notNull().default(0),
    archived: boolean('archived').notNull().default(false),
  },
  (t) => [uniqueIndex('checklists_tenant_code').on(t.tenantId, t.code)],
);

/**
 * One item of a checklist, by its key (the file's `code`, or its text): re-import updates it in place;
 * an item the file drops, or the office archives, stays for the rounds that used it.
 */
export const checklistItems = pgTable(
  'checklist_items',
  {
    ...tenantRow(),
    checklistId: integer('checklist_id')
      .notNull()
      .references(() => checklists.id),
    key: text('key').notNull(),
    code: text('code'),
    text: text('text').notNull(),
    /** Where the rule comes from, e.g. `004 §二 五有(1)`. */
    source: text('source').notNull(),
    area: text('area'),
    /** The target item a failure of this one counts against (九无: 无违规使用电器). */
    targetItemId: integer('target_item_id').references((): AnyPgColumn => checklistItems.id),
    /** On a target item: the kind of accident that breaks it (八杜绝 火灾), counted from the register. */
    accidentKind: accidentKindEnum('accident_kind'),
    position: integer('position').notNull().default(0),
    archived: boolean('archived').notNull().default(false),
  },
  (t) => [uniqueIndex('checklist_items_list_key').on(t.checklistId, t.key)],
);

/** An inspection round: one walk of a checklist for the school or a unit, signed off when done. */
export const inspectionRounds = pgTable(
  'inspection_rounds',
  {
    ...tenantRow(),
    code: text('code').notNull(),
    checklistId: integer('checklist_id')
      .notNull()
      .references(() => checklists.id),
    scope: roundScopeEnum('scope').notNull(),
    /** The unit of a unit round. */
    unitId: integer('unit_id').references(() => units.id),
    area: text('area'),
    /** Who walks it: a member in chat, or null when the office's console account runs it. */
    inspectorId: personRef('inspector_id'),
    inspectorAccountId: integer('inspector_account_id').references(() => adminAccounts.id),
    /** The chat it was started in: the hazards of its failing items are reported there (photos follow). */
    channel: channelEnum('channel'),
    chatId: text('chat_id'),
    status: text('status').$type<RoundStatus>().notNull().default('open'),
    startedAt: ts('started_at').notNull(),
    signedAt: ts('signed_at'),
    signedNote: text('signed_note'),
  },
  (t) => [
    uniqueIndex('inspection_rounds_tenant_code').on(t.tenantId, t.code),
    index('inspection_rounds_tenant_started').on(t.tenantId, t.startedAt),
    check('inspection_rounds_unit', sql`(${t.scope} = 'unit') = (${t.unitId} is not null)`),
  ],
);

/** What one item was found to be on a round; a failure links the hazard it became. */
export const roundResults = pgTable(
  'round_results',
  {
    ...tenantRow(),
    roundId: integer('round_id')
      .notNull()
      .references(() => inspectionRounds.id),
    itemId: integer('item_id')
      .notNull()
      .references(() => checklistItems.id),
    result: roundResultEnum('result').notNull(),
    note: text('note'),
    hazardId: integer('hazard_id').references(() => hazards.id),
    recordedById: personRef('recorded_by_id'),
    recordedAt: ts('recorded_at').notNull(),
  },
  (t) => [
    uniqueIndex('round_results_round_item').on(t.roundId, t.itemId),
    index('round_results_hazard').on(t.hazardId),
  ],
);

/**
 * Who holds a connection that only one instance may open at a time (the WeCom 智能机器人 allows one
 * connection per bot: a new one kicks the old). The holder renews `expires_at`; when it dies, the lease
 * expires and a standby instance takes it over. Not tenant data: a connection serves every tenant.
 */
export const connectionLeases = pgTable('connection_leases', {
  name: text('name').primaryKey(),
  holder: text('holder').notNull(),
  expiresAt: ts('expires_at').notNull(),
});
