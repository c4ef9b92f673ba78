// Shared pieces of the property-based tests (fast-check): arbitraries for the text people and platforms
// send (Chinese, ASCII, control characters, command words), mutations of valid inputs, and a snapshot of
// every table's row count to tell "nothing was written" from a partial write.
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import type { Database } from '../../db/client.ts';

/**
 * How many runs a property over the database or the service gets: its full count `full` times the factor
 * PROPERTY_RUNS (default 0.3, at least 10 runs); `PROPERTY_RUNS=1 npm test` runs the full counts (`PROPERTY_RUNS=3` three times them). fast-check
 * draws a new seed on every run (printed with a failing case, to replay it), so the suite's runs together
 * still cover the full count and more; the edge cases a property names (`examples`) run every time.
 * Properties of pure functions (dates, periods) keep their full counts: they cost milliseconds.
 */
export const PROPERTY_RUNS_FACTOR = (() => {
  const raw = process.env.PROPERTY_RUNS;
  if (raw === undefined || raw.trim() === '') return 0.3;
  const factor = Number(raw);
  if (!Number.isFinite(factor) || factor <= 0)
    throw new Error(`PROPERTY_RUNS must be a positive number, not “${raw}”`);
  return factor;
})();

export const runs = (full: number): number =>
  Math.max(Math.min(10, full), Math.round(full * PROPERTY_RUNS_FACTOR));

type Rows<T> = T[] | { rows: T[] };
const rowsOf = <T>(result: Rows<T>): T[] => (Array.isArray(result) ? result : result.rows);

/**
 * The statement counting every table's rows, made once per database: the tables of a test file's database
 * do not change while its properties run (no property file alters the schema), and listing them from the
 * catalog on every call cost more than half of each count (about 12.7 → 7 ms of CPU on PGlite, measured
 * on a shared machine, 2026-12-06).
 */
const countStatements = new WeakMap<Database['db'], string>();

async function countStatement(database: Database): Promise<string> {
  let statement = countStatements.get(database.db);
  if (statement === undefined) {
    const tables = rowsOf(
      (await database.db.execute<{ tablename: string }>(
        sql`select tablename from pg_tables where schemaname = 'public' order by tablename`,
      )) as Rows<{ tablename: string }>,
    ).map((row) => row.tablename);
    statement = `select ${tables.map((table) => `(select count(*) from "${table}")::int as "${table}"`).join(', ')}`;
    countStatements.set(database.db, statement);
  }
  return statement;
}

/** Row counts of every table in the public schema, in one round trip. */
export async function rowCounts(database: Database): Promise<Record<string, number>> {
  const [row] = rowsOf(
    (await database.db.execute<Record<string, number>>(sql.raw(await countStatement(database)))) as Rows<
      Record<string, number>
    >,
  );
  return Object.fromEntries(Object.entries(row ?? {}).map(([table, count]) => [table, Number(count)]));
}

/** The tables whose row count differs between two snapshots, with both counts. */
export function changedTables(before: Record<string, number>, after: Record<string, number>) {
  return Object.keys({ ...before, ...after })
    .filter((table) => before[table] !== after[table])
    .map((table) => `${table}: ${before[table]} → ${after[table]}`);
}

/**
 * Inbound events the core could not handle (an unexpected error, not a polite refusal), taken out of the
 * table so that the next run of a property starts clean and a shrunk counterexample is the real one.
 */
export async function failedEvents(
  database: Database,
): Promise<{ eventKey: string; error: string | null }[]> {
  return rowsOf(
    (await database.db.execute<{ eventKey: string; error: string | null }>(
      sql`delete from inbound_events where status = 'failed' returning event_key as "eventKey", error`,
    )) as Rows<{ eventKey: string; error: string | null }>,
  );
}

// ---------------------------------------------------------------------------------------------------
// Text

/** A CJK ideograph. */
export const hanzi = fc.integer({ min: 0x4e00, max: 0x9fa5 }).map((code) => String.fromCharCode(code));

/** Words the bot reacts to: command words, their aliases, codes, field names and date shapes. */
export const COMMAND_WORDS = [
  '报隐患',
  '/report',
  '补充',
  '隐患',
  '隐患台账',
  '受理',
  '驳回',
  '指派',
  '整改完成',
  '申请延期',
  '批准延期',
  '不批准延期',
  '复查通过',
  '复查不通过',
  '挂牌督办',
  '我的职责',
  '我的待办',
  '记录',
  '派任务',
  '收到',
  '完成',
  '今天谁值班',
  '确认到岗',
  '值班日志',
  '交班',
  '换班',
  '发起责任书',
  '责任书进度',
  '签订责任书',
  '我的责任书',
  '帮助',
  '/help',
  '/ledger',
  '/accept',
  '/extend',
  '/record',
] as const;

