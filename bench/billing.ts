/**
 * Billing run (issue 5): the monthly run over N tenants × M contracts with the test gateway, timed against a
 * plain COPY of as many invoice rows into the same table.
 *
 * 1. Setup (not timed): tenants through `runtime.tenants.create`; per tenant one monthly plan, M members with a
 *    monthly contract starting on the 1st of next month and a saved test card, written by bulk SQL as the
 *    superuser; VACUUM ANALYZE.
 * 2. Calibration: the same run over a few extra tenants at each concurrency asked for (tenants billed at a
 *    time); the fastest is used for the run.
 * 3. Baseline: `psql \copy` of N × M invoice rows (the rows the run ends with) into `app.invoices`, then the
 *    billing tables are emptied again (TRUNCATE), so that the run starts from the state the COPY started from.
 * 4. The run: `runBilling` for every tenant in a process of its own (bench/billing-worker.ts: a Runtime as the
 *    CLI opens it and nothing else), its RSS sampled from /proc; then every invoice, charge and ledger entry is
 *    checked as the superuser.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { taxSummary } from '../src/modules/contracts/charges.js';
import type { WorkerJob, WorkerResult } from './billing-worker.js';
import { startBenchCluster, withAdmin, type BenchCluster } from './cluster.js';
import { createPooledTenants, type DensitySettings } from './density.js';
import { REPO_ROOT, WORK_DIR, fmt, log, mb, processTree, ratio, spawnManaged, startMemorySampler, table, type SampledMemory, unmeasuredSection } from './lib.js';

export interface BillingBenchSettings {
  tenants: number;
  contractsPerTenant: number;
  /** Tenants billed at a time; with more than one value, each is tried on `calibrationTenants` extra tenants first. */
  concurrencies: number[];
  calibrationTenants: number;
  /** Billing accounts per invoicing transaction (runBilling's batchSize; 500 is its default). */
  batchSize: number;
  /** The day the run runs as (`billing-run --date`): the billing day, so it bills the next month. */
  today: string;
  /** The contracts' first day, the month billed. */
  startDate: string;
  /** The plan's monthly price, tax included (standard rate), with no enrollment fee: one line per invoice. */
  price: number;
}

export interface BillingPorts {
  pg: number;
}

export interface SeedStep {
  step: string;
  rows: number;
  seconds: number;
}

export interface CalibrationRun {
  concurrency: number;
  tenants: number;
  invoices: number;
  seconds: number;
  invoicesPerS: number;
}

export interface StatementRow {
  query: string;
  phase: Phase;
  callsPerInvoice: number;
  meanMs: number;
  /** Rows returned or written per call, and PostgreSQL time (plan + exec) per row, µs. */
  rowsPerCall: number;
  usPerRow: number;
  sharePct: number;
}

export type Phase = 'invoicing' | 'gateway' | 'recording' | 'transaction control' | 'other';

export interface PhaseRow {
  phase: Phase;
  /** pg_stat_statements (server side): executions and execution + planning time, per invoice. */
  callsPerInvoice: number;
  dbMsPerInvoice: number;
  /** The worker's own timing (client side, from sending a statement to its answer), per invoice. */
  clientMsPerInvoice: number;
}

export interface BillingResult {
  settings: BillingBenchSettings;
  loadAverage: { start: number[]; end: number[] };
  date: string;
  /** Cores of the machine it ran on. */
  cores: number;
  period: string;
  tenantSeconds: number;
  seed: { steps: SeedStep[]; seconds: number; vacuumSeconds: number; rows: number };
  calibration: CalibrationRun[];
  concurrency: number;
  copy: { rows: number; seconds: number; rowsPerS: number; fileMiB: number; psql: string; cpuMsPerRow: { pg: number; psql: number } } | { skipped: string };
  run: {
    worker: WorkerResult;
    invoices: number;
    seconds: number;
    invoicesPerS: number;
    /** The worker process from spawn to exit (tsx start-up and Runtime opening included). */
    processSeconds: number;
    memory: SampledMemory;
    cpuMsPerInvoice: { app: number; pg: number };
    transactionsPerInvoice: number;
    walMiB: number;
    checkpoints: number;
    pgSettings: Record<string, string>;
  };
  profile: { statementsPerInvoice: number; rowsWrittenPerInvoice: number; planMsPerInvoice: number; execMsPerInvoice: number; phases: PhaseRow[]; top: StatementRow[] };
  checks: Array<{ check: string; value: number; expected: number }>;
  tableSizes: Array<{ table: string; rows: number; mib: number }>;
  totalSeconds: number;
}

export type BillingOutcome = BillingResult | { skipped: string };

const PSQL = process.env.PSQL ?? '/usr/bin/psql';
const ZONE = 'Asia/Tokyo';
const PLAN = { name: 'スタンダード（月4回）', creditsPerGrant: 4 } as const;
const TEST_CARD = 'tok_test_4242424242424242';
const ISSUER = { address: '東京都渋谷区神南1-2-3', registration: 'T1234567890123' } as const;

const FAMILY = [
  ['佐藤', 'サトウ'], ['鈴木', 'スズキ'], ['高橋', 'タカハシ'], ['田中', 'タナカ'], ['伊藤', 'イトウ'],
  ['渡辺', 'ワタナベ'], ['山本', 'ヤマモト'], ['中村', 'ナカムラ'], ['小林', 'コバヤシ'], ['加藤', 'カトウ'],
] as const;
const GIVEN = [
  ['美咲', 'ミサキ'], ['陽菜', 'ヒナ'], ['結衣', 'ユイ'], ['さくら', 'サクラ'], ['葵', 'アオイ'],
  ['翔太', 'ショウタ'], ['大輝', 'ダイキ'], ['健太', 'ケンタ'], ['拓也', 'タクヤ'], ['蓮', 'レン'],
] as const;

/** The tables the run writes or reads, for VACUUM ANALYZE, sizes and the TRUNCATE after the COPY. */
const SEEDED_TABLES = ['app.plans', 'app.plan_versions', 'app.members', 'app.counters', 'app.contracts', 'app.contract_plans', 'app.payment_methods', 'app.tenant_settings'];
const BILLING_TABLES = ['app.invoices', 'app.invoice_lines', 'app.billing_ledger', 'app.payment_attempts', 'app.test_gateway_operations', 'app.billing_runs'];

const sqlText = (s: string) => `'${s.replaceAll("'", "''")}'`;
const sqlArray = (items: readonly string[]) => `array[${items.map(sqlText).join(', ')}]`;

