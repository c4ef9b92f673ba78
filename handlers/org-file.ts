// The organization file (YAML): its schema, and validation that names the file, the path and the reason.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { isNode, isScalar, LineCounter, parseDocument, visit } from 'yaml';
import { z } from 'zod';
import { ACCIDENT_KIND_WORDS } from './accident-rules.ts';
import { parseCalendarOverride } from './calendar.ts';
import { KIND_WORDS } from './obligation-kinds.ts';
import { settingsSchema } from './settings.ts';
import { decodeText, firstProblems, omittedLine, quoted, UPLOAD_LIMITS } from './upload-limits.ts';

const code = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]*$/, 'must be lower-case letters, digits, "-" or "_" (e.g. zong-wu-chu)');
const name = z.string().trim().min(1, 'must not be empty');
const duties = z.array(name).default([]);

const LEVELS = { 第一责任人: 'first', 直接责任人: 'direct', 岗位责任人: 'post' } as const;
const level = z
  .enum(['第一责任人', '直接责任人', '岗位责任人', 'first', 'direct', 'post'], {
    message: 'must be 第一责任人, 直接责任人 or 岗位责任人',
  })
  .transform((value): 'first' | 'direct' | 'post' =>
    value in LEVELS ? LEVELS[value as keyof typeof LEVELS] : (value as 'first' | 'direct' | 'post'),
  );

/** 分包学校 (001 §三.1) as the file names them: a school's name or its tenant code. */
const contracted = z.array(name).default([]);

const unit = z.strictObject({ code, name, safety_duties: duties, schools: contracted });

/** YH-<prefix>-2026-0001: upper-case letters, digits and "-", starting with a letter. */
export const HAZARD_PREFIX = /^[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*$/;
const hazardPrefix = z
  .string()
  .max(20, '隐患编号前缀不超过 20 个字符')
  .regex(HAZARD_PREFIX, '隐患编号前缀只能用大写字母、数字和“-”，以字母开头（例如 JSZX）');

/** A tenant's default prefix: its code in upper case ("_" read as "-"). */
export const defaultHazardPrefix = (tenantCode: string) => tenantCode.toUpperCase().replaceAll('_', '-');

/** Whether the runtime knows the zone: every date the bot shows and computes is in it. */
function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

const KINDS = KIND_WORDS;
const CADENCES = {
  每周: 'weekly',
  每月: 'monthly',
  每季度: 'quarterly',
  每学期: 'semester',
  每半年: 'half_year',
  每年: 'yearly',
} as const;
const SCOPES = { 本岗位: 'own', 全校: 'school', 全局: 'school' } as const;
/** A word in Chinese (as the seeds say it) or its English name. */
const oneOf = <T extends Record<string, string>>(table: T, what: string) =>
  z
    .string()
    .refine((value) => Object.hasOwn(table, value) || Object.values(table).includes(value), {
      message: `must be one of ${Object.keys(table).join('、')} (${what})`,
    })
    .transform((value) => (Object.hasOwn(table, value) ? table[value as keyof T] : value) as T[keyof T]);

export const obligationSchema = z.strictObject({
  code,
  kind: oneOf(KINDS, 'kind'),
  title: name,
  cadence: oneOf(CADENCES, 'cadence'),
  min: z.number().int().min(1).max(100).default(1),
  /** 分包学校 for supervision visits: the minimum applies to each school. */
  schools: z.array(name).default([]),
  /** What counts: the holder's own records (default) or only those made for the whole school (全校). */
  scope: oneOf(SCOPES, 'scope').default('own'),
  /** Where the duty comes from, e.g. "001 §二(三)1". */
  source: z.string().optional(),
});

const post = z.strictObject({
  code,
  title: name,
  unit: code.optional(),
  head_of_unit: z.boolean().default(false),
  level: level.default('post'),
  supervises: z.array(code).default([]),
  business_duties: duties,
  safety_duties: duties,
  obligations: z.array(obligationSchema).default([]),
});

/**
 * A mobile number as the platforms' contact lookups take it: digits, an optional leading + and country
 * code (Feishu wants one for numbers outside mainland China); spaces and dashes are dropped.
 */
const mobile = z
  .string()
  .trim()
  .regex(/^\+?[0-9][0-9 -]{4,30}$/, 'must be a mobile number, e.g. 13800000000 or +85291234567')
  .transform((value) => value.replace(/[ -]/g, ''));

const person = z.strictObject({
  code,
  name,
  phone: z.string().optional(),
  /** Looked up on Feishu and WeCom at import (org:resolve) when the platform id is not given. */
  mobile: mobile.optional(),
  email: z.email('must be an e-mail address').optional(),
  posts: z.array(code).default([]),
  feishu: z
    .strictObject({ open_id: z.string().min(1).optional(), user_id: z.string().min(1).optional() })
    .optional(),
  wecom: z.strictObject({ userid: z.string().min(1) }).optional(),
  wechaty: z.strictObject({ id: z.string().min(1) }).optional(),
  /** 分包学校 contracted to this person in their own name (a bureau's file). */
  schools: z.array(name).optional(),
});

const category = z.strictObject({
  code,
  name,
  keywords: z.array(name).default([]),
  units: z
    .array(
      z.strictObject({
        unit: code,
        scope: z.string().optional(),
        keywords: z.array(name).default([]),
      }),
    )
    .min(1, 'a category needs at least one responsible unit'),
});

const postList = z.array(code).default([]);

const CHECKLIST_KIND_WORDS = { 目标: 'target', 检查: 'inspection' } as const;

/** One line of a checklist: what is checked or targeted, and where the rule comes from (e.g. 004 §二 五有(1)). */
const checklistItem = z.strictObject({
  /** Stable key on re-import (and what a target is referred to by); the text when not given. */
  code: code.optional(),
  text: name,
  source: name,
  /** Where on the campus it is checked: the place of a hazard it turns into. */
  area: name.optional(),
  /** The target (`<checklist>/<item>`) a failure of this item counts against, e.g. jiu-wu/dian-qi. */
  target: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]*\/[a-z0-9][a-z0-9_-]*$/, 'must be <checklist code>/<item code>')
    .optional(),
  /** On a target item: the kind of accident that breaks it (八杜绝(7) 溺水): the accident register counts. */
  accident: oneOf(ACCIDENT_KIND_WORDS, 'accident kind').optional(),
});

