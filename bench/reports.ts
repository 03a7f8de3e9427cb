/**
 * Reports (section 11): the owner's dashboard and every report over HTTP for a studio of 2,000 members with 12
 * months of lessons, bookings, check-ins, status history and monthly invoices, next to an empty Fastify route and
 * the cheapest authenticated request measured in the same run, and EXPLAIN ANALYZE of every report statement as
 * the app role under RLS.
 *
 * Two studios of the same size share the database, so that row-level security filters half the rows of every
 * table away rather than none. The rows are written by bulk SQL as the superuser (`generate_series`, one
 * statement per table for both studios), shaped as the services write them, then VACUUM ANALYZE.
 */
import { createRequire } from 'node:module';
import os from 'node:os';
import { CompiledQuery, Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { reportsRepo } from '../src/modules/reports/reports.repo.js';
import { addDays, addMonths, firstDay, lastDay, monthOf, todayIn, zonedInstant } from '../src/platform/calendar.js';
import { inTenantTransaction, withCredentials, type Tx } from '../src/platform/db/databases.js';
import type { DB } from '../src/platform/db/types.js';
import { startAppServer, startBenchCluster, withAdmin, type BenchCluster } from './cluster.js';
import { createPooledTenants, type DensitySettings, type TenantCredential } from './density.js';
import { probe, type LoadResult } from './load.js';
import { REPO_ROOT, fmt, log, percentile, ratio, sleep, sortedCopy, spawnManaged, table, unmeasuredSection } from './lib.js';

export interface ReportsPorts {
  pg: number;
  app: number;
  empty: number;
}

export interface ReportsBenchSettings {
  studios: number;
  members: number;
  /** Days of lessons before today (about 12 months), and after it (the timetable members book ahead on). */
  daysBack: number;
  daysAhead: number;
  capacity: number;
  /** Connection counts measured, each a closed loop of autocannon. */
  connections: number[];
  warmupS: number;
  roundS: number;
  rounds: number;
}

export interface SeedStep {
  step: string;
  rows: number;
  seconds: number;
}

/** One route's figures at one concurrency: the load generator's figures, named. */
export type RouteFigures = { key: string; label: string; path: string } & Pick<LoadResult, 'connections' | 'requests' | 'non2xx' | 'errors' | 'rps' | 'p50Ms' | 'p90Ms' | 'p99Ms' | 'maxMs'>;

export interface StatementPlan {
  name: string;
  executionMs: number;
  plan: string;
}

export type ReportsOutcome =
  | { skipped: string }
  | {
      settings: ReportsBenchSettings;
      today: string;
      periods: { month: { from: string; to: string }; year: { from: string; to: string } };
      seed: { steps: SeedStep[]; seconds: number; analyzeSeconds: number; tableRows: Record<string, number>; perStudio: Record<string, number> };
      /** The indexes of migrations/tenant/0013_report_indexes.sql present in the database (none before it existed). */
      reportIndexes: string[];
      runs: RouteFigures[];
      plans: StatementPlan[];
      cores: number;
      loadAverage: { start: number[]; end: number[] };
      date: string;
      seconds: number;
    };

export const ZONE = 'Asia/Tokyo';
const PRICE = 9_800;
const SLOTS = ['07:00', '09:30', '12:00', '15:00', '18:30', '20:00'];
const TYPES = ['ハタヨガ', 'リラックスヨガ', 'パワーヨガ', 'ピラティス', '骨盤ヨガ', '朝ヨガ'];
const SEEDED_TABLES = [
  'app.locations', 'app.rooms', 'app.lesson_types', 'app.instructors', 'app.plans', 'app.plan_versions', 'app.members', 'app.member_status_events',
  'app.contracts', 'app.contract_plans', 'app.lessons', 'app.reservations', 'app.check_ins', 'app.invoices',
];

/* ------------------------------------------------------------------------------------------------------------
 * Seeding
 * ---------------------------------------------------------------------------------------------------------- */

function seedStatements(today: string, s: ReportsBenchSettings): Array<{ step: string; sql: string }> {
  const month = monthOf(today);
  const first = addDays(today, -s.daysBack);
  const last = addDays(today, s.daysAhead);
  const local = (date: string, time: string) => `((${date} + time '${time}') at time zone '${ZONE}')`;
  const M = s.members;
  return [
    {
      step: 'locations (2 a studio)',
      sql: `insert into app.locations (tenant_id, name, address)
            select t.id, x.name, x.address from bench.r_tenants t
            cross join (values ('渋谷スタジオ', '東京都渋谷区'), ('恵比寿スタジオ', '東京都渋谷区恵比寿')) as x(name, address)`,
    },
    {
      step: 'rooms (3 a location)',
      sql: `insert into app.rooms (tenant_id, location_id, name, capacity)
            select l.tenant_id, l.id, 'Studio ' || r, ${s.capacity} from app.locations l cross join generate_series(1, 3) r`,
    },
    { step: 'lesson types', sql: `insert into app.lesson_types (tenant_id, name, duration_minutes) select t.id, x, 60 from bench.r_tenants t cross join unnest(array[${TYPES.map((x) => `'${x}'`).join(', ')}]) x` },
    { step: 'instructors', sql: `insert into app.instructors (tenant_id, display_name) select t.id, '講師 ' || lpad(g::text, 2, '0') from bench.r_tenants t cross join generate_series(1, 12) g` },
    {
      step: 'plans',
      sql: `insert into app.plans (tenant_id, id, kind, name) select id, plan_id, 'monthly', 'スタンダード（通い放題）' from bench.r_tenants`,
    },
    {
      step: 'plan versions',
      sql: `insert into app.plan_versions (tenant_id, plan_id, version, price, price_includes_tax, tax_category, enrollment_fee, leave_fee,
                                           credit_grant, all_lesson_types, all_locations, created_by)
            select id, plan_id, 1, ${PRICE}, true, 'standard_10', 5500, 1100, 'none', true, true, owner_id from bench.r_tenants`,
    },
    {
      // Each member's history, decided by two hashes of (studio, number): joined within the last two years, a
      // quarter through a trial (three in five of those converting a week later, the others leaving after ten
      // days), three in ten of the active ones cancelling later, one in twenty going on leave.
      step: 'member histories (bench table)',
      sql: `create table bench.r_members as
            with x as (
              select t.id as tenant_id, t.n, g, gen_random_uuid() as id,
                     (hashint8(t.n::bigint * 1000003 + g) & 2147483647)::bigint as h,
                     (hashint8(t.n::bigint * 1000003 + g + 500000) & 2147483647)::bigint as h2
                from bench.r_tenants t cross join generate_series(1, ${M}) g
            ), y as (
              select x.*, date '${today}' - (h % 730)::int as joined, h2 % 100 < 25 as trial, h2 % 100 < 15 as converts from x
            ), z as (
              select y.*, case when not trial then joined when converts and joined + 7 <= date '${today}' then joined + 7 end as active_on from y
            )
            select z.*,
                   case when active_on is not null and (h / 1000) % 100 < 30 and active_on + 30 + ((h / 7) % 700)::int <= date '${today}'
                          then active_on + 30 + ((h / 7) % 700)::int
                        when trial and not converts and joined + 10 <= date '${today}' then joined + 10 end as left_on,
                   case when active_on is not null and (h / 1000) % 100 between 30 and 34 and active_on + 60 + ((h / 11) % 300)::int <= date '${today}'
                          then active_on + 60 + ((h / 11) % 300)::int end as leave_on
              from z`,
    },
    {
      step: 'members',
      sql: `insert into app.members (tenant_id, id, member_number, family_name, given_name, status, status_since, home_location_id, terms_version,
                                     terms_accepted_at, created_at, updated_at)
            select m.tenant_id, m.id, m.g, (array['佐藤', '鈴木', '高橋', '田中', '伊藤', '渡辺', '山本', '中村'])[1 + m.h % 8],
                   (array['美咲', '陽菜', '結衣', 'さくら', '翔太', '大輝', '健太', '葵'])[1 + m.h2 % 8],
                   case when m.left_on is not null then 'cancelled' when m.leave_on is not null then 'on_leave' when m.active_on is not null then 'active' else 'trial' end,
                   coalesce(m.left_on, m.leave_on, m.active_on, m.joined),
                   (select l.id from app.locations l where l.tenant_id = m.tenant_id order by l.name offset m.g % 2 limit 1),
                   '2025-04', ${local('m.joined', '10:00')}, ${local('m.joined', '10:00')}, ${local('coalesce(m.left_on, m.leave_on, m.active_on, m.joined)', '10:05')}
              from bench.r_members m`,
    },
    {
      step: 'status events',
      sql: `insert into app.member_status_events (tenant_id, member_id, from_status, to_status, effective_on, reason, actor_kind, actor_id, recorded_at)
            select m.tenant_id, m.id, null, 'provisional', m.joined, 'Registered', 'staff', t.owner_id, ${local('m.joined', '10:00')}
              from bench.r_members m join bench.r_tenants t on t.id = m.tenant_id
            union all
            select m.tenant_id, m.id, 'provisional', 'trial', m.joined, 'Trial', 'staff', t.owner_id, ${local('m.joined', '10:01')}
              from bench.r_members m join bench.r_tenants t on t.id = m.tenant_id where m.trial
            union all
            select m.tenant_id, m.id, case when m.trial then 'trial' else 'provisional' end, 'active', m.active_on, 'Joined', 'staff', t.owner_id, ${local('m.active_on', '10:02')}
              from bench.r_members m join bench.r_tenants t on t.id = m.tenant_id where m.active_on is not null
            union all
            select m.tenant_id, m.id, 'active', 'on_leave', m.leave_on, 'Leave', 'staff', t.owner_id, ${local('m.leave_on', '10:03')}
              from bench.r_members m join bench.r_tenants t on t.id = m.tenant_id where m.leave_on is not null
            union all
            select m.tenant_id, m.id, case when m.active_on is null then 'trial' else 'active' end, 'cancelled', m.left_on, 'Cancelled', 'staff', t.owner_id, ${local('m.left_on', '10:04')}
              from bench.r_members m join bench.r_tenants t on t.id = m.tenant_id where m.left_on is not null`,
    },
    {
      step: 'contracts (monthly)',
      sql: `insert into app.contracts (tenant_id, id, member_id, kind, start_date, end_date, created_at, created_by)
            select m.tenant_id, gen_random_uuid(), m.id, 'monthly', m.active_on, m.left_on, ${local('m.active_on', '10:02')}, t.owner_id
              from bench.r_members m join bench.r_tenants t on t.id = m.tenant_id where m.active_on is not null`,
    },
    {
      step: 'contract plans',
      sql: `insert into app.contract_plans (tenant_id, contract_id, effective_from, plan_id, plan_version, requested_at)
            select c.tenant_id, c.id, c.start_date, t.plan_id, 1, c.created_at from app.contracts c join bench.r_tenants t on t.id = c.tenant_id`,
    },
    {
      step: 'numbered rooms, types, instructors (bench tables)',
      sql: `create table bench.r_rooms as select tenant_id, id, location_id, (row_number() over (partition by tenant_id order by location_id, name) - 1)::int as i from app.rooms;
            create table bench.r_types as select tenant_id, id, (row_number() over (partition by tenant_id order by name) - 1)::int as i from app.lesson_types;
            create table bench.r_instructors as select tenant_id, id, (row_number() over (partition by tenant_id order by display_name) - 1)::int as i from app.instructors`,
    },
    {
      // A weekly timetable: 6 lessons a weekday and 5 a day at weekends (40 a week), each slot in one of the 6
      // rooms, types and instructors rotating; one lesson in 40 cancelled, one in 50 taught by a substitute.
      step: 'lessons',
      sql: `insert into app.lessons (tenant_id, id, lesson_type_id, location_id, room_id, instructor_id, substitute_instructor_id, starts_at, ends_at,
                                     capacity, status, cancel_reason, cancelled_at, created_at, updated_at)
            select t.id, gen_random_uuid(), ty.id, r.location_id, r.id, ins.id, case when x.h % 50 = 1 then sub.id end,
                   x.starts_at, x.starts_at + interval '60 minutes', ${s.capacity},
                   case when x.h % 40 = 0 then 'cancelled' else 'scheduled' end,
                   case when x.h % 40 = 0 then '講師の体調不良のため' end,
                   case when x.h % 40 = 0 then x.starts_at - interval '1 day' end,
                   x.starts_at - interval '60 days', x.starts_at - interval '60 days'
              from bench.r_tenants t
              cross join generate_series(date '${first}', date '${last}', interval '1 day') as d(day)
              cross join generate_series(1, ${SLOTS.length}) as s(slot)
              cross join lateral (
                select ((d.day::date + (array[${SLOTS.map((x) => `time '${x}'`).join(', ')}])[s.slot]) at time zone '${ZONE}') as starts_at,
                       (hashint8(t.n::bigint * 1000003 + (d.day::date - date '2000-01-01') * 10 + s.slot) & 2147483647)::bigint as h,
                       extract(isodow from d.day)::int as dow, extract(doy from d.day)::int as doy
              ) x
              join bench.r_rooms r on r.tenant_id = t.id and r.i = (s.slot + x.doy) % 6
              join bench.r_types ty on ty.tenant_id = t.id and ty.i = (s.slot * 7 + x.dow) % ${TYPES.length}
              join bench.r_instructors ins on ins.tenant_id = t.id and ins.i = (s.slot * 3 + x.dow) % 12
              join bench.r_instructors sub on sub.tenant_id = t.id and sub.i = (s.slot * 3 + x.dow + 1) % 12
             where s.slot <= case when x.dow <= 5 then 6 else 5 end`,
    },
    {
      step: 'numbered lessons (bench table)',
      sql: `create table bench.r_lessons as
            select l.tenant_id, l.id, l.starts_at, l.location_id, (row_number() over (partition by l.tenant_id order by l.starts_at))::int as seq
              from app.lessons l where l.status = 'scheduled'`,
    },
    {
      // 8 to 20 reservations a lesson (of 20 seats), distinct members (k × 101 differs mod 2,000 for k ≤ 20);
      // past lessons: 82 % attended, 5 % no-show, 8 % cancelled, 5 % late-cancelled.
      step: 'reservations',
      sql: `insert into app.reservations (tenant_id, lesson_id, member_id, status, source, actor_kind, actor_id, created_at, cancelled_at, checked_in_at)
            select l.tenant_id, l.id, m.id, y.status, 'member', 'member', m.id, l.starts_at - interval '3 days',
                   case when y.status = 'cancelled' then l.starts_at - interval '1 day' when y.status = 'late_cancelled' then l.starts_at - interval '2 hours' end,
                   case when y.status = 'attended' then l.starts_at - interval '10 minutes' end
              from bench.r_lessons l
              cross join lateral generate_series(1, 8 + ((hashint8(l.seq::bigint * 7919) & 2147483647) % 13)::int) as k
              join bench.r_members m on m.tenant_id = l.tenant_id and m.g = ((l.seq * 37 + k * 101) % ${M}) + 1
              cross join lateral (select (hashint8(l.seq::bigint * 31 + k) & 2147483647) % 100 as r) x
              cross join lateral (select case when l.starts_at > now() then 'booked' when x.r < 82 then 'attended' when x.r < 87 then 'no_show'
                                              when x.r < 95 then 'cancelled' else 'late_cancelled' end as status) y`,
    },
    {
      step: 'lessons: seats booked',
      sql: `update app.lessons l set booked = r.n
              from (select tenant_id, lesson_id, count(*)::int as n from app.reservations where status in ('booked', 'attended', 'no_show') group by 1, 2) r
             where l.tenant_id = r.tenant_id and l.id = r.lesson_id`,
    },
    {
      step: 'check-ins (attended reservations)',
      sql: `insert into app.check_ins (tenant_id, member_id, location_id, reservation_id, method, actor_kind, actor_id, checked_in_at)
            select r.tenant_id, r.member_id, l.location_id, r.id, 'qr', 'member', r.member_id, r.checked_in_at
              from app.reservations r join app.lessons l on l.tenant_id = r.tenant_id and l.id = r.lesson_id where r.status = 'attended'`,
    },
    {
      // One invoice per running contract and month, from 12 months back to this month: past months 96 % paid (1 in
      // 200 of those refunded), 2 % uncollectible, 2 % still open; this month paid or open by its due date.
      step: 'invoices (monthly)',
      sql: `insert into app.invoices (tenant_id, billing_member_id, period, status, total, due_on, created_at, number, issued_on,
                                      subtotal_excluding_tax, tax_total, recipient_name, issuer_name, amount_paid, amount_refunded, paid_at)
            select x.tenant_id, x.member_id, x.period, x.status, ${PRICE}, x.due_on, x.issued_on::timestamp at time zone '${ZONE}',
                   row_number() over (partition by x.tenant_id order by x.period, x.member_id), x.issued_on,
                   ${Math.round(PRICE / 1.1)}, ${PRICE - Math.round(PRICE / 1.1)}, '会員', 'スタジオ',
                   case when x.status = 'paid' then ${PRICE} else 0 end,
                   case when x.status = 'paid' and x.h % 200 = 0 then ${PRICE} else 0 end,
                   case when x.status = 'paid' then (x.due_on - 1)::timestamp at time zone '${ZONE}' end
              from (
                select c.tenant_id, c.member_id, p.period::date as period, (p.period::date - 5) as issued_on, (p.period::date + 26) as due_on,
                       (hashint8(hashtext(c.id::text)::bigint * 13 + extract(month from p.period)::int) & 2147483647) % 100 as h,
                       case when p.period::date + 26 >= date '${today}'
                              then case when (hashint8(hashtext(c.id::text)::bigint) & 2147483647) % 100 < 60 then 'paid' else 'open' end
                            when (hashint8(hashtext(c.id::text)::bigint * 13 + extract(month from p.period)::int) & 2147483647) % 100 < 96 then 'paid'
                            when (hashint8(hashtext(c.id::text)::bigint * 13 + extract(month from p.period)::int) & 2147483647) % 100 < 98 then 'uncollectible'
                            else 'open' end as status
                  from app.contracts c
                  cross join generate_series(date '${firstDay(addMonths(month, -12))}', date '${firstDay(month)}', interval '1 month') as p(period)
                 where p.period::date >= date_trunc('month', c.start_date) and (c.end_date is null or p.period::date <= c.end_date)
              ) x`,
    },
  ];
}

/** A year of studios' data written in bulk (the archive bench reuses it for one large studio). */
export async function seed(cluster: BenchCluster, creds: TenantCredential[], s: ReportsBenchSettings, today: string) {
  return withAdmin(cluster.adminUrl, async (client) => {
    await client.query(`create schema bench`);
    await client.query(`create table bench.r_tenants (n integer primary key, id uuid not null unique, owner_id uuid not null, plan_id uuid not null default gen_random_uuid())`);
    await client.query(`insert into bench.r_tenants (n, id, owner_id) select * from unnest($1::int[], $2::uuid[], $3::uuid[])`, [
      creds.map((_, i) => i + 1),
      creds.map((t) => t.id),
      creds.map((t) => t.ownerId),
    ]);
    // Row triggers (the status-history trigger, append-only guards) and foreign-key checks stay off: members are
    // written with the status their history gives them.
    await client.query(`set session_replication_role = replica`);
    const steps: SeedStep[] = [];
    const t0 = performance.now();
    for (const st of seedStatements(today, s)) {
      const p0 = performance.now();
      const result = await client.query(st.sql);
      const rows = Array.isArray(result) ? 0 : (result.rowCount ?? 0);
      steps.push({ step: st.step, rows, seconds: (performance.now() - p0) / 1000 });
      log(`reports seed: ${st.step}: ${rows} rows in ${((performance.now() - p0) / 1000).toFixed(1)} s`);
    }
    await client.query(`reset session_replication_role`);
    const seconds = (performance.now() - t0) / 1000;
    const a0 = performance.now();
    for (const t of SEEDED_TABLES) await client.query(`vacuum analyze ${t}`);
    const analyzeSeconds = (performance.now() - a0) / 1000;
    const tableRows: Record<string, number> = {};
    for (const t of SEEDED_TABLES) tableRows[t] = Number((await client.query<{ n: string }>(`select count(*) as n from ${t}`)).rows[0]!.n);
    const first = creds[0]!.id;
    const one = async (q: string) => Number((await client.query<{ n: string }>(q, [first])).rows[0]!.n);
    const perStudio = {
      members: await one(`select count(*) as n from app.members where tenant_id = $1`),
      activeMembers: await one(`select count(*) as n from app.members where tenant_id = $1 and status = 'active'`),
      lessons: await one(`select count(*) as n from app.lessons where tenant_id = $1`),
      lessonsPerWeek: await one(`select count(*) as n from app.lessons where tenant_id = $1 and starts_at >= now() - interval '7 days' and starts_at < now()`),
      reservations: await one(`select count(*) as n from app.reservations where tenant_id = $1`),
      checkIns: await one(`select count(*) as n from app.check_ins where tenant_id = $1`),
      statusEvents: await one(`select count(*) as n from app.member_status_events where tenant_id = $1`),
      contracts: await one(`select count(*) as n from app.contracts where tenant_id = $1`),
      invoices: await one(`select count(*) as n from app.invoices where tenant_id = $1`),
    };
    log(`reports seed: ${steps.reduce((a, x) => a + x.rows, 0)} rows in ${seconds.toFixed(1)} s, VACUUM ANALYZE ${analyzeSeconds.toFixed(1)} s`);
    return { steps, seconds, analyzeSeconds, tableRows, perStudio };
  });
}

/* ------------------------------------------------------------------------------------------------------------
 * EXPLAIN ANALYZE of every statement the reports send, as the app role under RLS
 * ---------------------------------------------------------------------------------------------------------- */

async function explainAll(cluster: BenchCluster, d: DensitySettings, tenantId: string, today: string, year: { from: string; to: string }): Promise<StatementPlan[]> {
  let captured: CompiledQuery | null = null;
  const pool = new pg.Pool({ connectionString: withCredentials(cluster.adminUrl, { user: 'studiohive_app', password: d.appPassword }), max: 2 });
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }), log: (e) => {
      // Only the report statement itself: not the transaction's own statements (begin, set_config, commit).
      if (e.level === 'query' && /\bfrom app\./.test(e.query.sql) && !/^explain/.test(e.query.sql)) captured = e.query;
    },
  });
  const span = (from: string, to: string) => ({ start: zonedInstant(from, '00:00', ZONE), end: zonedInstant(addDays(to, 1), '00:00', ZONE) });
  const month = monthOf(today);
  const statements: Array<{ name: string; run: (trx: Tx) => Promise<unknown> }> = [
    { name: 'today (a day)', run: (trx) => reportsRepo.today(trx, span(today, today), null) },
    { name: 'members (12 months)', run: (trx) => reportsRepo.members(trx, year.from, year.to, null) },
    { name: 'attendance (12 months)', run: (trx) => reportsRepo.attendance(trx, span(year.from, year.to), null) },
    { name: 'revenue by month (12 months)', run: (trx) => reportsRepo.revenue(trx, `${monthOf(year.from)}-01`, `${monthOf(year.to)}-01`, today, null) },
    { name: 'MRR', run: (trx) => reportsRepo.mrr(trx, today, null) },
    { name: 'at-risk (30 days)', run: (trx) => reportsRepo.atRisk(trx, new Date(Date.now() - 30 * 86_400_000), null) },
    { name: 'members (this month, the dashboard)', run: (trx) => reportsRepo.members(trx, firstDay(month), today, null) },
  ];
  try {
    const out: StatementPlan[] = [];
    for (const st of statements) {
      captured = null;
      await inTenantTransaction(db, tenantId, (trx) => st.run(trx));
      const q = captured as CompiledQuery | null;
      if (!q) throw new Error(`reports bench: the statement of ${st.name} was not captured`);
      const lines = await inTenantTransaction(db, tenantId, async (trx) =>
        (await trx.executeQuery<{ 'QUERY PLAN': string }>(CompiledQuery.raw(`explain (analyze, buffers) ${q.sql}`, [...q.parameters]))).rows.map((r) => r['QUERY PLAN']),
      );
      const executionMs = Number(/Execution Time: ([\d.]+) ms/.exec(lines.join('\n'))?.[1] ?? Number.NaN);
      out.push({ name: st.name, executionMs, plan: lines.join('\n') });
      log(`reports: EXPLAIN ANALYZE ${st.name}: ${fmt(executionMs, 1)} ms`);
    }
    return out;
  } finally {
    await db.destroy();
  }
}

