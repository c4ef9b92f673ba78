// db:backup / db:restore in process (the tools themselves run in cli-backup.test.ts): a backup file of a
// database with the examples, hazards pointing at each other and a photo's bytes restored into an empty
// database gives every table and row back, the sequences go on after the restored keys, and a bad file or
// a database that does not fit is refused with the place and the reason, leaving the target untouched.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackupFileError, checkingSink, readBackupFile, restoreErrorText } from '../bot/backup/file.ts';
import { databaseRows, RestoreError, restoreSnapshot } from '../db/backup.ts';
import type { Database } from '../db/client.ts';
import { keepThumbnail, storedFileChunkBytes, storedThumbnail } from '../db/queries/evidence.ts';
import { hazards, people, storedFileChunks, storedFiles, tenants } from '../db/schema.ts';
import { collect, tablesOf, writeBackup } from './helpers/backup.ts';
import { openTestDatabase, resetDatabase, seedExamples } from './helpers/db.ts';

const PHOTO = Buffer.from(Array.from({ length: 3000 }, (_, index) => (index * 7) % 256));
const THUMBNAIL = Buffer.from(Array.from({ length: 900 }, (_, index) => (index * 13) % 256));

describe('backup and restore', () => {
  let source: Database;
  let target: Database;
  let dir: string;
  let file: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'backup-'));
    file = join(dir, 'backup.jsonl.gz');
    source = await openTestDatabase();
    target = await openTestDatabase();
    await seedExamples(source, ['school.yaml', 'bureau.yaml']);
    await seedExamples(target, ['school.yaml']);
    await target.db.delete(storedFileChunks);
    const { db } = source;
    const [school] = await db.select().from(tenants).where(eq(tenants.code, 'jishan-school'));
    const [reporter] = await db.select().from(people).where(eq(people.tenantId, school!.id)).limit(1);
    const base = {
      tenantId: school!.id,
      reporterId: reporter!.id,
      sourceChannel: 'feishu' as const,
      createdAt: new Date('2026-03-02T00:00:00.123Z'),
    };
    const [first] = await db
      .insert(hazards)
      .values({ ...base, code: 'YH-2026-0001', description: '配电间门锁损坏，"引号"与\\反斜杠\n换行' })
      .returning();
    const [second] = await db
      .insert(hazards)
      .values({ ...base, code: 'YH-2026-0002', description: '同上', similarToId: first!.id })
      .returning();
    // A row pointing at a later row of its own table: restored in two steps.
    await db.update(hazards).set({ duplicateOfId: second!.id }).where(eq(hazards.id, first!.id));
    const [photo] = await db
      .insert(storedFiles)
      .values({
        tenantId: school!.id,
        sha256: 'f'.repeat(64),
        contentType: 'image/jpeg',
        size: PHOTO.length,
        location: 'db',
      })
      .returning();
    await db.insert(storedFileChunks).values({ fileId: photo!.id, seq: 0, data: PHOTO });
    await keepThumbnail(db, {
      tenantId: school!.id,
      fileId: photo!.id,
      data: THUMBNAIL,
      width: 128,
      height: 96,
    });
    // Rows deleted at the end: their keys must not be handed out again after a restore.
    const [gone] = await db
      .insert(hazards)
      .values({ ...base, code: 'YH-2026-0003', description: '已删除' })
      .returning();
    await db.delete(hazards).where(eq(hazards.id, gone!.id));
  });

  afterAll(async () => {
    await source?.close();
    await target?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives every table and row back in an empty database, and the keys go on after them', async () => {
    const written = await writeBackup(source, file);
    const expected = await collect(source.db);
    expect(written.rows).toBe(expected.tables.reduce((sum, table) => sum + table.rows, 0));
    expect(written.rows).toBeGreaterThan(100);

    // A database with rows is refused, and keeps them.
    const before = tablesOf(await collect(target.db));
    const refused = await restoreSnapshot(target.db, (sink) => readBackupFile(file, sink)).catch(
      (error) => error,
    );
    expect(refused).toBeInstanceOf(RestoreError);
    expect(restoreErrorText(refused)).toMatch(/^目标数据库不是空的：.*people \d+ 行/);
    expect(tablesOf(await collect(target.db))).toEqual(before);

    // --force empties it in the same transaction.
    const summary = await restoreSnapshot(target.db, (sink) => readBackupFile(file, sink), { force: true });
    expect(summary.rows).toBe(written.rows);
    const restored = await collect(target.db);
    expect(tablesOf(restored)).toEqual(tablesOf(expected));
    expect(restored.info.migrations).toEqual(expected.info.migrations);

    const [photo] = await target.db
      .select()
      .from(storedFiles)
      .where(eq(storedFiles.sha256, 'f'.repeat(64)));
    expect(Buffer.from(await storedFileChunkBytes(target.db, photo!.id)).equals(PHOTO)).toBe(true);
    const thumbnail = await storedThumbnail(target.db, photo!.tenantId, photo!.id);
    expect(thumbnail && Buffer.from(thumbnail.data!).equals(THUMBNAIL)).toBe(true);
    const [first] = await target.db.select().from(hazards).where(eq(hazards.code, 'YH-2026-0001'));
    expect(first!.description).toBe('配电间门锁损坏，"引号"与\\反斜杠\n换行');
    expect(first!.createdAt.toISOString()).toBe('2026-03-02T00:00:00.123Z');
    const [second] = await target.db.select().from(hazards).where(eq(hazards.code, 'YH-2026-0002'));
    expect(first!.duplicateOfId).toBe(second!.id);
    expect(second!.similarToId).toBe(first!.id);

    // New rows continue after the restored keys, and after the deleted one.
    const sourceNext = await source.db
      .insert(hazards)
      .values({ ...first!, id: undefined, code: 'YH-2026-0004', duplicateOfId: null })
      .returning();
    const targetNext = await target.db
      .insert(hazards)
      .values({ ...first!, id: undefined, code: 'YH-2026-0004', duplicateOfId: null })
      .returning();
    expect(targetNext[0]!.id).toBe(sourceNext[0]!.id);
    await source.db.delete(hazards).where(eq(hazards.code, 'YH-2026-0004'));
  });

  describe('a bad file is refused with the line and the reason; the database keeps what it had', () => {
    let lines: string[];
    let empty: Database;
    beforeAll(async () => {
      await writeBackup(source, file);
      lines = gunzipSync(readFileSync(file)).toString('utf8').trimEnd().split('\n');
      empty = target;
      await resetDatabase(empty);
      expect(await databaseRows(empty.db)).toEqual([]);
    });

    const variant = (name: string, edit: (lines: string[]) => string[] | Buffer) => {
      const path = join(dir, name);
      const edited = edit([...lines]);
      writeFileSync(path, Buffer.isBuffer(edited) ? edited : gzipSync(`${edited.join('\n')}\n`));
      return path;
    };
    const lineOf = (prefix: string) => lines.findIndex((line) => line.startsWith(prefix)) + 1;
    const refusal = async (path: string) => {
      const error = await readBackupFile(path, checkingSink).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(BackupFileError);
      // Restoring it changes nothing either.
      await expect(restoreSnapshot(empty.db, (sink) => readBackupFile(path, sink))).rejects.toThrow();
      expect(await databaseRows(empty.db)).toEqual([]);
      return error as BackupFileError;
    };

    it('names what is wrong and where', async () => {
      const plain = variant('plain.txt', () => Buffer.from('hello\n'));
      expect((await refusal(plain)).message).toBe(`${plain}：不是备份文件（不是 gzip 压缩文件）`);

      const foreign = variant('foreign.gz', (all) => ['{"format":"other"}', ...all.slice(1)]);
      expect((await refusal(foreign)).message).toMatch(/第 1 行：不是本系统的备份文件/);

      const future = variant('future.gz', (all) => [
        all[0]!.replace('"version":1', '"version":2'),
        ...all.slice(1),
      ]);
      expect((await refusal(future)).message).toMatch(
        /第 1 行：备份文件格式为第 2 版，本版本只能读取第 1 版/,
      );

      const hazardsAt = lineOf('{"table":"hazards"');
      const broken = variant('broken.gz', (all) => {
        all[hazardsAt] = all[hazardsAt]!.slice(0, 20);
        return all;
      });
      expect((await refusal(broken)).message).toBe(
        `${broken} 第 ${hazardsAt + 1} 行：表 hazards 的第 1 行数据不是有效的 JSON`,
      );

      const column = variant('column.gz', (all) => {
        all[hazardsAt] = all[hazardsAt]!.replace('{', '{"colour":"red",');
        return all;
      });
      expect((await refusal(column)).message).toBe(
        `${column} 第 ${hazardsAt + 1} 行：表 hazards 没有列“colour”`,
      );

      const cut = variant('cut.gz', (all) => all.slice(0, -1));
      expect((await refusal(cut)).message).toMatch(/文件不完整：没有结束行/);

      const short = variant('short.gz', (all) => all.filter((_, index) => index !== hazardsAt));
      expect((await refusal(short)).message).toMatch(/第 \d+ 行：表 hazards 应有 2 行，只有 1 行$/);

      const gzipCut = variant('gzip-cut.gz', () =>
        readFileSync(file).subarray(0, Math.floor(readFileSync(file).length / 2)),
      );
      expect((await refusal(gzipCut)).message).toMatch(/文件不完整或已损坏/);
    });

    it('refuses a backup of another version, and rows that break a reference, as a whole', async () => {
      const newer = variant('newer.gz', (all) => [
        all[0]!.replace('"migrations":[', '"migrations":["9999_future",'),
        ...all.slice(1),
      ]);
      const error = await restoreSnapshot(empty.db, (sink) => readBackupFile(newer, sink)).catch(
        (caught) => caught,
      );
      expect(restoreErrorText(error)).toMatch(/^备份的第 1 个迁移是 9999_future，本版本是 0000_init/);

      const hazardsAt = lineOf('{"table":"hazards"');
      const orphan = variant('orphan.gz', (all) => {
        all[hazardsAt + 1] = all[hazardsAt + 1]!.replace(/"reporter_id": \d+/, '"reporter_id": 999999');
        return all;
      });
      await readBackupFile(orphan, checkingSink);
      const rows = await restoreSnapshot(empty.db, (sink) => readBackupFile(orphan, sink)).catch(
        (caught) => caught,
      );
      expect(restoreErrorText(rows)).toMatch(
        new RegExp(`^表 hazards（自第 ${hazardsAt + 1} 行起的一批）写入失败：.*hazards_reporter_id`),
      );
      expect(await databaseRows(empty.db)).toEqual([]);
    });
  });
});
