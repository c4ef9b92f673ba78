// Checklists and their items: written by the organization import (by code and key, updated in place;
// what the file drops is archived, never deleted, so the rounds that used an item keep it), and edited
// by the office in the console.
import { and, asc, eq, inArray, notInArray, sql } from 'drizzle-orm';
import { checklistItemKey, type OrgFile } from '../../handlers/org-file.ts';
import type { Queryable, Tx } from '../client.ts';
import { checklistItems, checklists, units } from '../schema.ts';
import { byIdInTenant } from './rows.ts';

export type Checklist = typeof checklists.$inferSelect;
export type ChecklistItem = typeof checklistItems.$inferSelect;

/** Writes the file's checklists for the tenant within the import's transaction. */
export async function syncChecklists(
  tx: Tx,
  tenantId: number,
  org: OrgFile,
  unitIds: Map<string, number>,
): Promise<void> {
  const listIds = new Map<string, number>();
  const itemIds = new Map<string, number>();
  for (const [position, list] of org.checklists.entries()) {
    const values = {
      name: list.name,
      kind: list.kind,
      unitId: list.unit ? unitIds.get(list.unit)! : null,
      area: list.area ?? null,
      source: list.source ?? null,
      position,
      archived: false,
    };
    const [row] = await tx
      .insert(checklists)
      .values({ tenantId, code: list.code, ...values })
      .onConflictDoUpdate({ target: [checklists.tenantId, checklists.code], set: values })
      .returning({ id: checklists.id });
    const checklistId = row!.id;
    listIds.set(list.code, checklistId);
    const keys: string[] = [];
    for (const [index, item] of list.items.entries()) {
      const key = checklistItemKey(item);
      keys.push(key);
      const itemValues = {
        code: item.code ?? null,
        text: item.text,
        source: item.source,
        area: item.area ?? null,
        targetItemId: null,
        accidentKind: item.accident ?? null,
        position: index,
        archived: false,
      };
      const [stored] = await tx
        .insert(checklistItems)
        .values({ tenantId, checklistId, key, ...itemValues })
        .onConflictDoUpdate({ target: [checklistItems.checklistId, checklistItems.key], set: itemValues })
        .returning({ id: checklistItems.id });
      if (item.code) itemIds.set(`${list.code}/${item.code}`, stored!.id);
    }
    await tx
      .update(checklistItems)
      .set({ archived: true })
      .where(and(eq(checklistItems.checklistId, checklistId), notInArray(checklistItems.key, keys)));
  }
  for (const list of org.checklists) {
    for (const item of list.items) {
      if (!item.target) continue;
      await tx
        .update(checklistItems)
        .set({ targetItemId: itemIds.get(item.target)! })
        .where(
          and(
            eq(checklistItems.checklistId, listIds.get(list.code)!),
            eq(checklistItems.key, checklistItemKey(item)),
          ),
        );
    }
  }
  await tx
    .update(checklists)
    .set({ archived: true })
    .where(
      and(
        eq(checklists.tenantId, tenantId),
        listIds.size > 0 ? notInArray(checklists.code, [...listIds.keys()]) : sql`true`,
      ),
    );
}

/** The tenant's checklists that are not archived, in file order, with their unit's name. */
export async function activeChecklists(db: Queryable, tenantId: number) {
  return db
    .select({ checklist: checklists, unitName: units.name })
    .from(checklists)
    .leftJoin(units, eq(units.id, checklists.unitId))
    .where(and(eq(checklists.tenantId, tenantId), eq(checklists.archived, false)))
    .orderBy(asc(checklists.position), asc(checklists.id));
}

/** A checklist's items in order (archived ones too when asked: the console shows them to restore). */
export async function itemsOf(db: Queryable, checklistId: number, withArchived = false) {
  return db
    .select()
    .from(checklistItems)
    .where(
      and(
        eq(checklistItems.checklistId, checklistId),
        withArchived ? sql`true` : eq(checklistItems.archived, false),
      ),
    )
    .orderBy(asc(checklistItems.position), asc(checklistItems.id));
}

export const checklistById = byIdInTenant(checklists);
export const checklistItemById = byIdInTenant(checklistItems);

export async function insertChecklistItem(db: Queryable, row: typeof checklistItems.$inferInsert) {
  const [inserted] = await db.insert(checklistItems).values(row).returning();
  return inserted!;
}

export async function updateChecklistItem(
  db: Queryable,
  tenantId: number,
  itemId: number,
  changes: Partial<Pick<ChecklistItem, 'text' | 'source' | 'area' | 'archived'>>,
) {
  const [row] = await db
    .update(checklistItems)
    .set(changes)
    .where(and(eq(checklistItems.tenantId, tenantId), eq(checklistItems.id, itemId)))
    .returning();
  return row;
}

/** The next position at the end of a list. */
export async function nextItemPosition(db: Queryable, checklistId: number): Promise<number> {
  const [row] = await db
    .select({ last: sql<number>`coalesce(max(${checklistItems.position}), -1)` })
    .from(checklistItems)
    .where(eq(checklistItems.checklistId, checklistId));
  return Number(row?.last ?? -1) + 1;
}

/** Items by id within a tenant (a round's results name them). */
export async function itemsByIds(db: Queryable, tenantId: number, ids: number[]) {
  if (ids.length === 0) return [];
  return db
    .select()
    .from(checklistItems)
    .where(and(eq(checklistItems.tenantId, tenantId), inArray(checklistItems.id, ids)));
}