/* ------------------------------------------------------------------------------------------------------------
 * HTTP with autocannon
 * ---------------------------------------------------------------------------------------------------------- */

const autocannon = createRequire(import.meta.url)('autocannon') as typeof import('autocannon').default;

interface Target {
  key: string;
  label: string;
  url: string;
  path: string;
  method?: 'POST';
  body?: string;
  headers: Record<string, string>;
}

/**
 * One closed-loop autocannon run. autocannon's own histogram keeps whole milliseconds, which rounds an empty
 * route's latency to 0; every response's exact time (its 'response' event) is kept instead.
 */
function drive(t: Target, connections: number, seconds: number, latencies: number[] | null): Promise<{ ok: number; non2xx: number; errors: number }> {
  return new Promise((resolve, reject) => {
    let ok = 0;
    let non2xx = 0;
    const instance = autocannon(
      { url: t.url, method: t.method ?? 'GET', ...(t.body ? { body: t.body } : {}), headers: t.headers, connections, duration: seconds, timeout: 30 },
      (error, result) => (error ? reject(error) : resolve({ ok, non2xx, errors: result.errors + result.timeouts })),
    );
    instance.on('response', (_client, status, _bytes, ms) => {
      if (status >= 200 && status < 300) {
        ok += 1;
        latencies?.push(ms);
      } else non2xx += 1;
    });
  });
}

