// The scored year-end assessment (issue 20 §5; across levels issue 19 §4): the tenant's scheme (settings
// `assessment`, 001 §三.4 by default) filled per unit from the records — duties met, hazards handled on
// time, inspection duties done, 责任书 signed, accidents the unit is responsible for — with the office's
// adjustments, and 一票否决 making the 等次 不合格. A bureau's 科室 are measured on their contracted
// schools' records (001 §三.4: 制度落实、隐患排查治理和分包学校事故发生), their own 检查 and 责任书.
import type { Queryable } from '../db/client.ts';
import { accidentsOfTenants, yearPersonVetoFlags } from '../db/queries/accidents.ts';
import {
  accidentUnits,
  closedPeriodsOfTenants,
  hazardsOfTenants,
  schoolsOfBureauUnits,
  yearAdjustments,
} from '../db/queries/assessment.ts';
import type { Span } from '../db/queries/reports.ts';
import type { Tenant } from '../db/queries/tenants.ts';
import {
  type AssessmentScheme,
  GRADE_LABELS,
  type Grade,
  type ItemScore,
  itemPoints,
  type Measure,
  scoreOf,
  VETO_LABEL,
} from './accident-rules.ts';
import { type UnitYearRow, yearAssessment } from './report-stats.ts';
import { writeYearXlsx, YEAR_COLUMNS } from './reports.ts';
import { tenantSettings } from './settings.ts';
import { targetSummary } from './targets.ts';
import { formatDateTime } from './time.ts';

export interface ScoredYearRow extends UnitYearRow {
  items: ItemScore[];
  score: number | null;
  grade: Grade;
  /** A bureau's 科室: the contracted schools its 制度落实, 隐患 and 事故 are measured on. */
  schools?: string[];
  /** 五有/九无/八杜绝 of the unit in the year: "五有 达标 5/5；九无 达标 8/9，未达标 1…" ('' without target lists). */
  targets: string;
}

type Period = Awaited<ReturnType<typeof closedPeriodsOfTenants>>[number];
type HazardRow = Awaited<ReturnType<typeof hazardsOfTenants>>[number];

const ratio = (rows: { met: boolean | null }[]): Measure | null => {
  const assessed = rows.filter((row) => row.met !== null);
  return assessed.length === 0
    ? null
    : { done: assessed.filter((row) => row.met).length, of: assessed.length };
};

/** Hazards handled on time: closed by their deadline, or open and not yet past it (rejected ones left out). */
function onTime(rows: HazardRow[], asOf: Date): Measure | null {
  const counted = rows.filter((row) => row.status !== 'rejected');
  if (counted.length === 0) return null;
  const done = counted.filter((row) => {
    if (row.deadline === null) return true;
    if (row.status === 'closed' && row.closedAt !== null) return row.closedAt <= row.deadline;
    return row.deadline >= asOf;
  }).length;
  return { done, of: counted.length };
}

