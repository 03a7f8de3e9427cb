/**
 * Membership book (issue 3): members, plans and contracts at scale in one pooled database.
 *
 * 1. Seeds N tenants × M members with monthly contracts (bulk SQL as the superuser; rows shaped as the services
 *    write them).
 * 2. Measures member search and the two contract previews over HTTP against a real server, interleaved round by
 *    round with the cheapest authenticated request (GET /api/auth/me) as the baseline, at one connection and
 *    under load; and the database alone with pgbench (a point lookup and the search query, as the app role).
 * 3. Applies a month end's scheduled status changes through the real code (applyAllDue), then the same number
 *    of identical changes with one plain UPDATE per tenant.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CompiledQuery, Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { searchPrefixes } from '../src/modules/members/members.service.js';
import { membersRepo } from '../src/modules/members/members.repo.js';
import { applyAllDue } from '../src/modules/members/status.service.js';
import { studioLocale } from '../src/platform/i18n.js';
import { addMonths, firstDay, lastDay, monthOf, todayIn } from '../src/platform/calendar.js';
import { inTenantTransaction, withCredentials, type Tx } from '../src/platform/db/databases.js';
import type { DB } from '../src/platform/db/types.js';
import { createLogger } from '../src/platform/runtime.js';
import { openAppRuntime } from '../src/app/composition.js';
import { startAppServer, startBenchCluster, withAdmin, type BenchCluster } from './cluster.js';
import { createPooledTenants, runtimeConfig, type DensitySettings, type TenantCredential } from './density.js';
import { WORK_DIR, fmt, log, mapConcurrent, percentile, randomInt, ratio, sleep, sortedCopy, table, unmeasuredSection } from './lib.js';
import { probe, runLoad, type LoadTarget } from './load.js';
import { parseOutput, pgbench, pgbenchVersion, readLatenciesMs } from './rls-cost.js';

export interface MembershipSettings {
  tenants: number;
  membersPerTenant: number;
  /** The last this-many members of each tenant are registered but have no contract (the sale preview's members). */
  withoutContract: number;
  /** Scheduled status changes per tenant for the month-end run; as many again, on other members, for the UPDATE. */
  changesPerTenant: number;
  /** Tenants applied at a time (the job worker runs 2 jobs at a time by default). */
  applyConcurrency: number;
  /** Concurrent connections of the loaded runs; the latency runs use one. */
  connections: number;
  warmupMs: number;
  /** Each endpoint runs `rounds` times at each concurrency, the endpoints interleaved round by round. */
  rounds: number;
  roundMs: number;
  serialRoundMs: number;
  pgbenchS: number;
  searchLimit: number;
}

export interface MembershipPorts {
  pg: number;
  app: number;
}

export interface SeedStep {
  step: string;
  rows: number;
  seconds: number;
}

export interface EndpointRun {
  key: string;
  label: string;
  connections: number;
  requests: number;
  non2xx: number;
  errors: number;
  seconds: number;
  rps: number;
  roundRps: number[];
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  firstFailure: string | null;
  firstError: string | null;
  /** Search only: latency by kind of prefix. */
  byKind: Record<string, { requests: number; p50Ms: number; p99Ms: number }>;
}

export interface DbRun {
  name: string;
  clients: number;
  tps: number;
  transactions: number;
  failed: number;
  p50Ms: number;
  p99Ms: number;
}

export interface TableScans {
  table: string;
  seqScan: number;
  seqTupRead: number;
  idxScan: number;
  liveRows: number;
}

export interface StatusRun {
  label: string;
  rows: number;
  seconds: number;
  rowsPerS: number;
}

export interface MembershipResult {
  settings: MembershipSettings;
  /** 1/5/15-minute load average when the section started and when it ended. */
  loadAverage: { start: number[]; end: number[] };
  today: string;
  fromMonth: string;
  tenantSeconds: number;
  seed: { steps: SeedStep[]; seconds: number; vacuumSeconds: number; rows: number; tableRows: Record<string, number> };
  /** The search query's plans, one per kind of prefix, as the app role under RLS (EXPLAIN ANALYZE). */
  searchPlans: Array<{ kind: string; q: string; rows: number; plan: string }>;
  probes: Record<string, string>;
  http: { serial: EndpointRun[]; loaded: EndpointRun[] };
  httpScans: TableScans[];
  db: { version: string; scripts: Record<string, string>; runs: DbRun[] } | { skipped: string };
  status: {
    day: string;
    changes: number;
    cancellations: number;
    leaves: number;
    seedSeconds: number;
    real: StatusRun;
    update: StatusRun;
    checks: Record<string, number>;
    scans: TableScans[];
  };
  totalSeconds: number;
}

export type MembershipOutcome = MembershipResult | { skipped: string };

/* ------------------------------------------------------------------------------------------------------------
 * Names: common family and given names with their kana, and a romanisation for e-mail addresses.
 * ---------------------------------------------------------------------------------------------------------- */

const FAMILY: ReadonlyArray<readonly [string, string, string]> = [
  ['佐藤', 'サトウ', 'sato'], ['鈴木', 'スズキ', 'suzuki'], ['高橋', 'タカハシ', 'takahashi'], ['田中', 'タナカ', 'tanaka'],
  ['伊藤', 'イトウ', 'ito'], ['渡辺', 'ワタナベ', 'watanabe'], ['山本', 'ヤマモト', 'yamamoto'], ['中村', 'ナカムラ', 'nakamura'],
  ['小林', 'コバヤシ', 'kobayashi'], ['加藤', 'カトウ', 'kato'], ['吉田', 'ヨシダ', 'yoshida'], ['山田', 'ヤマダ', 'yamada'],
  ['佐々木', 'ササキ', 'sasaki'], ['山口', 'ヤマグチ', 'yamaguchi'], ['松本', 'マツモト', 'matsumoto'], ['井上', 'イノウエ', 'inoue'],
  ['木村', 'キムラ', 'kimura'], ['林', 'ハヤシ', 'hayashi'], ['斎藤', 'サイトウ', 'saito'], ['清水', 'シミズ', 'shimizu'],
  ['山崎', 'ヤマザキ', 'yamazaki'], ['森', 'モリ', 'mori'], ['池田', 'イケダ', 'ikeda'], ['橋本', 'ハシモト', 'hashimoto'],
  ['阿部', 'アベ', 'abe'], ['石川', 'イシカワ', 'ishikawa'], ['山下', 'ヤマシタ', 'yamashita'], ['中島', 'ナカジマ', 'nakajima'],
  ['石井', 'イシイ', 'ishii'], ['小川', 'オガワ', 'ogawa'], ['前田', 'マエダ', 'maeda'], ['岡田', 'オカダ', 'okada'],
  ['長谷川', 'ハセガワ', 'hasegawa'], ['藤田', 'フジタ', 'fujita'], ['後藤', 'ゴトウ', 'goto'], ['近藤', 'コンドウ', 'kondo'],
  ['村上', 'ムラカミ', 'murakami'], ['遠藤', 'エンドウ', 'endo'], ['青木', 'アオキ', 'aoki'], ['坂本', 'サカモト', 'sakamoto'],
];

const GIVEN: ReadonlyArray<readonly [string, string, string, 'female' | 'male']> = [
  ['美咲', 'ミサキ', 'misaki', 'female'], ['陽菜', 'ヒナ', 'hina', 'female'], ['結衣', 'ユイ', 'yui', 'female'], ['さくら', 'サクラ', 'sakura', 'female'],
  ['葵', 'アオイ', 'aoi', 'female'], ['凛', 'リン', 'rin', 'female'], ['美優', 'ミユ', 'miyu', 'female'], ['愛', 'アイ', 'ai', 'female'],
  ['真央', 'マオ', 'mao', 'female'], ['彩', 'アヤ', 'aya', 'female'], ['恵子', 'ケイコ', 'keiko', 'female'], ['裕子', 'ユウコ', 'yuko', 'female'],
  ['直美', 'ナオミ', 'naomi', 'female'], ['由美', 'ユミ', 'yumi', 'female'], ['智子', 'トモコ', 'tomoko', 'female'], ['明美', 'アケミ', 'akemi', 'female'],
  ['花子', 'ハナコ', 'hanako', 'female'], ['美穂', 'ミホ', 'miho', 'female'], ['麻衣', 'マイ', 'mai', 'female'], ['千尋', 'チヒロ', 'chihiro', 'female'],
  ['香織', 'カオリ', 'kaori', 'female'], ['沙織', 'サオリ', 'saori', 'female'], ['奈々', 'ナナ', 'nana', 'female'], ['翔太', 'ショウタ', 'shota', 'male'],
  ['大輝', 'ダイキ', 'daiki', 'male'], ['健太', 'ケンタ', 'kenta', 'male'], ['拓也', 'タクヤ', 'takuya', 'male'], ['翔', 'ショウ', 'sho', 'male'],
  ['蓮', 'レン', 'ren', 'male'], ['大翔', 'ヒロト', 'hiroto', 'male'], ['悠真', 'ユウマ', 'yuma', 'male'], ['誠', 'マコト', 'makoto', 'male'],
  ['浩二', 'コウジ', 'koji', 'male'], ['隆', 'タカシ', 'takashi', 'male'], ['健一', 'ケンイチ', 'kenichi', 'male'], ['直樹', 'ナオキ', 'naoki', 'male'],
  ['亮', 'リョウ', 'ryo', 'male'], ['和也', 'カズヤ', 'kazuya', 'male'], ['雅人', 'マサト', 'masato', 'male'], ['健', 'ケン', 'ken', 'male'],
];