/** Every target at one concurrency: a warm-up each, then `rounds` rounds, the targets' order rotated every round. */
async function measureAll(targets: Target[], connections: number, s: ReportsBenchSettings): Promise<RouteFigures[]> {
  const acc = targets.map(() => ({ latencies: [] as number[], ok: 0, non2xx: 0, errors: 0, seconds: 0 }));
  for (const t of targets) await drive(t, connections, s.warmupS, null);
  for (let round = 0; round < s.rounds; round++) {
    for (let j = 0; j < targets.length; j++) {
      const i = (j + round) % targets.length;
      const t0 = performance.now();
      const r = await drive(targets[i]!, connections, s.roundS, acc[i]!.latencies);
      acc[i]!.seconds += (performance.now() - t0) / 1000;
      acc[i]!.ok += r.ok;
      acc[i]!.non2xx += r.non2xx;
      acc[i]!.errors += r.errors;
    }
    log(`reports: ${connections} connection(s), round ${round + 1}/${s.rounds} done`);
  }
  return targets.map((t, i) => {
    const a = acc[i]!;
    const sorted = sortedCopy(a.latencies);
    return {
      key: t.key, label: t.label, path: t.path, connections,
      requests: a.ok + a.non2xx + a.errors, non2xx: a.non2xx, errors: a.errors, rps: a.ok / a.seconds,
      p50Ms: percentile(sorted, 50), p90Ms: percentile(sorted, 90), p99Ms: percentile(sorted, 99), maxMs: sorted.length ? sorted[sorted.length - 1]! : Number.NaN,
    };
  });
}