export async function scoredYear(
  db: Queryable,
  tenant: Tenant,
  year: number,
  span: Span,
  now: Date,
): Promise<{
  scheme: AssessmentScheme;
  rows: ScoredYearRow[];
  bureau: boolean;
  people: Awaited<ReturnType<typeof yearPersonVetoFlags>>;
  /** The whole school's targets in the year, as a row's; '' when the tenant has no target lists. */
  targets: string;
}> {
  const scheme = tenantSettings(tenant.settings).assessment;
  const asOf = now < span.to ? now : span.to;
  const { rows } = await yearAssessment(db, tenant.id, year, span, now);
  const bureau = tenant.kind === 'bureau';
  const contracted = bureau
    ? await schoolsOfBureauUnits(db, tenant.id)
    : new Map<number, Map<number, string>>();
  const schoolIds = [...new Set([...contracted.values()].flatMap((schools) => [...schools.keys()]))];
  const [
    periods,
    hazardRows,
    schoolPeriods,
    schoolHazards,
    schoolAccidents,
    responsible,
    adjustments,
    people,
    targets,
  ] = await Promise.all([
    closedPeriodsOfTenants(db, [tenant.id], span),
    hazardsOfTenants(db, [tenant.id], span),
    closedPeriodsOfTenants(db, schoolIds, span),
    hazardsOfTenants(db, schoolIds, span),
    accidentsOfTenants(db, schoolIds, span.from, span.to),
    accidentUnits(db, tenant.id, span),
    yearAdjustments(db, tenant.id, year),
    yearPersonVetoFlags(db, tenant.id, year),
    targetSummary(db, tenant.id, span),
  ]);
  const targetsOf = (unitId: number | null) =>
    (targets.find((row) => row.unitId === unitId)?.lists ?? [])
      .map((list) => `${list.name} ${list.text}`)
      .join('；');
  const ofUnit = <T extends { unitId: number | null }>(list: T[], unitId: number | null) =>
    list.filter((row) => row.unitId === unitId);
  const ofSchools = <T extends { tenantId: number }>(list: T[], ids: Set<number>) =>
    list.filter((row) => ids.has(row.tenantId));

  const scored = rows.map((row): ScoredYearRow => {
    const schools = row.unitId === null ? undefined : contracted.get(row.unitId);
    const ids = new Set(schools?.keys() ?? []);
    const own = ofUnit(periods, row.unitId);
    const accidentsOfUnit = new Set(
      responsible
        .filter((party) => (party.unitId ?? party.postUnitId) === row.unitId && row.unitId !== null)
        .map((party) => party.accidentId),
    );
    const measures: Record<AssessmentScheme['items'][number]['source'], Measure | null> = schools
      ? {
          obligations: ratio(ofSchools(schoolPeriods, ids)),
          hazards: onTime(ofSchools(schoolHazards, ids), asOf),
          accidents: { done: ofSchools(schoolAccidents, ids).length, of: 0 },
          inspections: ratio(own.filter((period: Period) => period.kind === 'inspection')),
          letters: row.lettersIssued === 0 ? null : { done: row.lettersSigned, of: row.lettersIssued },
        }
      : {
          obligations: ratio(own),
          hazards: onTime(ofUnit(hazardRows, row.unitId), asOf),
          accidents: { done: accidentsOfUnit.size, of: 0 },
          inspections: ratio(own.filter((period) => period.kind === 'inspection')),
          letters: row.lettersIssued === 0 ? null : { done: row.lettersSigned, of: row.lettersIssued },
        };
    const items = scheme.items.map((item): ItemScore => {
      const measure = measures[item.source];
      const computed = itemPoints(item, measure);
      const adjustment = adjustments.find((cell) => cell.unitId === row.unitId && cell.item === item.key);
      return {
        key: item.key,
        name: item.name,
        weight: item.weight,
        measure,
        computed,
        ...(adjustment ? { adjusted: { points: adjustment.points, reason: adjustment.reason } } : {}),
        points: adjustment ? adjustment.points : computed,
      };
    });
    const { score, grade } = scoreOf(scheme, items, row.flags.length > 0);
    return {
      ...row,
      items,
      score,
      grade,
      targets: row.unitId === null ? '' : targetsOf(row.unitId),
      ...(schools ? { schools: [...schools.values()] } : {}),
    };
  });
  return { scheme, rows: scored, bureau, people, targets: targetsOf(null) };
}

type Column = { header: string; value: (row: ScoredYearRow) => string | number };

/** The line under the year table's XLSX: when it was made, the school's targets, the people's 一票否决. */
export function yearFooter(
  scored: Pick<Awaited<ReturnType<typeof scoredYear>>, 'targets' | 'people'>,
  now: Date,
  timeZone: string,
): string {
  return [
    `生成于 ${formatDateTime(now, timeZone)}`,
    ...(scored.targets ? [`全校安全目标：${scored.targets}`] : []),
    ...(scored.people.length > 0
      ? [
          `个人一票否决（取消当年度评优评先、晋职晋级资格）：${scored.people
            .map((row) => `${row.person}（${VETO_LABEL[row.flag.kind]}：${row.flag.reason}）`)
            .join('；')}`,
        ]
      : []),
  ].join('；');
}

/** The scored year table as the XLSX the console downloads, with its footer (yearFooter). */
export function scoredYearXlsx(
  scored: Awaited<ReturnType<typeof scoredYear>>,
  meta: { tenantName: string; year: number; now: Date; timeZone: string },
) {
  return writeYearXlsx(
    scored.rows,
    { tenantName: meta.tenantName, year: meta.year, footer: yearFooter(scored, meta.now, meta.timeZone) },
    scoredColumns(scored),
  );
}

/** The year table's columns: the counts and flags of YEAR_COLUMNS, each item's points, the score, the 等次. */
export function scoredColumns({
  scheme,
  bureau,
  rows,
}: {
  scheme: AssessmentScheme;
  bureau: boolean;
  rows: ScoredYearRow[];
}): Column[] {
  const targets = rows.some((row) => row.targets !== '');
  return [
    ...(bureau
      ? [{ header: '分包学校', value: (row: ScoredYearRow) => row.schools?.join('、') || '—' }]
      : []),
    ...YEAR_COLUMNS,
    ...(targets
      ? [{ header: '安全目标（五有·九无·八杜绝）', value: (row: ScoredYearRow) => row.targets || '—' }]
      : []),
    ...scheme.items.map(
      (item, index): Column => ({
        header: `${item.name}（${item.weight}分）`,
        value: (row) => row.items[index]?.points ?? '—',
      }),
    ),
    { header: '得分', value: (row) => row.score ?? '—' },
    { header: '等次', value: (row) => GRADE_LABELS[row.grade] },
  ];
}