const PLAN_A = { name: 'スタンダード（月4回）', price: 9_800, creditGrant: 'monthly', creditsPerGrant: 4 } as const;
const PLAN_B = { name: 'フリー（通い放題）', price: 14_800, creditGrant: 'none', creditsPerGrant: null } as const;
const CREDITS = PLAN_A.creditsPerGrant;
const ZONE = 'Asia/Tokyo';
const CUTOFF_DAY = 10;

const SUMMARY_COLUMNS = 'id, member_number, family_name, given_name, family_name_kana, given_name_kana, email, phone, tags, family_lead_id, status';

/** The calendar the seed is written against, in the studios' time zone. */
function calendar(now = new Date()) {
  const today = todayIn(ZONE, now);
  const month = monthOf(today);
  const previous = addMonths(month, -1);
  const next = addMonths(month, 1);
  return {
    today,
    month,
    monthStart: firstDay(month),
    monthEnd: lastDay(month),
    previous,
    previousStart: firstDay(previous),
    previousEnd: lastDay(previous),
    nextStart: firstDay(next),
    /** A plan change two months ahead is past the cut-off whatever today is. */
    fromMonth: addMonths(month, 2),
  };
}
type Calendar = ReturnType<typeof calendar>;

/* ------------------------------------------------------------------------------------------------------------
 * Seeding
 * ---------------------------------------------------------------------------------------------------------- */

interface SeededTenant extends TenantCredential {
  planA: string;
  planB: string;
  /** Contracts of members outside the status-change ranges, for the plan-change preview. */
  contracts: string[];
  /** Members without a contract, for the sale preview. */
  prospects: string[];
}

/** The statements of the seed, in order. */
function seedStatements(c: Calendar, members: number, contracted: number): Array<{ step: string; sql: string }> {
  const local = (date: string, time: string) => `(timestamp '${date} ${time}' at time zone '${ZONE}')`;
  // A member with a contract registered and bought it on one day, 1–24 months ago; one without registered in
  // the last 60 days. h and h2 are deterministic per (tenant, member number).
  const memberRows = `
    with x as (
      select t.n, t.id as tenant_id, s.g,
             (hashint8(t.n::bigint * 1000003 + s.g) & 2147483647)::bigint as h,
             (hashint8(t.n::bigint * 1000003 + s.g + 500000) & 2147483647)::bigint as h2
        from bench.m_tenants t cross join generate_series(1, ${members}) as s(g)
    ), y as (
      select x.*,
             case when x.g <= ${contracted}
               then date '${c.monthStart}' - make_interval(months => 1 + (x.h % 24)::int)
                    + make_interval(days => ((x.h / 24) % 28)::int, hours => 10, mins => ((x.h / 672) % 600)::int)
               else date '${c.today}' - make_interval(days => 1 + (x.h % 60)::int)
                    + make_interval(hours => 10, mins => ((x.h / 672) % 600)::int)
             end as registered_local
        from x
    )
    insert into app.members (tenant_id, id, member_number, family_name, given_name, family_name_kana, given_name_kana,
                             email, phone, birth_date, gender, tags, terms_version, terms_accepted_at, status, status_since,
                             created_at, updated_at)
    select y.tenant_id, gen_random_uuid(), y.g, f.kanji, v.kanji, f.kana, v.kana,
           case when y.h % 10 = 0 then null
                else v.romaji || '.' || f.romaji || (y.h2 % 1000)::text || '@'
                     || (array['gmail.com', 'yahoo.co.jp', 'icloud.com', 'docomo.ne.jp', 'outlook.jp'])[1 + (y.h2 / 1000) % 5] end,
           case when y.h % 20 = 1 then null
                else (array['090', '080', '070'])[1 + y.h % 3] || lpad(((y.h2 / 7) % 100000000)::text, 8, '0') end,
           date '1955-01-01' + (y.h2 % 18000)::int,
           v.gender,
           case when y.h % 7 = 0 then array['朝ヨガ'] when y.h % 11 = 0 then array['紹介'] else '{}'::text[] end,
           '2025-04', y.registered_local at time zone '${ZONE}',
           case when y.g <= ${contracted} then 'active' else 'provisional' end,
           y.registered_local::date,
           y.registered_local at time zone '${ZONE}',
           -- the history trigger touched the member again when the contract made it active
           (y.registered_local + case when y.g <= ${contracted} then interval '2 minutes' else interval '0' end) at time zone '${ZONE}'
      from y
      join bench.family_names f on f.i = y.h % (select count(*) from bench.family_names)
      join bench.given_names v on v.i = (y.h / 64) % (select count(*) from bench.given_names)`;
  const lot = (month: string, start: string, end: string) => `
    insert into app.credit_ledger (tenant_id, id, member_id, kind, amount, expires_on, contract_id, grant_key, reason, actor_kind, created_at)
    select c.tenant_id, gen_random_uuid(), c.member_id, 'grant', ${CREDITS}, date '${end}', c.id,
           'monthly:' || c.id || ':${month}', 'Monthly credits ${month}', 'system',
           greatest(c.created_at, ${local(start, '03:07')})
      from app.contracts c where c.start_date <= date '${end}'`;
  // A lot's bookings so far: one row per booked lesson, 0–(mod−1) of them, deterministic per lot.
  const used = (mod: number) => `((hashtext(l.id::text) & 2147483647) % ${mod})`;
  const consume = (end: string, mod: number) => `
    insert into app.credit_ledger (tenant_id, id, member_id, kind, amount, lot_id, contract_id, reference_id, reason, actor_kind, actor_id, created_at)
    select l.tenant_id, gen_random_uuid(), l.member_id, 'consume', -1, l.id, l.contract_id, gen_random_uuid(), 'Booked', 'member', l.member_id,
           least(l.created_at + make_interval(days => k * 5), now() - interval '1 hour')
      from app.credit_ledger l cross join lateral generate_series(1, ${used(mod)}::int) as k
     where l.kind = 'grant' and l.expires_on = date '${end}'`;
  return [
    { step: 'members', sql: memberRows },
    { step: 'member-number counters', sql: `insert into app.counters (tenant_id, name, value) select id, 'member_number', ${members} from bench.m_tenants` },
    {
      step: 'contracts (monthly)',
      sql: `insert into app.contracts (tenant_id, id, member_id, kind, start_date, created_at, created_by)
            select m.tenant_id, gen_random_uuid(), m.id, 'monthly', m.status_since, m.created_at + interval '2 minutes', t.owner_id
              from app.members m join bench.m_tenants t on t.id = m.tenant_id where m.member_number <= ${contracted}`,
    },
    {
      step: 'contract plans',
      sql: `insert into app.contract_plans (tenant_id, contract_id, effective_from, plan_id, plan_version, requested_at)
            select c.tenant_id, c.id, c.start_date, t.plan_a, 1, c.created_at from app.contracts c join bench.m_tenants t on t.id = c.tenant_id`,
    },
    {
      step: 'status changes (joined, applied)',
      sql: `insert into app.member_status_changes (tenant_id, id, member_id, to_status, effective_on, reason, contract_id,
                                                   requested_by_kind, requested_by, requested_at, applied_at)
            select c.tenant_id, gen_random_uuid(), c.member_id, 'active', c.start_date, 'Joined: ${PLAN_A.name}', c.id,
                   'staff', c.created_by, c.created_at, c.created_at
              from app.contracts c`,
    },
    {
      step: 'status events (registered)',
      sql: `insert into app.member_status_events (tenant_id, id, member_id, from_status, to_status, effective_on, reason, actor_kind, actor_id, recorded_at)
            select m.tenant_id, gen_random_uuid(), m.id, null, 'provisional', (m.created_at at time zone '${ZONE}')::date, 'Registered',
                   'staff', t.owner_id, m.created_at
              from app.members m join bench.m_tenants t on t.id = m.tenant_id`,
    },
    {
      step: 'status events (joined)',
      sql: `insert into app.member_status_events (tenant_id, id, member_id, from_status, to_status, effective_on, reason, actor_kind, actor_id,
                                                  change_id, contract_id, recorded_at)
            select ch.tenant_id, gen_random_uuid(), ch.member_id, 'provisional', 'active', ch.effective_on, ch.reason, 'staff', ch.requested_by,
                   ch.id, ch.contract_id, ch.applied_at + interval '5 milliseconds'
              from app.member_status_changes ch`,
    },
    { step: `credit lots, ${c.previous}`, sql: lot(c.previous, c.previousStart, c.previousEnd) },
    { step: `credit bookings, ${c.previous}`, sql: consume(c.previousEnd, CREDITS + 1) },
    {
      step: `credit expiry, ${c.previous}`,
      sql: `insert into app.credit_ledger (tenant_id, id, member_id, kind, amount, lot_id, contract_id, reason, actor_kind, created_at)
            select l.tenant_id, gen_random_uuid(), l.member_id, 'expire', ${used(CREDITS + 1)} - ${CREDITS}, l.id, l.contract_id,
                   'Expired on ${c.previousEnd}', 'system', ${local(c.monthStart, '03:07')}
              from app.credit_ledger l
             where l.kind = 'grant' and l.expires_on = date '${c.previousEnd}' and ${used(CREDITS + 1)} < ${CREDITS}`,
    },
    { step: `credit lots, ${c.month}`, sql: lot(c.month, c.monthStart, c.monthEnd) },
    { step: `credit bookings, ${c.month}`, sql: consume(c.monthEnd, 3) },
  ];
}