/* ------------------------------------------------------------------------------------------------------------
 * Setup
 * ---------------------------------------------------------------------------------------------------------- */

async function seed(cluster: BenchCluster, groups: Array<{ group: string; ids: string[]; owners: string[]; names: string[] }>, s: BillingBenchSettings) {
  return withAdmin(cluster.adminUrl, async (client) => {
    await client.query(`create schema bench`);
    await client.query(`create table bench.b_tenants (n integer primary key, id uuid not null unique, owner_id uuid not null, name text not null,
                          grp text not null, plan_id uuid not null default gen_random_uuid())`);
    const all = groups.flatMap((g) => g.ids.map((id, i) => ({ id, owner: g.owners[i]!, name: g.names[i]!, grp: g.group })));
    await client.query(`insert into bench.b_tenants (n, id, owner_id, name, grp) select * from unnest($1::int[], $2::uuid[], $3::uuid[], $4::text[], $5::text[])`, [
      all.map((_, i) => i + 1),
      all.map((t) => t.id),
      all.map((t) => t.owner),
      all.map((t) => t.name),
      all.map((t) => t.grp),
    ]);
    // Row triggers (none fire on these inserts but the foreign keys' own) and foreign-key checks are off for the
    // bulk load, as in the membership section; every row points at rows that exist.
    await client.query(`set session_replication_role = replica`);
    const steps: SeedStep[] = [];
    const t0 = performance.now();
    const timed = async (step: string, text: string, params: unknown[] = []) => {
      const p0 = performance.now();
      const result = await client.query(text, params);
      steps.push({ step, rows: result.rowCount ?? 0, seconds: (performance.now() - p0) / 1000 });
      log(`billing seed: ${step}: ${result.rowCount} rows in ${((performance.now() - p0) / 1000).toFixed(1)} s`);
    };
    const planCreated = `timestamptz '2025-04-01 11:00 ${ZONE}'`;
    await timed(
      'billing settings',
      `insert into app.tenant_settings (tenant_id, invoice_registration_number, invoice_issuer_name, invoice_issuer_address)
       select id, $1, name, $2 from bench.b_tenants`,
      [ISSUER.registration, ISSUER.address],
    );
    await timed(
      'plans',
      `insert into app.plans (tenant_id, id, kind, name, description, current_version, created_at, updated_at)
       select id, plan_id, 'monthly', $1, '', 1, ${planCreated}, ${planCreated} from bench.b_tenants`,
      [PLAN.name],
    );
    await timed(
      'plan versions',
      `insert into app.plan_versions (tenant_id, plan_id, version, price, price_includes_tax, tax_category, enrollment_fee, leave_fee,
                                      credit_grant, credits_per_grant, all_lesson_types, all_locations, created_at, created_by)
       select id, plan_id, 1, $1::bigint, true, 'standard_10', 0, 1100, 'monthly', $2::int, true, true, ${planCreated}, owner_id from bench.b_tenants`,
      [s.price, PLAN.creditsPerGrant],
    );
    // Members who joined in the last six weeks, each with a contract from the 1st of the month billed (sold
    // before the cut-off), provisional until then.
    await timed(
      'members',
      `insert into app.members (tenant_id, id, member_number, family_name, given_name, family_name_kana, given_name_kana, email, phone,
                                birth_date, gender, terms_version, terms_accepted_at, status, status_since, created_at, updated_at)
       select t.id, gen_random_uuid(), g,
              (${sqlArray(FAMILY.map((f) => f[0]))})[1 + (g * 7 + t.n) % ${FAMILY.length}],
              (${sqlArray(GIVEN.map((f) => f[0]))})[1 + (g * 3 + t.n * 5) % ${GIVEN.length}],
              (${sqlArray(FAMILY.map((f) => f[1]))})[1 + (g * 7 + t.n) % ${FAMILY.length}],
              (${sqlArray(GIVEN.map((f) => f[1]))})[1 + (g * 3 + t.n * 5) % ${GIVEN.length}],
              'member' || g || '@studio-' || t.n || '.example.jp',
              '090' || lpad(((g * 7919 + t.n * 104729) % 100000000)::text, 8, '0'),
              date '1960-01-01' + ((g * 31 + t.n) % 16000),
              case when g % 3 = 0 then 'male' else 'female' end,
              '2025-04', x.at, 'provisional', (x.at at time zone '${ZONE}')::date, x.at, x.at
         from bench.b_tenants t cross join generate_series(1, $1::int) as g
         cross join lateral (select timestamptz '2026-10-01 10:00 ${ZONE}' + make_interval(mins => (g * 7919 + t.n * 104729) % 57600) as at) x`,
      [s.contractsPerTenant],
    );
    await timed('member-number counters', `insert into app.counters (tenant_id, name, value) select id, 'member_number', $1::int from bench.b_tenants`, [s.contractsPerTenant]);
    await timed(
      'contracts (monthly)',
      `insert into app.contracts (tenant_id, id, member_id, kind, start_date, created_at, created_by)
       select m.tenant_id, gen_random_uuid(), m.id, 'monthly', $1::date, m.created_at + interval '2 minutes', t.owner_id
         from app.members m join bench.b_tenants t on t.id = m.tenant_id`,
      [s.startDate],
    );
    await timed(
      'contract plans',
      `insert into app.contract_plans (tenant_id, contract_id, effective_from, plan_id, plan_version, requested_at)
       select c.tenant_id, c.id, c.start_date, t.plan_id, 1, c.created_at from app.contracts c join bench.b_tenants t on t.id = c.tenant_id`,
    );
    await timed(
      'saved test cards',
      `insert into app.payment_methods (tenant_id, id, member_id, gateway, token, brand, last4, exp_month, exp_year, created_at)
       select m.tenant_id, gen_random_uuid(), m.id, 'test', $1, 'visa', '4242', 12, 2034, m.created_at + interval '3 minutes' from app.members m`,
      [TEST_CARD],
    );
    await client.query(`reset session_replication_role`);
    const seconds = (performance.now() - t0) / 1000;
    const v0 = performance.now();
    for (const t of [...SEEDED_TABLES, ...BILLING_TABLES]) await client.query(`vacuum analyze ${t}`);
    const vacuumSeconds = (performance.now() - v0) / 1000;
    log(`billing seed: ${steps.reduce((a, x) => a + x.rows, 0)} rows in ${seconds.toFixed(1)} s; VACUUM ANALYZE ${vacuumSeconds.toFixed(1)} s`);
    return { steps, seconds, vacuumSeconds, rows: steps.reduce((a, x) => a + x.rows, 0) };
  });
}

