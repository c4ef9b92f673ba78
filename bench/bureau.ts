// Benchmark 7 — the bureau across levels (issue 19) on the district data set: a bureau and 200 school
// tenants of 50 people (10,002 people), 100,000 hazards spread over 2024 to now, the schools' obligation
// periods, this year's 责任书, three months of duty shifts and the bureau's 督查 visits. The organizations
// are imported the product's way (one file per school naming its bureau); the rest is generated in SQL (a
// fixture, not a feature). Then, over HTTP from the running service (`npm start`) on PostgreSQL 15, as the
// bureau's office uses it: the comparison of the schools (/console/bureau) and the quarterly 调度会 pack, page
// and XLSX, for the running quarter and the last one; median of REPEATS each.
import { sql } from 'drizzle-orm';
import { addAdminAccount } from '../bot/console/accounts.ts';
import { type Db, openDatabase } from '../db/client.ts';
import { importOrganization } from '../db/org-import.ts';
import { previousQuarterKey } from '../handlers/meeting-pack.ts';
import { currentQuarter } from '../handlers/reports.ts';
import { Browser, csrfOf, fetchFrom } from '../test/helpers/browser.ts';
import { startPgServer } from '../test/helpers/pg-server.ts';
import { BUREAU_TENANT, bureauOrg, SCHOOL_TENANTS, STAFF, schoolOrg } from './lib/bureau-org.ts';
import { memoryOf, startService, writeResult } from './lib/common.ts';

const HAZARDS = 100_000;
const PASSWORD = 'bench password 2026';
const REPEATS = 5;
const START = new Date('2024-01-01T08:00:00+08:00');

const rowsOf = <T>(result: unknown): T[] =>
  Array.isArray(result) ? (result as T[]) : (result as { rows: T[] }).rows;