const SEEDED_TABLES = [
  'app.members', 'app.counters', 'app.plans', 'app.plan_versions', 'app.contracts', 'app.contract_plans', 'app.member_status_changes',
  'app.member_status_events', 'app.credit_ledger',
];

/**
 * Bulk seed as the superuser, with session_replication_role = replica: row triggers (the history trigger that
 * sets a member's status, the append-only guards) and foreign-key checks do not fire, so members are written
 * with the status their history gives them. Rows are shaped as the services write them.
 */
async function seed(cluster: BenchCluster, creds: TenantCredential[], s: MembershipSettings, c: Calendar) {
  const contracted = s.membersPerTenant - s.withoutContract;
  return withAdmin(cluster.adminUrl, async (client) => {
    await client.query(`create schema bench`);
    await client.query(`create table bench.m_tenants (n integer primary key, id uuid not null unique, owner_id uuid not null,
                          plan_a uuid not null default gen_random_uuid(), plan_b uuid not null default gen_random_uuid())`);
    await client.query(`insert into bench.m_tenants (n, id, owner_id) select * from unnest($1::int[], $2::uuid[], $3::uuid[])`, [
      creds.map((_, i) => i + 1),
      creds.map((t) => t.id),
      creds.map((t) => t.ownerId),
    ]);
    await client.query(`create table bench.family_names (i integer primary key, kanji text, kana text, romaji text)`);
    await client.query(`create table bench.given_names (i integer primary key, kanji text, kana text, romaji text, gender text)`);
    await client.query(`insert into bench.family_names select i - 1, f[1], f[2], f[3] from unnest($1::text[]) with ordinality as u(j, i), lateral (select string_to_array(j, '|') as f) x`, [
      FAMILY.map((f) => f.join('|')),
    ]);
    await client.query(`insert into bench.given_names select i - 1, f[1], f[2], f[3], f[4] from unnest($1::text[]) with ordinality as u(j, i), lateral (select string_to_array(j, '|') as f) x`, [
      GIVEN.map((f) => f.join('|')),
    ]);
    await client.query(`set session_replication_role = replica`);
    const steps: SeedStep[] = [];
    const t0 = performance.now();
    const timed = async (step: string, text: string, params: unknown[] = []) => {
      const p0 = performance.now();
      const result = await client.query(text, params);
      steps.push({ step, rows: result.rowCount ?? 0, seconds: (performance.now() - p0) / 1000 });
      log(`seed: ${step}: ${result.rowCount} rows in ${((performance.now() - p0) / 1000).toFixed(1)} s`);
    };
    // Two monthly plans per studio, as POST /api/plans writes them (plan row, then version 1).
    const planCreated = `timestamp '${addMonths(c.month, -30)}-01 11:00' at time zone '${ZONE}'`;
    await timed(
      'plans',
      `insert into app.plans (tenant_id, id, kind, name, description, current_version, created_at, updated_at)
       select id, plan_a, 'monthly', $1, '', 1, ${planCreated}, ${planCreated} from bench.m_tenants
       union all
       select id, plan_b, 'monthly', $2, '', 1, ${planCreated}, ${planCreated} from bench.m_tenants`,
      [PLAN_A.name, PLAN_B.name],
    );
    await timed(
      'plan versions',
      `insert into app.plan_versions (tenant_id, plan_id, version, price, price_includes_tax, tax_category, enrollment_fee, leave_fee,
                                      credit_grant, credits_per_grant, all_lesson_types, all_locations, created_at, created_by)
       select id, plan_a, 1, $1::bigint, true, 'standard_10', 5500, 1100, $2, $3::int, true, true, ${planCreated}, owner_id from bench.m_tenants
       union all
       select id, plan_b, 1, $4::bigint, true, 'standard_10', 5500, 1100, $5, $6::int, true, true, ${planCreated}, owner_id from bench.m_tenants`,
      [PLAN_A.price, PLAN_A.creditGrant, PLAN_A.creditsPerGrant, PLAN_B.price, PLAN_B.creditGrant, PLAN_B.creditsPerGrant],
    );
    for (const st of seedStatements(c, s.membersPerTenant, contracted)) await timed(st.step, st.sql);
    await client.query(`reset session_replication_role`);
    const seconds = (performance.now() - t0) / 1000;
    const v0 = performance.now();
    for (const table of SEEDED_TABLES) await client.query(`vacuum analyze ${table}`);
    const vacuumSeconds = (performance.now() - v0) / 1000;
    log(`seeded ${steps.reduce((a, x) => a + x.rows, 0)} rows in ${seconds.toFixed(1)} s; VACUUM ANALYZE ${vacuumSeconds.toFixed(1)} s`);

    const tableRows: Record<string, number> = {};
    for (const table of SEEDED_TABLES) tableRows[table] = Number((await client.query<{ n: string }>(`select count(*) as n from ${table}`)).rows[0]!.n);
    // What the load needs per tenant: plans, contracts outside the status-change ranges, members without a contract.
    const plans = await client.query<{ id: string; plan_a: string; plan_b: string }>(`select id, plan_a, plan_b from bench.m_tenants`);
    const contracts = await client.query<{ tenant_id: string; id: string }>(
      `select c.tenant_id, c.id from app.contracts c join app.members m on m.tenant_id = c.tenant_id and m.id = c.member_id
        where m.member_number > $1`,
      [2 * s.changesPerTenant],
    );
    const prospects = await client.query<{ tenant_id: string; id: string }>(`select tenant_id, id from app.members where member_number > $1`, [contracted]);
    const byTenant = new Map(creds.map((t) => [t.id, { ...t, planA: '', planB: '', contracts: [] as string[], prospects: [] as string[] }]));
    for (const p of plans.rows) Object.assign(byTenant.get(p.id)!, { planA: p.plan_a, planB: p.plan_b });
    for (const r of contracts.rows) byTenant.get(r.tenant_id)!.contracts.push(r.id);
    for (const r of prospects.rows) byTenant.get(r.tenant_id)!.prospects.push(r.id);
    const tenants: SeededTenant[] = [...byTenant.values()];
    return { steps, seconds, vacuumSeconds, rows: steps.reduce((a, x) => a + x.rows, 0), tableRows, tenants };
  });
}

/* ------------------------------------------------------------------------------------------------------------
 * The search query as the app runs it, and its plans
 * ---------------------------------------------------------------------------------------------------------- */

function appDb(cluster: BenchCluster, d: DensitySettings, onQuery?: (q: CompiledQuery) => void) {
  const pool = new pg.Pool({ connectionString: withCredentials(cluster.adminUrl, { user: 'studiohive_app', password: d.appPassword }), max: 2 });
  return new Kysely<DB>({
    dialect: new PostgresDialect({ pool }),
    log: (event) => {
      if (event.level === 'query') onQuery?.(event.query);
    },
  });
}

const SEARCH_EXAMPLES: Array<{ kind: string; q: string }> = [
  { kind: 'name', q: '佐藤' },
  { kind: 'kana', q: 'さと' },
  { kind: 'member number', q: '12' },
  { kind: 'email', q: 'misa' },
  { kind: 'phone', q: '090-12' },
];

/** EXPLAIN ANALYZE of the exact statement membersRepo.search sends, per kind of prefix, as the app role. */
async function explainSearch(cluster: BenchCluster, d: DensitySettings, tenantId: string, limit: number) {
  let captured: CompiledQuery | null = null;
  const db = appDb(cluster, d, (q) => {
    if (/from "app"\."members"/.test(q.sql)) captured = q;
  });
  try {
    const out: MembershipResult['searchPlans'] = [];
    for (const ex of SEARCH_EXAMPLES) {
      const rows = await inTenantTransaction(db, tenantId, (trx) => membersRepo.search(trx, { ...searchPrefixes(ex.q), limit: limit + 1 }));
      const q = captured as CompiledQuery | null;
      if (!q) throw new Error('the search query was not captured');
      const plan = await inTenantTransaction(db, tenantId, async (trx) => {
        const res = await trx.executeQuery<{ 'QUERY PLAN': string }>(
          CompiledQuery.raw(`explain (analyze, costs off, timing off, summary off) ${q.sql}`, [...q.parameters]),
        );
        return res.rows.map((r) => r['QUERY PLAN']).join('\n');
      });
      out.push({ kind: ex.kind, q: ex.q, rows: rows.length, plan });
    }
    return out;
  } finally {
    await db.destroy();
  }
}

/* ------------------------------------------------------------------------------------------------------------
 * HTTP
 * ---------------------------------------------------------------------------------------------------------- */

interface Endpoint {
  key: string;
  label: string;
  pick: () => LoadTarget;
}

const toHiragana = (kana: string) => kana.replace(/[\u30a1-\u30f6]/g, (ch) => String.fromCharCode(ch.charCodeAt(0) - 0x60));
const pickOne = <T>(list: readonly T[]): T => list[randomInt(list.length)]!;