/* ------------------------------------------------------------------------------------------------------------
 * Measurements
 * ---------------------------------------------------------------------------------------------------------- */

/**
 * CPU time (user + system, ms) used so far by the trees of the given roots, including children that have exited
 * and been reaped (cutime, cstime): the backends of the run's connections end with it. 100 ticks a second.
 */
function cpuMs(roots: number[]): number {
  let ticks = 0;
  for (const root of roots) {
    for (const pid of processTree(root)) {
      try {
        const statText = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const fields = statText.slice(statText.lastIndexOf(')') + 2).split(' ');
        ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
      } catch {
        // gone
      }
    }
  }
  return ticks * 10;
}

const one = async (adminUrl: string, text: string, params: unknown[] = []) =>
  withAdmin(adminUrl, async (c) => Number((await c.query<{ n: string }>(text, params)).rows[0]!.n));

/** Runs the worker over the tenants of one group; memory of the worker and of PostgreSQL sampled meanwhile. */
/** CPU time of this process's children that have exited (psql, run by spawnSync), ms. */
function childrenCpuMs(): number {
  const statText = readFileSync('/proc/self/stat', 'utf8');
  const fields = statText.slice(statText.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) * 10;
}

async function runWorker(cluster: BenchCluster, d: DensitySettings, ids: string[], opts: { name: string; concurrency: number; batchSize: number; today: string; profile: boolean }) {
  const dir = path.join(WORK_DIR, 'billing-run');
  await mkdir(dir, { recursive: true });
  const idsFile = path.join(dir, `${opts.name}-tenants.json`);
  const jobFile = path.join(dir, `${opts.name}-job.json`);
  const resultFile = path.join(dir, `${opts.name}-result.json`);
  await writeFile(idsFile, JSON.stringify(ids));
  const job: WorkerJob = {
    env: {
      DATABASE_URL: cluster.adminUrl,
      APP_DATABASE_PASSWORD: d.appPassword,
      PLATFORM_DATABASE_PASSWORD: d.platformPassword,
      PLATFORM_ADMIN_TOKEN: d.adminToken,
      BASE_DOMAIN: d.baseDomain,
      LOG_LEVEL: 'warn',
      RUN_WORKER: 'false',
      SEED_DEMO: 'false',
      DATA_DIR: path.join(WORK_DIR, 'app-data'),
    },
    tenantIdsFile: idsFile,
    concurrency: opts.concurrency,
    batchSize: opts.batchSize,
    today: opts.today,
    profile: opts.profile,
    resultFile,
  };
  // The job holds the app's database passwords: readable by this user only, removed afterwards.
  await writeFile(jobFile, JSON.stringify(job), { mode: 0o600 });
  const p0 = performance.now();
  const child = spawnManaged(`billing worker ${opts.name}`, process.execPath, ['--import', 'tsx', path.join('bench', 'billing-worker.ts'), jobFile], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
  });
  const sampler = startMemorySampler(() => ({ app: [child.pid], pg: [cluster.postmasterPid()] }), 200);
  const code = await child.exited;
  const memory = sampler.stop();
  const processSeconds = (performance.now() - p0) / 1000;
  await rm(jobFile, { force: true });
  if (code !== 0) throw new Error(`billing worker ${opts.name} exited with ${code}:\n${child.tail()}`);
  const result = JSON.parse(await readFile(resultFile, 'utf8')) as WorkerResult;
  return { result, memory, processSeconds };
}

function phaseOf(query: string): Phase {
  const q = query.replace(/\s+/g, ' ').toLowerCase();
  if (/^(begin|commit|rollback)\b|set_config\(|pg_try_advisory_lock|pg_advisory_unlock/.test(q)) return 'transaction control';
  if (q.includes('test_gateway_operations')) return 'gateway';
  // Reconciliation of pending charges, dunning retries, stale refunds, settings: looked up, nothing to do here.
  if (/from "app"\."payment_attempts" as "a" inner join|from "app"\."invoices" as "i" left join|"app"\."refunds"|tenant_settings/.test(q)) return 'other';
  if (
    /update app\.payment_attempts a set status = v\.status/.test(q) ||
    /from "app"\."invoices" where "id" in .* for update/.test(q) ||
    /update app\.invoices i set status = (\$\d+|'paid')/.test(q) ||
    (q.startsWith('insert into "app"."billing_ledger"') && !q.includes('on conflict'))
  ) {
    return 'recording';
  }
  if (/billing_runs|app\.invoices|app\.invoice_lines|billing_ledger|payment_attempts|payment_methods|app\.contracts|contract_plans|contract_leaves|contract_options|reservation_penalties|app\.members|app\.counters/.test(q.replaceAll('"', ''))) {
    return 'invoicing';
  }
  return 'other';
}

async function statementProfile(adminUrl: string, invoices: number, client: WorkerResult['statements']): Promise<BillingResult['profile']> {
  return withAdmin(adminUrl, async (c) => {
    const rows = (
      await c.query<{ query: string; calls: string; rows: string; total: number; mean: number; plan: number }>(
        `select query, calls, rows, total_exec_time as total, mean_exec_time as mean, total_plan_time as plan from pg_stat_statements
          where userid = 'studiohive_app'::regrole and dbid = (select oid from pg_database where datname = current_database())
          order by total_exec_time + total_plan_time desc`,
      )
    ).rows;
    const total = rows.reduce((a, r) => a + r.total + r.plan, 0);
    const phases = new Map<Phase, PhaseRow>();
    const row = (phase: Phase) => {
      let p = phases.get(phase);
      if (!p) phases.set(phase, (p = { phase, callsPerInvoice: 0, dbMsPerInvoice: 0, clientMsPerInvoice: 0 }));
      return p;
    };
    for (const r of rows) {
      const p = row(phaseOf(r.query));
      p.callsPerInvoice += Number(r.calls) / invoices;
      p.dbMsPerInvoice += (r.total + r.plan) / invoices;
    }
    for (const s of client ?? []) row(phaseOf(s.statement)).clientMsPerInvoice += s.totalMs / invoices;
    const order: Phase[] = ['invoicing', 'gateway', 'recording', 'transaction control', 'other'];
    const writes = rows.filter((r) => /^\s*(insert|update|delete)\b/i.test(r.query));
    return {
      statementsPerInvoice: rows.reduce((a, r) => a + Number(r.calls), 0) / invoices,
      rowsWrittenPerInvoice: writes.reduce((a, r) => a + Number(r.rows), 0) / invoices,
      planMsPerInvoice: rows.reduce((a, r) => a + r.plan, 0) / invoices,
      execMsPerInvoice: rows.reduce((a, r) => a + r.total, 0) / invoices,
      phases: order.flatMap((p) => (phases.has(p) ? [phases.get(p)!] : [])),
      top: rows.slice(0, 20).map((r) => ({
        query: r.query.replace(/\s+/g, ' ').replace(/(\$\d+, )+\$\d+/g, '$…').slice(0, 200),
        phase: phaseOf(r.query),
        callsPerInvoice: Number(r.calls) / invoices,
        meanMs: r.mean,
        rowsPerCall: Number(r.rows) / Number(r.calls),
        usPerRow: Number(r.rows) > 0 ? (1000 * (r.total + r.plan)) / Number(r.rows) : Number.NaN,
        sharePct: (100 * (r.total + r.plan)) / total,
      })),
    };
  });
}

function psqlVersion(): string | null {
  const out = spawnSync(PSQL, ['--version'], { encoding: 'utf8' });
  return out.status === 0 ? out.stdout.trim() : null;
}

function psql(cluster: BenchCluster, password: string, command: string): { ms: number; out: string } {
  const t0 = performance.now();
  const out = spawnSync(PSQL, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-p', String(cluster.port), '-U', 'postgres', '-d', 'studiohive', '-c', command], {
    encoding: 'utf8',
    env: { ...process.env, PGPASSWORD: password },
    maxBuffer: 16 * 1024 * 1024,
  });
  const ms = performance.now() - t0;
  if (out.status !== 0) throw new Error(`psql ${command.slice(0, 200)} failed (${out.status}): ${out.stderr}`);
  return { ms, out: `${out.stdout}${out.stderr}` };
}