/** A checklist (004's targets, 002's monthly 大检查, a unit's or a specialised list), each item sourced. */
const checklist = z.strictObject({
  code,
  name,
  kind: oneOf(CHECKLIST_KIND_WORDS, 'kind'),
  /** The unit whose list it is: its rounds are that unit's; without one, a round may be school-wide. */
  unit: code.optional(),
  area: name.optional(),
  source: z.string().optional(),
  items: z.array(checklistItem).min(1, 'a checklist needs at least one item'),
});

export const orgFileSchema = z.strictObject({
  tenant: z.strictObject({
    code,
    name,
    kind: z.enum(['school', 'bureau']).default('school'),
    timezone: z
      .string()
      .refine(isTimeZone, 'must be a time zone such as Asia/Shanghai')
      .default('Asia/Shanghai'),
    /** The organization's part of its hazard numbers; the code in upper case when not given. */
    hazard_prefix: hazardPrefix.optional(),
    /** The bureau over this organization, by its tenant code (or the bureau's file lists it in `schools`). */
    bureau: code.optional(),
  }),
  /** A bureau's schools (and a city bureau's district bureaus), by their tenant codes. */
  schools: z.array(z.strictObject({ code, name })).default([]),
  units: z.array(unit).min(1, 'an organization needs at least one unit'),
  posts: z.array(post).default([]),
  people: z.array(person).default([]),
  leading_group: z.strictObject({
    office: code,
    leader: postList,
    deputies: postList,
    members: postList,
    office_director: postList,
    office_deputy: postList,
  }),
  categories: z.array(category).default([]),
  checklists: z.array(checklist).default([]),
  settings: settingsSchema.default(settingsSchema.parse({})),
  chats: z
    .array(
      z.strictObject({
        // wecom_bot: a WeCom group the 智能机器人 is in (the self-built app has no groups).
        channel: z.enum(['feishu', 'wecom', 'wechaty', 'wecom_bot']),
        id: z.string().min(1),
        name: z.string().optional(),
      }),
    )
    .default([]),
});