/** A search box's text: the start of a name, kana (half of it typed in hiragana), number, e-mail or phone. */
function searchText(kind: string, members: number): string {
  switch (kind) {
    case 'name': {
      const family = pickOne(FAMILY)[0];
      return Math.random() < 0.5 ? family : `${family}${pickOne(GIVEN)[0].charAt(0)}`;
    }
    case 'kana': {
      const kana = pickOne(FAMILY)[1].slice(0, 2 + randomInt(2));
      return Math.random() < 0.5 ? toHiragana(kana) : kana;
    }
    case 'member number':
      return String(1 + randomInt(members)).slice(0, 1 + randomInt(3));
    case 'email':
      return pickOne(GIVEN)[2].slice(0, 3 + randomInt(3));
    default:
      return `${pickOne(['090', '080', '070'])}-${String(randomInt(100)).padStart(2, '0')}`;
  }
}

function endpoints(tenants: SeededTenant[], port: number, s: MembershipSettings, c: Calendar, baseDomain: string): Endpoint[] {
  const base = () => {
    const t = pickOne(tenants);
    return { t, target: { port, host: `${t.slug}.${baseDomain}`, token: t.token } };
  };
  return [
    { key: 'me', label: 'GET /api/auth/me (baseline)', pick: () => ({ ...base().target, path: '/api/auth/me' }) },
    {
      key: 'search',
      label: `GET /api/members?q=…&limit=${s.searchLimit}`,
      pick: () => {
        const kind = pickOne(SEARCH_EXAMPLES).kind;
        const q = searchText(kind, s.membersPerTenant);
        return { ...base().target, path: `/api/members?limit=${s.searchLimit}&q=${encodeURIComponent(q)}`, label: kind };
      },
    },
    {
      key: 'planChange',
      label: 'POST /api/contracts/:id/plan-change/preview',
      pick: () => {
        const { t, target } = base();
        return { ...target, method: 'POST', path: `/api/contracts/${pickOne(t.contracts)}/plan-change/preview`, body: { planId: t.planB, fromMonth: c.fromMonth } };
      },
    },
    {
      key: 'sell',
      label: 'POST /api/contracts/preview',
      pick: () => {
        const { t, target } = base();
        return { ...target, method: 'POST', path: '/api/contracts/preview', body: { memberId: pickOne(t.prospects), planId: t.planA } };
      },
    },
  ];
}

/** Every endpoint once, checked: search finds members, the previews show what confirming would do. */
async function probeEndpoints(list: Endpoint[], c: Calendar): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of list) {
    const target = e.pick();
    const res = await probe(target, target.path ?? '/');
    if (res.status !== 200) throw new Error(`${e.label}: probe answered ${res.status}: ${res.body.slice(0, 500)}`);
    const body = JSON.parse(res.body) as Record<string, unknown>;
    if (e.key === 'search') {
      const named = await probe({ ...target, path: `/api/members?limit=25&q=${encodeURIComponent('サト')}` }, '/');
      const items = (JSON.parse(named.body) as { items: unknown[] }).items;
      if (items.length === 0) throw new Error(`search for サト found nobody: ${named.body.slice(0, 300)}`);
      out[e.key] = `q=サト → ${items.length} members`;
    } else if (e.key === 'planChange') {
      const plans = body.plans as Array<{ effectiveFrom: string; planName: string }>;
      if (plans.at(-1)?.effectiveFrom !== firstDay(c.fromMonth)) throw new Error(`plan-change preview did not change the plan: ${res.body.slice(0, 500)}`);
      out[e.key] = `plans ${plans.map((p) => `${p.planName} from ${p.effectiveFrom}`).join(', ')}; ${(body.charges as unknown[]).length} months of charges`;
    } else if (e.key === 'sell') {
      out[e.key] = `status ${String(body.status)}, starts ${String(body.startDate)}; ${(body.charges as unknown[]).length} months of charges`;
    } else {
      out[e.key] = 'ok';
    }
  }
  return out;
}

/**
 * Each endpoint `rounds` times, interleaved (the order rotating every round), so that whatever else the machine
 * does falls on all of them alike. Latencies of all rounds are pooled before taking percentiles.
 */
async function measureEndpoints(list: Endpoint[], connections: number, s: Pick<MembershipSettings, 'rounds' | 'warmupMs'>, roundMs: number): Promise<EndpointRun[]> {
  const acc = list.map((e) => ({
    e,
    latencies: [] as number[],
    byKind: new Map<string, number[]>(),
    requests: 0,
    non2xx: 0,
    errors: 0,
    seconds: 0,
    roundRps: [] as number[],
    firstFailure: null as string | null,
    firstError: null as string | null,
  }));
  for (const e of list) await runLoad({ connections, durationMs: s.warmupMs, path: '/', pick: e.pick });
  for (let round = 0; round < s.rounds; round++) {
    for (let i = 0; i < acc.length; i++) {
      const a = acc[(i + round) % acc.length]!;
      const res = await runLoad({
        connections,
        durationMs: roundMs,
        path: '/',
        pick: a.e.pick,
        onResponse: (ms, _status, target) => {
          a.latencies.push(ms);
          if (target.label === undefined) return;
          const list = a.byKind.get(target.label) ?? [];
          list.push(ms);
          a.byKind.set(target.label, list);
        },
      });
      a.requests += res.requests;
      a.non2xx += res.non2xx;
      a.errors += res.errors;
      a.seconds += res.durationS;
      a.roundRps.push(res.rps);
      a.firstFailure ??= res.firstFailure;
      a.firstError ??= res.firstError;
    }
  }
  return acc.map((a) => {
    const sorted = sortedCopy(a.latencies);
    const byKind: EndpointRun['byKind'] = {};
    for (const [kind, values] of a.byKind) {
      const k = sortedCopy(values);
      byKind[kind] = { requests: k.length, p50Ms: percentile(k, 50), p99Ms: percentile(k, 99) };
    }
    const run: EndpointRun = {
      key: a.e.key,
      label: a.e.label,
      connections,
      requests: a.requests,
      non2xx: a.non2xx,
      errors: a.errors,
      seconds: a.seconds,
      rps: a.requests / a.seconds,
      roundRps: a.roundRps,
      p50Ms: percentile(sorted, 50),
      p90Ms: percentile(sorted, 90),
      p99Ms: percentile(sorted, 99),
      maxMs: sorted.length ? sorted[sorted.length - 1]! : Number.NaN,
      firstFailure: a.firstFailure,
      firstError: a.firstError,
      byKind,
    };
    log(
      `${run.label}, ${connections} connection(s): ${run.rps.toFixed(0)} req/s, p50 ${run.p50Ms.toFixed(1)} ms, p99 ${run.p99Ms.toFixed(1)} ms` +
        `, non-2xx ${run.non2xx}, errors ${run.errors}`,
    );
    if (run.firstFailure) log(`  first non-2xx: ${run.firstFailure}`);
    if (run.firstError) log(`  first error: ${run.firstError}`);
    return run;
  });
}

/** Sequential and index scans per table since the last pg_stat_reset(), for the tables that were read. */
async function tableScans(adminUrl: string): Promise<TableScans[]> {
  return withAdmin(adminUrl, async (client) => {
    // pg_stat_reset() also zeroes n_live_tup, so the size comes from pg_class (as of the last ANALYZE).
    const rows = await client.query<{ t: string; seq_scan: string; seq_tup_read: string; idx_scan: string | null; reltuples: number }>(
      `select s.schemaname || '.' || s.relname as t, s.seq_scan, s.seq_tup_read, s.idx_scan, greatest(c.reltuples, 0) as reltuples
         from pg_stat_user_tables s join pg_class c on c.oid = s.relid
        where s.schemaname in ('app', 'platform') and (s.seq_scan > 0 or s.idx_scan > 0)
        order by s.seq_tup_read desc, s.seq_scan desc, s.relname`,
    );
    return rows.rows.map((r) => ({ table: r.t, seqScan: Number(r.seq_scan), seqTupRead: Number(r.seq_tup_read), idxScan: Number(r.idx_scan ?? 0), liveRows: Number(r.reltuples) }));
  });
}

const resetStats = (adminUrl: string) => withAdmin(adminUrl, (client) => client.query(`select pg_stat_reset()`));

/* ------------------------------------------------------------------------------------------------------------
 * pgbench: the database alone
 * ---------------------------------------------------------------------------------------------------------- */

function dbScripts(limit: number) {
  const tenant = `select set_config('app.tenant_id', id::text, true) from bench.m_tenants where n = :n;`;
  return {
    lookup: [
      `\\set n random(1, :tenants)`,
      `\\set num random(1, :members)`,
      `begin;`,
      tenant,
      `select ${SUMMARY_COLUMNS} from app.members where member_number = :num;`,
      `commit;`,
      ``,
    ].join('\n'),
    // The statement membersRepo.search sends for a kana prefix (kana and name keys), with the prefix's range.
    search: [
      `\\set n random(1, :tenants)`,
      `\\set k random(1, :prefixes)`,
      `begin;`,
      tenant,
      `select lo, hi from bench.kana_prefixes where k = :k \\gset`,
      `select ${SUMMARY_COLUMNS} from app.members where ((search_name ~>=~ :lo and search_name ~<~ :hi) or (search_kana ~>=~ :lo and search_kana ~<~ :hi)) order by member_number limit ${limit + 1};`,
      `commit;`,
      ``,
    ].join('\n'),
  };
}

