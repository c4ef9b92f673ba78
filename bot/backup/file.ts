// The backup file: gzip-compressed JSON lines, one snapshot of the database (db/backup.ts).
//   line 1   {"format":"yigang-shuangze-backup","version":1,"createdAt":…,"source":"pglite"|"postgres",
//             "server":"PostgreSQL 17.5 …","app":"0.1.0","migrations":["0000_init",…],"sequences":[…]}
//   then, per table, parents before children:
//            {"table":"hazards","columns":["id",…],"rows":100000}
//            then exactly that many lines, each one row as PostgreSQL's to_jsonb text
//   last     {"end":true,"tables":41,"rows":512345}
// Plain text under gzip: readable with `zcat`, independent of PGlite's data-folder format (tied to its
// PostgreSQL major version), and restorable into PGlite or any PostgreSQL server from 12 on.
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { z } from 'zod';
import { RestoreError, type SnapshotInfo, type SnapshotSink, type TableInfo } from '../../db/backup.ts';

export const BACKUP_FORMAT = 'yigang-shuangze-backup';
export const BACKUP_VERSION = 1;

const header = z.object({
  format: z.literal(BACKUP_FORMAT),
  version: z.number().int().positive(),
  createdAt: z.string(),
  source: z.enum(['pglite', 'postgres']),
  server: z.string(),
  app: z.string(),
  migrations: z.array(z.string()),
  sequences: z.array(z.object({ table: z.string(), column: z.string(), next: z.number().int() })),
});
export type BackupHeader = z.infer<typeof header>;

const tableLine = z.object({
  table: z.string().min(1),
  columns: z.array(z.string()).min(1),
  rows: z.number().int().nonnegative(),
});
const endLine = z.object({ end: z.literal(true), tables: z.number().int(), rows: z.number().int() });

/** A backup file that cannot be read: where (line 0: the file as a whole) and why, in words. */
export class BackupFileError extends Error {
  override name = 'BackupFileError';
  constructor(
    readonly path: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(line > 0 ? `${path} 第 ${line} 行：${reason}` : `${path}：${reason}`);
  }
}

export interface BackupSummary {
  tables: TableInfo[];
  rows: number;
}

/**
 * A sink that writes the snapshot it is given to `output` as a backup file. `done` resolves when every
 * byte is flushed to `output`.
 */
export function backupWriter(
  output: Writable,
  meta: { source: 'pglite' | 'postgres'; app: string; createdAt: Date },
): SnapshotSink & { done(): Promise<BackupSummary> } {
  const gzip = createGzip();
  gzip.pipe(output);
  const flushed = finished(output);
  flushed.catch(() => {});
  const tables: TableInfo[] = [];
  const write = async (text: string) => {
    if (!gzip.write(text)) await once(gzip, 'drain');
  };
  return {
    async begin(info: SnapshotInfo) {
      const line: BackupHeader = {
        format: BACKUP_FORMAT,
        version: BACKUP_VERSION,
        createdAt: meta.createdAt.toISOString(),
        source: meta.source,
        server: info.server,
        app: meta.app,
        migrations: info.migrations,
        sequences: info.sequences,
      };
      await write(`${JSON.stringify(line)}\n`);
    },
    async table(table) {
      tables.push(table);
      await write(`${JSON.stringify({ table: table.name, columns: table.columns, rows: table.rows })}\n`);
    },
    async rows(rows) {
      await write(`${rows.join('\n')}\n`);
    },
    async end() {
      const rows = tables.reduce((sum, table) => sum + table.rows, 0);
      await write(`${JSON.stringify({ end: true, tables: tables.length, rows })}\n`);
      gzip.end();
    },
    async done() {
      await flushed;
      return { tables, rows: tables.reduce((sum, table) => sum + table.rows, 0) };
    },
  };
}

/** Rows handed on at a time while reading: up to this many, or about this many characters. */
const BATCH_ROWS = 2000;
const BATCH_CHARS = 4 * 1024 * 1024;

/** zod's first complaint, as `field: message`. */
const complaint = (error: z.ZodError) => {
  const issue = error.issues[0];
  return issue ? `${issue.path.join('.') || '整行'}：${issue.message}` : '格式不对';
};