const INVOICE_COLUMNS = [
  'tenant_id', 'id', 'billing_member_id', 'period', 'status', 'total', 'due_on', 'created_at', 'number', 'currency', 'issued_on',
  'subtotal_excluding_tax', 'tax_total', 'tax_breakdown', 'recipient_name', 'issuer_name', 'issuer_address', 'registration_number',
  'amount_paid', 'paid_at', 'auto_charge', 'attempt_count',
];

/**
 * The rows the run ends with (paid invoices with their totals, tax per rate, recipient, issuer, number), one per
 * member of the run's tenants, written to a CSV file by `psql \copy … to`, then loaded by `psql \copy … from`
 * (timed). Tax from the app's own taxSummary.
 */
async function copyBaseline(cluster: BenchCluster, d: DensitySettings, s: BillingBenchSettings): Promise<BillingResult['copy']> {
  const version = psqlVersion();
  if (!version) return { skipped: `psql not found at ${PSQL} (Debian package postgresql-client)` };
  const totals = taxSummary([{ amount: s.price, taxCategory: 'standard_10', priceIncludesTax: true }], 'floor');
  const file = path.join(WORK_DIR, 'billing-run', 'invoices.csv');
  await mkdir(path.dirname(file), { recursive: true });
  const select = `select t.id, gen_random_uuid(), m.id, date '${s.startDate}', 'paid', ${totals.total}, date '${s.startDate}', now(), m.member_number, 'JPY',
                         date '${s.today}', ${totals.subtotalExcludingTax}, ${totals.tax}, ${sqlText(JSON.stringify(totals.byRate))}::jsonb,
                         m.family_name || ' ' || m.given_name, t.name, ${sqlText(ISSUER.address)}, ${sqlText(ISSUER.registration)},
                         ${totals.total}, now(), true, 1
                    from app.members m join bench.b_tenants t on t.id = m.tenant_id where t.grp = 'run' order by t.n, m.member_number`;
  const g = psql(cluster, d.pgPassword, `\\copy (${select.replace(/\s+/g, ' ')}) to '${file}' with (format csv)`);
  const fileMiB = (await stat(file)).size / 1024 ** 2;
  log(`billing: COPY file of ${fmt(fileMiB, 0)} MiB written in ${(g.ms / 1000).toFixed(1)} s`);
  await withAdmin(cluster.adminUrl, (c) => c.query('checkpoint'));
  const pg0 = cpuMs([cluster.postmasterPid()]);
  const own0 = childrenCpuMs();
  const { ms, out } = psql(cluster, d.pgPassword, `\\copy app.invoices (${INVOICE_COLUMNS.join(', ')}) from '${file}' with (format csv)`);
  const pgCpu = cpuMs([cluster.postmasterPid()]) - pg0;
  const psqlCpu = childrenCpuMs() - own0;
  const rows = await one(cluster.adminUrl, `select count(*) as n from app.invoices`);
  if (rows !== s.tenants * s.contractsPerTenant) throw new Error(`COPY: ${rows} rows in app.invoices, expected ${s.tenants * s.contractsPerTenant}`);
  log(`billing: COPY of ${rows} invoice rows in ${(ms / 1000).toFixed(1)} s (${(rows / (ms / 1000)).toFixed(0)} rows/s) ${out.trim()}`);
  await rm(file, { force: true });
  return { rows, seconds: ms / 1000, rowsPerS: rows / (ms / 1000), fileMiB, psql: version, cpuMsPerRow: { pg: pgCpu / rows, psql: psqlCpu / rows } };
}

/** Back to the state before any billing: the calibration's and the COPY's rows go. */
async function emptyBillingTables(cluster: BenchCluster) {
  await withAdmin(cluster.adminUrl, async (c) => {
    await c.query(`truncate ${BILLING_TABLES.join(', ')} cascade`);
    await c.query(`delete from app.counters where name in ('invoice', 'credit_note')`);
    for (const t of [...BILLING_TABLES, 'app.counters']) await c.query(`vacuum analyze ${t}`);
    await c.query('checkpoint');
  });
}

