// The targets every school signs for (004 §二: 五有, 九无, 八杜绝), tracked per unit and for the school:
// fed by rounds (the latest result of an item that is, or counts against, a target), the open hazards
// failing items became, and the accident register (an accident of the kind a target item names, in the
// span asked: the school's, and each unit's it names responsible). "九无: 无违规使用电器 — 3 项隐患未整改".
// The dashboard shows the current year; the year-end table the year it is for.

import type { Queryable } from '../db/client.ts';
import type { Span } from '../db/queries/reports.ts';
import { latestTargetResults, openHazardsPerTarget, targetItems } from '../db/queries/rounds.ts';
import { tenantUnits } from '../db/queries/units.ts';
import { accidentsWithParties, responsibleUnits } from './accidents.ts';
import { TARGET_STATUS_LABELS, type TargetStatus } from './inspection-rules.ts';

/** The accidents of the span, each with the units responsible for it. */
async function accidentsWithUnits(db: Queryable, tenantId: number, span: Span) {
  return (await accidentsWithParties(db, tenantId, span)).map(({ accident, parties }) => ({
    kind: accident.kind,
    unitIds: responsibleUnits(parties),
  }));
}

export interface TargetItemStatus {
  id: number;
  code: string | null;
  text: string;
  source: string;
  openHazards: number;
  /** Accidents of the item's kind in the span (for a unit: those it is responsible for). */
  accidents: number;
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
 * from being met; accidents count within `span` (the year the targets are signed for).
 */
export async function targetStatus(
  db: Queryable,
  tenantId: number,
  options: { unitId?: number; span: Span },
): Promise<TargetGroup[]> {
  return groupsOf(await targetRecords(db, tenantId, options.span), options.unitId);
}

/** What the targets are judged on, read once for the school and all its units. */
async function targetRecords(db: Queryable, tenantId: number, span: Span) {
  const items = await targetItems(db, tenantId);
  return {
    items,
    accidents: await accidentsWithUnits(db, tenantId, span),
    hazards: await openHazardsPerTarget(db, tenantId),
    results: await latestTargetResults(
      db,
      tenantId,
      items.map((row) => row.item.id),
    ),
  };
}

function groupsOf(records: Awaited<ReturnType<typeof targetRecords>>, unitId?: number): TargetGroup[] {
  const inUnit = (rowUnit: number | null) => unitId === undefined || rowUnit === unitId;
  const { items } = records;
  const accidents = records.accidents.filter(
    (accident) => unitId === undefined || accident.unitIds.has(unitId),
  );
  const hazards = records.hazards.filter((row) => inUnit(row.unitId));
  const results = records.results.filter((row) => inUnit(row.unitId));
  const groups = new Map<string, TargetGroup>();
  for (const { item, checklistCode, checklistName } of items) {
    const openHazards = hazards
      .filter((row) => row.targetId === item.id)
      .reduce((sum, row) => sum + row.n, 0);
    const broken = item.accidentKind
      ? accidents.filter((accident) => accident.kind === item.accidentKind).length
      : 0;
    const checked = results.some((row) => row.itemId === item.id);
    const problems = [
      ...(openHazards > 0 ? [`${openHazards} 项隐患未整改`] : []),
      ...(broken > 0 ? [`发生事故 ${broken} 起`] : []),
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
      accidents: broken,
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
  span: Span,
  wholeName = '全校',
): Promise<TargetSummaryRow[]> {
  return summaryOf(db, tenantId, await targetRecords(db, tenantId, span), wholeName);
}

/** The dashboard's targets: the school's lines and the per-unit summary, from one read of the records. */
export async function targetOverview(db: Queryable, tenantId: number, span: Span) {
  const records = await targetRecords(db, tenantId, span);
  return { school: groupsOf(records), units: await summaryOf(db, tenantId, records, '全校') };
}

async function summaryOf(
  db: Queryable,
  tenantId: number,
  records: Awaited<ReturnType<typeof targetRecords>>,
  wholeName: string,
): Promise<TargetSummaryRow[]> {
  const rows: TargetSummaryRow[] = (await tenantUnits(db, tenantId)).map((unit) => ({
    unitId: unit.id,
    name: unit.name,
    lists: summarize(groupsOf(records, unit.id)),
  }));
  rows.push({ unitId: null, name: wholeName, lists: summarize(groupsOf(records)) });
  return rows;
}