/** A sink that takes everything and keeps nothing: reading a file through it checks the whole file. */
export const checkingSink: SnapshotSink = {
  begin: async () => {},
  table: async () => {},
  rows: async () => {},
  end: async () => {},
};

/**
 * Reads a backup file into `sink`, checking as it goes: the header (format, version), each table line,
 * that every table has the rows it announced, each row a JSON object of the table's columns, the end
 * line and its counts, and nothing after it. A fault is a BackupFileError with the line. Errors the sink
 * throws (the database refusing rows) pass unchanged.
 */
export async function readBackupFile(
  path: string,
  sink: SnapshotSink,
): Promise<BackupSummary & { header: BackupHeader }> {
  const file = createReadStream(path);
  const stream = file.pipe(createGunzip());
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  let failure: Error | undefined;
  /** A read or decompression fault, in words; other errors (the sink's) as they are. */
  const fault = (error: unknown): unknown => {
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    if (code === 'ENOENT') return new BackupFileError(path, 0, '文件不存在');
    if (code === 'EISDIR') return new BackupFileError(path, 0, '这是一个目录，不是备份文件');
    if (code === 'Z_DATA_ERROR' && !started)
      return new BackupFileError(path, 0, '不是备份文件（不是 gzip 压缩文件）');
    if (code === 'Z_BUF_ERROR' || code === 'Z_DATA_ERROR')
      return new BackupFileError(path, number, '文件不完整或已损坏（压缩数据中途结束）');
    if (typeof code === 'string' && error instanceof Error)
      return new BackupFileError(path, 0, `无法读取：${error.message}`);
    return error;
  };
  const broken = (error: NodeJS.ErrnoException) => {
    failure ??= fault(error) as Error;
    lines.close();
  };
  let started = false;
  let number = 0;
  let head: BackupHeader | undefined;
  let table: (TableInfo & { columnSet: Set<string>; read: number }) | undefined;
  let ended: z.infer<typeof endLine> | undefined;
  const tables: TableInfo[] = [];
  let batch: string[] = [];
  let batchLine = 0;
  let batchChars = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const rows = batch;
    batch = [];
    batchChars = 0;
    await sink.rows(rows, batchLine);
  };
  const parse = (text: string, what: string): unknown => {
    try {
      return JSON.parse(text);
    } catch {
      throw new BackupFileError(path, number, `${what}不是有效的 JSON`);
    }
  };
  const fail = (reason: string) => new BackupFileError(path, number, reason);
  file.on('error', broken);
  stream.on('error', broken);
  try {
    for await (const text of lines) {
      started = true;
      number += 1;
      if (!head) {
        const value = parse(text, '文件头');
        const format = (value as { format?: unknown } | null)?.format;
        if (format !== BACKUP_FORMAT)
          throw fail(`不是本系统的备份文件（文件头没有 "format": "${BACKUP_FORMAT}"）`);
        const version = (value as { version?: unknown }).version;
        if (typeof version === 'number' && version > BACKUP_VERSION)
          throw fail(
            `备份文件格式为第 ${version} 版，本版本只能读取第 ${BACKUP_VERSION} 版：请用更新的版本恢复`,
          );
        const parsed = header.safeParse(value);
        if (!parsed.success) throw fail(`文件头不完整：${complaint(parsed.error)}`);
        head = parsed.data;
        await sink.begin({ migrations: head.migrations, server: head.server, sequences: head.sequences });
        continue;
      }
      if (ended) throw fail('结束行之后还有内容');
      if (table && table.read < table.rows) {
        if (!text.startsWith('{')) throw fail(`表 ${table.name} 的第 ${table.read + 1} 行数据不是 JSON 对象`);
        const row = parse(text, `表 ${table.name} 的第 ${table.read + 1} 行数据`);
        if (row === null || typeof row !== 'object' || Array.isArray(row))
          throw fail(`表 ${table.name} 的第 ${table.read + 1} 行数据不是 JSON 对象`);
        const unknown = Object.keys(row).find((key) => !table!.columnSet.has(key));
        if (unknown !== undefined) {
          if (tableLine.safeParse(row).success || endLine.safeParse(row).success)
            throw fail(`表 ${table.name} 应有 ${table.rows} 行，只有 ${table.read} 行`);
          throw fail(`表 ${table.name} 没有列“${unknown}”`);
        }
        if (batch.length === 0) batchLine = number;
        batch.push(text);
        batchChars += text.length;
        table.read += 1;
        if (batch.length >= BATCH_ROWS || batchChars >= BATCH_CHARS) await flush();
        continue;
      }
      await flush();
      const value = parse(text, '这一行');
      if (value !== null && typeof value === 'object' && 'end' in value) {
        const parsed = endLine.safeParse(value);
        if (!parsed.success) throw fail(`结束行不对：${complaint(parsed.error)}`);
        const rows = tables.reduce((sum, entry) => sum + entry.rows, 0);
        if (parsed.data.tables !== tables.length || parsed.data.rows !== rows)
          throw fail(
            `结束行记有 ${parsed.data.tables} 张表、${parsed.data.rows} 行，文件中实有 ${tables.length} 张表、${rows} 行`,
          );
        ended = parsed.data;
        await sink.end();
        continue;
      }
      const parsed = tableLine.safeParse(value);
      if (!parsed.success) throw fail(`应为表头行（{"table":…}）：${complaint(parsed.error)}`);
      if (tables.some((entry) => entry.name === parsed.data.table))
        throw fail(`表 ${parsed.data.table} 出现了两次`);
      const info = { name: parsed.data.table, columns: parsed.data.columns, rows: parsed.data.rows };
      tables.push(info);
      table = { ...info, columnSet: new Set(info.columns), read: 0 };
      await sink.table(info);
    }
  } catch (error) {
    lines.close();
    stream.destroy();
    throw error instanceof BackupFileError ? error : (failure ?? fault(error));
  }
  if (failure) throw failure;
  if (!head) throw new BackupFileError(path, 0, '文件是空的');
  if (table && table.read < table.rows)
    throw new BackupFileError(
      path,
      number,
      `文件不完整：表 ${table.name} 应有 ${table.rows} 行，只读到 ${table.read} 行`,
    );
  if (!ended) throw new BackupFileError(path, number, '文件不完整：没有结束行（备份可能在写入时中断）');
  return { header: head, tables, rows: ended.rows };
}

