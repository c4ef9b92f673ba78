// The evidence store (bot/core/evidence.ts) on the database: checked by the bytes, chunked, kept once per
// tenant and content, read back only within its tenant; listed per hazard for the outputs.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createEvidenceStore, EvidenceRefused } from '../bot/core/evidence.ts';
import type { Database } from '../db/client.ts';
import { listHazardPhotos } from '../db/queries/evidence.ts';
import { hazardPhotos, hazards, people, storedFileChunks, storedFiles, tenants } from '../db/schema.ts';
import { EVIDENCE_LIMITS } from '../handlers/evidence-rules.ts';
import { openTestDatabase, seedExample } from './helpers/db.ts';
import { pdf, png, sha256 } from './helpers/images.ts';

let database: Database;
let tenantId: number;

beforeAll(async () => {
  database = await openTestDatabase();
});
afterAll(async () => database.close());
beforeEach(async () => {
  await seedExample(database);
  const [tenant] = await database.db.select({ id: tenants.id }).from(tenants).limit(1);
  tenantId = tenant!.id;
});

describe('the evidence store in the database', () => {
  it('keeps a file in 256 KiB chunks with its sha256 and type by its bytes, once per content', async () => {
    const store = createEvidenceStore({ db: database.db });
    const bytes = png('a', EVIDENCE_LIMITS.chunkBytes * 2 + 100);
    const first = await store.put(tenantId, bytes, { imagesOnly: true });
    expect(first.created).toBe(true);
    expect(first.file).toMatchObject({
      sha256: sha256(bytes),
      contentType: 'image/png',
      size: bytes.byteLength,
      location: 'db',
    });
    const chunks = await database.db
      .select()
      .from(storedFileChunks)
      .where(eq(storedFileChunks.fileId, first.file.id));
    expect(chunks.map((chunk) => chunk.data.byteLength).sort((a, b) => b - a)).toEqual([
      EVIDENCE_LIMITS.chunkBytes,
      EVIDENCE_LIMITS.chunkBytes,
      100,
    ]);
    const again = await store.put(tenantId, bytes, { imagesOnly: true });
    expect(again).toMatchObject({ created: false, file: { id: first.file.id } });
    expect(await database.db.select().from(storedFiles)).toHaveLength(1);

    const read = await store.read(tenantId, first.file.id);
    expect(read?.contentType).toBe('image/png');
    expect(Buffer.from(read!.bytes).equals(Buffer.from(bytes))).toBe(true);
    // Another tenant's id reads nothing.
    expect(await store.read(tenantId + 1000, first.file.id)).toBeNull();
    expect(await store.read(tenantId, first.file.id + 1000)).toBeNull();
  });

  it('refuses a file too large, or not an image where one must be, and writes nothing', async () => {
    const store = createEvidenceStore({ db: database.db });
    await expect(
      store.put(tenantId, png('big', EVIDENCE_LIMITS.fileBytes + 1), { imagesOnly: true }),
    ).rejects.toThrow(/超过单个文件 10 MB 的上限/);
    await expect(store.put(tenantId, pdf('doc'), { imagesOnly: true })).rejects.toThrow(EvidenceRefused);
    await expect(store.put(tenantId, pdf('doc'), { imagesOnly: true })).rejects.toThrow(
      /不是图片（识别为 pdf）/,
    );
    expect(await database.db.select().from(storedFiles)).toEqual([]);
    expect(await database.db.select().from(storedFileChunks)).toEqual([]);
    // A record's file may be a document.
    const kept = await store.put(tenantId, pdf('doc'), { imagesOnly: false });
    expect(kept.file.contentType).toBe('application/pdf');
  });

  it('lists the photos of hazards with their stage, state and stored file', async () => {
    const store = createEvidenceStore({ db: database.db });
    const [person] = await database.db.select().from(people).where(eq(people.tenantId, tenantId)).limit(1);
    const [hazard] = await database.db
      .insert(hazards)
      .values({
        tenantId,
        code: 'YH-1',
        description: '灭火器过期',
        reporterId: person!.id,
        sourceChannel: 'feishu',
      })
      .returning();
    const { file } = await store.put(tenantId, png('b'), { imagesOnly: true });
    const base = { tenantId, hazardId: hazard!.id, channel: 'feishu' as const };
    await database.db.insert(hazardPhotos).values([
      { ...base, fileKey: 'img_1', fetchStatus: 'stored', fileId: file.id },
      { ...base, fileKey: 'img_2', stage: 'after' },
      { ...base, fileKey: 'img_3', stage: 'after', fetchStatus: 'failed', fetchError: '超过 3 天' },
    ]);
    const listed = await listHazardPhotos(database.db, tenantId, [hazard!.id]);
    expect(
      listed.map(({ stage, status, fileId, contentType, size, error }) => ({
        stage,
        status,
        fileId,
        contentType,
        size,
        error,
      })),
    ).toEqual([
      {
        stage: 'before',
        status: 'stored',
        fileId: file.id,
        contentType: 'image/png',
        size: 2048,
        error: null,
      },
      { stage: 'after', status: 'pending', fileId: null, contentType: null, size: null, error: null },
      { stage: 'after', status: 'failed', fileId: null, contentType: null, size: null, error: '超过 3 天' },
    ]);
    expect(await listHazardPhotos(database.db, tenantId + 1000, [hazard!.id])).toEqual([]);
  });
});