/**
 * Where a parsed file came from, with the line of each value it claims for its tenant (platform ids and
 * chat ids, by path): the importer refuses a claim on what another tenant holds by file, path and line.
 * Plain data, so it survives a copy between threads.
 */
export interface OrgFileOrigin {
  file: string;
  lines: Record<string, number>;
}

export type OrgFile = z.output<typeof orgFileSchema> & { origin?: OrgFileOrigin };

/** A refused file: its first 50 problems (UPLOAD_LIMITS.listedProblems), and how many more there are. */
export class OrgFileError extends Error {
  override name = 'OrgFileError';
  readonly problems: { path: string; message: string }[];
  readonly omitted: number;
  constructor(
    readonly file: string,
    problems: { path: string; message: string }[],
    omitted = 0,
  ) {
    const first = firstProblems(problems);
    const more = first.omitted + omitted;
    super(
      [...first.problems.map((problem) => `${file}: ${problem.path}: ${problem.message}`), omittedLine(more)]
        .filter(Boolean)
        .join('\n'),
    );
    this.problems = first.problems;
    this.omitted = more;
  }
}

const formatPath = (path: readonly PropertyKey[]) =>
  path.reduce<string>(
    (out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)),
    '',
  ) || '(root)';

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
/** A NUL or half of a surrogate pair (written as a YAML escape): the database cannot store either. */
const unstorable = (text: string) => text.includes('\u0000') || LONE_SURROGATE.test(text);

/** Every key or string in the document with a character that cannot be stored, by path. */
function unstorableStrings(value: unknown, path: PropertyKey[] = []): { path: string; message: string }[] {
  const problem = {
    path: formatPath(path),
    message: 'contains a character that cannot be stored (\\0 or an unpaired \\u escape)',
  };
  if (typeof value === 'string') return unstorable(value) ? [problem] : [];
  if (Array.isArray(value)) return value.flatMap((item, index) => unstorableStrings(item, [...path, index]));
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, item]) =>
      unstorable(key)
        ? [{ ...problem, path: formatPath([...path, key]) }]
        : unstorableStrings(item, [...path, key]),
    );
  }
  return [];
}

/**
 * Keys that repeat in a mapping, found with one set per mapping: yaml's own `uniqueKeys` check compares
 * every key with every other (40,000 keys took 22 s). Scalar keys compare by their value, as YAML 1.2
 * §3.2.1.1 asks; other keys (rare, and refused by the schema anyway) are not compared.
 */
function duplicateKeys(document: ReturnType<typeof parseDocument>, lines: LineCounter) {
  const problems: { path: string; message: string }[] = [];
  visit(document, {
    Map(_, map) {
      const seen = new Set<unknown>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        const key = pair.key.value;
        if (seen.has(key)) {
          const at = lines.linePos(pair.key.range?.[0] ?? 0);
          problems.push({
            path: `line ${at.line}, column ${at.col}`,
            message: `Map keys must be unique ("${quoted(String(key))}" is repeated)`,
          });
        }
        seen.add(key);
      }
    },
  });
  return problems;
}

/** Parses and validates an organization file; throws OrgFileError listing its problems. */
export function parseOrgFile(file: string, source: string): OrgFile {
  if (
    source.length > UPLOAD_LIMITS.orgBytes ||
    new TextEncoder().encode(source).length > UPLOAD_LIMITS.orgBytes
  ) {
    throw new OrgFileError(file, [
      {
        path: '(file)',
        message: `larger than ${UPLOAD_LIMITS.orgBytes / 1024} KB (a district bureau's file is under 100 KB)`,
      },
    ]);
  }
  const lineCounter = new LineCounter();
  const document = parseDocument(source, { prettyErrors: true, uniqueKeys: false, lineCounter });
  if (document.errors.length > 0) {
    throw new OrgFileError(
      file,
      document.errors.map((error) => ({
        path: error.linePos ? `line ${error.linePos[0].line}, column ${error.linePos[0].col}` : '(yaml)',
        message: error.message.split('\n')[0] ?? 'YAML syntax error',
      })),
    );
  }
  const repeated = duplicateKeys(document, lineCounter);
  if (repeated.length > 0) throw new OrgFileError(file, repeated);
  let raw: unknown;
  try {
    raw = document.toJS();
  } catch (error) {
    // An alias without its anchor (`*x`), or aliases expanding without bound: yaml throws here, not above.
    const message = error instanceof Error ? error.message : String(error);
    throw new OrgFileError(file, [{ path: '(yaml)', message: message.split('\n')[0] ?? 'YAML error' }]);
  }
  const unstorableProblems = unstorableStrings(raw);
  if (unstorableProblems.length > 0) throw new OrgFileError(file, unstorableProblems);
  const parsed = orgFileSchema.safeParse(raw);
  if (!parsed.success) {
    throw new OrgFileError(
      file,
      parsed.error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message })),
    );
  }
  const problems = crossReferenceProblems(parsed.data);
  if (problems.length > 0) throw new OrgFileError(file, problems);
  const lines: Record<string, number> = {};
  for (const path of claimPaths(parsed.data)) {
    const node: unknown = document.getIn(path, true);
    const offset = isNode(node) ? node.range?.[0] : undefined;
    if (offset !== undefined) lines[formatPath(path)] = lineCounter.linePos(offset).line;
  }
  return { ...parsed.data, origin: { file, lines } };
}