/** A restore or move that does not fit the database, in words; undefined for any other error. */
export function restoreErrorText(error: unknown): string | undefined {
  if (!(error instanceof RestoreError)) return undefined;
  const reason = error.reason;
  switch (reason.kind) {
    case 'not_empty':
      return `目标数据库不是空的：${reason.tables.map((table) => `${table.name} ${table.rows} 行`).join('、')}。`;
    case 'newer':
      return `备份来自更新的版本（多出迁移 ${reason.extra.join('、')}）：请安装该版本或更新的版本后再恢复。`;
    case 'older':
      return `备份来自较早的版本（缺少迁移 ${reason.missing.join('、')}）：请用备份时的版本恢复，启动一次后再升级。`;
    case 'diverged':
      return `备份的第 ${reason.at + 1} 个迁移是 ${reason.backup}，本版本是 ${reason.here}：备份不属于本系统的这条版本线。`;
    case 'unknown_table':
      return `备份中的表 ${reason.table} 在目标数据库中不存在。`;
    case 'columns':
      return `表 ${reason.table} 的列不一致：备份为 ${reason.backup.join(',')}，目标为 ${reason.here.join(',')}。`;
    case 'order':
      return `表 ${reason.table} 出现在它引用的表 ${reason.parent} 之前。`;
    case 'count':
      return `表 ${reason.table} 应有 ${reason.expected} 行，写入后为 ${reason.found} 行。`;
    case 'missing_tables':
      return `备份中缺少表 ${reason.tables.join('、')}。`;
    case 'rows':
      return `表 ${reason.table}${reason.line ? `（自第 ${reason.line} 行起的一批）` : ''}写入失败：${reason.message}`;
  }
}