/** The bureau, its schools and their records; `size` scales it down. */
export async function generateBureau(
  db: Db,
  now: Date,
  size: { schools: number; hazards: number } = { schools: SCHOOL_TENANTS, hazards: HAZARDS },
) {
  const loadedAt = new Date('2023-12-01T00:00:00+08:00');
  await importOrganization(db, bureauOrg(size.schools), loadedAt);
  for (let s = 1; s <= size.schools; s++) await importOrganization(db, schoolOrg(s), loadedAt);
  const bureau = sql`(select id from tenants where code = ${BUREAU_TENANT})`;
  const step = (now.getTime() - 86_400_000 - START.getTime()) / 1000 / size.hazards;
  const nowIso = now.toISOString();

  // Hazards: spread evenly from 2024 to yesterday over the schools; those of the last 60 days in every
  // state, older ones closed or rejected but for one in 250 left open (overdue); one in 400 listed.
  await db.execute(sql`
    with schools as (select array_agg(t.id order by t.code) ids from tenants t where t.parent_id = ${bureau}),
    staff as (select tenant_id, array_agg(id order by id) ids from people group by tenant_id),
    cats as (select tenant_id, array_agg(id order by id) ids from categories group by tenant_id),
    g as (select n, ${START.toISOString()}::timestamptz + n * (${step}::float8 * interval '1 second') as at,
                 (n % ${size.schools}::int) + 1 as s
          from generate_series(1, ${size.hazards}) n),
    h as (select g.*, t.id as tenant_id, t.hazard_prefix,
                 case when g.at > ${nowIso}::timestamptz - interval '60 days' then
                   (case g.n % 20 when 0 then 'reported' when 1 then 'accepted' when 2 then 'rectifying'
                     when 3 then 'pending_review' when 4 then 'rejected' else 'closed' end)
                 when g.n % 250 = 0 then 'rectifying' when g.n % 20 = 4 then 'rejected' else 'closed' end as status
          from g, schools, tenants t where t.id = schools.ids[g.s])
    insert into hazards (tenant_id, code, description, place, category_id, severity, status, listed, listed_at,
      listed_deadline, reporter_id, source_channel, deadline, closed_at, reject_reason, created_at, updated_at)
    select h.tenant_id,
      'YH-' || h.hazard_prefix || '-' || extract(year from h.at at time zone 'Asia/Shanghai') || '-' || lpad(h.n::text, 6, '0'),
      (h.n % 5 + 1) || '号楼灭火器压力不足，消防通道有杂物', (h.n % 5 + 1) || '号楼',
      cats.ids[h.n % 3 + 1],
      (case when h.n % 50 = 0 then 'grave' when h.n % 10 = 0 then 'major' else 'general' end)::hazard_severity,
      h.status::hazard_status,
      h.n % 400 = 0, case when h.n % 400 = 0 then h.at + interval '2 days' end,
      case when h.n % 400 = 0 then h.at + interval '30 days' end,
      staff.ids[h.n % ${STAFF} + 1], 'feishu', h.at + interval '15 days',
      case when h.status = 'closed' then h.at + interval '11 days' end,
      case when h.status = 'rejected' then '不属于安全隐患' end,
      h.at, case when h.status in ('closed', 'rejected') then h.at + interval '11 days' else h.at end
    from h join staff on staff.tenant_id = h.tenant_id join cats on cats.tenant_id = h.tenant_id`);

  // Closed periods of the schools' obligations (monthly inspections, quarterly meetings), nine in ten met.
  await db.execute(sql`
    with p as (
      select o.tenant_id, o.id as obligation_id, h.person_id, o.cadence, m::date as start,
             (m + case when o.cadence = 'monthly' then interval '1 month' else interval '3 months' end - interval '1 day')::date as last
      from obligations o
      join post_holders h on h.post_id = o.post_id and h.ended_at is null
      join tenants t on t.id = o.tenant_id and t.parent_id = ${bureau}
      cross join generate_series(timestamp '2024-01-01', ${nowIso}::timestamp, interval '1 month') m
      where (o.cadence = 'monthly' or extract(month from m) in (1, 4, 7, 10)))
    insert into obligation_periods (tenant_id, obligation_id, person_id, period_key, period_start, period_end,
      done, needed, met, closed_at)
    select tenant_id, obligation_id, person_id,
      case when cadence = 'monthly' then to_char(start, 'YYYY-MM') else to_char(start, 'YYYY') || '-Q' || extract(quarter from start) end,
      to_char(start, 'YYYY-MM-DD'), to_char(last, 'YYYY-MM-DD'),
      case when (obligation_id + person_id + extract(month from start)::int) % 10 = 0 then 0 else 1 end, 1,
      (obligation_id + person_id + extract(month from start)::int) % 10 <> 0,
      last + interval '1 day'
    from p where last < ${nowIso}::date`);

  // This year's 责任书 round in every school: a letter per post holder, four in five signed.
  const year = Number(currentQuarter(now, 'Asia/Shanghai').slice(0, 4));
  await db.execute(sql`
    insert into letter_rounds (tenant_id, year, started_at)
    select t.id, ${year}, ${nowIso}::timestamptz - interval '60 days' from tenants t where t.parent_id = ${bureau}`);
  await db.execute(sql`
    insert into letters (tenant_id, round_id, post_id, person_id, duties, issued_at, signed_at)
    select r.tenant_id, r.id, h.post_id, h.person_id, '{"business": [], "safety": []}'::jsonb, r.started_at,
      case when h.person_id % 5 <> 0 then r.started_at + interval '3 days' end
    from letter_rounds r join posts p on p.tenant_id = r.tenant_id
    join post_holders h on h.post_id = p.id and h.ended_at is null
    where r.year = ${year} and r.tenant_id in (select id from tenants where parent_id = ${bureau})`);

  // A day shift in every school for the last 90 days and the next 7, two on duty each, most confirmed.
  await db.execute(sql`
    insert into shifts (tenant_id, date, name, starts_at, ends_at)
    select t.id, to_char(d, 'YYYY-MM-DD'), '白班', (d + time '08:00') at time zone 'Asia/Shanghai',
      (d + time '17:00') at time zone 'Asia/Shanghai'
    from tenants t cross join generate_series(${nowIso}::date - 90, ${nowIso}::date + 7, interval '1 day') d
    where t.parent_id = ${bureau}`);
  await db.execute(sql`
    with staff as (select tenant_id, array_agg(id order by id) ids from people group by tenant_id)
    insert into shift_assignees (shift_id, person_id, confirmed_at)
    select s.id, staff.ids[k + (s.id % 24) * 2 + 1],
      case when s.starts_at < ${nowIso}::timestamptz and (s.id + k) % 7 <> 0 then s.starts_at - interval '1 hour' end
    from shifts s join staff on staff.tenant_id = s.tenant_id cross join generate_series(0, 1) k
    where s.tenant_id in (select id from tenants where parent_id = ${bureau})`);

  // The bureau's 督查 visits: up to two a quarter at each contracted school, by the member who holds them.
  await db.execute(sql`
    with member as (select id from people where tenant_id = ${bureau} and code = 'bureau-office'),
    q as (select d::date as day from generate_series(timestamp '2024-01-15', ${nowIso}::timestamp, interval '3 months') d)
    insert into completions (tenant_id, person_id, kind, date, note, school)
    select ${bureau}, member.id, 'supervision', to_char(q.day + v * 30, 'YYYY-MM-DD'), '专门督查', t.name
    from member, q, tenants t cross join generate_series(0, 1) v
    where t.parent_id = ${bureau} and (t.id + v + extract(month from q.day)::int) % 4 <> 0
      and q.day + v * 30 < ${nowIso}::date`);

  const count = async (table: string) =>
    rowsOf<{ n: number }>(await db.execute(sql.raw(`select count(*)::int as n from ${table}`)))[0]!.n;
  return {
    tenants: await count('tenants'),
    people: await count('people'),
    hazards: await count('hazards'),
    obligationPeriods: await count('obligation_periods'),
    letters: await count('letters'),
    shiftSlots: await count('shift_assignees'),
    visits: await count(`completions where kind = 'supervision'`),
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

async function measure(as: Browser, path: string) {
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < REPEATS; i++) {
    const result = await timed(() => fetchOk(as, path));
    times.push(result.ms);
    bytes = result.value;
  }
  return { medianMs: medianOf(times), maxMs: Math.max(...times), bytes };
}

export async function benchBureau() {
  const pg = await startPgServer({ durable: true });
  try {
    const now = new Date();
    const database = await openDatabase({ databaseUrl: pg.url });
    const generated = await timed(() => generateBureau(database.db, now));
    await addAdminAccount(database.db, { tenantCode: BUREAU_TENANT, username: 'office', password: PASSWORD });
    await database.close();
    process.stdout.write(`  postgres: ${JSON.stringify(generated.value)} in ${generated.ms} ms\n`);

    const service = await startService({ DATABASE_URL: pg.url });
    try {
      const as = new Browser(fetchFrom(() => service.url));
      const form = await as.page('/login');
      const login = await as.post('/login', {
        _csrf: csrfOf(form.html),
        tenant: BUREAU_TENANT,
        username: 'office',
        password: PASSWORD,
      });
      if (login.status !== 303) throw new Error(`login failed: ${login.status}`);
      const quarter = currentQuarter(now, 'Asia/Shanghai');
      const last = previousQuarterKey(quarter);
      const results = {
        comparison: await measure(as, '/console/bureau'),
        packPage: await measure(as, `/console/bureau/meeting?quarter=${quarter}`),
        packXlsx: await measure(as, `/console/bureau/meeting.xlsx?quarter=${quarter}`),
        lastQuarterPackPage: await measure(as, `/console/bureau/meeting?quarter=${last}`),
        lastQuarterPackXlsx: await measure(as, `/console/bureau/meeting.xlsx?quarter=${last}`),
      };
      process.stdout.write(`  postgres: ${JSON.stringify(results)}\n`);
      return writeResult('bureau', {
        data: `1 bureau, ${SCHOOL_TENANTS} school tenants, ${generated.value.people} people, ${HAZARDS} hazards 2024-01-01…${now.toISOString().slice(0, 10)}`,
        generated: generated.value,
        generateMs: generated.ms,
        quarter,
        lastQuarter: last,
        repeats: REPEATS,
        postgres: { ...results, serviceMemory: memoryOf(service.child.pid!) },
        budgetMs: 2000,
        withinBudget: Object.values(results).every((result) => result.medianMs < 2000),
      });
    } finally {
      await service.stop();
    }
  } finally {
    await pg.stop();
  }
}
