// Benchmark 3 — reports and ledger on a district-sized data set: 200 schools, 10,002 people, 100,000
// hazards over three years (2024–2026) with their audit trails, on PostgreSQL 15 and on PGlite.
// The organization is imported the product's way; the hazards and trail rows are generated in SQL
// (a fixture, not a feature). Then, as the safety office uses it:
//   - the quarterly report, HTML page and XLSX, from the web console of the running service (`npm start`)
//   - the ledger of the three years as XLSX from the console, and as XLSX and CSV from
//     `npm run ledger:export` (peak memory of the CLI process from /usr/bin/time)
// Times are wall clock over HTTP; the service's peak memory is its VmHWM after all requests.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { addAdminAccount } from '../bot/console/accounts.ts';
import { openDatabase } from '../db/client.ts';
import { importOrganization } from '../db/org-import.ts';
import { Browser, csrfOf, fetchFrom } from '../test/helpers/browser.ts';
import { startPgServer } from '../test/helpers/pg-server.ts';
import { memoryOf, ROOT, round, startService, writeResult } from './lib/common.ts';
import { DISTRICT_TENANT, districtOrg, SCHOOLS, STAFF_PER_SCHOOL } from './lib/district-org.ts';

const HAZARDS = 100_000;
const PASSWORD = 'bench password 2026';
const QUARTER = '2026-Q3';
const FROM = '2024-01-01';
const TO = '2026-12-31';
const REPEATS = 3;

/**
 * 100,000 hazards spread evenly over 2024–2026 in every school, in every state, with trail rows; `size`
 * scales it down (the backup tests round-trip a smaller copy).
 */
export async function generateDistrict(
  db: Awaited<ReturnType<typeof openDatabase>>['db'],
  size: { schools: number; hazards: number } = { schools: SCHOOLS, hazards: HAZARDS },
) {
  await importOrganization(db, districtOrg(size.schools), new Date('2024-01-01T00:00:00+08:00'));
  const staff = STAFF_PER_SCHOOL;
  const people = size.schools * STAFF_PER_SCHOOL;
  await db.execute(sql`
    with t as (select id from tenants where code = ${DISTRICT_TENANT}),
    staff as (select array_agg(p.id order by p.id) ids from people p, t
              where p.tenant_id = t.id and p.code like 'p%'),
    schools as (select array_agg(u.id order by u.id) ids from units u, t
                where u.tenant_id = t.id and u.code like 'school-%'),
    cat as (select c.id from categories c, t where c.tenant_id = t.id limit 1),
    g as (select n, timestamptz '2024-01-01 08:00:00+08' + (n * interval '945 seconds') as at,
                 (n % ${people}) as person, (n % ${people}) / ${staff} as school
          from generate_series(1, ${size.hazards}) n)
    insert into hazards (tenant_id, code, description, place, category_id, severity, status, listed,
      reporter_id, source_channel, unit_id, accepted_by_id, accepted_at, rectifier_id, deadline, measures,
      rectified_by_id, rectified_at, reviewed_by_id, reviewed_at, closed_at, reject_reason,
      created_at, updated_at)
    select t.id, 'YH-' || extract(year from g.at at time zone 'Asia/Shanghai') || '-' || lpad(g.n::text, 6, '0'),
      '第' || (g.school + 1) || '学校' || (g.n % 5 + 1) || '号楼灭火器压力不足，消防通道有杂物', (g.n % 5 + 1) || '号楼',
      cat.id,
      (case when g.n % 50 = 0 then 'grave' when g.n % 10 = 0 then 'major' else 'general' end)::hazard_severity,
      (case g.n % 20 when 0 then 'reported' when 1 then 'accepted' when 2 then 'rectifying'
            when 3 then 'pending_review' when 4 then 'rejected' else 'closed' end)::hazard_status,
      g.n % 500 = 0,
      staff.ids[g.person + 1], 'feishu', schools.ids[g.school + 1],
      case when g.n % 20 <> 0 then staff.ids[g.school * ${staff} + 1] end,
      case when g.n % 20 <> 0 then g.at + interval '1 day' end,
      case when g.n % 20 not in (0, 4) then staff.ids[g.school * ${staff} + 1] end,
      g.at + interval '15 days',
      case when g.n % 20 >= 3 then '已更换灭火器，清理通道' end,
      case when g.n % 20 >= 5 or g.n % 20 = 3 then staff.ids[g.school * ${staff} + 1] end,
      case when g.n % 20 >= 5 or g.n % 20 = 3 then g.at + interval '10 days' end,
      case when g.n % 20 >= 5 then staff.ids[g.school * ${staff} + 2] end,
      case when g.n % 20 >= 5 then g.at + interval '11 days' end,
      case when g.n % 20 >= 5 then g.at + interval '11 days' end,
      case when g.n % 20 = 4 then '不属于安全隐患' end,
      g.at, g.at
    from g, t, staff, schools, cat`);
  // The audit trail: 上报 for all, 受理, 提交整改 and 复查通过 as far as each hazard went.
  await db.execute(sql`
    insert into hazard_events (tenant_id, hazard_id, actor_id, action, from_status, to_status, note, at)
    select h.tenant_id, h.id, h.reporter_id, 'report', null::hazard_status, 'reported'::hazard_status, null, h.created_at from hazards h
    union all
    select h.tenant_id, h.id, h.accepted_by_id, 'accept', 'reported', 'rectifying', null, h.accepted_at
      from hazards h where h.accepted_at is not null
    union all
    select h.tenant_id, h.id, h.rectified_by_id, 'submit', 'rectifying', 'pending_review', h.measures, h.rectified_at
      from hazards h where h.rectified_at is not null
    union all
    select h.tenant_id, h.id, h.reviewed_by_id, 'pass', 'pending_review', 'closed', null, h.reviewed_at
      from hazards h where h.reviewed_at is not null`);
  const count = async (table: string) => {
    const rows = await db.execute<{ n: number }>(sql.raw(`select count(*)::int as n from ${table}`));
    return (Array.isArray(rows) ? rows : (rows as { rows: { n: number }[] }).rows)[0]!.n;
  };
  return {
    hazards: await count('hazards'),
    trailRows: await count('hazard_events'),
    people: await count('people'),
  };
}

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await work();
  return { ms: Math.round(performance.now() - started), value };
}

