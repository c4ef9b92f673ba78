// The rows of a photo pack (ZIP of a hazard's or a period's photos): each photo with its hazard's code,
// its stage, its download state and file, and who sent it.
import { and, asc, eq, inArray } from 'drizzle-orm';
import type { Queryable } from '../client.ts';
import { hazardPhotos, hazards, people, storedFiles } from '../schema.ts';

export async function photoPackRows(db: Queryable, tenantId: number, hazardIds: readonly number[]) {
  if (hazardIds.length === 0) return [];
  return db
    .select({
      hazardId: hazardPhotos.hazardId,
      code: hazards.code,
      stage: hazardPhotos.stage,
      status: hazardPhotos.fetchStatus,
      error: hazardPhotos.fetchError,
      fileId: hazardPhotos.fileId,
      contentType: storedFiles.contentType,
      createdAt: hazardPhotos.createdAt,
      addedByName: people.name,
    })
    .from(hazardPhotos)
    .innerJoin(hazards, and(eq(hazards.id, hazardPhotos.hazardId), eq(hazards.tenantId, tenantId)))
    .leftJoin(storedFiles, and(eq(storedFiles.id, hazardPhotos.fileId), eq(storedFiles.tenantId, tenantId)))
    .leftJoin(people, eq(people.id, hazardPhotos.addedById))
    .where(and(eq(hazardPhotos.tenantId, tenantId), inArray(hazardPhotos.hazardId, [...hazardIds])))
    .orderBy(asc(hazards.createdAt), asc(hazards.code), asc(hazardPhotos.id));
}

export type PhotoPackRow = Awaited<ReturnType<typeof photoPackRows>>[number];

/** A hazard of the tenant by id (the pack of one hazard), or undefined: another tenant's is not found. */
export async function hazardCodeById(db: Queryable, tenantId: number, hazardId: number) {
  const [row] = await db
    .select({ id: hazards.id, code: hazards.code })
    .from(hazards)
    .where(and(eq(hazards.tenantId, tenantId), eq(hazards.id, hazardId)));
  return row;
}
