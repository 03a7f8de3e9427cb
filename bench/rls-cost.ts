/**
 * RLS cost: the same tenant-scoped list query (a tenant's 20 newest sign-in attempts) run with pgbench
 * (a) as the app role under RLS, tenant chosen with set_config('app.tenant_id', …, true) in a transaction, and
 * (b) as the superuser (RLS bypassed) with an explicit WHERE tenant_id = $1,
 * plus a `select 1` baseline. Per-transaction logs give the latency percentiles.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { withCredentials } from '../src/platform/db/databases.js';
import { withAdmin, type BenchCluster } from './cluster.js';
import { WORK_DIR, log, onCleanup, percentile, sortedCopy } from './lib.js';

export interface RlsSettings {
  rowsPerTenant: number;
  clients: number;
  threads: number;
  /** Each script runs `rounds` times for `roundS` seconds, the scripts interleaved. */
  rounds: number;
  roundS: number;
  warmupS: number;
  /** Duration of the side-by-side run of (a) and (b). */
  pairedS: number;
  appUser: string;
  appPassword: string;
  pgPassword: string;
}

export interface PgbenchRun {
  name: string;
  role: string;
  tps: number;
  roundTps: number[];
  transactions: number;
  failed: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
}

export interface RlsResult {
  pgbenchVersion: string;
  tenants: number;
  rows: number;
  seedSeconds: number;
  settings: RlsSettings;
  scripts: Record<string, string>;
  plans: Record<string, string>;
  runs: PgbenchRun[];
  /** (a) and (b) run at the same time, half the clients each. */
  paired: PgbenchRun[];
}

export type RlsOutcome = { skipped: string } | RlsResult;

const PGBENCH = '/usr/bin/pgbench';

const LIST_COLUMNS = 'id, email, ip, succeeded, attempted_at';

const SCRIPTS = {
  // The \set keeps the three scripts alike. Without it, pgbench 15 logged 0 µs for most transactions of a bare
  // `select 1;` script on this machine (it reads its clock lazily), which made the baseline percentiles useless.
  select1: [`\\set n random(1, :tenants)`, `select 1;`, ``].join('\n'),
  rls: [
    `\\set n random(1, :tenants)`,
    `begin;`,
    `select set_config('app.tenant_id', id::text, true) from bench.tenants where n = :n;`,
    `select ${LIST_COLUMNS} from app.login_attempts order by attempted_at desc limit 20;`,
    `commit;`,
    ``,
  ].join('\n'),
  explicit: [
    `\\set n random(1, :tenants)`,
    `begin;`,
    `select id as tenant from bench.tenants where n = :n \\gset`,
    `select ${LIST_COLUMNS} from app.login_attempts where tenant_id = :tenant order by attempted_at desc limit 20;`,
    `commit;`,
    ``,
  ].join('\n'),
};

export function pgbenchVersion(): string | null {
  const out = spawnSync(PGBENCH, ['--version'], { encoding: 'utf8' });
  return out.status === 0 ? out.stdout.trim() : null;
}

/** 50 (by default) sign-in attempts per tenant, spread over the past hours, and the n -> tenant lookup table. */
async function seed(cluster: BenchCluster, s: RlsSettings): Promise<{ tenants: number; rows: number }> {
  return withAdmin(cluster.adminUrl, async (c) => {
    const app = c.escapeIdentifier(s.appUser);
    await c.query(`create schema bench`);
    await c.query(`create table bench.tenants (n integer primary key, id uuid not null)`);
    await c.query(`insert into bench.tenants (n, id) select row_number() over (order by slug), id from platform.tenants`);
    await c.query(`grant usage on schema bench to ${app}`);
    await c.query(`grant select on bench.tenants to ${app}`);
    const inserted = await c.query(
      `insert into app.login_attempts (tenant_id, email, ip, succeeded, attempted_at)
       select t.id, 'member' || (g % 7) || '@example.test', '10.0.' || (g % 250) || '.1', g % 5 <> 0,
              now() - make_interval(mins => g * 3 + (random() * 2)::int)
       from platform.tenants t cross join generate_series(1, $1) g`,
      [s.rowsPerTenant],
    );
    await c.query(`vacuum analyze app.login_attempts`);
    await c.query(`vacuum analyze bench.tenants`);
    const tenants = await c.query<{ n: string }>(`select count(*) as n from bench.tenants`);
    return { tenants: Number(tenants.rows[0]!.n), rows: inserted.rowCount ?? 0 };
  });
}