function targets(ports: ReportsPorts, cred: TenantCredential, d: DensitySettings, today: string, month: { from: string; to: string }, year: { from: string; to: string }): Target[] {
  const headers = { host: `${cred.slug}.${d.baseDomain}`, authorization: `Bearer ${cred.token}` };
  const app = (key: string, label: string, path: string): Target => ({
    key, label, path, url: `http://127.0.0.1:${ports.app}${path}`, headers: { ...headers, accept: path.includes('/export') ? 'text/csv' : 'application/json' },
  });
  const period = (p: { from: string; to: string }) => `from=${p.from}&to=${p.to}`;
  return [
    {
      key: 'empty', label: 'Empty Fastify route (baseline)', path: 'POST /api/beacon on bench/empty-fastify.ts',
      url: `http://127.0.0.1:${ports.empty}/api/beacon`, method: 'POST', body: '{}', headers: { host: 'localhost', 'content-type': 'application/json' },
    },
    app('me', 'GET /api/auth/me (cheapest signed-in request)', '/api/auth/me'),
    app('dashboard', 'Dashboard (today)', '/api/reports/dashboard'),
    app('today', 'Today', `/api/reports/today?day=${today}`),
    app('members-1m', 'Members, 1 month', `/api/reports/members?${period(month)}`),
    app('members-12m', 'Members, 12 months', `/api/reports/members?${period(year)}`),
    app('attendance-1m', 'Attendance, 1 month', `/api/reports/attendance?${period(month)}`),
    app('attendance-12m', 'Attendance, 12 months', `/api/reports/attendance?${period(year)}`),
    app('revenue-1m', 'Revenue, 1 month', `/api/reports/revenue?${period(month)}`),
    app('revenue-12m', 'Revenue, 12 months', `/api/reports/revenue?${period(year)}`),
    app('at-risk', 'At-risk members (30 days)', '/api/reports/at-risk?days=30'),
    app('attendance-12m-csv', 'Attendance CSV export, 12 months', `/api/reports/attendance/export?${period(year)}`),
  ];
}