/** Kana prefixes as the search uses them (the prefix and its byte-wise upper bound), numbered for pgbench. */
function kanaPrefixes(): Array<[string, string]> {
  const out = new Map<string, string>();
  for (const [, kana] of FAMILY) {
    for (const len of [2, 3]) {
      const p = kana.slice(0, len);
      const last = p.codePointAt(p.length - 1)!;
      out.set(p, `${[...p].slice(0, -1).join('')}${String.fromCodePoint(last + 1)}`);
    }
  }
  return [...out.entries()];
}

async function measureDb(cluster: BenchCluster, d: DensitySettings, s: MembershipSettings, connections: number[]): Promise<MembershipResult['db']> {
  const version = pgbenchVersion();
  if (!version) return { skipped: 'pgbench not found (Debian package postgresql-client)' };
  const prefixes = kanaPrefixes();
  await withAdmin(cluster.adminUrl, async (client) => {
    await client.query(`create table bench.kana_prefixes (k integer primary key, lo text not null, hi text not null)`);
    await client.query(`insert into bench.kana_prefixes select i, lo, hi from unnest($1::text[], $2::text[]) with ordinality as u(lo, hi, i)`, [
      prefixes.map((p) => p[0]),
      prefixes.map((p) => p[1]),
    ]);
    await client.query(`grant usage on schema bench to studiohive_app`);
    await client.query(`grant select on bench.m_tenants, bench.kana_prefixes to studiohive_app`);
  });
  // The pgbench search statement must return what the app's search returns.
  const tenantId = (await withAdmin(cluster.adminUrl, (c) => c.query<{ id: string }>(`select id from bench.m_tenants where n = 1`))).rows[0]!.id;
  const db = appDb(cluster, d);
  try {
    const [lo, hi] = prefixes[0]!;
    const viaApp = await inTenantTransaction(db, tenantId, (trx) => membersRepo.search(trx, { ...searchPrefixes(lo), limit: s.searchLimit + 1 }));
    const viaScript = await inTenantTransaction(db, tenantId, async (trx) =>
      (
        await sql<{ id: string }>`select id from app.members where ((search_name ~>=~ ${lo} and search_name ~<~ ${hi}) or (search_kana ~>=~ ${lo} and search_kana ~<~ ${hi}))
          order by member_number limit ${s.searchLimit + 1}`.execute(trx)
      ).rows,
    );
    if (viaApp.length === 0 || viaApp.map((r) => r.id).join() !== viaScript.map((r) => r.id).join()) {
      throw new Error(`the pgbench search statement and the app's search disagree for ${lo} (${viaApp.length} vs ${viaScript.length} rows)`);
    }
  } finally {
    await db.destroy();
  }

  const dir = path.join(WORK_DIR, 'pgbench-membership');
  await mkdir(dir, { recursive: true });
  const scripts = dbScripts(s.searchLimit);
  for (const [name, text] of Object.entries(scripts)) await writeFile(path.join(dir, `${name}.sql`), text);
  const runs: DbRun[] = [];
  for (const clients of connections) {
    for (const name of Object.keys(scripts)) {
      const prefix = path.join(dir, `log-${name}-c${clients}`);
      const out = await pgbench(
        [
          '-h', '127.0.0.1', '-p', String(cluster.port), '-U', 'studiohive_app', '-n', '-M', 'extended',
          '-c', String(clients), '-j', String(Math.min(2, clients)), '-T', String(s.pgbenchS),
          '-D', `tenants=${s.tenants}`, '-D', `members=${s.membersPerTenant}`, '-D', `prefixes=${prefixes.length}`,
          '-f', path.join(dir, `${name}.sql`), '-l', `--log-prefix=${prefix}`, 'studiohive',
        ],
        d.appPassword,
      );
      const parsed = parseOutput(out);
      const latencies = await readLatenciesMs(dir, path.basename(prefix));
      const run = { name, clients, ...parsed, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) };
      log(`pgbench ${name}, ${clients} client(s): ${run.tps.toFixed(0)} tps, p50 ${run.p50Ms.toFixed(3)} ms, p99 ${run.p99Ms.toFixed(3)} ms`);
      runs.push(run);
    }
  }
  return { version, scripts, runs };
}

/* ------------------------------------------------------------------------------------------------------------
 * Month end: scheduled status changes
 * ---------------------------------------------------------------------------------------------------------- */

/**
 * Schedules a change for each member numbered lo..hi in every tenant, effective on the 1st of next month, as
 * the contract services do when asked on or before the cut-off day: odd numbers cancel (the contract gets its
 * end date, the change is the day after), even numbers go on leave (a leave row from next month, open-ended).
 */
async function scheduleChanges(adminUrl: string, lo: number, hi: number, c: Calendar) {
  const requestedAt = `least((timestamp '${c.monthStart} 14:00' + make_interval(days => m.member_number % ${CUTOFF_DAY})) at time zone '${ZONE}', now() - interval '1 hour')`;
  const range = `m.member_number between ${lo} and ${hi}`;
  return withAdmin(adminUrl, async (client) => {
    const t0 = performance.now();
    await client.query('begin');
    await client.query(
      `update app.contracts c set end_date = date '${c.monthEnd}', cancel_reason = '転居のため', cancel_requested_at = ${requestedAt}
         from app.members m where m.tenant_id = c.tenant_id and m.id = c.member_id and ${range} and m.member_number % 2 = 1`,
    );
    const cancelled = await client.query(
      `insert into app.member_status_changes (tenant_id, member_id, to_status, effective_on, reason, contract_id, requested_by_kind, requested_by, requested_at)
       select c.tenant_id, c.member_id, 'cancelled', date '${c.nextStart}', c.cancel_reason, c.id, 'staff', t.owner_id, c.cancel_requested_at
         from app.contracts c join app.members m on m.tenant_id = c.tenant_id and m.id = c.member_id join bench.m_tenants t on t.id = c.tenant_id
        where ${range} and m.member_number % 2 = 1`,
    );
    await client.query(
      `insert into app.contract_leaves (tenant_id, contract_id, from_month, reason, requested_at)
       select c.tenant_id, c.id, date '${c.nextStart}', '', ${requestedAt}
         from app.contracts c join app.members m on m.tenant_id = c.tenant_id and m.id = c.member_id where ${range} and m.member_number % 2 = 0`,
    );
    const leaves = await client.query(
      `insert into app.member_status_changes (tenant_id, member_id, to_status, effective_on, reason, contract_id, leave_id, requested_by_kind, requested_by, requested_at)
       select l.tenant_id, c.member_id, 'on_leave', l.from_month, 'Leave', c.id, l.id, 'staff', t.owner_id, l.requested_at
         from app.contract_leaves l join app.contracts c on c.tenant_id = l.tenant_id and c.id = l.contract_id
         join app.members m on m.tenant_id = c.tenant_id and m.id = c.member_id join bench.m_tenants t on t.id = c.tenant_id
        where ${range} and l.withdrawn_at is null`,
    );
    await client.query('commit');
    for (const table of ['app.contracts', 'app.contract_leaves', 'app.member_status_changes']) await client.query(`analyze ${table}`);
    await client.query('checkpoint');
    return { cancellations: cancelled.rowCount ?? 0, leaves: leaves.rowCount ?? 0, seconds: (performance.now() - t0) / 1000 };
  });
}

async function statusChecks(adminUrl: string, lo: number, hi: number, day: string): Promise<Record<string, number>> {
  return withAdmin(adminUrl, async (client) => {
    const one = async (text: string) => Number((await client.query<{ n: string }>(text)).rows[0]!.n);
    const range = `m.member_number between ${lo} and ${hi}`;
    return {
      'changes still pending': await one(`select count(*) as n from app.member_status_changes where applied_at is null and withdrawn_at is null and effective_on <= date '${day}'`),
      'changes marked applied': await one(
        `select count(*) as n from app.member_status_changes ch join app.members m on m.tenant_id = ch.tenant_id and m.id = ch.member_id
          where ${range} and ch.effective_on = date '${day}' and ch.applied_at is not null`,
      ),
      'history events written': await one(`select count(*) as n from app.member_status_events where effective_on = date '${day}' and change_id is not null`),
      'members now cancelled': await one(`select count(*) as n from app.members m where ${range} and status = 'cancelled' and status_since = date '${day}'`),
      'members now on leave': await one(`select count(*) as n from app.members m where ${range} and status = 'on_leave' and status_since = date '${day}'`),
      'contracts marked ended': await one(`select count(*) as n from app.contracts where ended_at is not null`),
      'credit expiry rows': await one(`select count(*) as n from app.credit_ledger where kind = 'expire' and reason = 'Membership ended'`),
      'credits expired': await one(`select coalesce(-sum(amount), 0) as n from app.credit_ledger where kind = 'expire' and reason = 'Membership ended'`),
    };
  });
}