const medianOf = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function fetchOk(as: Browser, path: string) {
  const response = await as.get(path);
  if (response.status !== 200) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.arrayBuffer()).byteLength;
}

async function consoleTasks(dbEnv: Record<string, string>) {
  const service = await startService(dbEnv);
  try {
    const as = new Browser(fetchFrom(() => service.url));
    const form = await as.page('/login');
    const login = await as.post('/login', {
      _csrf: csrfOf(form.html),
      tenant: DISTRICT_TENANT,
      username: 'office',
      password: PASSWORD,
    });
    if (login.status !== 303) throw new Error(`login failed: ${login.status}`);
    const page: number[] = [];
    const xlsx: number[] = [];
    let bytes = 0;
    for (let i = 0; i < REPEATS; i++) {
      page.push((await timed(() => fetchOk(as, `/console/reports/quarterly?quarter=${QUARTER}`))).ms);
      const file = await timed(() => fetchOk(as, `/console/reports/quarterly.xlsx?quarter=${QUARTER}`));
      xlsx.push(file.ms);
      bytes = file.value;
    }
    const ledger = await timed(() => fetchOk(as, `/console/ledger/export?from=${FROM}&to=${TO}&format=xlsx`));
    return {
      quarterlyPageMs: medianOf(page),
      quarterlyXlsxMs: medianOf(xlsx),
      quarterlyXlsxBytes: bytes,
      consoleLedgerXlsxMs: ledger.ms,
      consoleLedgerXlsxMiB: round(ledger.value / 2 ** 20),
      serviceMemory: memoryOf(service.child.pid!),
    };
  } finally {
    await service.stop();
  }
}

async function run(kind: 'postgres' | 'pglite') {
  const dir = mkdtempSync(join(tmpdir(), 'bench-district-'));
  const pg = kind === 'postgres' ? await startPgServer({ durable: true }) : undefined;
  const dbEnv: Record<string, string> = pg ? { DATABASE_URL: pg.url } : { DATA_DIR: join(dir, 'data') };
  try {
    const database = await openDatabase(pg ? { databaseUrl: pg.url } : { dataDir: join(dir, 'data') });
    const generated = await timed(() => generateDistrict(database.db));
    await addAdminAccount(database.db, {
      tenantCode: DISTRICT_TENANT,
      username: 'office',
      password: PASSWORD,
    });
    await database.close();
    process.stdout.write(
      `  ${kind}: ${generated.value.hazards} hazards, ${generated.value.trailRows} trail rows in ${generated.ms} ms\n`,
    );
    const consoleResult = await consoleTasks(dbEnv);
    const cli: Record<string, unknown> = {};
    for (const format of ['xlsx', 'csv'] as const) cli[format] = exportWithCli(dbEnv, format, dir);
    const result = { data: generated.value, generateMs: generated.ms, ...consoleResult, cli };
    process.stdout.write(`  ${kind}: ${JSON.stringify({ ...consoleResult, cli })}\n`);
    return result;
  } finally {
    await pg?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `npm run ledger:export` under /usr/bin/time: wall time, file size and the CLI's peak resident memory. */
function exportWithCli(dbEnv: Record<string, string>, format: 'xlsx' | 'csv', dir: string) {
  const out = join(dir, `ledger.${format}`);
  const started = performance.now();
  const cli = ['--import', 'tsx', 'bot/cli/ledger-export.ts', '--tenant', DISTRICT_TENANT];
  const child = spawnSync(
    '/usr/bin/time',
    ['-f', 'maxrss_kib=%M', process.execPath, ...cli, '--from', FROM, '--to', TO, '--out', out],
    { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...dbEnv }, encoding: 'utf8' },
  );
  const ms = Math.round(performance.now() - started);
  if (child.status !== 0) throw new Error(`ledger:export failed: ${child.stderr}`);
  const kib = Number(/maxrss_kib=(\d+)/.exec(child.stderr)?.[1] ?? 0);
  return { ms, fileMiB: round(statSync(out).size / 2 ** 20), peakRssMiB: round(kib / 1024) };
}

export async function benchDistrict() {
  const results: Record<string, unknown> = {};
  for (const kind of ['postgres', 'pglite'] as const) {
    process.stdout.write(`district: ${kind}\n`);
    results[kind] = await run(kind);
  }
  return writeResult('district', {
    data: `${SCHOOLS} schools, ${SCHOOLS * STAFF_PER_SCHOOL + 2} people, ${HAZARDS} hazards ${FROM}…${TO}`,
    quarter: QUARTER,
    ledgerPeriod: `${FROM}…${TO}`,
    ...results,
  });
}