const FRAGMENTS = [
  'YH-2026-0001',
  'YH-9999-999999',
  'RW-2026-0001',
  '地点',
  '程度',
  '类别',
  '一般',
  '较大',
  '重大',
  '截止',
  '日期',
  '学校',
  '会议',
  '检查',
  '督查',
  '演练',
  '12-31',
  '2026-12-31',
  '9999-12-31',
  '0000-00-00',
  '12月31日',
  '明天',
  '周三',
  '夜班',
  '@',
  '：',
  '，',
  '1e10',
  '-1',
  '99999999999',
  '教学楼三楼东侧灭火器过期',
  '食堂',
  '\u0000',
  '\t',
  '\n',
  '\u200b',
  '\ud800',
  'toString',
  '__proto__',
  'constructor',
];

/** Text as people type it, and worse: command words, fragments, Chinese, ASCII and any code unit. */
export const chatText = fc
  .array(
    fc.oneof(
      { weight: 2, arbitrary: fc.constantFrom(...COMMAND_WORDS) },
      { weight: 3, arbitrary: fc.constantFrom(...FRAGMENTS) },
      { weight: 3, arbitrary: fc.string({ unit: hanzi, maxLength: 8 }) },
      { weight: 2, arbitrary: fc.string({ maxLength: 8 }) },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 4 }) },
    ),
    { maxLength: 8 },
  )
  .chain((parts) => fc.constantFrom(' ', '', '\u3000').map((glue) => parts.join(glue)));

/** A command word followed by random arguments. */
export const commandText = fc
  .tuple(fc.constantFrom(...COMMAND_WORDS), fc.constantFrom(' ', '', '：'), chatText)
  .map(([command, glue, rest]) => `${command}${glue}${rest}`);

/** Strings of every kind, including control characters, lone surrogates and astral characters. */
export const anyString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.string({ unit: hanzi }),
  fc.constantFrom('', ' ', '\u0000', 'null', '{}', '[]', '1e400', '-0', '\ud800'),
);

// ---------------------------------------------------------------------------------------------------
// Mutations

export type Mutation =
  | { kind: 'flip'; at: number; char: string }
  | { kind: 'insert'; at: number; char: string }
  | { kind: 'delete'; at: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'duplicate'; at: number; length: number };

/** One random edit of a string; `chars` is what may be written (e.g. only header-safe characters). */
export function mutation(chars: fc.Arbitrary<string> = fc.string({ minLength: 1, maxLength: 1 })) {
  const at = fc.nat({ max: 1_000_000 });
  return fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at, char: chars }),
    fc.record({ kind: fc.constant('insert' as const), at, char: chars }),
    fc.record({ kind: fc.constant('delete' as const), at }),
    fc.record({ kind: fc.constant('truncate' as const), at }),
    fc.record({ kind: fc.constant('duplicate' as const), at, length: fc.integer({ min: 1, max: 16 }) }),
  );
}

/** Applies a mutation; the result always differs from the input (an insertion when nothing else would). */
export function mutate(value: string, edit: Mutation): string {
  const at = edit.at % (value.length + 1);
  let out: string;
  switch (edit.kind) {
    case 'flip':
      out = at < value.length ? value.slice(0, at) + edit.char + value.slice(at + 1) : value + edit.char;
      break;
    case 'insert':
      out = value.slice(0, at) + edit.char + value.slice(at);
      break;
    case 'delete':
      out = value.slice(0, at) + value.slice(at + 1);
      break;
    case 'truncate':
      out = value.slice(0, at);
      break;
    case 'duplicate':
      out = value.slice(0, at) + value.slice(at, at + edit.length) + value.slice(at);
      break;
  }
  return out === value ? `${value}~` : out;
}

/** Characters that may stand in an HTTP header value without being trimmed away or refused by fetch. */
export const headerChar = fc.integer({ min: 0x21, max: 0x7e }).map((code) => String.fromCharCode(code));

/** Delivers the same requests all at once, or one after the other, as a platform's retries may come. */
export async function deliverAll<T>(
  requests: T[],
  post: (request: T) => Promise<Response>,
  parallel: boolean,
) {
  if (parallel) return Promise.all(requests.map(post));
  const responses: Response[] = [];
  for (const request of requests) responses.push(await post(request));
  return responses;
}
