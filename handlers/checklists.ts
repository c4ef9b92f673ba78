// The office edits checklists in the console: adds an item, changes its text, source or area, archives
// it or brings it back. Every change is audited (`checklist-item:<id>`). An item is never deleted: the
// rounds that used it keep it. A re-import of the organization file writes the file's items again.
import { type Acting, trailActor } from '../bot/core/context.ts';
import { Refusal } from '../bot/core/errors.ts';
import type { Queryable } from '../db/client.ts';
import { appendAudit } from '../db/queries/audit.ts';
import {
  checklistById,
  checklistItemById,
  insertChecklistItem,
  nextItemPosition,
  updateChecklistItem,
} from '../db/queries/checklists.ts';
import type { Tenant } from '../db/queries/org.ts';
import { capped, TEXT_LIMITS } from './text-limits.ts';

export type ChecklistEditContext = { db: Queryable; tenant: Tenant; now: Date } & Acting;

export interface ItemInput {
  text: string;
  source: string;
  area: string;
}

function cleaned(input: ItemInput) {
  const text = input.text.replace(/\s+/g, ' ').trim();
  const source = input.source.replace(/\s+/g, ' ').trim();
  const area = input.area.trim();
  if (!text) throw new Refusal('请填写检查项目。');
  if (!source) throw new Refusal('请填写依据（例如 002 §四(四)3）。');
  capped(text, TEXT_LIMITS.description, '检查项目');
  capped(source, TEXT_LIMITS.place, '依据');
  if (area) capped(area, TEXT_LIMITS.place, '区域');
  return { text, source, area: area || null };
}

export async function addChecklistItem(ctx: ChecklistEditContext, checklistId: number, input: ItemInput) {
  const list = await checklistById(ctx.db, ctx.tenant.id, checklistId);
  if (!list) throw new Refusal('找不到这个清单。');
  const values = cleaned(input);
  const item = await insertChecklistItem(ctx.db, {
    tenantId: ctx.tenant.id,
    checklistId,
    // Added in the console: keyed apart from the file's items, so a re-import does not take it over.
    key: `console:${ctx.now.getTime()}:${values.text}`,
    ...values,
    position: await nextItemPosition(ctx.db, checklistId),
  });
  await appendAudit(ctx.db, {
    tenantId: ctx.tenant.id,
    subject: `checklist-item:${item.id}`,
    ...trailActor(ctx),
    action: 'checklist.add',
    note: `${list.name}：${values.text}`,
    data: values,
    at: ctx.now,
  });
  return item;
}

export async function editChecklistItem(
  ctx: ChecklistEditContext,
  itemId: number,
  change: { kind: 'edit'; input: ItemInput } | { kind: 'archive' } | { kind: 'restore' },
) {
  const item = await checklistItemById(ctx.db, ctx.tenant.id, itemId);
  if (!item) throw new Refusal('找不到这个检查项目。');
  const values = change.kind === 'edit' ? cleaned(change.input) : { archived: change.kind === 'archive' };
  const updated = (await updateChecklistItem(ctx.db, ctx.tenant.id, itemId, values))!;
  await appendAudit(ctx.db, {
    tenantId: ctx.tenant.id,
    subject: `checklist-item:${item.id}`,
    ...trailActor(ctx),
    action: `checklist.${change.kind}`,
    fromStatus: item.archived ? 'archived' : 'active',
    toStatus: updated.archived ? 'archived' : 'active',
    note: updated.text,
    data:
      change.kind === 'edit'
        ? { from: { text: item.text, source: item.source, area: item.area }, to: values }
        : null,
    at: ctx.now,
  });
  return updated;
}