async function measureStatusChanges(cluster: BenchCluster, tenantIds: string[], d: DensitySettings, s: MembershipSettings, c: Calendar): Promise<MembershipResult['status']> {
  const day = c.nextStart;
  const n = s.changesPerTenant;
  const first = await scheduleChanges(cluster.adminUrl, 1, n, c);
  const changes = first.cancellations + first.leaves;
  log(`scheduled ${changes} status changes for ${day} (${first.cancellations} cancellations, ${first.leaves} leaves) in ${first.seconds.toFixed(1)} s`);

  // The real path: applyAllDue for each tenant in the tenant's own transactions (batches of 1,000), the way
  // runMembershipDay calls it, a few tenants at a time.
  await resetStats(cluster.adminUrl);
  let runtime = await openAppRuntime(runtimeConfig(cluster.adminUrl, d), createLogger({ LOG_LEVEL: 'warn' }));
  let real: StatusRun;
  try {
    const tenants = await Promise.all(tenantIds.map(async (id) => (await runtime.directory.byId(id))!));
    const t0 = performance.now();
    const settled = await mapConcurrent(tenants, s.applyConcurrency, (tenant) =>
      applyAllDue(async (fn) => inTenantTransaction(await runtime.directory.dbFor(tenant), tenant.id, fn), day, studioLocale(tenant), 1000),
    );
    const seconds = (performance.now() - t0) / 1000;
    const rows = settled.reduce((a, b) => a + b, 0);
    real = { label: `applyAllDue per tenant, ${s.applyConcurrency} tenants at a time`, rows, seconds, rowsPerS: rows / seconds };
    log(`real path: ${rows} changes applied in ${seconds.toFixed(1)} s (${real.rowsPerS.toFixed(0)}/s)`);
  } finally {
    await runtime.close();
  }
  await sleep(500); // the closed connections' backends flush their table statistics as they exit
  const scans = await tableScans(cluster.adminUrl);
  const checks = await statusChecks(cluster.adminUrl, 1, n, day);
  if (checks['changes marked applied'] !== changes || checks['changes still pending'] !== 0) {
    throw new Error(`the real path did not apply every change: ${JSON.stringify(checks)}`);
  }

  // The same number of identical changes on the next members, then one plain UPDATE per tenant.
  const second = await scheduleChanges(cluster.adminUrl, n + 1, 2 * n, c);
  log(`scheduled ${second.cancellations + second.leaves} more identical changes for the plain UPDATE`);
  runtime = await openAppRuntime(runtimeConfig(cluster.adminUrl, d), createLogger({ LOG_LEVEL: 'warn' }));
  let update: StatusRun;
  try {
    const tenants = await Promise.all(tenantIds.map(async (id) => (await runtime.directory.byId(id))!));
    const t0 = performance.now();
    const counts = await mapConcurrent(tenants, s.applyConcurrency, async (tenant) =>
      inTenantTransaction(await runtime.directory.dbFor(tenant), tenant.id, async (trx: Tx) => {
        await sql`select set_config('app.status_from_history', 'on', true)`.execute(trx);
        const res = await sql`
          update app.members m set status = ch.to_status, status_since = ch.effective_on, updated_at = now()
            from app.member_status_changes ch
           where ch.tenant_id = m.tenant_id and ch.member_id = m.id
             and ch.applied_at is null and ch.withdrawn_at is null and ch.effective_on <= ${day}`.execute(trx);
        return Number(res.numAffectedRows ?? 0);
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    const rows = counts.reduce((a, b) => a + b, 0);
    update = { label: `plain UPDATE per tenant, ${s.applyConcurrency} tenants at a time`, rows, seconds, rowsPerS: rows / seconds };
    log(`plain UPDATE: ${rows} members in ${seconds.toFixed(2)} s (${update.rowsPerS.toFixed(0)}/s)`);
  } finally {
    await runtime.close();
  }
  if (update.rows !== second.cancellations + second.leaves) throw new Error(`the plain UPDATE changed ${update.rows} members, expected ${second.cancellations + second.leaves}`);
  return {
    day,
    changes,
    cancellations: first.cancellations,
    leaves: first.leaves,
    seedSeconds: first.seconds,
    real,
    update,
    checks,
    scans,
  };
}

/* ------------------------------------------------------------------------------------------------------------ */

export async function runMembership(ports: MembershipPorts, s: MembershipSettings, d: DensitySettings): Promise<MembershipOutcome> {
  const contracted = s.membersPerTenant - s.withoutContract;
  if (2 * s.changesPerTenant >= contracted) throw new Error('membership bench: 2 × changesPerTenant must leave contracts for the plan-change preview');
  const t0 = performance.now();
  const loadAtStart = os.loadavg();
  const c = calendar();
  const cluster = await startBenchCluster('membership', ports.pg, d.pgPassword);
  try {
    const { creds, creation } = await createPooledTenants(cluster, { ...d, tenants: s.tenants, passwordSample: 0 });
    const seeded = await seed(cluster, creds, s, c);
    const searchPlans = await explainSearch(cluster, d, creds[0]!.id, s.searchLimit);
    for (const p of searchPlans) log(`search plan (${p.kind}, q=${p.q}, ${p.rows} rows):\n${p.plan}`);

    const server = await startAppServer('membership', ports.app, {
      databaseUrl: cluster.adminUrl,
      appPassword: d.appPassword,
      platformPassword: d.platformPassword,
      adminToken: d.adminToken,
      baseDomain: d.baseDomain,
    });
    let http: MembershipResult['http'];
    let probes: Record<string, string>;
    try {
      const list = endpoints(seeded.tenants, ports.app, s, c, d.baseDomain);
      probes = await probeEndpoints(list, c);
      await resetStats(cluster.adminUrl);
      log(`HTTP, 1 connection: ${s.rounds} interleaved rounds of ${s.serialRoundMs / 1000} s per endpoint`);
      const serial = await measureEndpoints(list, 1, s, s.serialRoundMs);
      log(`HTTP, ${s.connections} connections: ${s.rounds} interleaved rounds of ${s.roundMs / 1000} s per endpoint`);
      const loaded = await measureEndpoints(list, s.connections, s, s.roundMs);
      http = { serial, loaded };
    } finally {
      await server.stop();
    }
    await sleep(500);
    const httpScans = await tableScans(cluster.adminUrl);
    const db = await measureDb(cluster, d, s, [1, s.connections]);
    const status = await measureStatusChanges(cluster, creds.map((t) => t.id), d, s, c);
    return {
      settings: s,
      loadAverage: { start: loadAtStart, end: os.loadavg() },
      today: c.today,
      fromMonth: c.fromMonth,
      tenantSeconds: creation.totalSeconds + creation.sessionsSeconds,
      seed: { steps: seeded.steps, seconds: seeded.seconds, vacuumSeconds: seeded.vacuumSeconds, rows: seeded.rows, tableRows: seeded.tableRows },
      searchPlans,
      probes,
      http,
      httpScans,
      db,
      status,
      totalSeconds: (performance.now() - t0) / 1000,
    };
  } finally {
    await cluster.stop();
  }
}

/* ------------------------------------------------------------------------------------------------------------
 * Report
 * ---------------------------------------------------------------------------------------------------------- */

const ms = (v: number, digits = 1) => fmt(v, digits);
const n0 = (v: number) => fmt(v, 0);

function runsByKey(runs: EndpointRun[]) {
  return Object.fromEntries(runs.map((r) => [r.key, r])) as Record<string, EndpointRun | undefined>;
}

/** The prefix conditions of a plan that are applied as a filter over the tenant's rows rather than an index condition. */
function filteredPlan(plan: string): { removed: number } | null {
  const filter = /Filter: .*~>=~/.test(plan);
  const removed = Number(/Rows Removed by Filter: (\d+)/.exec(plan)?.[1] ?? 0);
  return filter && removed > 0 ? { removed } : null;
}

export function membershipHeadline(m: MembershipOutcome | undefined): string[] {
  if (!m) return [];
  if ('skipped' in m) return [`- Membership book: skipped (${m.skipped}).`];
  const s = m.settings;
  const serial = runsByKey(m.http.serial);
  const loaded = runsByKey(m.http.loaded);
  const lines = [
    `- Membership book: ${n0(s.tenants)} tenants × ${n0(s.membersPerTenant)} members (${n0(m.seed.tableRows['app.members'] ?? 0)} members, ${n0(m.seed.tableRows['app.contracts'] ?? 0)} contracts, ${fmt(m.seed.rows / 1e6, 2)} M rows in all) seeded by bulk SQL in **${fmt(m.seed.seconds, 0)} s** (+ ${fmt(m.seed.vacuumSeconds, 0)} s VACUUM ANALYZE).`,
  ];
  const me1 = serial.me;
  const meN = loaded.me;
  const describe = (key: string, name: string) => {
    const a = serial[key];
    const b = loaded[key];
    if (!a || !b || !me1 || !meN) return;
    lines.push(
      `- ${name}: p50 **${ms(a.p50Ms)} ms**, p99 ${ms(a.p99Ms)} ms at 1 connection (**${ratio(a.p50Ms, me1.p50Ms, 1)}** the p50 of \`GET /api/auth/me\`); ` +
        `at ${b.connections} connections ${n0(b.rps)} req/s (**${ratio(b.rps, meN.rps)}** the baseline's), p50 ${ms(b.p50Ms)} ms, p99 ${ms(b.p99Ms)} ms.`,
    );
  };
  describe('search', 'Member search');
  describe('planChange', 'Plan-change preview');
  describe('sell', 'Sale preview');
  const kinds = serial.search?.byKind ?? {};
  const slow = Object.entries(kinds).filter(([k]) => k === 'member number' || k === 'phone');
  const fast = Object.entries(kinds).filter(([k]) => k !== 'member number' && k !== 'phone');
  const slowPlans = m.searchPlans.filter((p) => filteredPlan(p.plan));
  if (slow.length && fast.length && slowPlans.length) {
    const avg = (list: typeof slow) => list.reduce((a, [, v]) => a + v.p50Ms, 0) / list.length;
    lines.push(
      `- Search by ${slowPlans.map((p) => p.kind).join(' or ')} walks the tenant's member rows one by one under RLS (the prefix is a filter, not an index condition): ` +
        `p50 ${ms(avg(slow))} ms vs ${ms(avg(fast))} ms for name, kana and e-mail at 1 connection (see "Search plans").`,
    );
  }
  const st = m.status;
  lines.push(
    `- Month end: ${n0(st.changes)} scheduled status changes applied by the real code (\`applyAllDue\`, ${s.applyConcurrency} tenants at a time) in **${fmt(st.real.seconds, 1)} s** (${n0(st.real.rowsPerS)}/s); ` +
      `a plain \`UPDATE\` of as many members took ${fmt(st.update.seconds, 1)} s (${n0(st.update.rowsPerS)}/s): the real path is **${ratio(st.real.seconds, st.update.seconds, 1)}** the time.`,
  );
  return lines;
}

export function renderMembershipSection(m: MembershipOutcome | undefined, sectionNumber: number): string {
  const heading = `## ${sectionNumber}. Membership book: members, plans and contracts`;
  if (!m || 'skipped' in m) return unmeasuredSection(heading, m);
  const out: string[] = [heading];
  const s = m.settings;
  const contracted = s.membersPerTenant - s.withoutContract;
  const changeTo = 2 * s.changesPerTenant;
  const kinds = SEARCH_EXAMPLES.map((e) => e.kind);
  out.push(`### Method

- **Data.** A bench cluster of its own (\`membership\`, same settings as above), with ${n0(s.tenants)} tenants created through \`runtime.tenants.create\` (4 at a time, no owner password) and one staff session each, as in section 1 (${fmt(m.tenantSeconds, 1)} s). The membership data was then written by bulk SQL as the superuser (\`insert … select\` over \`generate_series\`, one statement per table for all tenants), with \`session_replication_role = replica\` so that row triggers (\`member_status_events_apply\`, which sets a member's status from its history, and the append-only guards) and foreign-key checks do not fire; the rows carry the values the services would have written, and members the status their history gives them. Per tenant:
  - two monthly plans as \`POST /api/plans\` writes them (plan row and version 1, all lesson types and locations, created by the owner): ${PLAN_A.name} ¥${n0(PLAN_A.price)} (tax included, ${PLAN_A.creditsPerGrant} credits a month) and ${PLAN_B.name} ¥${n0(PLAN_B.price)}, each with a ¥5,500 enrollment fee and a ¥1,100 leave fee;
  - ${n0(s.membersPerTenant)} members numbered 1–${n0(s.membersPerTenant)} (the \`app.counters\` row \`member_number\` = ${n0(s.membersPerTenant)}), named from ${FAMILY.length} common family names × ${GIVEN.length} given names with their katakana; 90% have an e-mail address (\`<given>.<family><n>@<provider>\`), 95% a mobile number (090/080/070 and 8 digits); birth date, gender, a few tags, terms accepted;
  - members 1–${n0(contracted)} registered and bought the ${PLAN_A.name} plan on the same day, 1–24 months ago (\`POST /api/members\` then \`POST /api/contracts\`): history event "Registered" (→ provisional), a monthly contract with its \`contract_plans\` row, the status change to active applied at once and its history event (provisional → active, naming change and contract). Members ${n0(contracted + 1)}–${n0(s.membersPerTenant)} registered in the last 60 days and have no contract (provisional, one history event): the sale preview sells to them;
  - credits of every contract: last month's and this month's monthly lot (keyed \`monthly:<contract>:<month>\`, expiring at month end), 0–4 and 0–2 bookings on them (one \`consume\` row each), and the expiry of last month's remainder on the 1st. Older months' ledger rows are not seeded.

  Then \`VACUUM ANALYZE\` of the seeded tables. Today is ${m.today} (Asia/Tokyo, the studios' time zone).
- **Requests.** One server started as in section 1 (\`node --import tsx src/main.ts\`, \`DB_POOL_MAX=10\`). Every request picks a random tenant and sends its owner's session token:
  - **baseline** \`GET /api/auth/me\` (the cheapest authenticated request: tenant, transaction, session and staff row);
  - **search** \`GET /api/members?limit=${s.searchLimit}&q=<text>\` (the members page asks for ${s.searchLimit}), the text drawn evenly from ${kinds.length} kinds: a family name in kanji (佐藤, or 佐藤 plus the given name's first character), the first 2–3 kana of a family name (half of them typed in hiragana), the first 1–3 digits of a member number, the first 3–5 letters of a given name in romaji (matches e-mail addresses), a phone start such as \`090-12\`;
  - **plan-change preview** \`POST /api/contracts/:id/plan-change/preview\` with \`{ planId: <${PLAN_B.name}>, fromMonth: "${m.fromMonth}" }\` (two months ahead, past any cut-off), on a random contract of a member numbered above ${n0(changeTo)};
  - **sale preview** \`POST /api/contracts/preview\` with \`{ memberId, planId: <${PLAN_A.name}> }\` for a random member without a contract (starting today: the first month pro-rated, this month's credits granted, the member made active).

  A preview runs the real operation in the request's transaction and then rolls it back (\`dryRun\` in \`src/platform/http/tenant-route.ts\`), so it does every read and write the confirmed request would.
- **Load.** The generator of section 1 (\`bench/load.ts\`, closed loop, keep-alive), at 1 connection (latency without queueing) and at ${s.connections} connections. At each concurrency, a ${fmt(s.warmupMs / 1000, 1)} s warm-up per endpoint, then ${s.rounds} round(s) of ${fmt(s.serialRoundMs / 1000, 1)} s (1 connection) or ${fmt(s.roundMs / 1000, 1)} s (${s.connections} connections) per endpoint, the four endpoints interleaved and their order rotated every round, so that other work on the machine falls on all of them alike. Percentiles are over all requests of all rounds; ratios compare each endpoint with the baseline measured in the same rounds.
- **Database alone.** pgbench on the same cluster as the app role \`studiohive_app\` under RLS, \`-M extended\` (unnamed statements, as node-postgres sends them), one transaction = begin, \`set_config('app.tenant_id', …, true)\` for a random tenant, one statement, commit: (i) one member by number (unique index on \`(tenant_id, member_number)\`), (ii) the search statement for a kana prefix exactly as \`membersRepo.search\` builds it (checked to return the same rows as the app's search), at 1 and ${s.connections} clients, ${s.pgbenchS} s each.
- **Month end.** ${n0(s.changesPerTenant)} members of each tenant (numbers 1–${n0(s.changesPerTenant)}, ${n0(m.status.changes)} in all) get a status change effective on ${m.status.day}, written as the contract services write them when asked on or before the cut-off day (the ${CUTOFF_DAY}th): odd numbers cancel (the contract gets \`end_date\` = this month's end, \`cancel_reason\`, \`cancel_requested_at\`; the change goes to \`cancelled\` with the contract), even numbers take leave (a \`contract_leaves\` row from next month, open-ended; the change goes to \`on_leave\` with contract and leave). **Real path:** \`applyAllDue\` (\`src/modules/members/status.service.ts\`) for each tenant with today = ${m.status.day}, in the tenant's own transactions on the app role's pool, exactly as \`runMembershipDay\` calls it (batches of 1,000), ${s.applyConcurrency} tenants at a time (the job worker's default concurrency). \`runMembershipDay\` itself would also grant next month's credits and expire this month's lots on that day; those are not part of the timing. **Plain UPDATE:** the same number of identical changes for members ${n0(s.changesPerTenant + 1)}–${n0(changeTo)}, then per tenant, as the app role in \`inTenantTransaction\`, \`set_config('app.status_from_history', 'on', true)\` (the \`members_status_guard\` trigger refuses the update otherwise) and \`UPDATE app.members m SET status = ch.to_status, status_since = ch.effective_on, updated_at = now() FROM app.member_status_changes ch WHERE ch.tenant_id = m.tenant_id AND ch.member_id = m.id AND <pending, due>\`, ${s.applyConcurrency} tenants at a time. A \`CHECKPOINT\` precedes each timed run.
- Load average (1/5/15 min) when this section started: ${m.loadAverage.start.map((x) => fmt(x, 2)).join(' / ')}; when it ended: ${m.loadAverage.end.map((x) => fmt(x, 2)).join(' / ')}.`);

  out.push(`### Seeding`);
  out.push(
    table(
      ['Step', 'Rows', 'Time', 'Rows/s'],
      [
        ...m.seed.steps.map((x) => [x.step, n0(x.rows), `${fmt(x.seconds, 1)} s`, x.seconds > 0 ? n0(x.rows / x.seconds) : '']),
        ['**All**', `**${n0(m.seed.rows)}**`, `**${fmt(m.seed.seconds, 1)} s**`, `**${n0(m.seed.rows / m.seed.seconds)}**`],
        ['VACUUM ANALYZE', '', `${fmt(m.seed.vacuumSeconds, 1)} s`, ''],
      ],
    ),
  );

  out.push(`### Requests over HTTP`);
  out.push(`Probes before the runs: search ${m.probes.search}; plan-change preview: ${m.probes.planChange}; sale preview: ${m.probes.sell}.`);
  const serial = runsByKey(m.http.serial);
  const loaded = runsByKey(m.http.loaded);
  const me1 = serial.me;
  const meN = loaded.me;
  out.push(
    table(
      ['Request', 'p50 (ms), 1 conn.', 'p99 (ms), 1 conn.', 'p50 ÷ baseline', `Req/s, ${s.connections} conn.`, 'Req/s ÷ baseline', `p50 (ms), ${s.connections} conn.`, `p99 (ms), ${s.connections} conn.`, 'Requests', 'Non-2xx / errors'],
      m.http.serial.map((a) => {
        const b = loaded[a.key]!;
        return [
          a.key === 'me' ? `**${a.label}**` : a.label,
          ms(a.p50Ms),
          ms(a.p99Ms),
          a.key === 'me' ? '1' : `**${ratio(a.p50Ms, me1!.p50Ms, 1)}**`,
          n0(b.rps),
          a.key === 'me' ? '1' : `**${ratio(b.rps, meN!.rps)}**`,
          ms(b.p50Ms),
          ms(b.p99Ms),
          n0(a.requests + b.requests),
          `${n0(a.non2xx + b.non2xx)} / ${n0(a.errors + b.errors)}`,
        ];
      }),
    ),
  );
  for (const r of [...m.http.serial, ...m.http.loaded]) {
    if (r.firstFailure) out.push(`First non-2xx (${r.label}, ${r.connections} conn.): \`${r.firstFailure}\``);
    if (r.firstError) out.push(`First transport error (${r.label}, ${r.connections} conn.): \`${r.firstError}\``);
  }
  const roundSpread = (runs: EndpointRun[]) =>
    runs.map((r) => `${r.key === 'me' ? 'baseline' : r.key} ${r.roundRps.map((x) => n0(x)).join(' / ')}`).join('; ');
  out.push(`Req/s per round at ${s.connections} connections (the spread shows the noise from the shared machine): ${roundSpread(m.http.loaded)}.`);
  const searchSerial = serial.search;
  const searchLoaded = loaded.search;
  if (searchSerial && searchLoaded) {
    out.push(`Search by kind of text:`);
    out.push(
      table(
        ['Kind', 'Example', 'p50 (ms), 1 conn.', 'p99 (ms), 1 conn.', `p50 (ms), ${s.connections} conn.`, `p99 (ms), ${s.connections} conn.`, 'Requests'],
        SEARCH_EXAMPLES.map((e) => {
          const a = searchSerial.byKind[e.kind];
          const b = searchLoaded.byKind[e.kind];
          return [e.kind, `\`${e.q}\``, ms(a?.p50Ms ?? NaN), ms(a?.p99Ms ?? NaN), ms(b?.p50Ms ?? NaN), ms(b?.p99Ms ?? NaN), n0((a?.requests ?? 0) + (b?.requests ?? 0))];
        }),
      ),
    );
  }

  out.push(`### The database alone (pgbench)`);
  if ('skipped' in m.db) {
    out.push(`Skipped: ${m.db.skipped}.`);
  } else {
    const db = m.db;
    out.push(`${db.version}. Scripts:`);
    out.push(['```sql', `-- lookup.sql`, db.scripts.lookup!.trim(), ``, `-- search.sql (bench.kana_prefixes holds ${kanaPrefixes().length} kana prefixes with their upper bounds)`, db.scripts.search!.trim(), '```'].join('\n'));
    const pgSearch1 = db.runs.find((x) => x.name === 'search' && x.clients === 1);
    out.push(
      table(
        ['Script', 'Clients', 'TPS', 'p50 (ms)', 'p99 (ms)', 'Failed', 'HTTP search p50 ÷ this p50'],
        db.runs.map((x) => {
          const http = x.clients === 1 ? searchSerial : searchLoaded;
          return [x.name, n0(x.clients), n0(x.tps), ms(x.p50Ms, 3), ms(x.p99Ms, 3), n0(x.failed), http ? ratio(http.p50Ms, x.p50Ms, 1) : 'n/a'];
        }),
      ),
    );
    if (pgSearch1 && searchSerial && me1) {
      out.push(
        `At one connection the search statement with its transaction takes ${ms(pgSearch1.p50Ms, 2)} ms (p50) in pgbench, against ${ms(searchSerial.p50Ms, 2)} ms for a search over HTTP ` +
          `and ${ms(me1.p50Ms, 2)} ms for the baseline request, which every authenticated request pays (tenant lookup, transaction, session and staff row).`,
      );
    }
  }

  out.push(`### Search plans`);
  const filtered = m.searchPlans.filter((p) => filteredPlan(p.plan));
  if (filtered.length) {
    out.push(
      `The statement \`membersRepo.search\` sends, run with \`EXPLAIN (ANALYZE)\` as the app role under RLS for one tenant, one text per kind. ` +
        `For ${filtered.map((p) => `${p.kind} (\`q=${p.q}\`, ${n0(filteredPlan(p.plan)!.removed)} rows read and discarded)`).join(' and ')} the prefix conditions are a **filter** over the tenant's member rows, not an index condition: a digits-only text adds the condition \`(member_number)::text ~>=~ …\`, and the cast calls \`int4out\`, which is not leakproof, so under row-level security the planner may not use the whole OR condition inside an index scan ` +
        `(the index \`members_member_number_text_idx\` is never used; without RLS, as the superuser, the same statement uses it and \`members_phone_idx\` in a BitmapOr). ` +
        `Names, kana and e-mail use their indexes.`,
    );
  } else {
    out.push(`The statement \`membersRepo.search\` sends, run with \`EXPLAIN (ANALYZE)\` as the app role under RLS for one tenant, one text per kind; every kind uses its prefix indexes.`);
  }
  out.push(
    ['<details><summary>Plans</summary>', '', ...m.searchPlans.flatMap((p) => [`${p.kind}, \`q=${p.q}\` (${p.rows} rows):`, '', '```', p.plan, '```', '']), '</details>'].join('\n'),
  );

  // Tenant tables only: the catalog (platform.*) is read once by the server at start.
  const scanned = m.httpScans.filter((t) => t.seqScan > 0 && t.table.startsWith('app.'));
  out.push(`### Sequential scans`);
  out.push(
    `Table statistics were reset before the HTTP runs and read after the server stopped; ` +
      (scanned.length === 0
        ? `no tenant table (\`app.*\`) was read by a sequential scan during them (${n0(m.httpScans.filter((t) => t.table.startsWith('app.')).reduce((a, t) => a + t.idxScan, 0))} index scans of tenant tables).`
        : `tenant tables read by sequential scans during them:`),
  );
  if (scanned.length) {
    out.push(table(['Table', 'Rows (estimate)', 'Seq scans', 'Rows read by seq scans', 'Index scans'], scanned.map((t) => [t.table, n0(t.liveRows), n0(t.seqScan), n0(t.seqTupRead), n0(t.idxScan)])));
  }
  const statusScanned = m.status.scans.filter((t) => t.seqScan > 0 && t.table.startsWith('app.'));
  out.push(
    statusScanned.length === 0
      ? `During the month-end run (statistics reset before it): no sequential scan of a tenant table either.`
      : `During the month-end run: ${statusScanned.map((t) => `${t.table} ${n0(t.seqScan)} seq scans (${n0(t.seqTupRead)} rows)`).join(', ')}.`,
  );

  const st = m.status;
  out.push(`### Month end: ${n0(st.changes)} scheduled status changes`);
  out.push(
    table(
      ['Path', 'Changes', 'Time', 'Changes/s'],
      [
        [st.real.label, n0(st.real.rows), `${fmt(st.real.seconds, 2)} s`, n0(st.real.rowsPerS)],
        [st.update.label, n0(st.update.rows), `${fmt(st.update.seconds, 2)} s`, n0(st.update.rowsPerS)],
        ['**Real ÷ UPDATE**', '', `**${ratio(st.real.seconds, st.update.seconds, 1)}**`, `${ratio(st.real.rowsPerS, st.update.rowsPerS)}`],
      ],
    ),
  );
  out.push(
    `Per change the real path also locks the member and the change row, writes a history event (whose trigger rewrites the member row), marks the change applied, and for a cancellation reads the member's credit lots, writes an expiry row for each lot with credits left and marks the contract ended; the UPDATE only rewrites the member row.`,
  );
  out.push(`After the real path (${n0(st.cancellations)} cancellations, ${n0(st.leaves)} leaves; scheduling them took ${fmt(st.seedSeconds, 1)} s):`);
  out.push(table(['Check', 'Count'], Object.entries(st.checks).map(([k, v]) => [k, n0(v)])));
  return out.join('\n\n');
}