async function checks(adminUrl: string, s: BillingBenchSettings, expected: number): Promise<BillingResult['checks']> {
  const totals = taxSummary([{ amount: s.price, taxCategory: 'standard_10', priceIncludesTax: true }], 'floor');
  return withAdmin(adminUrl, async (c) => {
    const q = async (text: string) => Number((await c.query<{ n: string }>(text, text.includes('$1') ? [s.startDate] : [])).rows[0]!.n);
    const run = `(select id from bench.b_tenants where grp = 'run')`;
    const out: BillingResult['checks'] = [];
    const add = async (check: string, text: string, want: number) => out.push({ check, value: await q(text), expected: want });
    await add('Invoices for the month', `select count(*) as n from app.invoices where tenant_id in ${run} and period = $1`, expected);
    await add('… paid', `select count(*) as n from app.invoices where tenant_id in ${run} and period = $1 and status = 'paid' and amount_paid = total and paid_at is not null`, expected);
    await add(`… with the expected total (¥${totals.total}) and tax (¥${totals.tax})`, `select count(*) as n from app.invoices where tenant_id in ${run} and period = $1 and total = ${totals.total} and tax_total = ${totals.tax}`, expected);
    await add('Distinct invoice numbers per tenant (summed)', `select sum(n) as n from (select count(distinct number) as n from app.invoices where tenant_id in ${run} and period = $1 group by tenant_id) x`, expected);
    await add('Invoice lines', `select count(*) as n from app.invoice_lines where tenant_id in ${run} and period = $1`, expected);
    await add('Payment attempts succeeded', `select count(*) as n from app.payment_attempts where tenant_id in ${run} and status = 'succeeded'`, expected);
    await add('Payment attempts pending or failed', `select count(*) as n from app.payment_attempts where tenant_id in ${run} and status <> 'succeeded'`, 0);
    await add('Test gateway: succeeded charges', `select count(*) as n from app.test_gateway_operations where tenant_id in ${run} and kind = 'charge' and outcome = 'succeeded'`, expected);
    await add('Ledger: charge entries', `select count(*) as n from app.billing_ledger where tenant_id in ${run} and period = $1 and kind = 'charge'`, expected);
    await add('Ledger: payment entries', `select count(*) as n from app.billing_ledger where tenant_id in ${run} and period = $1 and kind = 'payment'`, expected);
    await add('Ledger: sum of all entries (nothing owed)', `select coalesce(sum(amount), 0) as n from app.billing_ledger where tenant_id in ${run} and period = $1`, 0);
    await add('Contracts billed through the month', `select count(*) as n from app.contracts where tenant_id in ${run} and billed_through = $1`, expected);
    await add('Billing runs finished', `select count(*) as n from app.billing_runs where tenant_id in ${run} and period = $1 and finished_at is not null`, s.tenants);
    return out;
  });
}

/** Commits of the database, WAL written and checkpoints made so far. */
const activity = (adminUrl: string) =>
  withAdmin(adminUrl, async (c) => {
    const r = (
      await c.query<{ commits: string; wal: string; checkpoints: string }>(
        `select (select xact_commit from pg_stat_database where datname = current_database()) as commits,
                pg_current_wal_lsn() - '0/0'::pg_lsn as wal,
                (select num_timed + num_requested from pg_stat_checkpointer) as checkpoints`,
      )
    ).rows[0]!;
    return { commits: Number(r.commits), wal: Number(r.wal), checkpoints: Number(r.checkpoints) };
  });

async function tableSizes(adminUrl: string): Promise<BillingResult['tableSizes']> {
  return withAdmin(adminUrl, async (c) => {
    const out: BillingResult['tableSizes'] = [];
    for (const t of BILLING_TABLES) {
      const r = (await c.query<{ n: string; bytes: string }>(`select (select count(*) from ${t}) as n, pg_total_relation_size('${t}') as bytes`)).rows[0]!;
      out.push({ table: t, rows: Number(r.n), mib: Number(r.bytes) / 1024 ** 2 });
    }
    return out;
  });
}

/* ------------------------------------------------------------------------------------------------------------ */