/** Checks that both ways return the same rows for one tenant, and keeps each plan for the report. */
async function checkAndExplain(cluster: BenchCluster, appUrl: string): Promise<Record<string, string>> {
  const tenant = await withAdmin(cluster.adminUrl, async (c) => (await c.query<{ id: string }>(`select id from bench.tenants where n = 1`)).rows[0]!.id);
  const listRls = `select ${LIST_COLUMNS} from app.login_attempts order by attempted_at desc limit 20`;
  const listExplicit = `select ${LIST_COLUMNS} from app.login_attempts where tenant_id = $1 order by attempted_at desc limit 20`;
  const viaRls = await withAdmin(appUrl, async (c) => {
    await c.query('begin');
    await c.query(`select set_config('app.tenant_id', $1, true)`, [tenant]);
    const rows = (await c.query(listRls)).rows;
    const plan = (await c.query<{ 'QUERY PLAN': string }>(`explain (costs off) ${listRls}`)).rows.map((r) => r['QUERY PLAN']);
    await c.query('commit');
    return { rows, plan };
  });
  const explicit = await withAdmin(cluster.adminUrl, async (c) => {
    const rows = (await c.query(listExplicit, [tenant])).rows;
    await c.query(`prepare bench_list(uuid) as ${listExplicit}`);
    await c.query(`set plan_cache_mode = force_generic_plan`);
    const plan = (await c.query<{ 'QUERY PLAN': string }>(`explain (costs off) execute bench_list('${tenant}')`)).rows.map((r) => r['QUERY PLAN']);
    return { rows, plan };
  });
  if (viaRls.rows.length !== 20 || JSON.stringify(viaRls.rows) !== JSON.stringify(explicit.rows)) {
    throw new Error(`RLS and explicit queries disagree for tenant ${tenant} (${viaRls.rows.length} vs ${explicit.rows.length} rows)`);
  }
  return { rls: viaRls.plan.join('\n'), explicit: explicit.plan.join('\n') };
}

export async function pgbench(args: string[], password: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(PGBENCH, args, { env: { ...process.env, PGPASSWORD: password }, stdio: ['ignore', 'pipe', 'pipe'] });
    const removeCleanup = onCleanup('pgbench', async () => void child.kill('SIGINT'));
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.once('error', reject);
    child.once('exit', (code) => {
      removeCleanup();
      if (code === 0) resolve(out);
      else reject(new Error(`pgbench ${args.join(' ')} exited with ${code}:\n${out}`));
    });
  });
}

export function parseOutput(out: string): { tps: number; transactions: number; failed: number } {
  return {
    tps: Number(/tps = ([\d.]+) \(without initial connection time\)/.exec(out)?.[1] ?? Number.NaN),
    transactions: Number(/number of transactions actually processed: (\d+)/.exec(out)?.[1] ?? Number.NaN),
    failed: Number(/number of failed transactions: (\d+)/.exec(out)?.[1] ?? 0),
  };
}

/** Transaction times (µs, third column) from every per-thread log file whose name starts with prefix. */
export async function readLatenciesMs(dir: string, prefix: string): Promise<Float64Array> {
  const values: number[] = [];
  for (const file of await readdir(dir)) {
    if (!file.startsWith(prefix)) continue;
    for (const line of (await readFile(path.join(dir, file), 'utf8')).split('\n')) {
      const fields = line.split(' ');
      if (fields.length >= 6) values.push(Number(fields[2]) / 1000);
    }
  }
  return sortedCopy(values);
}

