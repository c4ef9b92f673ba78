// The targets every school signs for (004 §二: 五有, 九无, 八杜绝), tracked per unit and for the school:
// fed by rounds (the latest result of an item that is, or counts against, a target), the open hazards
// failing items became, and counts other registers plug in (the accident register's, for 八杜绝).
// "九无: 无违规使用电器 — 3 项隐患未整改". The dashboard shows it; the year-end table takes `targetSummary`.
import type { Queryable } from '../db/client.ts';
import { latestTargetResults, openHazardsPerTarget, targetItems } from '../db/queries/rounds.ts';
import { tenantUnits } from '../db/queries/units.ts';
import { TARGET_STATUS_LABELS, type TargetStatus } from './inspection-rules.ts';

/**
 * A count another register adds to a target item: e.g. the accident register's drownings against
 * 八杜绝(7). `target` is `<checklist code>/<item code>`; `unitId` the unit it belongs to (null: the school's).
 */
export interface ExtraTargetCount {
  target: string;
  unitId: number | null;
  /** What is counted, e.g. 事故: read "事故 1 起". */
  label: string;
  n: number;
}

export interface TargetItemStatus {
  id: number;
  code: string | null;
  text: string;
  source: string;
  openHazards: number;
  extra: { label: string; n: number }[];
  /** Whether a signed round has looked at it (the item itself or one counting against it). */
  checked: boolean;
  status: TargetStatus;
  /** The line a person reads: "无违规使用电器 — 3 项隐患未整改". */
  line: string;
}

export interface TargetGroup {
  code: string;
  name: string;
  met: number;
  items: TargetItemStatus[];
}

/**
 * The targets' status for the school (no unit) or one unit: per target list, per item, what keeps it
 * from being met. `extra` carries counts from other registers (accidents), filtered by unit here.
 */
export async function targetStatus(
  db: Queryable,
  tenantId: number,
  options: { unitId?: number; extra?: readonly ExtraTargetCount[] },
): Promise<TargetGroup[]> {
  const items = await targetItems(db, tenantId);
  const ids = items.map((row) => row.item.id);
  const inUnit = (unitId: number | null) => options.unitId === undefined || unitId === options.unitId;
  const hazards = (await openHazardsPerTarget(db, tenantId)).filter((row) => inUnit(row.unitId));
  const results = (await latestTargetResults(db, tenantId, ids)).filter((row) => inUnit(row.unitId));
  const groups = new Map<string, TargetGroup>();
  for (const { item, checklistCode, checklistName } of items) {
    const key = `${checklistCode}/${item.code ?? item.key}`;
    const openHazards = hazards
      .filter((row) => row.targetId === item.id)
      .reduce((sum, row) => sum + row.n, 0);
    const extra = (options.extra ?? [])
      .filter((count) => count.target === key && count.n > 0 && inUnit(count.unitId))
      .map(({ label, n }) => ({ label, n }));
    const checked = results.some((row) => row.itemId === item.id);
    const problems = [
      ...(openHazards > 0 ? [`${openHazards} 项隐患未整改`] : []),
      ...extra.map((count) => `${count.label} ${count.n} 起`),
    ];
    const status: TargetStatus = problems.length > 0 ? 'unmet' : checked ? 'met' : 'unassessed';
    const group = groups.get(checklistCode) ?? {
      code: checklistCode,
      name: checklistName,
      met: 0,
      items: [],
    };
    if (status === 'met') group.met += 1;
    group.items.push({
      id: item.id,
      code: item.code,
      text: item.text,
      source: item.source,
      openHazards,
      extra,
      checked,
      status,
      line: `${item.text} — ${problems.length > 0 ? problems.join('，') : TARGET_STATUS_LABELS[status]}`,
    });
    groups.set(checklistCode, group);
  }
  return [...groups.values()];
}

/** One row of the year-end table: per unit (and the school), each target list as "达标 n/m，未达标 k". */
export interface TargetSummaryRow {
  unitId: number | null;
  name: string;
  lists: { code: string; name: string; met: number; unmet: number; total: number; text: string }[];
}

const summarize = (groups: TargetGroup[]) =>
  groups.map((group) => {
    const unmet = group.items.filter((item) => item.status === 'unmet').length;
    const total = group.items.length;
    return {
      code: group.code,
      name: group.name,
      met: group.met,
      unmet,
      total,
      text: `达标 ${group.met}/${total}${unmet > 0 ? `，未达标 ${unmet}` : ''}`,
    };
  });

/** The targets per unit and for the whole school, for the year-end table (and any report). */
export async function targetSummary(
  db: Queryable,
  tenantId: number,
  extra: readonly ExtraTargetCount[] = [],
  wholeName = '全校',
): Promise<TargetSummaryRow[]> {
  const rows: TargetSummaryRow[] = [];
  for (const unit of await tenantUnits(db, tenantId)) {
    rows.push({
      unitId: unit.id,
      name: unit.name,
      lists: summarize(await targetStatus(db, tenantId, { unitId: unit.id, extra })),
    });
  }
  rows.push({ unitId: null, name: wholeName, lists: summarize(await targetStatus(db, tenantId, { extra })) });
  return rows;
}