export async function runBillingBench(ports: BillingPorts, s: BillingBenchSettings, d: DensitySettings): Promise<BillingOutcome> {
  const t0 = performance.now();
  const loadAtStart = os.loadavg();
  const calibrate = s.concurrencies.length > 1;
  const groups = [{ group: 'run', size: s.tenants }, ...(calibrate ? s.concurrencies.map((c) => ({ group: `c${c}`, size: s.calibrationTenants })) : [])];
  const total = groups.reduce((a, g) => a + g.size, 0);
  const cluster = await startBenchCluster('billing', ports.pg, d.pgPassword, ['-c', 'shared_preload_libraries=pg_stat_statements', '-c', 'pg_stat_statements.track=top', '-c', 'pg_stat_statements.track_planning=on']);
  try {
    const { creds, creation } = await createPooledTenants(cluster, { ...d, tenants: total, passwordSample: 0 });
    await withAdmin(cluster.adminUrl, (c) => c.query(`create extension if not exists pg_stat_statements`));
    const names = new Map(
      (await withAdmin(cluster.adminUrl, (c) => c.query<{ id: string; display_name: string }>(`select id, display_name from platform.tenants`))).rows.map((r) => [r.id, r.display_name]),
    );
    let offset = 0;
    const byGroup = groups.map((g) => {
      const slice = creds.slice(offset, offset + g.size);
      offset += g.size;
      return { group: g.group, ids: slice.map((c) => c.id), owners: slice.map((c) => c.ownerId), names: slice.map((c) => names.get(c.id) ?? c.slug) };
    });
    const seeded = await seed(cluster, byGroup, s);

    // Calibration: the same run on other tenants at each concurrency; the fastest is used.
    const calibration: CalibrationRun[] = [];
    if (calibrate) {
      for (const c of s.concurrencies) {
        const ids = byGroup.find((g) => g.group === `c${c}`)!.ids;
        const { result } = await runWorker(cluster, d, ids, { name: `calibrate-${c}`, concurrency: c, batchSize: s.batchSize, today: s.today, profile: false });
        const run = { concurrency: c, tenants: ids.length, invoices: result.invoicesCreated, seconds: result.runSeconds, invoicesPerS: result.invoicesCreated / result.runSeconds };
        calibration.push(run);
        log(`billing calibration: ${c} tenant(s) at a time: ${run.invoices} invoices in ${run.seconds.toFixed(1)} s = ${run.invoicesPerS.toFixed(0)}/s`);
      }
    }
    const concurrency = calibrate ? calibration.reduce((best, r) => (r.invoicesPerS > best.invoicesPerS ? r : best)).concurrency : s.concurrencies[0]!;

    // The COPY and the run both start from empty billing tables (the calibration's rows go first).
    await emptyBillingTables(cluster);
    const copy = await copyBaseline(cluster, d, s);
    await emptyBillingTables(cluster);

    // The run.
    const runIds = byGroup[0]!.ids;
    const expected = s.tenants * s.contractsPerTenant;
    await withAdmin(cluster.adminUrl, (c) => c.query(`select pg_stat_statements_reset()`));
    const before = await activity(cluster.adminUrl);
    const pgSettings = await withAdmin(cluster.adminUrl, async (c) => {
      const out: Record<string, string> = {};
      for (const name of ['shared_buffers', 'max_wal_size', 'synchronous_commit']) out[name] = (await c.query<{ v: string }>(`select current_setting($1) as v`, [name])).rows[0]!.v;
      return out;
    });
    const pgCpu0 = cpuMs([cluster.postmasterPid()]);
    log(`billing: the run, ${runIds.length} tenants × ${s.contractsPerTenant} contracts, ${concurrency} tenant(s) at a time, batches of ${s.batchSize}`);
    const { result: worker, memory, processSeconds } = await runWorker(cluster, d, runIds, { name: 'run', concurrency, batchSize: s.batchSize, today: s.today, profile: true });
    const pgCpu = cpuMs([cluster.postmasterPid()]) - pgCpu0;
    const after = await activity(cluster.adminUrl);
    const invoices = worker.invoicesCreated;
    const run: BillingResult['run'] = {
      worker,
      invoices,
      seconds: worker.runSeconds,
      invoicesPerS: invoices / worker.runSeconds,
      processSeconds,
      memory,
      cpuMsPerInvoice: { app: (worker.cpu.userMs + worker.cpu.systemMs) / invoices, pg: pgCpu / invoices },
      transactionsPerInvoice: (after.commits - before.commits) / invoices,
      walMiB: (after.wal - before.wal) / 1024 ** 2,
      checkpoints: after.checkpoints - before.checkpoints,
      pgSettings,
    };
    log(
      `billing: ${invoices} invoices in ${run.seconds.toFixed(1)} s = ${run.invoicesPerS.toFixed(0)}/s; worker peak RSS ${fmt(mb(memory.appPeakRssKb), 0)} MiB ` +
        `(process ${processSeconds.toFixed(1)} s); CPU per invoice: app ${run.cpuMsPerInvoice.app.toFixed(3)} ms, PostgreSQL ${run.cpuMsPerInvoice.pg.toFixed(3)} ms; ` +
        `${run.transactionsPerInvoice.toFixed(3)} commits per invoice, ${fmt(run.walMiB, 0)} MiB WAL, ${run.checkpoints} checkpoints`,
    );
    const profile = await statementProfile(cluster.adminUrl, invoices, worker.statements);
    log(`billing: ${profile.statementsPerInvoice.toFixed(3)} statements per invoice; ${profile.phases.map((p) => `${p.phase} ${p.dbMsPerInvoice.toFixed(3)} ms db / ${p.clientMsPerInvoice.toFixed(3)} ms client`).join(', ')}`);
    const checked = await checks(cluster.adminUrl, s, expected);
    const failed = checked.filter((c) => c.value !== c.expected);
    for (const c of checked) log(`billing check: ${c.check}: ${c.value}${c.value === c.expected ? '' : ` (expected ${c.expected})`}`);
    if (failed.length || invoices !== expected || worker.charged.succeeded !== expected) {
      throw new Error(`BILLING CHECK FAILED: ${JSON.stringify({ invoices, charged: worker.charged, failed })}`);
    }
    const sizes = await tableSizes(cluster.adminUrl);
    return {
      settings: s,
      loadAverage: { start: loadAtStart, end: os.loadavg() },
      date: new Date().toISOString(),
      cores: os.cpus().length,
      period: s.startDate.slice(0, 7),
      tenantSeconds: creation.totalSeconds + creation.sessionsSeconds,
      seed: seeded,
      calibration,
      concurrency,
      copy,
      run,
      profile,
      checks: checked,
      tableSizes: sizes,
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
const PHASE_LABEL: Record<Phase, string> = {
  invoicing: 'invoicing (the batch transaction, run start and end)',
  gateway: 'gateway (`chargeMany`, its own transaction)',
  recording: 'recording the outcomes',
  'transaction control': 'transaction control',
  other: 'other (settings, catalog, pending charges, retries, refunds)',
};
const mib = (kb: number) => `${fmt(mb(kb), 0)} MiB`;

export function billingHeadline(r: BillingOutcome | undefined): string[] {
  if (!r) return [];
  if ('skipped' in r) return [`- Billing run: skipped (${r.skipped}).`];
  const s = r.settings;
  const copy = 'skipped' in r.copy ? null : r.copy;
  const skipped = 'skipped' in r.copy ? r.copy.skipped : '';
  const floor = ((r.run.cpuMsPerInvoice.app + r.run.cpuMsPerInvoice.pg) * r.run.invoices) / 1000 / r.cores;
  return [
    `- Billing run: ${n0(s.tenants)} tenants × ${n0(s.contractsPerTenant)} contracts → **${n0(r.run.invoices)} invoices** issued, charged through the test gateway and paid in **${ms(r.run.seconds, 1)} s** ` +
      `(**${n0(r.run.invoicesPerS)} invoices/s**, ${r.concurrency} tenant(s) at a time, batches of ${s.batchSize}); peak RSS of the process running it **${mib(r.run.memory.appPeakRssKb)}**. ` +
      (copy
        ? `A plain \`COPY\` of as many invoice rows into \`app.invoices\`: ${ms(copy.seconds, 1)} s (${n0(copy.rowsPerS)} rows/s); the run is **${ratio(r.run.invoicesPerS, copy.rowsPerS)}** its rate.`
        : `COPY baseline skipped (${skipped}).`),
    `- Billing run, CPU: ${ms((r.run.cpuMsPerInvoice.app + r.run.cpuMsPerInvoice.pg) * 1000, 0)} µs per invoice (billing process ${ms(r.run.cpuMsPerInvoice.app * 1000, 0)}, PostgreSQL ${ms(r.run.cpuMsPerInvoice.pg * 1000, 0)}; ${fmt(r.profile.rowsWrittenPerInvoice, 1)} rows written per invoice), ` +
      `so ${n0(r.run.invoices)} invoices take at least **${n0(floor)} s** on ${r.cores} cores with nothing else running` +
      (floor > 120 ? `: the 2-minute aim is out of reach on this machine without writing fewer rows per invoice.` : '.'),
  ];
}

/** A line for the report's caveats (empty when the section did not run). */
export function billingCaveat(r: BillingOutcome | undefined): string {
  if (!r || 'skipped' in r) return '';
  return (
    `- The billing run's studios are alike and its members easy: one plan, one line per invoice, no families, no penalty fees, and cards that always succeed, so failed charges (dunning, which writes per invoice) are not exercised. ` +
    `It ran on its own cluster, finishing at ${r.date}, which may be later than the other sections (\`--only billing\`, then \`--render --merge billing\`).\n`
  );
}

export function renderBillingSection(r: BillingOutcome | undefined, n: number): string {
  const heading = `## ${n}. Billing run: the month's invoices and card charges`;
  if (!r || 'skipped' in r) return unmeasuredSection(heading, r);
  const out: string[] = [heading];
  const s = r.settings;
  const copy = 'skipped' in r.copy ? null : r.copy;
  const w = r.run.worker;
  const p = r.profile;
  const totals = taxSummary([{ amount: s.price, taxCategory: 'standard_10', priceIncludesTax: true }], 'floor');
  const calibrated = r.calibration.length > 0;
  out.push(`### Method

- **Data.** A bench cluster of its own (\`billing\`, the settings of section 1, plus \`shared_preload_libraries=pg_stat_statements\` for the statement profile) with ${n0(s.tenants + r.calibration.reduce((a, c) => a + c.tenants, 0))} tenants created through \`runtime.tenants.create\` (${fmt(r.tenantSeconds, 1)} s). Then, by bulk SQL as the superuser (\`insert … select\` over \`generate_series\`, foreign-key checks off as in section 3), per tenant: billing settings (issuer name, address and a qualified-invoice registration number), one monthly plan and its version 1 (${PLAN.name}, ¥${n0(s.price)} a month tax included at 10%, no enrollment fee, so each invoice has one line), and ${n0(s.contractsPerTenant)} members (provisional, joined in the last six weeks), each with a monthly contract from ${s.startDate} (its \`contract_plans\` row) and a saved test card (\`app.payment_methods\`: gateway \`test\`, token \`${TEST_CARD}\`, last4 4242, which always succeeds). \`VACUUM ANALYZE\` afterwards.
- **The run.** \`runBilling(billingDeps(runtime), tenantId, now, { today: '${s.today}', batchSize: ${s.batchSize} })\` (\`src/modules/billing/billing-run.ts\`, what \`studiohive billing-run --date ${s.today}\` and the hourly job call) for each of the ${n0(s.tenants)} tenants: ${s.today} is the default billing day, so it bills ${r.period}. Per batch of ${s.batchSize} billing accounts one transaction writes the invoices, their lines, the ledger's charge entries and the pending payment attempts and moves the contracts' \`billed_through\`; the test gateway's \`chargeMany\` records the charges in \`app.test_gateway_operations\` in a transaction of its own; one more transaction records the outcomes (attempts succeeded, invoices paid, the ledger's payment entries). The run also looks for pending charges to reconcile, due dunning retries and final actions (none here). It ran in a process of its own (\`node --import tsx bench/billing-worker.ts\`: a Runtime opened as the CLI opens it, \`DB_POOL_MAX=10\`, nothing else), ${r.concurrency} tenant(s) at a time` +
    (calibrated
      ? `, the fastest of ${s.concurrencies.join(', ')} in a calibration on ${n0(s.calibrationTenants)} other tenants each (below).`
      : '.') +
    ` The time is from the first tenant's start to the last one's end, the Runtime already open. Memory: VmRSS of that process from \`/proc\`, sampled every 200 ms. CPU: the process's own \`process.cpuUsage()\` over the run, PostgreSQL's from \`/proc\` (all its processes).
- **Baseline.** The rows the run ends with (paid invoices with the same total ¥${n0(totals.total)}, tax ¥${n0(totals.tax)} and \`tax_breakdown\`, numbers 1–${n0(s.contractsPerTenant)} per tenant, recipient, issuer, registration number; ${n0(r.run.invoices)} rows${copy ? `, ${fmt(copy.fileMiB, 0)} MiB of CSV` : ''}) written to a file beforehand, then loaded with \`psql \\copy app.invoices (…) from '<file>' with (format csv)\` as the superuser over TCP${copy ? ` (${copy.psql})` : ''}: the same table with its indexes, constraints and foreign key, empty as it is when the run starts. After it, the billing tables were emptied (\`TRUNCATE\`) and vacuumed, and a \`CHECKPOINT\` preceded both the COPY and the run. The ratio compares invoices/s of the run with rows/s of the COPY.
- **Checks.** After the run, as the superuser: every invoice, line, attempt, gateway operation, ledger entry and contract (table below); the bench fails if any count differs.
- **Profile.** \`pg_stat_statements\` (track = top, planning tracked) was reset before the run; statements of the app role only. The worker also timed every statement it sent, from sending to the answer (node-postgres' \`Client.query\` wrapped), so the client-side time includes the round trip and any wait for PostgreSQL. Statements are grouped into phases by what they touch: invoicing (the batch transaction, and the run's start and end rows), gateway (\`test_gateway_operations\`), recording (the outcomes' transaction), transaction control (\`begin\`, \`commit\`, \`set_config\`, the run's advisory lock), other (settings, the catalog, and the look-ups for pending charges, retries and refunds, which find nothing here).
- Load average (1/5/15 min) when this section started: ${r.loadAverage.start.map((x) => fmt(x, 2)).join(' / ')}; when it ended: ${r.loadAverage.end.map((x) => fmt(x, 2)).join(' / ')}. Measured on ${r.date}.`);

  out.push(`### Setup (not timed)`);
  out.push(
    table(
      ['Step', 'Rows', 'Time', 'Rows/s'],
      [
        ['Tenants (`runtime.tenants.create`, 4 at a time)', n0(s.tenants + r.calibration.reduce((a, c) => a + c.tenants, 0)), `${fmt(r.tenantSeconds, 1)} s`, ''],
        ...r.seed.steps.map((x) => [x.step, n0(x.rows), `${fmt(x.seconds, 1)} s`, x.seconds > 0 ? n0(x.rows / x.seconds) : '']),
        ['VACUUM ANALYZE', '', `${fmt(r.seed.vacuumSeconds, 1)} s`, ''],
      ],
    ),
  );

  if (calibrated) {
    out.push(`### Calibration: tenants at a time`);
    out.push(
      table(
        ['Tenants at a time', 'Tenants', 'Invoices', 'Time', 'Invoices/s'],
        r.calibration.map((c) => [c.concurrency === r.concurrency ? `**${c.concurrency}** (used)` : String(c.concurrency), n0(c.tenants), n0(c.invoices), `${fmt(c.seconds, 1)} s`, n0(c.invoicesPerS)]),
      ),
    );
  }

  out.push(`### The run against COPY`);
  out.push(
    table(
      ['', 'Rows', 'Time', 'Per second', 'Peak RSS'],
      [
        [`Billing run, ${n0(s.tenants)} tenants, ${r.concurrency} at a time`, `${n0(r.run.invoices)} invoices`, `**${fmt(r.run.seconds, 1)} s**`, `**${n0(r.run.invoicesPerS)} invoices/s**`, `**${mib(r.run.memory.appPeakRssKb)}** (PostgreSQL ${mib(r.run.memory.pgPeakRssKb)})`],
        copy ? ['`psql \\copy` into `app.invoices`', `${n0(copy.rows)} rows`, `${fmt(copy.seconds, 1)} s`, `${n0(copy.rowsPerS)} rows/s`, ''] : ['COPY', 'skipped', '', '', ''],
        ['**Run ÷ COPY**', '', copy ? ratio(r.run.seconds, copy.seconds, 1) + ' the time' : 'n/a', `**${copy ? ratio(r.run.invoicesPerS, copy.rowsPerS) : 'n/a'}**`, ''],
      ],
    ),
  );
  out.push(
    `The worker process took ${fmt(r.run.processSeconds, 1)} s from spawn to exit (tsx start-up included; opening the Runtime took ${fmt(w.openSeconds * 1000, 0)} ms, its pools open lazily); its V8 heap peaked at ${fmt(w.peak.heapUsed / 1024 ** 2, 0)} MiB. ` +
      `PostgreSQL's RSS is summed over all its processes, so shared buffers count once per process that touched them. ` +
      `One tenant's run took ${n0(w.tenantMs.p50)} ms at the median, ${n0(w.tenantMs.p90)} ms at p90, ${n0(w.tenantMs.max)} ms at most. ` +
      `PostgreSQL wrote ${fmt(r.run.walMiB, 0)} MiB of WAL (${fmt((r.run.walMiB * 1024) / r.run.invoices, 2)} KiB per invoice, full-page images of pages first changed after a checkpoint included) and made ${r.run.checkpoints} checkpoint(s) during the run (${Object.entries(r.run.pgSettings ?? {}).map(([k, v]) => `\`${k}=${v}\``).join(', ')}).`,
  );
  const cpu = r.run.cpuMsPerInvoice.app + r.run.cpuMsPerInvoice.pg;
  const cores = r.cores;
  const used = (cpu * r.run.invoicesPerS) / 1000;
  const floor = (cpu * r.run.invoices) / 1000 / cores;
  /** CPU (ms) per invoice that 120 s on all cores would allow. */
  const budget = (120 * cores * 1000) / r.run.invoices;
  out.push(`### CPU per invoice, and what 2 minutes would take`);
  out.push(
    table(
      ['CPU time (user + system)', 'Billing process', 'PostgreSQL (all processes)', 'Both'],
      [
        ['Per invoice, the run', `${ms(r.run.cpuMsPerInvoice.app * 1000, 0)} µs`, `${ms(r.run.cpuMsPerInvoice.pg * 1000, 0)} µs`, `**${ms(cpu * 1000, 0)} µs**`],
        ...(copy ? [[`Per row, the COPY`, `${ms(copy.cpuMsPerRow.psql * 1000, 1)} µs (psql)`, `${ms(copy.cpuMsPerRow.pg * 1000, 1)} µs`, `${ms((copy.cpuMsPerRow.psql + copy.cpuMsPerRow.pg) * 1000, 1)} µs`]] : []),
      ],
    ),
  );
  out.push(
    `During the run the billing process and PostgreSQL kept ${fmt(used, 2)} of the machine's ${cores} cores busy (CPU per invoice × invoices/s)` +
      (used >= 0.85 * cores
        ? `: the run is CPU-bound. `
        : `; the rest of the time went to waiting (commits, round trips) or to whatever else ran on the machine (see the load average). `) +
      `At ${ms(cpu * 1000, 0)} µs of CPU per invoice, ${n0(r.run.invoices)} invoices need ${n0((cpu * r.run.invoices) / 1000)} CPU-seconds: **${n0(floor)} s** with all ${cores} cores busy all the time and nothing else running. ` +
      (floor > 120
        ? `Under 120 s would take at most ${n0(budget * 1000)} µs per invoice, ${ratio(cpu, budget, 1)} less than now. `
        : `That leaves room for the 120 s target. `) +
      `PostgreSQL's share is the rows the run writes: ${fmt(p.rowsWrittenPerInvoice, 1)} rows inserted or updated per invoice (invoice, line, two ledger entries, attempt, gateway operation; then the contract, the attempt and the invoice updated), each with its indexes, foreign-key checks (which lock the referenced member, contract, card or invoice row) and row-level security` +
      (copy ? `, against ${ms(copy.cpuMsPerRow.pg * 1000, 1)} µs of PostgreSQL CPU per row for the COPY into \`app.invoices\`.` : '.'),
  );

  out.push(`### Where the time goes`);
  out.push(
    `Per invoice the app role ran **${fmt(p.statementsPerInvoice, 3)} statements** in **${fmt(r.run.transactionsPerInvoice, 4)} transactions** (commits; one insert or update covers a batch of up to ${s.batchSize} accounts), ` +
      `and PostgreSQL spent ${ms(p.planMsPerInvoice, 4)} ms planning and ${ms(p.execMsPerInvoice, 4)} ms executing them (wall time inside PostgreSQL: with ${r.concurrency} tenants at a time on ${cores} cores it includes waiting for a CPU). By phase:`,
  );
  out.push(
    table(
      ['Phase', 'Statements / invoice', 'PostgreSQL plan + exec (ms / invoice)', 'Client wait (ms / invoice)'],
      p.phases.map((x) => [PHASE_LABEL[x.phase], fmt(x.callsPerInvoice, 4), ms(x.dbMsPerInvoice, 4), ms(x.clientMsPerInvoice, 4)]),
    ),
  );
  out.push(`Statements by PostgreSQL time (execution + planning); rows are those returned or written:`);
  out.push(
    table(
      ['Statement', 'Phase', 'Calls / invoice', 'Mean (ms)', 'Rows / call', 'µs / row', 'Share'],
      p.top.map((x) => [`\`${x.query.replaceAll('|', '\\|')}\``, x.phase, fmt(x.callsPerInvoice, 4), ms(x.meanMs, 2), fmt(x.rowsPerCall, 0), ms(x.usPerRow, 1), `${fmt(x.sharePct, 1)}%`]),
    ),
  );

  out.push(`### Checks`);
  out.push(table(['Check (superuser, the run\'s tenants)', 'Value', 'Expected'], r.checks.map((c) => [c.check, n0(c.value), n0(c.expected)])));
  out.push(`Table sizes after the run (heap, indexes and TOAST):`);
  out.push(table(['Table', 'Rows', 'Size'], r.tableSizes.map((t) => [`\`${t.table}\``, n0(t.rows), `${fmt(t.mib, 0)} MiB`])));
  return out.join('\n\n');
}
