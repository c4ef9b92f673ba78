// The hazard ledger (隐患排查登记表 / 隐患整改台帐, 002 §四(四)5): every hazard of a tenant reported in a
// period, whatever its state, one row each with its names, times and full trail, ready to be written as a
// spreadsheet (handlers/ledger-export.ts). Times are shown in the tenant's time zone.
//
// Built for large periods: the ids are read once (in ledger order), then the hazards page by page
// (db/queries/ledger-export.ts reads each page with four queries).

import { OUTSIDE, oneLine, trailStep } from '../cards/trail.ts';
import type { Queryable } from '../db/client.ts';
import type { Hazard } from '../db/queries/hazards.ts';
import {
  type ExportPeriod,
  ledgerExportIds,
  ledgerPageData,
  tenantTimeZone,
} from '../db/queries/ledger-export.ts';
import { withEstimate } from './deadlines.ts';
import type { PhotoStage } from './evidence-rules.ts';
import { SEVERITY_LABEL, STATUS_LABEL } from './hazard-rules.ts';
import { HAZARD_ORIGIN_LABELS, type HazardStatus } from './hazard-workflow.ts';
import { accountLabel } from './party-labels.ts';
import { type ZonedFormatter, zonedFormatter } from './time.ts';

export type { ExportPeriod };

/** One hazard as the ledger shows it; every time is `YYYY-MM-DD HH:mm` in the tenant's zone, '' when unset. */
export interface LedgerExportRow {
  id: number;
  code: string;
  reportedAt: string;
  /** The reporter's name; an outside reporter is marked `（外部人员）`. */
  reporter: string;
  /** 隐患来源: 上报 / 检查 / 督查 / 上级交办. */
  origin: string;
  /** 检查轮次: the round (code and checklist) whose failing item it is; '' when it did not come from one. */
  round: string;
  place: string;
  description: string;
  category: string;
  /** 一般 / 较大 / 重大, or 未注明. */
  severity: string;
  unit: string;
  status: string;
  acceptedBy: string;
  acceptedAt: string;
  rectifier: string;
  deadline: string;
  /** 临时管控措施 given at acceptance ('' when none). */
  interimMeasures: string;
  /** Open and past its deadline now, or closed after its deadline. */
  overdue: '是' | '否';
  measures: string;
  /** 整改资金 in yuan as given with the rectification; null when none was given. */
  funds: number | null;
  rectifiedAt: string;
  reviewedBy: string;
  reviewedAt: string;
  /** 复查意见: one line per review, `2026-03-04 通过：opinion` or `2026-03-03 不通过：reason`. */
  review: string;
  closedAt: string;
  rejectReason: string;
  /** 挂牌督办: matter；督办处室：unit；期限：deadline；督办人：who (empty when never listed). */
  listed: string;
  /** One line per extension request: `2026-03-05 申请延期5天（原因）已批准`. */
  extensions: string;
  photoCount: number;
  /** The first stored photo (by arrival) of each stage, for the XLSX's thumbnails; null when none is stored. */
  photos: Record<PhotoStage, LedgerPhoto | null>;
  /**
   * One line per audit-trail event: `2026-03-02 09:15 陈静 上报 → 已上报；note`; a step taken by the
   * office's console account names it as `周尹尹（后台账号 office）`.
   */
  trail: string;
}

const EXTENSION_STATUS_LABEL: Record<string, string> = {
  pending: '待审批',
  approved: '已批准',
  denied: '未批准',
};

export type LedgerPhoto = { fileId: number; contentType: string };

/** The reviews on the trail: 复查通过 with its opinion, 复查不通过 with its reason. */
const REVIEW_LABEL: Record<string, string> = { pass: '通过', fail: '不通过' };

/** Who listed it as the ledger says it: the level above's name first when it listed it (issue 19). */
const listerOf = (who: string | null, levelAbove: string | null) =>
  levelAbove ? `${levelAbove}${who ? `（${who}）` : ''}` : who;
export const DEFAULT_PAGE_SIZE = 1000;