/** A platform id the file gives a person: channel, identity kind, value and its path in the file. */
export interface ClaimedIdentity {
  channel: 'feishu' | 'wecom' | 'wechaty';
  kind: string;
  value: string;
  person: number;
  path: (string | number)[];
}

/** Every platform id the file gives its people, in file order. */
export function claimedIdentities(org: OrgFile): ClaimedIdentity[] {
  return org.people.flatMap((person, i) => {
    const ids: Omit<ClaimedIdentity, 'person' | 'path'>[] = [];
    const add = (channel: ClaimedIdentity['channel'], kind: string, value: string | undefined) => {
      if (value) ids.push({ channel, kind, value });
    };
    add('feishu', 'open_id', person.feishu?.open_id);
    add('feishu', 'user_id', person.feishu?.user_id);
    add('wecom', 'userid', person.wecom?.userid);
    add('wechaty', 'id', person.wechaty?.id);
    return ids.map((id) => ({ ...id, person: i, path: ['people', i, id.channel, id.kind] }));
  });
}

function claimPaths(org: OrgFile): (string | number)[][] {
  return [...claimedIdentities(org).map((id) => id.path), ...org.chats.map((_, i) => ['chats', i, 'id'])];
}

/** A problem at a path of the file, with its line when the parser recorded it. */
export function problemAt(org: OrgFile, path: (string | number)[], message: string) {
  const at = formatPath(path);
  const line = org.origin?.lines[at];
  return { path: at, message: line === undefined ? message : `第 ${line} 行：${message}` };
}

/** The channels' names in the words of a claim refusal (and of `npm run org:move`). */
export const CLAIM_CHANNEL_NAMES = {
  feishu: '飞书',
  wecom: '企业微信',
  wechaty: '微信（Wechaty）',
  wecom_bot: '企业微信智能机器人',
} as const;

const HELD_ELSEWHERE =
  '已登记在另一个单位，不能由本单位的组织文件认领；如确属本单位，请联系系统运维人员用 npm run org:move 办理转移';

/** The refusal of a chat binding another tenant holds, by the chat's path in the file. */
export function chatClaimProblem(org: OrgFile, index: number) {
  const chat = org.chats[index]!;
  return problemAt(
    org,
    ['chats', index, 'id'],
    `${CLAIM_CHANNEL_NAMES[chat.channel]}群“${chat.id}”${HELD_ELSEWHERE}`,
  );
}

/** The refusal of a platform id a current member of another tenant holds. */
export function identityClaimProblem(org: OrgFile, id: ClaimedIdentity) {
  return problemAt(
    org,
    id.path,
    `${CLAIM_CHANNEL_NAMES[id.channel]} ${id.kind}“${id.value}”${HELD_ELSEWHERE}`,
  );
}

const lineOf = (problem: { message: string }) => Number(/^第 (\d+) 行/.exec(problem.message)?.[1] ?? 0);

/** Problems in file order, as the other problems of a file are listed. */
export const inFileOrder = <T extends { message: string }>(problems: T[]) =>
  problems.sort((a, b) => lineOf(a) - lineOf(b));

