// Evidence in an S3-compatible bucket (EVIDENCE_S3_*): the store writes the object, then its row (no
// chunks), reads it back through a signed GET, and a bucket that refuses (a wrong secret) leaves nothing
// half-written. The fake bucket (test/fakes/s3.ts) checks every request's SigV4 signature.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createEvidenceStore } from '../bot/core/evidence.ts';
import { S3Error } from '../bot/core/s3.ts';
import { parseConfig } from '../bot/env.ts';
import type { Database } from '../db/client.ts';
import { storedFileChunks, storedFiles, tenants } from '../db/schema.ts';
import { FakeS3 } from './fakes/s3.ts';
import { openTestDatabase, seedExample } from './helpers/db.ts';
import { png, sha256 } from './helpers/images.ts';

const BUCKET = {
  bucket: 'school-evidence',
  region: 'us-east-1',
  accessKeyId: 'AKIAFAKEEVIDENCE0001',
  secretAccessKey: 'fake/secret+key/for/the/evidence/bucket',
};

let database: Database;
let bucket: FakeS3;
let tenantId: number;

beforeAll(async () => {
  database = await openTestDatabase();
  bucket = new FakeS3(BUCKET);
  await bucket.start();
});
afterAll(async () => {
  await bucket.close();
  await database.close();
});
beforeEach(async () => {
  await seedExample(database);
  bucket.objects.clear();
  bucket.calls.length = 0;
  const [tenant] = await database.db.select({ id: tenants.id }).from(tenants).limit(1);
  tenantId = tenant!.id;
});

/** The store as the service makes it from the environment. */
function storeFrom(env: Record<string, string>) {
  const config = parseConfig({
    EVIDENCE_S3_ENDPOINT: bucket.url,
    EVIDENCE_S3_BUCKET: BUCKET.bucket,
    EVIDENCE_S3_ACCESS_KEY_ID: BUCKET.accessKeyId,
    EVIDENCE_S3_SECRET_ACCESS_KEY: BUCKET.secretAccessKey,
    ...env,
  });
  return createEvidenceStore({ db: database.db, s3: config.evidenceS3 });
}

describe('evidence in an S3-compatible bucket', () => {
  it('stores the object (signed, its sha256 checked) and its row without chunks, and reads it back', async () => {
    const store = storeFrom({});
    expect(store.location).toBe('s3');
    const bytes = png('bucket photo', 400 * 1024);
    const { file, created } = await store.put(tenantId, bytes, { imagesOnly: true });
    expect(created).toBe(true);
    const key = `evidence/${tenantId}/${sha256(bytes)}`;
    expect(file).toMatchObject({
      location: 's3',
      objectKey: key,
      contentType: 'image/png',
      size: bytes.byteLength,
    });
    expect(bucket.calls).toEqual([{ method: 'PUT', path: `/${BUCKET.bucket}/${key}`, status: 200 }]);
    expect(bucket.objects.get(key)?.contentType).toBe('image/png');
    expect(await database.db.select().from(storedFileChunks)).toEqual([]);

    const read = await store.read(tenantId, file.id);
    expect(read?.contentType).toBe('image/png');
    expect(Buffer.from(read!.bytes).equals(Buffer.from(bytes))).toBe(true);
    // The same content again: no second object, no second row.
    expect((await store.put(tenantId, bytes, { imagesOnly: true })).created).toBe(false);
    expect(bucket.calls.filter((call) => call.method === 'PUT')).toHaveLength(1);
    // Another tenant reads nothing.
    expect(await store.read(tenantId + 1000, file.id)).toBeNull();
  });

  it('a bucket that refuses the signature stores nothing; an object gone reads as none', async () => {
    const wrong = storeFrom({ EVIDENCE_S3_SECRET_ACCESS_KEY: 'not-the-secret' });
    const error = await wrong.put(tenantId, png('refused'), { imagesOnly: true }).catch((caught) => caught);
    expect(error).toBeInstanceOf(S3Error);
    expect(error).toMatchObject({ status: 403, code: 'SignatureDoesNotMatch' });
    expect(bucket.objects.size).toBe(0);
    expect(await database.db.select().from(storedFiles)).toEqual([]);

    const store = storeFrom({});
    const { file } = await store.put(tenantId, png('lost'), { imagesOnly: true });
    bucket.objects.clear();
    expect(await store.read(tenantId, file.id)).toBeNull();
    expect(bucket.calls.at(-1)).toMatchObject({ method: 'GET', status: 404, code: 'NoSuchKey' });
  });
});