/** One page of the ledger: the hazards with these ids, in the order of `ids`. */
function ledgerPage(
  ids: number[],
  { main, events, extensions, photos }: Awaited<ReturnType<typeof ledgerPageData>>,
  now: Date,
  time: ZonedFormatter,
): LedgerExportRow[] {
  const trails = groupLines(events, (event) => `${time.dateTime(event.at)} ${trailStep(event)}`);
  const extensionLines = groupLines(
    extensions,
    (extension) =>
      `${time.date(extension.createdAt)} 申请延期${extension.days}天（${oneLine(extension.reason)}）` +
      (EXTENSION_STATUS_LABEL[extension.status] ?? extension.status),
  );
  const reviews = groupLines(
    events.filter((event) => event.action in REVIEW_LABEL),
    (event) =>
      `${time.date(event.at)} ${REVIEW_LABEL[event.action]}${event.note?.trim() ? `：${oneLine(event.note)}` : ''}`,
  );
  const photoCounts = new Map<number, number>();
  const firstPhotos = new Map<number, Record<PhotoStage, LedgerPhoto | null>>();
  for (const photo of photos) {
    // A photo refused or lost is on the trail, not counted as evidence (as on the hazard's card).
    if (photo.status === 'failed') continue;
    photoCounts.set(photo.hazardId, (photoCounts.get(photo.hazardId) ?? 0) + 1);
    const first = firstPhotos.get(photo.hazardId) ?? { before: null, after: null };
    firstPhotos.set(photo.hazardId, first);
    if (photo.status === 'stored' && photo.fileId !== null && photo.contentType && !first[photo.stage]) {
      first[photo.stage] = { fileId: photo.fileId, contentType: photo.contentType };
    }
  }
  const at = (date: Date | null) => (date ? time.dateTime(date) : '');

  const byId = new Map<number, LedgerExportRow>();
  for (const row of main) {
    const { hazard } = row;
    byId.set(hazard.id, {
      id: hazard.id,
      code: hazard.code,
      reportedAt: at(hazard.createdAt),
      reporter: `${row.reporterName}${row.reporterOutside ? OUTSIDE : ''}`,
      origin: HAZARD_ORIGIN_LABELS[hazard.origin],
      round: row.round ?? '',
      place: hazard.place ?? '',
      description: hazard.description,
      category: row.categoryName ?? '',
      severity: hazard.severity ? SEVERITY_LABEL[hazard.severity] : '未注明',
      unit: row.unitName ?? '',
      status: STATUS_LABEL[hazard.status],
      acceptedBy: row.acceptedByName ?? '',
      acceptedAt: at(hazard.acceptedAt),
      rectifier: row.rectifierName ?? '',
      deadline: withEstimate(at(hazard.deadline), hazard.deadlineEstimated),
      interimMeasures: hazard.interimMeasures ?? '',
      overdue: isOverdue(hazard, now) ? '是' : '否',
      measures: hazard.measures ?? '',
      funds: hazard.rectificationFunds,
      rectifiedAt: at(hazard.rectifiedAt),
      reviewedBy: row.reviewedByName ?? '',
      reviewedAt: at(hazard.reviewedAt),
      review: reviews.get(hazard.id) ?? '',
      closedAt: at(hazard.closedAt),
      rejectReason: hazard.rejectReason ?? '',
      listed: listing(
        hazard,
        row.listedUnitName ?? row.unitName,
        listerOf(
          row.listerName ?? (row.listerAccount ? accountLabel(row.listerAccount) : null),
          row.listerTenantName,
        ),
        at,
      ),
      extensions: extensionLines.get(hazard.id) ?? '',
      photoCount: photoCounts.get(hazard.id) ?? 0,
      photos: firstPhotos.get(hazard.id) ?? { before: null, after: null },
      trail: trails.get(hazard.id) ?? '',
    });
  }
  return ids.map((id) => byId.get(id)).filter((row): row is LedgerExportRow => row !== undefined);
}

/**
 * The ledger of a period page by page (`pageSize` hazards each, in ledger order), for writers that
 * stream: memory stays bounded by one page whatever the length of the period.
 */
export async function* ledgerExportPages(
  db: Queryable,
  tenantId: number,
  period: ExportPeriod,
  now: Date,
  options: { pageSize?: number } = {},
): AsyncGenerator<LedgerExportRow[]> {
  const pageSize = Math.max(1, options.pageSize ?? DEFAULT_PAGE_SIZE);
  const time = zonedFormatter(await tenantTimeZone(db, tenantId));
  const ids = await ledgerExportIds(db, tenantId, period);
  for (let start = 0; start < ids.length; start += pageSize) {
    const page = ids.slice(start, start + pageSize);
    yield ledgerPage(page, await ledgerPageData(db, tenantId, page), now, time);
  }
}

/** Every hazard of the tenant reported in [from, to), in ledger order; `now` decides what is overdue. */
export async function ledgerExportRows(
  db: Queryable,
  tenantId: number,
  period: ExportPeriod,
  now: Date,
): Promise<LedgerExportRow[]> {
  const rows: LedgerExportRow[] = [];
  for await (const page of ledgerExportPages(db, tenantId, period, now)) rows.push(...page);
  return rows;
}

// ---------------------------------------------------------------------------------------------------
// Rules of the columns

const CLOSED: HazardStatus[] = ['closed', 'rejected'];

/** Open and past the deadline at `now`, or closed (销号) after the deadline. */
export function isOverdue(
  hazard: { status: HazardStatus; deadline: Date | null; closedAt: Date | null },
  now: Date,
): boolean {
  if (!hazard.deadline) return false;
  if (!CLOSED.includes(hazard.status)) return hazard.deadline.getTime() < now.getTime();
  return hazard.status === 'closed' && hazard.closedAt !== null && hazard.closedAt > hazard.deadline;
}

function listing(
  hazard: Hazard,
  unitName: string | null,
  listedBy: string | null,
  at: (date: Date | null) => string,
): string {
  if (!hazard.listedMatter && !hazard.listed) return '';
  const parts = [
    hazard.listedMatter ? oneLine(hazard.listedMatter) : '挂牌督办',
    unitName && `督办处室：${unitName}`,
    hazard.listedDeadline && `期限：${at(hazard.listedDeadline)}`,
    listedBy && `督办人：${listedBy}`,
    !hazard.listed && '已撤销',
  ];
  return parts.filter(Boolean).join('；');
}

/** Lines per hazard, in the order of `rows` (already sorted by hazard, then time). */
function groupLines<T extends { hazardId: number }>(rows: T[], line: (row: T) => string) {
  const lines = new Map<number, string[]>();
  for (const row of rows) {
    const list = lines.get(row.hazardId);
    if (list) list.push(line(row));
    else lines.set(row.hazardId, [line(row)]);
  }
  return new Map([...lines].map(([id, list]) => [id, list.join('\n')]));
}