export async function runRlsCost(cluster: BenchCluster, s: RlsSettings): Promise<RlsOutcome> {
  const version = pgbenchVersion();
  if (!version) {
    const message = `${PGBENCH} not found: install it with \`apt-get install postgresql-client\` and run the bench again`;
    log(`RLS cost skipped: ${message}`);
    return { skipped: message };
  }
  const t0 = performance.now();
  const seeded = await seed(cluster, s);
  const seedSeconds = (performance.now() - t0) / 1000;
  log(`seeded ${seeded.rows} sign-in attempts for ${seeded.tenants} tenants in ${seedSeconds.toFixed(1)} s`);
  const appUrl = withCredentials(cluster.adminUrl, { user: s.appUser, password: s.appPassword });
  const plans = await checkAndExplain(cluster, appUrl);

  const dir = path.join(WORK_DIR, 'pgbench');
  await mkdir(dir, { recursive: true });
  for (const [name, text] of Object.entries(SCRIPTS)) await writeFile(path.join(dir, `${name}.sql`), text);

  const variants = [
    { name: 'select1', label: 'select 1 (baseline)', role: 'postgres (superuser)', user: 'postgres', password: s.pgPassword },
    { name: 'rls', label: '(a) RLS, set_config in a transaction', role: `${s.appUser} (RLS forced)`, user: s.appUser, password: s.appPassword },
    { name: 'explicit', label: '(b) explicit WHERE tenant_id = $1', role: 'postgres (superuser, bypasses RLS)', user: 'postgres', password: s.pgPassword },
  ];
  const base = (user: string) => [
    '-h', '127.0.0.1', '-p', String(cluster.port), '-U', user, '-n', '-M', 'prepared',
    '-c', String(s.clients), '-j', String(s.threads), '-D', `tenants=${seeded.tenants}`,
  ];
  const script = (name: string) => path.join(dir, `${name}.sql`);
  for (const v of variants) await pgbench([...base(v.user), '-T', String(s.warmupS), '-f', script(v.name), 'studiohive'], v.password);
  // Interleaved rounds, so that a burst of other work on the machine does not land on one script only.
  const totals = new Map(variants.map((v) => [v.name, { tps: [] as number[], transactions: 0, failed: 0 }]));
  for (let round = 1; round <= s.rounds; round++) {
    for (const v of variants) {
      const out = await pgbench(
        [...base(v.user), '-T', String(s.roundS), '-f', script(v.name), '-l', `--log-prefix=${path.join(dir, `log-${v.name}-r${round}`)}`, 'studiohive'],
        v.password,
      );
      const t = totals.get(v.name)!;
      const parsed = parseOutput(out);
      t.tps.push(parsed.tps);
      t.transactions += parsed.transactions;
      t.failed += parsed.failed;
    }
    log(`pgbench round ${round}/${s.rounds} done`);
  }
  const runs: PgbenchRun[] = [];
  for (const v of variants) {
    const t = totals.get(v.name)!;
    const latencies = await readLatenciesMs(dir, `log-${v.name}-r`);
    const meanMs = latencies.reduce((a, b) => a + b, 0) / latencies.length;
    const tps = t.tps.reduce((a, b) => a + b, 0) / t.tps.length;
    const run = { name: v.label, role: v.role, tps, roundTps: t.tps, transactions: t.transactions, failed: t.failed, meanMs, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) };
    log(`pgbench ${v.name}: ${tps.toFixed(0)} tps, p50 ${run.p50Ms.toFixed(3)} ms, p99 ${run.p99Ms.toFixed(3)} ms`);
    runs.push(run);
  }
  // (a) and (b) side by side: two pgbench processes at once, half the clients each, so whatever else the machine
  // does at that moment slows both alike. Their throughputs are compared with each other, not with the above.
  const half = Math.max(1, Math.floor(s.clients / 2));
  const pairedVariants = variants.filter((v) => v.name !== 'select1');
  const pairedOut = await Promise.all(
    pairedVariants.map((v) =>
      pgbench(
        [
          '-h', '127.0.0.1', '-p', String(cluster.port), '-U', v.user, '-n', '-M', 'prepared', '-c', String(half), '-j', '1',
          '-D', `tenants=${seeded.tenants}`, '-T', String(s.pairedS), '-f', script(v.name), '-l', `--log-prefix=${path.join(dir, `log-paired-${v.name}`)}`, 'studiohive',
        ],
        v.password,
      ),
    ),
  );
  const paired: PgbenchRun[] = [];
  for (const [i, v] of pairedVariants.entries()) {
    const parsed = parseOutput(pairedOut[i]!);
    const latencies = await readLatenciesMs(dir, `log-paired-${v.name}`);
    const meanMs = latencies.reduce((a, b) => a + b, 0) / latencies.length;
    paired.push({ name: v.label, role: v.role, roundTps: [parsed.tps], ...parsed, meanMs, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) });
    log(`pgbench side by side, ${v.name}: ${parsed.tps.toFixed(0)} tps, p50 ${percentile(latencies, 50).toFixed(3)} ms`);
  }
  return {
    pgbenchVersion: version,
    tenants: seeded.tenants,
    rows: seeded.rows,
    seedSeconds,
    settings: s,
    scripts: SCRIPTS,
    plans,
    runs,
    paired,
  };
}