export async function runReportsBench(ports: ReportsPorts, s: ReportsBenchSettings, d: DensitySettings): Promise<ReportsOutcome> {
  const t0 = performance.now();
  const loadStart = os.loadavg();
  const cluster = await startBenchCluster('reports', ports.pg, d.pgPassword);
  try {
    const { creds } = await createPooledTenants(cluster, { ...d, tenants: s.studios, passwordSample: 0 });
    const today = todayIn(ZONE);
    const month = monthOf(today);
    const previous = addMonths(month, -1);
    const periods = {
      month: { from: firstDay(previous), to: lastDay(previous) },
      year: { from: firstDay(addMonths(month, -12)), to: lastDay(previous) },
    };
    const seeded = await seed(cluster, creds, s, today);
    const reportIndexes = await withAdmin(cluster.adminUrl, async (c) =>
      (await c.query<{ indexname: string }>(`select indexname from pg_indexes where schemaname = 'app' and indexname like '%report%' order by 1`)).rows.map((r) => r.indexname),
    );
    const cred = creds[0]!;
    const plans = await explainAll(cluster, d, cred.id, today, periods.year);

    const settings = { databaseUrl: cluster.adminUrl, appPassword: d.appPassword, platformPassword: d.platformPassword, adminToken: d.adminToken, baseDomain: d.baseDomain };
    const server = await startAppServer('reports', ports.app, settings);
    const empty = spawnManaged('empty fastify (reports)', process.execPath, ['--import', 'tsx', 'bench/empty-fastify.ts', String(ports.empty)], {
      cwd: REPO_ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME },
    });
    try {
      for (let i = 0; ; i++) {
        try {
          if ((await fetch(`http://127.0.0.1:${ports.empty}/api/beacon`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status === 204) break;
        } catch {
          // not listening yet
        }
        if (i > 600) throw new Error(`the empty Fastify server did not start:\n${empty.tail()}`);
        await sleep(200);
      }
      const list = targets(ports, cred, d, today, periods.month, periods.year);
      for (const t of list.filter((x) => x.key !== 'empty')) {
        const res = await probe({ port: ports.app, host: t.headers.host!, token: cred.token, path: t.path, headers: { accept: t.headers.accept! } }, t.path);
        if (res.status !== 200) throw new Error(`reports bench: ${t.path} answered ${res.status}: ${res.body.slice(0, 300)}`);
      }
      const runs: RouteFigures[] = [];
      for (const c of s.connections) runs.push(...(await measureAll(list, c, s)));
      return {
        settings: s, today, periods, seed: seeded, reportIndexes, runs, plans,
        cores: os.cpus().length, loadAverage: { start: loadStart, end: os.loadavg() }, date: new Date().toISOString(), seconds: (performance.now() - t0) / 1000,
      };
    } finally {
      await empty.stop();
      await server.stop();
    }
  } finally {
    await cluster.stop();
  }
}

/* ------------------------------------------------------------------------------------------------------------
 * Report
 * ---------------------------------------------------------------------------------------------------------- */

/** The issue's aim: p99 under 300 ms for the dashboard and every report. */
export const REPORTS_AIM_P99_MS = 300;

type Measured = Exclude<ReportsOutcome, { skipped: string }>;
const REPORT_KEYS = (r: Measured) => [...new Set(r.runs.map((x) => x.key))].filter((k) => k !== 'empty' && k !== 'me');

function worst(r: Measured, connections: number) {
  const rows = r.runs.filter((x) => x.connections === connections && REPORT_KEYS(r).includes(x.key));
  return rows.reduce((a, b) => (b.p99Ms > a.p99Ms ? b : a), rows[0]!);
}

export function reportsHeadline(r: ReportsOutcome | undefined): string[] {
  if (!r || 'skipped' in r) return [];
  const c1 = Math.min(...r.settings.connections);
  const cN = Math.max(...r.settings.connections);
  const w1 = worst(r, c1);
  const wN = worst(r, cN);
  const dash = r.runs.find((x) => x.key === 'dashboard' && x.connections === c1)!;
  const empty = r.runs.find((x) => x.key === 'empty' && x.connections === c1)!;
  const met = wN.p99Ms < REPORTS_AIM_P99_MS && w1.p99Ms < REPORTS_AIM_P99_MS;
  return [
    `- Reports at ${fmt(r.seed.perStudio.members ?? 0, 0)} members, 12 months of lessons and invoices: dashboard p50 **${fmt(dash.p50Ms, 1)} ms**, p99 ${fmt(dash.p99Ms, 1)} ms at 1 connection (${ratio(dash.p50Ms, empty.p50Ms, 0)} an empty Fastify route's p50); the slowest report's p99 **${fmt(w1.p99Ms, 1)} ms** (${w1.label}) at ${c1} connection, **${fmt(wN.p99Ms, 1)} ms** (${wN.label}) at ${cN}. Aim p99 under 300 ms **${met ? 'met' : 'not met'}**.`,
  ];
}

export function renderReportsSection(r: ReportsOutcome | undefined, n: number): string {
  const heading = `## ${n}. Reports: the dashboard and reports at ${r && !('skipped' in r) ? fmt(r.settings.members, 0) : '2,000'} members`;
  if (!r || 'skipped' in r) return unmeasuredSection(heading, r);
  const s = r.settings;
  const p = r.seed.perStudio;
  const out: string[] = [heading];
  const n0 = (v: number | undefined) => fmt(v ?? Number.NaN, 0);
  out.push(`### Method

- **Data.** A bench cluster of its own (\`reports\`), two studios created through \`runtime.tenants.create\` with one owner session each (rows inserted as in section 1), then written by bulk SQL as the superuser (\`generate_series\`, one statement per table for both studios, \`session_replication_role = replica\` so that row triggers and foreign-key checks do not fire), then \`VACUUM ANALYZE\` (${fmt(r.seed.seconds, 1)} s + ${fmt(r.seed.analyzeSeconds, 1)} s). Both studios are the same size, so row-level security filters out half of every table; requests go to the first. Per studio: ${n0(p.members)} members (${n0(p.activeMembers)} active today; joined over two years, a quarter through a trial, some cancelled or on leave) with their status history (${n0(p.statusEvents)} events) and ${n0(p.contracts)} monthly contracts; 2 locations with 3 rooms each and a weekly timetable of 40 lessons (6 a weekday, 5 a day at weekends; ${n0(p.lessonsPerWeek)} in the last 7 days) from ${s.daysBack} days before today to ${s.daysAhead} days after (${n0(p.lessons)} lessons, 1 in 40 cancelled), ${s.capacity} seats, 8–20 reservations each (${n0(p.reservations)}: past lessons mostly attended, some no-shows and cancellations), a check-in for every attended reservation (${n0(p.checkIns)}), and one invoice a month for every running contract over 13 months (${n0(p.invoices)}; past months mostly paid, some open or uncollectible).
- **Requests.** One server (\`node --import tsx src/main.ts\`, \`DB_POOL_MAX=10\`), the owner's session token. Today is ${r.today} (Asia/Tokyo); "1 month" is ${r.periods.month.from} to ${r.periods.month.to}, "12 months" ${r.periods.year.from} to ${r.periods.year.to}. The dashboard computes today's figures, the members report from the first of the month and six months of revenue with MRR. Each report's CSV export runs the same statement as its JSON; the 12-month attendance export is measured as an example.
- **Baselines, same run.** An empty Fastify route (\`bench/empty-fastify.ts\`, \`POST /api/beacon\` with \`{}\` answered 204, the beacon section's yardstick) and \`GET /api/auth/me\` (tenant, session under RLS, staff row: the cheapest signed-in request).
- **Load.** autocannon (programmatic, in the bench process), closed loop at ${s.connections.join(' and ')} connection(s): ${s.warmupS} s warm-up per route, then ${s.rounds} round${s.rounds === 1 ? '' : 's'} of ${s.roundS} s per route, the routes' order rotated every round so that other work on the machine falls on all of them alike. Latency is each 2xx response's time as autocannon measured it (its \`response\` event; its own histogram keeps whole milliseconds); percentiles over all rounds.
- **Indexes.** ${r.reportIndexes.length ? `With \`migrations/tenant/0013_report_indexes.sql\`: ${r.reportIndexes.map((x) => `\`${x}\``).join(', ')}.` : 'The migrations as they stand (no index added for the reports).'}`);

  for (const c of s.connections) {
    const rows = r.runs.filter((x) => x.connections === c);
    const empty = rows.find((x) => x.key === 'empty')!;
    const me = rows.find((x) => x.key === 'me')!;
    out.push(`### ${c} connection${c === 1 ? '' : 's'}`);
    out.push(
      table(
        ['Route', 'Requests', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'p50 ÷ empty', 'p99 ÷ empty', 'p50 ÷ auth/me', 'errors + non-2xx'],
        rows.map((x) => {
          const strong = (v: string) => (x.key === 'empty' || x.key === 'me' ? v : `**${v}**`);
          return [
            x.key === 'empty' ? x.label : `${x.label} \`${x.key === 'me' ? x.path : x.path.replace(/\?.*/, '')}\``,
            // The empty route answers in tens of microseconds: two decimals, or its figures would read 0.0.
            n0(x.requests), fmt(x.rps, 0), strong(fmt(x.p50Ms, x.key === 'empty' ? 2 : 1)), fmt(x.p90Ms, x.key === 'empty' ? 2 : 1),
            strong(fmt(x.p99Ms, x.key === 'empty' ? 2 : 1)), fmt(x.maxMs, 1),
            ratio(x.p50Ms, empty.p50Ms, 0), ratio(x.p99Ms, empty.p99Ms, 0), ratio(x.p50Ms, me.p50Ms, 1), String(x.errors + x.non2xx),
          ];
        }),
      ),
    );
  }

  const c1 = Math.min(...s.connections);
  const cN = Math.max(...s.connections);
  const w1 = worst(r, c1);
  const wN = worst(r, cN);
  out.push('### Against the aim');
  out.push(
    `- **p99 under ${REPORTS_AIM_P99_MS} ms for the dashboard and every report: ${w1.p99Ms < REPORTS_AIM_P99_MS && wN.p99Ms < REPORTS_AIM_P99_MS ? 'met' : 'not met'}.** The slowest p99 at ${c1} connection: ${w1.label}, ${fmt(w1.p99Ms, 1)} ms; at ${cN} connections: ${wN.label}, ${fmt(wN.p99Ms, 1)} ms (${cN} owners opening reports at the same moment, each request queueing behind the others on 2 cores).`,
  );

  out.push('### EXPLAIN ANALYZE of the report statements');
  const sorted = [...r.plans].sort((a, b) => b.executionMs - a.executionMs);
  out.push(
    `Each statement the reports send, captured from \`reportsRepo\` as Kysely compiles it and run once more under \`EXPLAIN (ANALYZE, BUFFERS)\` as the app role (\`studiohive_app\`, RLS forced) in a transaction scoped to the first studio, 12-month periods: ${sorted.map((x) => `${x.name} ${fmt(x.executionMs, 1)} ms`).join(', ')}. The slowest:`,
  );
  out.push('```\n' + sorted[0]!.plan + '\n```');
  if (r.reportIndexes.length === 0) {
    out.push(
      `No index was added for the reports (no \`migrations/tenant/0013_report_indexes.sql\`): in these plans the studio's rows are found through indexes led by \`tenant_id\` (or, for the status history, a scan of a table of a few thousand rows a studio), and the time goes into aggregating a year of them (sorts, hash aggregates), which no index removes. The revenue statement joins invoices on the period only after reading all of the studio's issued invoices, so a 1-month period costs nearly as much as 12 months; bounding the join by the period would let \`invoices_period_idx\` read only those months.`,
    );
  }
  const busy = r.loadAverage.start[0]! >= 1;
  out.push(
    `${busy ? `**Other work was running on this ${r.cores}-core machine during the run** (other builds and test runs; the 1-minute load average was already ${fmt(r.loadAverage.start[0]!, 2)} before the section started), so these figures are higher and noisier than on a quiet machine. ` : ''}Load average (1/5/15 min) ${r.loadAverage.start.map((x) => fmt(x, 2)).join(' / ')} at the start and ${r.loadAverage.end.map((x) => fmt(x, 2)).join(' / ')} at the end, on ${r.cores} cores shared by autocannon, the server, PostgreSQL and other work on the machine: compare the rows of one run rather than runs. Measured on ${r.date}, ${fmt(r.seconds, 0)} s for the whole section.`,
  );
  return out.join('\n\n');
}