/** Checks what a schema cannot: duplicate codes and references to units, posts and identities. */
function crossReferenceProblems(org: OrgFile): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  const duplicates = (items: { code: string }[], path: string) => {
    const seen = new Set<string>();
    items.forEach((item, index) => {
      if (seen.has(item.code))
        problems.push({ path: `${path}[${index}].code`, message: `duplicate code "${quoted(item.code)}"` });
      seen.add(item.code);
    });
    return seen;
  };
  const unitCodes = duplicates(org.units, 'units');
  duplicates(org.schools, 'schools');
  if (org.schools.length > 0 && org.tenant.kind !== 'bureau') {
    problems.push({
      path: 'schools',
      message: '只有教育局（tenant.kind: bureau）的组织文件可以列出所辖学校',
    });
  }
  org.schools.forEach((school, i) => {
    if (school.code === org.tenant.code)
      problems.push({ path: `schools[${i}].code`, message: '单位不能列为自己的下级学校' });
  });
  if (org.tenant.bureau === org.tenant.code)
    problems.push({ path: 'tenant.bureau', message: '单位不能以自己为上级教育局' });
  const postCodes = duplicates(org.posts, 'posts');
  duplicates(org.people, 'people');
  duplicates(org.categories, 'categories');
  const needUnit = (value: string, path: string) => {
    if (!unitCodes.has(value)) problems.push({ path, message: `unknown unit "${quoted(value)}"` });
  };
  const needPost = (value: string, path: string) => {
    if (!postCodes.has(value)) problems.push({ path, message: `unknown post "${quoted(value)}"` });
  };
  org.posts.forEach((post, i) => {
    if (post.unit) needUnit(post.unit, `posts[${i}].unit`);
    if (post.head_of_unit && !post.unit) {
      problems.push({ path: `posts[${i}].head_of_unit`, message: 'a unit head needs "unit"' });
    }
    post.supervises.forEach((unit, j) => {
      needUnit(unit, `posts[${i}].supervises[${j}]`);
    });
    duplicates(post.obligations, `posts[${i}].obligations`);
  });
  const identities = new Map<string, string>();
  const contacts = new Map<string, string>();
  org.people.forEach((person, i) => {
    person.posts.forEach((post, j) => {
      needPost(post, `people[${i}].posts[${j}]`);
    });
    for (const [field, value] of [
      ['mobile', person.mobile],
      ['email', person.email?.toLowerCase()],
    ] as const) {
      if (!value) continue;
      const other = contacts.get(`${field}:${value}`);
      if (other)
        problems.push({
          path: `people[${i}].${field}`,
          message: `${field} "${quoted(value)}" is also used by ${other}`,
        });
      contacts.set(`${field}:${value}`, `people[${i}] (${quoted(person.code)})`);
    }
    const ids: [string, string | undefined][] = [
      ['feishu', person.feishu?.open_id],
      ['feishu', person.feishu?.user_id],
      ['wecom', person.wecom?.userid],
      ['wechaty', person.wechaty?.id],
    ];
    for (const [channel, value] of ids) {
      if (!value) continue;
      const key = `${channel}:${value}`;
      const other = identities.get(key);
      if (other)
        problems.push({
          path: `people[${i}].${channel}`,
          message: `${channel} id "${quoted(value)}" is also used by ${other}`,
        });
      identities.set(key, `people[${i}] (${quoted(person.code)})`);
    }
  });
  needUnit(org.leading_group.office, 'leading_group.office');
  for (const role of ['leader', 'deputies', 'members', 'office_director', 'office_deputy'] as const) {
    org.leading_group[role].forEach((post, j) => {
      needPost(post, `leading_group.${role}[${j}]`);
    });
  }
  org.categories.forEach((category, i) => {
    category.units.forEach((route, j) => {
      needUnit(route.unit, `categories[${i}].units[${j}].unit`);
    });
  });
  checklistProblems(org, unitCodes, problems);
  for (const [i, unit] of org.units.entries()) {
    const heads = org.posts.filter((post) => post.unit === unit.code && post.head_of_unit);
    if (heads.length > 1) {
      problems.push({
        path: `units[${i}]`,
        message: `unit "${unit.code}" has ${heads.length} head posts; keep one`,
      });
    }
  }
  return problems;
}

/** An item's stable key within its list: its code, or its text. */
export const checklistItemKey = (item: { code?: string; text: string }) => item.code ?? item.text;

function checklistProblems(
  org: OrgFile,
  unitCodes: Set<string>,
  problems: { path: string; message: string }[],
) {
  const lists = new Map<string, { kind: string; items: Set<string> }>();
  org.checklists.forEach((list, i) => {
    const path = `checklists[${i}]`;
    if (lists.has(list.code))
      problems.push({ path: `${path}.code`, message: `duplicate code "${quoted(list.code)}"` });
    if (list.unit && !unitCodes.has(list.unit))
      problems.push({ path: `${path}.unit`, message: `unknown unit "${quoted(list.unit)}"` });
    const keys = new Set<string>();
    list.items.forEach((item, j) => {
      const key = checklistItemKey(item);
      if (keys.has(key))
        problems.push({ path: `${path}.items[${j}]`, message: `duplicate item "${quoted(key)}"` });
      keys.add(key);
    });
    lists.set(list.code, { kind: list.kind, items: new Set(list.items.flatMap((item) => item.code ?? [])) });
  });
  org.checklists.forEach((list, i) => {
    list.items.forEach((item, j) => {
      if (item.accident && list.kind !== 'target')
        problems.push({
          path: `checklists[${i}].items[${j}].accident`,
          message: 'only an item of a target list (kind: 目标) counts accidents',
        });
      if (!item.target) return;
      const [listCode, itemCode] = item.target.split('/') as [string, string];
      const target = lists.get(listCode);
      const message = !target
        ? `unknown checklist "${quoted(listCode)}"`
        : target.kind !== 'target'
          ? `checklist "${quoted(listCode)}" is not a target list (kind: 目标)`
          : !target.items.has(itemCode)
            ? `checklist "${quoted(listCode)}" has no item with code "${quoted(itemCode)}"`
            : undefined;
      if (message) problems.push({ path: `checklists[${i}].items[${j}].target`, message });
    });
  });
}

/**
 * Reads an organization file from disk with what it refers to (the calendar override named by
 * `settings.calendar_file`, relative to the organization file).
 */
export function loadOrgFile(path: string): OrgFile {
  const decoded = decodeText(readFileSync(path));
  if (!('text' in decoded)) {
    throw new OrgFileError(path, [{ path: '(file)', message: 'not text in UTF-8 or GBK: save it as UTF-8' }]);
  }
  const org = parseOrgFile(path, decoded.text);
  const calendarFile = org.settings.calendar_file;
  if (calendarFile) {
    const file = resolve(dirname(path), calendarFile);
    let source: string;
    try {
      source = readFileSync(file, 'utf8');
    } catch (error) {
      throw new OrgFileError(path, [
        {
          path: 'settings.calendar_file',
          message: `cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? error})`,
        },
      ]);
    }
    org.settings.calendar = parseCalendarOverride(file, source);
  }
  return org;
}

/** A platform id found for a person of the file by their mobile or e-mail (org:resolve). */
export interface FoundId {
  person: number;
  channel: 'feishu' | 'wecom';
  kind: 'open_id' | 'userid';
  value: string;
}

/** The file with the ids found added to its people (a person's own ids stay as the file gives them). */
export function withFoundIds(org: OrgFile, found: readonly FoundId[]): OrgFile {
  const people = org.people.map((person) => ({
    ...person,
    feishu: person.feishu && { ...person.feishu },
    wecom: person.wecom && { ...person.wecom },
  }));
  for (const id of found) {
    const person = people[id.person];
    if (!person) continue;
    if (id.channel === 'feishu') person.feishu = { open_id: id.value, ...person.feishu };
    else person.wecom = { userid: id.value, ...person.wecom };
  }
  return { ...org, people };
}

/**
 * The file's text with the ids found written into it (`feishu.open_id`, `wecom.userid`), its comments
 * and layout kept: the copy an operator keeps when they want the ids in the file.
 */
export function writeFoundIds(source: string, found: readonly FoundId[]): string {
  const document = parseDocument(source);
  for (const id of found) {
    const path = ['people', id.person, id.channel, id.kind];
    if (!document.hasIn(path)) document.setIn(path, id.value);
  }
  return document.toString();
}
