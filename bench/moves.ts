/**
 * Moving a studio while it is served (section 13, issue 19): one large studio (the reports bench's year of data,
 * written in bulk as for the archive's section 12) and a few small neighbours in the same pool cell, served by the
 * real server process under a steady load of the studio's reads and writes and the neighbours' reads; the studio
 * moved pool-main → a silo by logical replication, its old rows purged as the cleanup job would, then moved back
 * silo → pool-main by the read-only copy. Each move's figures (first copy, write pause, whole move) and the
 * requests' latencies and 503s during it against a quiet window before; PostgreSQL's own \copy of the same rows
 * between two databases as the floor; and the studio's rows checked whole after each move.
 *
 *   BENCH_MOVES_NO_PURGE=1   leaves the first move's old rows in pool-main, so that the move back lands among them, as
 *                            it does within the purge delay (the copy then clears them inside its write pause)
 */
import { execFileSync } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { openAppRuntime } from '../src/app/composition.js';
import { todayIn } from '../src/platform/calendar.js';
import type { Runtime } from '../src/platform/runtime.js';
import { createLogger } from '../src/platform/runtime.js';
import { writeTenantArchive } from '../src/platform/tenancy/archive.js';
import { cleanUpMoveSource, moveTenant, type MoveReport, type MoveStep, type MoveTarget } from '../src/platform/tenancy/moves.js';
import { tenantsRepo } from '../src/platform/tenancy/tenants.repo.js';
import { startAppServer, startBenchCluster, withAdmin, type BenchCluster } from './cluster.js';
import { createPooledTenants, runtimeConfig, type DensitySettings, type TenantCredential } from './density.js';
import { REPO_ROOT, WORK_DIR, fmt, log, percentile, sectionRun, sleep, sortedCopy, spawnManaged, table, unmeasuredSection } from './lib.js';
import { probe, request, type LoadTarget } from './load.js';
import type { MovesLoadOptions } from './moves-load-child.js';
import { seed, ZONE, type ReportsBenchSettings } from './reports.js';

export interface MovesPorts {
  pg: number;
  app: number;
}

export interface MovesBenchSettings {
  members: number;
  daysBack: number;
  daysAhead: number;
  capacity: number;
  /** Small studios in the same pool cell, each with this many members. */
  neighbours: number;
  neighbourMembers: number;
  /** The moving studio's reads and writes, and all the neighbours' reads together, per second (open loop). */
  readRate: number;
  writeRate: number;
  neighbourRate: number;
  warmupS: number;
  /** The quiet window before any move: the baseline. */
  quietS: number;
  /** Between the parts, the load running. */
  settleS: number;
  /** Measured after each move, before anything else. */
  afterS: number;
  /** A write answered 503 is sent again, with the same key, after this many ms (uniform in the range). */
  retryMs: [number, number];
  /** Writes of each kind made one by one before the load, to learn which tables a write adds rows to. */
  calibrationWrites: number;
}

type Stream = 'mr' | 'mw' | 'n';
/** pg_stat_activity is sampled this often during the moves. */
const SAMPLE_MS = 100;
interface RequestRecord {
  s: Stream;
  t: number;
  ms: number;
  st: number;
}
interface WriteRecord {
  w: 'member' | 'booking';
  t0: number;
  t1: number;
  tries: number;
  st: number;
  id: string | null;
}

/** One stream's requests sent within a window. */
export interface StreamFigures {
  requests: number;
  perS: number;
  ok: number;
  /** Answered 503 (the studio's writes paused, or an instance sent on after the switch). */
  unavailable: number;
  /** Any other answer but 2xx, and transport errors. */
  failed: number;
  /** Not sent: the stream had its most requests under way. */
  skipped: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** The writes begun within a window, from the first send to the last answer (retries included). */
export interface WriteFigures {
  begun: number;
  acknowledged: number;
  failed: number;
  /** Writes that met at least one 503 before they were acknowledged. */
  retried: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface WindowFigures {
  label: string;
  seconds: number;
  moverReads: StreamFigures;
  moverWrites: StreamFigures;
  writes: WriteFigures;
  neighbours: StreamFigures;
}

export interface MoveFigures {
  label: string;
  method: string;
  why: string;
  from: string;
  to: string;
  planRows: number;
  tablesWithRows: number;
  rows: number | null;
  copyMs: number | null;
  writePauseMs: number | null;
  totalMs: number;
  /** When each step was told, in ms from the move's start. */
  steps: Partial<Record<MoveStep, number>>;
  during: WindowFigures;
  /** From the 'locked' step (writes paused) to the 'switched' one. */
  pause: WindowFigures | null;
  /** The few seconds after the move, the load going on: a server still placing the studio at the source is sent on. */
  after: WindowFigures;
  /** What the planner knew of the target's largest tables when the move began (a pool cell's; a new silo has none). */
  targetBefore: Array<{ table: string; reltuples: number; relpages: number; analyzedSecondsAgo: number | null }>;
  /** The target's statistics of the studio's largest tables when the move was done: rows written since the last ANALYZE. */
  targetStats: Array<{ table: string; liveRows: number; modifiedSinceAnalyze: number; analyzed: boolean }>;
  /** What the database did for the move during the write pause, and during the whole move (sampled). */
  activity: { pause: Array<{ what: string; seconds: number }>; whole: Array<{ what: string; seconds: number }> };
}

/** A table the load writes to (its rows or content changed during the calibration). */
export interface LoadTableCheck {
  table: string;
  before: number;
  after: number;
  expected: number;
}

export interface PeriodCheck {
  label: string;
  members: number;
  bookings: number;
  failedWrites: number;
  /** Tables the load does not write: the same rows (and, for the archive's tables, the same SHA-256). */
  untouched: number;
  untouchedChanged: string[];
  loadTables: LoadTableCheck[];
  ok: boolean;
}

export type MovesOutcome =
  | { skipped: string }
  | {
      settings: MovesBenchSettings;
      studio: { slug: string; rows: number; tables: number; largest: Array<{ table: string; rows: number }> };
      neighbours: number;
      quiet: WindowFigures;
      /** The same again after the moves and the floor: how far the machine's other work moved the baseline. */
      quietAfter: WindowFigures;
      moves: MoveFigures[];
      /** The old rows of the first move deleted from pool-main (tenant_move_cleanup's work, run at once). */
      purge: { rows: number; seconds: number; during: WindowFigures; activity: Array<{ what: string; seconds: number }> };
      floor: { rows: number; tables: number; exportSeconds: number; importSeconds: number; seconds: number; bytes: number } | { skipped: string };
      calibration: Array<{ table: string; perMember: number; perBooking: number }>;
      checks: PeriodCheck[];
      /** Every acknowledged write's row, at the end: there once, and nothing else of the load's. */
      acknowledged: { members: number; membersFound: number; loadMembers: number; bookings: number; bookingsFound: number };
      totals: { requests: number; writes: number; acknowledged: number; failedWrites: number; firstFailures: string[] };
      cores: number;
      loadAverage: { start: number[]; end: number[] };
      date: string;
      seconds: number;
    };

/* ------------------------------------------------------------------------------------------------------------
 * The load, in its own process
 * ---------------------------------------------------------------------------------------------------------- */

function startLoad(opts: MovesLoadOptions) {
  // In a file: the bookings make it longer than one argument may be.
  const file = path.join(WORK_DIR, 'moves-load.json');
  writeFileSync(file, JSON.stringify(opts));
  const child = spawnManaged('moves load', process.execPath, ['--import', 'tsx', 'bench/moves-load-child.ts', file], { cwd: REPO_ROOT, env: process.env, stdin: 'pipe' });
  const requests: RequestRecord[] = [];
  const skips: Array<{ s: Stream; t: number }> = [];
  const writes: WriteRecord[] = [];
  const failures: string[] = [];
  const waiters: Array<{ k: string; resolve: () => void; reject: (e: Error) => void }> = [];
  let buffer = '';
  child.child.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (!line.startsWith('{')) continue;
      const o = JSON.parse(line) as { k: string } & Record<string, unknown>;
      if (o.k === 'q') requests.push(o as unknown as RequestRecord);
      else if (o.k === 'w') writes.push(o as unknown as WriteRecord);
      else if (o.k === 'skip') skips.push(o as unknown as { s: Stream; t: number });
      else if (o.k === 'fail') failures.push(`${String(o.st)} from ${String(o.path)} (${String(o.s)}): ${String(o.body)}`);
      else {
        const i = waiters.findIndex((w) => w.k === o.k);
        if (i >= 0) waiters.splice(i, 1)[0]!.resolve();
      }
    }
  });
  void child.exited.then((code) => {
    for (const w of waiters.splice(0)) w.reject(new Error(`the load process exited (${code}) before "${w.k}":\n${child.tail()}`));
  });
  const command = (word: string, until: string) =>
    new Promise<void>((resolve, reject) => {
      waiters.push({ k: until, resolve, reject });
      child.child.stdin!.write(`${word}\n`);
    });
  return {
    requests,
    skips,
    writes,
    failures,
    /** No new writes; resolves once every write under way is answered. */
    pause: () => command('pause', 'paused'),
    resume: () => void child.child.stdin!.write('resume\n'),
    stop: async () => {
      await command('stop', 'stopped');
      await child.exited;
    },
    kill: () => child.stop(),
  };
}
type Load = ReturnType<typeof startLoad>;

function streamFigures(load: Load, s: Stream, from: number, to: number): StreamFigures {
  const within = load.requests.filter((r) => r.s === s && r.t >= from && r.t < to);
  const sorted = sortedCopy(within.map((r) => r.ms));
  const seconds = (to - from) / 1000;
  return {
    requests: within.length,
    perS: within.length / seconds,
    ok: within.filter((r) => r.st >= 200 && r.st < 300).length,
    unavailable: within.filter((r) => r.st === 503).length,
    failed: within.filter((r) => r.st !== 503 && (r.st < 200 || r.st >= 300)).length,
    skipped: load.skips.filter((x) => x.s === s && x.t >= from && x.t < to).length,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted.length ? sorted[sorted.length - 1]! : Number.NaN,
  };
}

function windowFigures(load: Load, label: string, from: number, to: number): WindowFigures {
  const begun = load.writes.filter((w) => w.t0 >= from && w.t0 < to);
  const sorted = sortedCopy(begun.map((w) => w.t1 - w.t0));
  const ok = (w: WriteRecord) => w.st >= 200 && w.st < 300;
  return {
    label,
    seconds: (to - from) / 1000,
    moverReads: streamFigures(load, 'mr', from, to),
    moverWrites: streamFigures(load, 'mw', from, to),
    writes: {
      begun: begun.length,
      acknowledged: begun.filter(ok).length,
      failed: begun.filter((w) => !ok(w)).length,
      retried: begun.filter((w) => ok(w) && w.tries > 1).length,
      p50Ms: percentile(sorted, 50),
      p99Ms: percentile(sorted, 99),
      maxMs: sorted.length ? sorted[sorted.length - 1]! : Number.NaN,
    },
    neighbours: streamFigures(load, 'n', from, to),
  };
}

/* ------------------------------------------------------------------------------------------------------------
 * What the database is doing for the mover: pg_stat_activity sampled, each active statement put in a class
 * ---------------------------------------------------------------------------------------------------------- */

/** The mover's statements by their text (moves.ts, archive.ts, purge-rows.ts), and the replication's own backends. */
const ACTIVITY: Array<[string, RegExp]> = [
  ['checksums of every row (both ends)', /md5\(row_to_json/],
  ['row counts (the plan)', /count\(\*\) as rows, '' as checksum/],
  ['reading the source (cursor)', /archive_rows|select row_to_json\(t\)::text as line/],
  ['staging the rows', /archive_stage|string_to_table/],
  ['putting back columns after the load', /\(s\.r\)/],
  ['waiting for the move lock', /pg_advisory_lock\(app\.move_lock_key/],
];
const REPLICATION = "logical replication's own backends at work (the first copy's table syncs, then streaming and applying)";

interface ActivitySample {
  t: number;
  classes: string[];
}

function startActivitySampler(adminUrl: string, intervalMs: number) {
  const samples: ActivitySample[] = [];
  let stopped = false;
  const done = withAdmin(adminUrl, async (c) => {
    while (!stopped) {
      const t = Date.now();
      const { rows } = await c.query<{ query: string; backend_type: string; waiting: boolean }>(
        `select coalesce(query, '') as query, backend_type, (wait_event is not null and wait_event_type <> 'IO') as waiting
           from pg_stat_activity where state = 'active' and pid <> pg_backend_pid()`,
      );
      const classes = new Set<string>();
      for (const r of rows) {
        if (/walsender|logical replication/.test(r.backend_type)) {
          if (!r.waiting) classes.add(REPLICATION);
        } else {
          // The copy's load into the target (from its stage), the target's leftover rows cleared by a copy, or the old
          // rows purged after a move: by table. Otherwise the first class whose text matches.
          const inserted = /^\s*insert into "(\w+)"\."(\w+)" \(tenant_id,/.exec(r.query);
          const deleted = /^\s*delete from "?(\w+)"?\."?(\w+)"?/i.exec(r.query);
          if (inserted) classes.add(`inserting into ${inserted[1]}.${inserted[2]}`);
          else if (deleted) classes.add(`deleting rows of ${deleted[1]}.${deleted[2]}`);
          else {
            const first = ACTIVITY.find(([, re]) => re.test(r.query));
            if (first) classes.add(first[0]);
          }
        }
      }
      samples.push({ t, classes: [...classes] });
      await sleep(Math.max(0, intervalMs - (Date.now() - t)));
    }
  });
  return {
    samples,
    stop: async () => {
      stopped = true;
      await done;
    },
  };
}

/** Seconds of the window in which each class of statement was under way (samples × interval; several at once count each). */
function activityIn(samples: ActivitySample[], from: number, to: number, intervalMs: number): Array<{ what: string; seconds: number }> {
  const within = samples.filter((x) => x.t >= from && x.t < to);
  const counts = new Map<string, number>();
  for (const x of within) for (const c of x.classes.length ? x.classes : ['none of these']) counts.set(c, (counts.get(c) ?? 0) + 1);
  return [...counts].map(([what, n]) => ({ what, seconds: (n * intervalMs) / 1000 })).sort((a, b) => b.seconds - a.seconds);
}

/* ------------------------------------------------------------------------------------------------------------
 * The studio's rows: a snapshot (the archive's manifest, and a count of every table), with its writes paused
 * ---------------------------------------------------------------------------------------------------------- */

interface Snapshot {
  label: string;
  tables: Record<string, { rows: number; sha256: string | null }>;
}

async function snapshot(runtime: Runtime, tenantId: string, label: string): Promise<Snapshot> {
  const tenant = (await tenantsRepo.byId(runtime.databases.platform, tenantId))!;
  const manifest = await writeTenantArchive(runtime, tenant, new Writable({ write: (_c, _e, done) => done() }), { locale: 'ja', documents: false });
  const placement = await runtime.tenants.placement(tenant.placement_id);
  const tables: Snapshot['tables'] = {};
  await withAdmin(runtime.databases.adminUrl(placement), async (c) => {
    const names = (await c.query<{ name: string }>(`select c.oid::regclass::text as name from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'app' and c.relkind in ('r', 'p') order by 1`)).rows.map((r) => r.name);
    const { rows } = await c.query<{ t: string; n: string }>(names.map((n) => `select '${n}' as t, count(*) as n from ${n} where tenant_id = $1`).join(' union all '), [tenantId]);
    for (const r of rows) tables[r.t] = { rows: Number(r.n), sha256: null };
  });
  for (const t of manifest.tables) {
    if (tables[t.table]!.rows !== t.rows) throw new Error(`snapshot ${label}: ${t.table} has ${tables[t.table]!.rows} rows counted, ${t.rows} in the archive (were the writes paused?)`);
    tables[t.table]!.sha256 = t.sha256;
  }
  return { label, tables };
}

const changed = (a: Snapshot, b: Snapshot, table: string) => a.tables[table]!.rows !== b.tables[table]!.rows || a.tables[table]!.sha256 !== b.tables[table]!.sha256;

function calibrate(c0: Snapshot, c1: Snapshot, c2: Snapshot, n: number) {
  return Object.keys(c0.tables)
    .filter((t) => changed(c0, c1, t) || changed(c1, c2, t))
    .map((t) => ({ table: t, perMember: (c1.tables[t]!.rows - c0.tables[t]!.rows) / n, perBooking: (c2.tables[t]!.rows - c1.tables[t]!.rows) / n }));
}

function check(label: string, a: Snapshot, b: Snapshot, calibration: ReturnType<typeof calibrate>, writes: WriteRecord[]): PeriodCheck {
  const ok = (w: WriteRecord) => w.st >= 200 && w.st < 300;
  const members = writes.filter((w) => w.w === 'member' && ok(w)).length;
  const bookings = writes.filter((w) => w.w === 'booking' && ok(w)).length;
  const loaded = new Set(calibration.map((c) => c.table));
  const untouched = Object.keys(a.tables).filter((t) => !loaded.has(t));
  const untouchedChanged = untouched.filter((t) => changed(a, b, t));
  const loadTables = calibration.map((c) => ({ table: c.table, before: a.tables[c.table]!.rows, after: b.tables[c.table]!.rows, expected: a.tables[c.table]!.rows + c.perMember * members + c.perBooking * bookings }));
  const failedWrites = writes.filter((w) => !ok(w)).length;
  return { label, members, bookings, failedWrites, untouched: untouched.length, untouchedChanged, loadTables, ok: untouchedChanged.length === 0 && loadTables.every((t) => t.after === t.expected) };
}

/* ------------------------------------------------------------------------------------------------------------
 * The floor: PostgreSQL's own \copy of the studio's rows out of its database and into a scratch one
 * ---------------------------------------------------------------------------------------------------------- */

const psql = () => {
  try {
    return execFileSync('sh', ['-c', 'command -v psql'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
};

async function floorCopy(runtime: Runtime, tenantId: string, last: Snapshot): Promise<Extract<MovesOutcome, { settings: unknown }>['floor']> {
  const bin = psql();
  if (!bin) return { skipped: 'psql is not installed (Debian: postgresql-client)' };
  const tenant = (await tenantsRepo.byId(runtime.databases.platform, tenantId))!;
  const sourceUrl = runtime.databases.adminUrl(await runtime.tenants.placement(tenant.placement_id));
  const scratch = await runtime.tenants.addPlacement({ tier: 'silo', cluster: 'main', id: 'moves-floor' });
  const targetUrl = runtime.databases.adminUrl(scratch);
  const tables = Object.entries(last.tables).filter(([, t]) => t.rows > 0).map(([name]) => name);
  const columns = await withAdmin(sourceUrl, async (c) => {
    const { rows } = await c.query<{ t: string; cols: string[] }>(
      `select table_schema || '.' || table_name as t, array_agg(quote_ident(column_name::text) order by ordinal_position) as cols
         from information_schema.columns where table_schema = 'app' and is_generated = 'NEVER' group by 1`,
    );
    return new Map(rows.map((r) => [r.t, r.cols.join(', ')]));
  });
  const files = tables.map((_, i) => path.join(WORK_DIR, `moves-floor-${i}.tsv`));
  const out = tables.map((t, i) => `\\copy (select ${columns.get(t)} from ${t} where tenant_id = '${tenantId}') to '${files[i]}'`).join('\n');
  const into = ['begin;', 'set local session_replication_role = replica;', ...tables.map((t, i) => `\\copy ${t} (${columns.get(t)}) from '${files[i]}'`), 'commit;'].join('\n');
  const run = (url: string, script: string) => {
    const t0 = performance.now();
    execFileSync(bin, [url, '-q', '-v', 'ON_ERROR_STOP=1', '-f', '-'], { input: script, stdio: ['pipe', 'ignore', 'inherit'] });
    return (performance.now() - t0) / 1000;
  };
  const exportSeconds = run(sourceUrl, out);
  const importSeconds = run(targetUrl, into);
  const rows = tables.reduce((n, t) => n + last.tables[t]!.rows, 0);
  return { rows, tables: tables.length, exportSeconds, importSeconds, seconds: exportSeconds + importSeconds, bytes: files.reduce((n, f) => n + statSync(f).size, 0) };
}

/* ------------------------------------------------------------------------------------------------------------
 * The run
 * ---------------------------------------------------------------------------------------------------------- */

/** Bookings the load can make: each a member with a running contract, in good standing and with nothing booked, on a lesson ahead with seats left. */
async function bookable(adminUrl: string, tenantId: string, limit: number): Promise<Array<{ lessonId: string; memberId: string }>> {
  return withAdmin(adminUrl, async (c) =>
    (await c.query<{ lessonId: string; memberId: string }>(
      `with l as (
         select id, capacity - booked - 2 as free, row_number() over (order by starts_at, id) as li
           from app.lessons where tenant_id = $1 and status = 'scheduled' and starts_at > now() + interval '3 hours'
       ), seats as (
         select l.id as lesson_id, row_number() over (order by s, l.li) as n from l cross join generate_series(1, greatest(l.free, 0)) s
       ), m as (
         select mm.id, row_number() over (order by mm.member_number) as n from app.members mm
          where mm.tenant_id = $1 and mm.status = 'active'
            and exists (select 1 from app.contracts c where c.tenant_id = $1 and c.member_id = mm.id and c.end_date is null)
            and not exists (select 1 from app.reservations r where r.tenant_id = $1 and r.member_id = mm.id and r.status = 'booked')
            and not exists (select 1 from app.invoices i where i.tenant_id = $1 and i.billing_member_id = mm.id and i.status in ('open', 'uncollectible') and i.due_on < current_date)
       )
       select seats.lesson_id as "lessonId", m.id as "memberId" from seats join m using (n) order by n limit $2`,
      [tenantId, limit],
    )).rows);
}

export async function runMovesBench(ports: MovesPorts, s: MovesBenchSettings, d: DensitySettings): Promise<MovesOutcome> {
  const t0 = performance.now();
  const loadStart = os.loadavg();
  const cluster: BenchCluster = await startBenchCluster('moves', ports.pg, d.pgPassword);
  try {
    const { creds } = await createPooledTenants(cluster, { ...d, tenants: 1 + s.neighbours, passwordSample: 0 });
    const [studio, ...neighbours] = creds as [TenantCredential, ...TenantCredential[]];
    const reports: ReportsBenchSettings = { studios: 1, members: s.members, daysBack: s.daysBack, daysAhead: s.daysAhead, capacity: s.capacity, connections: [], warmupS: 0, roundS: 0, rounds: 0 };
    await seed(cluster, [studio], reports, todayIn(ZONE));
    await withAdmin(cluster.adminUrl, async (c) => {
      for (const n of neighbours) {
        await c.query(`insert into app.members (tenant_id, member_number, family_name) select $1, g, 'Member ' || g from generate_series(1, $2) g`, [n.id, s.neighbourMembers]);
      }
      // The studio registers members beyond its plan's 500 (the seed's are already beyond), numbered after the seed's.
      await c.query(`update platform.tenants set limits = limits || jsonb_build_object('members', 1000000) where id = $1`, [studio.id]);
      await c.query(`insert into app.counters (tenant_id, name, value) select $1, 'member_number', max(member_number) from app.members where tenant_id = $1`, [studio.id]);
      await c.query('vacuum analyze app.members');
    });
    const runtime = await openAppRuntime(runtimeConfig(cluster.adminUrl, d), createLogger({ LOG_LEVEL: 'warn' }));
    const server = await startAppServer('moves', ports.app, { databaseUrl: cluster.adminUrl, appPassword: d.appPassword, platformPassword: d.platformPassword, adminToken: d.adminToken, baseDomain: d.baseDomain });
    let load: Load | null = null;
    try {
      const host = (c: TenantCredential) => `${c.slug}.${d.baseDomain}`;
      const target = (c: TenantCredential, p: string, extra: Partial<LoadTarget> = {}): LoadTarget => ({ port: ports.app, host: host(c), token: c.token, path: p, ...extra });
      for (const c of [studio, neighbours[0]!]) {
        const res = await probe(target(c, '/api/members?limit=25'), '/api/members?limit=25');
        if (res.status !== 200) throw new Error(`moves: GET /api/members at ${c.slug} answered ${res.status}: ${res.body.slice(0, 300)}`);
      }
      const pairs = await bookable(cluster.adminUrl, studio.id, 5_000);
      const reads = await withAdmin(cluster.adminUrl, async (c) => {
        const members = (await c.query<{ id: string }>(`select id from app.members where tenant_id = $1 order by hashtext(id::text) limit 50`, [studio.id])).rows;
        const lessons = (await c.query<{ id: string }>(`select id from app.lessons where tenant_id = $1 and starts_at > now() order by starts_at limit 20`, [studio.id])).rows;
        return ['/api/members?limit=25', ...members.map((m) => `/api/members/${m.id}`), ...lessons.map((l) => `/api/lessons/${l.id}/reservations`)];
      });
      log(`moves: ${pairs.length} bookings ready, ${reads.length} read paths`);

      // Calibration: which tables a member's registration and a booking add rows to, one kind at a time.
      const agent = new http.Agent({ keepAlive: true });
      const acknowledged: WriteRecord[] = [];
      const write = async (kind: 'member' | 'booking', i: number) => {
        const pair = pairs[i]!;
        const t = kind === 'booking'
          ? target(studio, `/api/lessons/${pair.lessonId}/reservations`, { method: 'POST', body: { memberId: pair.memberId }, headers: { 'idempotency-key': randomUUID() } })
          : target(studio, '/api/members', { method: 'POST', body: { familyName: '移行負荷', givenName: `較正${i}` }, headers: { 'idempotency-key': randomUUID() } });
        const w0 = Date.now();
        const res = await request(agent, t);
        if (res.status !== 201) throw new Error(`moves: the calibration's ${kind} answered ${res.status}: ${res.body.slice(0, 300)}`);
        const body = JSON.parse(res.body) as { id?: string; reservation?: { id: string } };
        acknowledged.push({ w: kind, t0: w0, t1: Date.now(), tries: 1, st: 201, id: (kind === 'booking' ? body.reservation?.id : body.id) ?? null });
      };
      const c0 = await snapshot(runtime, studio.id, 'calibration start');
      for (let i = 0; i < s.calibrationWrites; i++) await write('member', i);
      const c1 = await snapshot(runtime, studio.id, 'after the members');
      for (let i = 0; i < s.calibrationWrites; i++) await write('booking', i);
      const c2 = await snapshot(runtime, studio.id, 'after the bookings');
      agent.destroy();
      const calibration = calibrate(c0, c1, c2, s.calibrationWrites);
      log(`moves: the load writes to ${calibration.map((c) => `${c.table} (+${c.perMember}/member, +${c.perBooking}/booking)`).join(', ')}`);

      load = startLoad({
        port: ports.app,
        mover: { host: host(studio), token: studio.token, reads, readRate: s.readRate, writeRate: s.writeRate, bookings: pairs.slice(s.calibrationWrites) },
        neighbours: neighbours.map((n) => ({ host: host(n), token: n.token })),
        neighbourPath: '/api/members?limit=25',
        neighbourRate: s.neighbourRate,
        retryMs: s.retryMs,
        giveUpMs: 120_000,
        maxInFlight: 100,
      });
      const l = load;
      log(`moves: load started (the studio ${s.readRate} reads/s and ${s.writeRate} writes/s, its ${neighbours.length} neighbours ${s.neighbourRate} reads/s); warm-up ${s.warmupS} s`);
      await sleep(s.warmupS * 1000);
      const q0 = Date.now();
      await sleep(s.quietS * 1000);
      const q1 = Date.now();

      const snapshots: Snapshot[] = [c2];
      const checks: PeriodCheck[] = [];
      let writesSeen = 0;
      /** The studio's rows with its writes paused, checked against the last snapshot and what the load wrote since. */
      const checkpoint = async (label: string) => {
        await l.pause();
        const snap = await snapshot(runtime, studio.id, label);
        const since = l.writes.slice(writesSeen);
        writesSeen = l.writes.length;
        l.resume();
        const result = check(label, snapshots.at(-1)!, snap, calibration, since);
        snapshots.push(snap);
        checks.push(result);
        log(`moves: ${label}: ${result.ok ? 'whole' : 'NOT WHOLE'} (${result.members} members and ${result.bookings} bookings written since the last check; ${result.untouched - result.untouchedChanged.length}/${result.untouched} other tables unchanged${result.untouchedChanged.length ? `, changed: ${result.untouchedChanged.join(', ')}` : ''}; ${result.loadTables.filter((t) => t.after !== t.expected).map((t) => `${t.table} ${t.after} rows, expected ${t.expected}`).join(', ')})`);
      };
      await checkpoint('Before the first move');
      await sleep(s.settleS * 1000);

      // Windows are measured once the load has stopped, so that every write begun in one is done (one paused by a
      // move is answered after it).
      const pending: Array<(l: Load) => void> = [];
      const moves: MoveFigures[] = [];
      const move = async (label: string, to: MoveTarget, method: 'copy' | undefined) => {
        const steps: Partial<Record<MoveStep, number>> = {};
        const targetBefore = 'placementId' in to
          ? await withAdmin(runtime.databases.adminUrl(await runtime.tenants.placement(to.placementId)), async (c) =>
              (await c.query<{ table: string; reltuples: number; relpages: number; ago: number | null }>(
                `select c.oid::regclass::text as table, c.reltuples::float8 as reltuples, c.relpages, extract(epoch from now() - greatest(s.last_analyze, s.last_autoanalyze))::float8 as ago
                   from pg_class c join pg_stat_user_tables s on s.relid = c.oid
                  where s.schemaname = 'app' and s.relname in ('invoices', 'reservations', 'members', 'member_status_events', 'contracts', 'lessons') order by c.reltuples desc`,
              )).rows.map((r) => ({ table: r.table, reltuples: r.reltuples, relpages: r.relpages, analyzedSecondsAgo: r.ago })))
          : [];
        const from = Date.now();
        const report = (await moveTenant(runtime, studio.slug, to, {
          method,
          onPlan: (p) => log(`moves: ${label}: ${p.from.placementId} → ${p.to.placementId} by ${p.method} (${p.why}), ${p.rows} rows`),
          onStep: (step) => {
            steps[step] = Date.now() - from;
            log(`moves: ${label}: ${step} after ${fmt(steps[step]! / 1000, 1)} s`);
          },
        })) as MoveReport;
        const end = Date.now();
        log(`moves: ${label}: ${fmt((end - from) / 1000, 1)} s in all, first copy ${fmt((report.copyMs ?? Number.NaN) / 1000, 1)} s, writes paused ${fmt((report.writePauseMs ?? Number.NaN) / 1000, 2)} s`);
        const targetStats = await withAdmin(runtime.databases.adminUrl(await runtime.tenants.placement(report.plan.to.placementId)), async (c) =>
          (await c.query<{ table: string; liveRows: string; modifiedSinceAnalyze: string; analyzed: boolean }>(
            `select schemaname || '.' || relname as table, n_live_tup as "liveRows", n_mod_since_analyze as "modifiedSinceAnalyze",
                    greatest(last_analyze, last_autoanalyze) is not null as analyzed
               from pg_stat_user_tables where schemaname = 'app' and relname in ('invoices', 'reservations', 'members', 'lessons', 'contracts') order by n_live_tup desc`,
          )).rows.map((r) => ({ table: r.table, liveRows: Number(r.liveRows), modifiedSinceAnalyze: Number(r.modifiedSinceAnalyze), analyzed: r.analyzed })));
        await sleep(s.afterS * 1000);
        const locked = steps.locked;
        pending.push((l) => moves.push({
          label,
          method: report.plan.method,
          why: report.plan.why,
          from: report.plan.from.placementId,
          to: report.plan.to.placementId,
          planRows: report.plan.rows,
          tablesWithRows: report.plan.tables.filter((t) => t.rows > 0).length,
          rows: report.rows,
          copyMs: report.copyMs,
          writePauseMs: report.writePauseMs,
          totalMs: end - from,
          steps,
          during: windowFigures(l, label, from, end),
          pause: locked === undefined ? null : windowFigures(l, `${label}: writes paused`, from + locked, from + (steps.switched ?? end - from)),
          after: windowFigures(l, `${label}: the ${s.afterS} s after`, end, end + s.afterS * 1000),
          targetStats,
          targetBefore,
          activity: {
            pause: locked === undefined ? [] : activityIn(activity.samples, from + locked, from + (steps.switched ?? end - from), SAMPLE_MS),
            whole: activityIn(activity.samples, from, end, SAMPLE_MS),
          },
        }));
        return report;
      };

      const activity = startActivitySampler(cluster.adminUrl, SAMPLE_MS);
      const first = await move('pool-main → silo, by replication', { tier: 'silo' }, undefined);
      await checkpoint('After the move to the silo');
      // The cleanup job's work (tenant_move_cleanup, after the purge delay), run now: the old rows leave pool-main,
      // so the move back lands in a cell without them, as it would after the delay.
      const p0 = Date.now();
      const purged = process.env.BENCH_MOVES_NO_PURGE ? { rows: 0 } : await cleanUpMoveSource(runtime, first.moveId);
      const p1 = Date.now();
      log(`moves: purged ${purged.rows} old rows from pool-main in ${fmt((p1 - p0) / 1000, 1)} s`);
      // What autovacuum does within a minute or two of a purge that empties most of a table, and so well within the
      // purge delay: the cell's statistics then know the rows are gone. Done here so that every run meets the same.
      const poolUrl = runtime.databases.adminUrl(await runtime.tenants.placement('pool-main'));
      if (!process.env.BENCH_MOVES_NO_PURGE) await withAdmin(poolUrl, (c) => c.query('analyze'));
      await sleep(s.settleS * 1000);
      await move('silo → pool-main, by the read-only copy', { placementId: 'pool-main' }, 'copy');
      await activity.stop();
      await checkpoint('After the move back to pool-main');

      log('moves: the floor: psql \\copy of the same rows out of pool-main and into a scratch database');
      const floor = await floorCopy(runtime, studio.id, snapshots.at(-1)!);
      if (!('skipped' in floor)) log(`moves: the floor: ${floor.rows} rows out in ${fmt(floor.exportSeconds, 1)} s, in in ${fmt(floor.importSeconds, 1)} s`);

      await sleep(s.settleS * 1000);
      const a0 = Date.now();
      await sleep(s.quietS * 1000);
      const a1 = Date.now();
      await l.stop();
      load = null;
      const quiet = windowFigures(l, 'Quiet, before any move', q0, q1);
      const quietAfter = windowFigures(l, 'Quiet again, after the moves and the floor', a0, a1);
      const purge = { rows: purged.rows, seconds: (p1 - p0) / 1000, during: windowFigures(l, 'Old rows purged from pool-main', p0, p1), activity: activityIn(activity.samples, p0, p1, SAMPLE_MS) };
      for (const f of pending) f(l);
      for (const w of [quiet, quietAfter, purge.during, ...moves.flatMap((m) => [m.during, ...(m.pause ? [m.pause] : []), m.after])]) {
        log(`moves: ${w.label}: ${fmt(w.seconds, 1)} s; the studio's reads p99 ${fmt(w.moverReads.p99Ms)} ms (${w.moverReads.unavailable} × 503), its write requests p99 ${fmt(w.moverWrites.p99Ms)} ms (${w.moverWrites.unavailable} × 503), writes done p99 ${fmt(w.writes.p99Ms)} ms; the neighbours' p99 ${fmt(w.neighbours.p99Ms)} ms (${w.neighbours.failed + w.neighbours.unavailable} not 2xx)`);
      }
      const all = [...acknowledged, ...l.writes];
      const ok = (w: WriteRecord) => w.st >= 200 && w.st < 300;
      const memberIds = all.filter((w) => w.w === 'member' && ok(w)).map((w) => w.id!);
      const bookingIds = all.filter((w) => w.w === 'booking' && ok(w)).map((w) => w.id!);
      const placement = await runtime.tenants.placement((await tenantsRepo.byId(runtime.databases.platform, studio.id))!.placement_id);
      const found = await withAdmin(runtime.databases.adminUrl(placement), async (c) => {
        const one = async (q: string, params: unknown[]) => Number((await c.query<{ n: string }>(q, params)).rows[0]!.n);
        return {
          membersFound: await one(`select count(*) as n from app.members where tenant_id = $1 and id = any($2::uuid[])`, [studio.id, memberIds]),
          loadMembers: await one(`select count(*) as n from app.members where tenant_id = $1 and family_name = '移行負荷'`, [studio.id]),
          bookingsFound: await one(`select count(*) as n from app.reservations where tenant_id = $1 and id = any($2::uuid[])`, [studio.id, bookingIds]),
        };
      });
      const start = c0;
      const largest = Object.entries(start.tables).sort(([, a], [, b]) => b.rows - a.rows).slice(0, 6).map(([t, v]) => ({ table: t, rows: v.rows }));
      return {
        settings: s,
        studio: { slug: studio.slug, rows: Object.values(start.tables).reduce((n, t) => n + t.rows, 0), tables: Object.values(start.tables).filter((t) => t.rows > 0).length, largest },
        neighbours: neighbours.length,
        quiet,
        quietAfter,
        moves,
        purge,
        floor,
        calibration,
        checks,
        acknowledged: { members: memberIds.length, bookings: bookingIds.length, ...found },
        totals: { requests: l.requests.length, writes: l.writes.length, acknowledged: l.writes.filter(ok).length, failedWrites: l.writes.filter((w) => !ok(w)).length, firstFailures: l.failures.slice(0, 5) },
        cores: os.cpus().length,
        ...sectionRun(t0, loadStart),
      };
    } finally {
      await load?.kill();
      await server.stop();
      await runtime.close();
    }
  } finally {
    await cluster.stop();
  }
}

/* ------------------------------------------------------------------------------------------------------------
 * The report
 * ---------------------------------------------------------------------------------------------------------- */

/** The aim of issue 19: a studio's writes paused under 2 s by a move. */
const PAUSE_AIM_MS = 2_000;

const n0 = (v: number) => fmt(v, 0);
const ms = (v: number) => fmt(v, 1);
const secs = (v: number | null, digits = 1) => (v === null ? 'n/a' : `${fmt(v / 1000, digits)} s`);
const times = (a: number, b: number) => (Number.isFinite(a / b) ? `${fmt(a / b, 1)}×` : 'n/a');
const met = (ok: boolean) => (ok ? 'met' : '**not met**');
const loadText = (l: number[]) => l.map((x) => fmt(x, 2)).join(' / ');
const notOk = (f: StreamFigures) => f.failed + f.unavailable;

function methodName(m: MoveFigures) {
  return m.method === 'replication' ? 'logical replication' : 'the read-only copy';
}

export function movesHeadline(r: MovesOutcome | undefined): string[] {
  if (!r || 'skipped' in r) return [];
  const floor = 'skipped' in r.floor ? null : r.floor.seconds * 1000;
  const parts = r.moves.map((m) => {
    const first = m.method === 'replication' ? `, first copy ${secs(m.copyMs)} while served` : '';
    const vsFloor = floor ? ` (${times(m.totalMs, floor)} psql's \`\\copy\` of the same rows)` : '';
    return `by ${methodName(m)}, writes paused **${secs(m.writePauseMs, 2)}** (${met((m.writePauseMs ?? Infinity) < PAUSE_AIM_MS)})${first}, ${secs(m.totalMs)} in all${vsFloor}, ${n0(m.during.moverWrites.unavailable)} write requests answered 503, the neighbours' p99 ${ms(m.during.neighbours.p99Ms)} ms against ${ms(r.quiet.neighbours.p99Ms)} ms quiet`;
  });
  const whole = r.checks.every((c) => c.ok) && r.acknowledged.membersFound === r.acknowledged.members && r.acknowledged.bookingsFound === r.acknowledged.bookings;
  return [`- Moving a studio while it is served (${n0(r.settings.members)} members, ${n0(r.studio.rows)} rows; aim: writes paused under ${PAUSE_AIM_MS / 1000} s): ${parts.join('; ')}; ${whole ? 'its rows whole after each move' : '**its rows not whole after a move**'}.`];
}

function windowRow(w: WindowFigures, quiet: WindowFigures): string[] {
  return [
    w.label,
    fmt(w.seconds, 1),
    n0(w.moverReads.requests),
    ms(w.moverReads.p50Ms),
    `**${ms(w.moverReads.p99Ms)}**`,
    times(w.moverReads.p99Ms, quiet.moverReads.p99Ms),
    n0(notOk(w.moverReads)),
    n0(w.moverWrites.requests),
    ms(w.moverWrites.p99Ms),
    `**${n0(w.moverWrites.unavailable)}**`,
    n0(w.writes.begun),
    `${ms(w.writes.p99Ms)} / ${ms(w.writes.maxMs)}`,
    n0(w.neighbours.requests),
    ms(w.neighbours.p50Ms),
    `**${ms(w.neighbours.p99Ms)}**`,
    times(w.neighbours.p99Ms, quiet.neighbours.p99Ms),
    n0(notOk(w.neighbours)),
  ];
}

export function renderMovesSection(r: MovesOutcome | undefined, n: number): string {
  const heading = `## ${n}. Moving a studio while it is served`;
  if (!r || 'skipped' in r) return unmeasuredSection(heading, r);
  const s = r.settings;
  const out: string[] = [heading];
  const [first, second] = r.moves;
  const floor = 'skipped' in r.floor ? null : r.floor;
  out.push(`### Method

- **Data.** A bench cluster of its own (\`moves\`) with one studio of ${n0(s.members)} members and ${s.daysBack} days of the reports bench's data plus ${s.daysAhead} days of timetable ahead, written in bulk as for section 12: ${n0(r.studio.rows)} rows in ${r.studio.tables} tables. Beside it in the same pool cell (\`pool-main\`), ${r.neighbours} small studios of ${n0(s.neighbourMembers)} members each.
- **Server.** The real server process (\`node --import tsx src/main.ts\`, \`DB_POOL_MAX=10\`, \`RATE_LIMIT=false\`) serves every request. The moves run in the bench process through \`moveTenant\` (what \`studiohive tenants move\` runs), with an app runtime of its own: a mover beside a running server, as the CLI or the worker's \`tenant_move\` job is.
- **Load.** Open loop at fixed rates for the whole run, in a process of its own (\`bench/moves-load-child.ts\`, sending through \`bench/load.ts\`), so that the mover's work in the bench process does not delay it: the moving studio ${n0(s.readRate)} reads/s (its member list, one member, a lesson's roster) and ${n0(s.writeRate)} writes/s, every other one a booking at the desk (\`POST /api/lessons/:id/reservations\` of a member with a running contract, in good standing and with nothing booked, onto a lesson ahead with seats left) and the others a new member (\`POST /api/members\`), each with an \`Idempotency-Key\` of its own and sent again with the same key ${fmt(s.retryMs[0] / 1000, 0)}–${fmt(s.retryMs[1] / 1000, 0)} s after a 503, as a member tapping again would, and given up if not acknowledged within 120 s (the booking route stores its key and answer; the members route is not an idempotent one and ignores the key, which is safe here because a 503 means nothing was written); the neighbours ${n0(s.neighbourRate)} reads/s together, in turn (\`GET /api/members?limit=25\`). Latency is the client's, per HTTP request (each attempt of a retried write counts); a write's completion runs from its first send to its acknowledgement.
- **Windows.** ${s.warmupS} s of warm-up, then a quiet window of ${s.quietS} s: the baseline of every ratio (another quiet window of ${s.quietS} s at the end, after the floor, shows how far other work on the machine moved it). **Move 1**, pool-main → a silo of the studio's own on the same cluster, \`moveTenant(runtime, slug, { tier: 'silo' })\`: the method is left to the mover, which picks logical replication here (${first ? first.why : 'n/a'}). Then the first move's old rows are deleted from pool-main by \`cleanUpMoveSource\`, the \`tenant_move_cleanup\` job's work, run at once rather than after the purge delay, so that the move back lands in a cell without them as it would after the delay, and then \`ANALYZE\` of pool-main's database, which autovacuum does within a minute or two of a purge that empties most of a table (it had done so before the move back in two of four runs while this section was written, and the run-to-run difference was large: below). **Move 2**, silo → pool-main, \`{ placementId: 'pool-main' }\` with \`method: 'copy'\`. Each move is followed by ${s.afterS} s measured as a window of its own ("after"), and ${s.settleS} s of load lie between the other parts. A request belongs to the window in which it was sent; "writes paused" runs from the mover's \`locked\` step to its \`switched\` step.
- **Floor.** PostgreSQL moving the same rows its own fastest way: after the moves, one psql \`\\copy\`s every table of the studio with rows (all stored columns, \`where tenant_id = …\`) out of pool-main's database to files, and one psql \`\\copy\`s them into a scratch database of the same cluster (a new silo's, migrated) in one transaction with \`session_replication_role = replica\` (no triggers, no foreign-key checks; indexes and unique checks kept), under the same load. Its time is export plus import.
- **Whole.** Before the load, ${s.calibrationWrites} members were registered and then ${s.calibrationWrites} bookings made over HTTP, one at a time, with the studio's rows snapshotted between: the archive's manifest (\`writeTenantArchive\`, \`documents: false\`: each exported table's rows and SHA-256) and a count of every tenant table, the archive's left-out ones too. This names the tables a write adds rows to, and how many. Then, with the load's writes paused for the snapshot (its reads going on), a snapshot before the first move, after it, and after the move back: every table the load does not write must be as it was (the same rows, the same SHA-256), and each table it writes must have its rows before plus exactly what the writes acknowledged since added. At the end every acknowledged member and booking is looked up by its id.`);

  out.push('### Results');
  if (first && second) {
    const q = r.quiet;
    const rows: Array<[string, (m: MoveFigures) => string]> = [
      ['From → to', (m) => `${m.from} → ${m.to}`],
      ['Rows copied and verified', (m) => (m.rows === null ? 'n/a' : n0(m.rows))],
      ['First copy (replication: subscription made to its first copy done; copy: the copy and its check, writes paused)', (m) => secs(m.copyMs)],
      [`**Writes paused** (aim < ${PAUSE_AIM_MS / 1000} s)`, (m) => `**${secs(m.writePauseMs, 2)}** (${met((m.writePauseMs ?? Infinity) < PAUSE_AIM_MS)})`],
      ['Whole move (`moveTenant`, plan to done)', (m) => `**${secs(m.totalMs)}**`],
      [floor ? `÷ the floor (${fmt(floor.seconds, 1)} s for ${n0(floor.rows)} rows: \\copy out ${fmt(floor.exportSeconds, 1)} s + in ${fmt(floor.importSeconds, 1)} s)` : '÷ the floor', (m) => (floor ? `first copy ${times((m.copyMs ?? Number.NaN) / 1000, floor.seconds)}, whole move ${times(m.totalMs / 1000, floor.seconds)}` : 'n/a')],
      ["The studio's reads: p99 during (quiet)", (m) => `**${ms(m.during.moverReads.p99Ms)} ms** (${ms(q.moverReads.p99Ms)}), ${times(m.during.moverReads.p99Ms, q.moverReads.p99Ms)}`],
      ["The studio's write requests: p99 during (quiet)", (m) => `${ms(m.during.moverWrites.p99Ms)} ms (${ms(q.moverWrites.p99Ms)}), ${times(m.during.moverWrites.p99Ms, q.moverWrites.p99Ms)}`],
      [`The studio's write requests answered 503 (during; in the ${s.afterS} s after)`, (m) => `**${n0(m.during.moverWrites.unavailable)}** of ${n0(m.during.moverWrites.requests)}; ${n0(m.after.moverWrites.unavailable)} of ${n0(m.after.moverWrites.requests)}`],
      [`The studio's reads answered 503 (during; in the ${s.afterS} s after)`, (m) => `${n0(m.during.moverReads.unavailable)} of ${n0(m.during.moverReads.requests)}; ${n0(m.after.moverReads.unavailable)} of ${n0(m.after.moverReads.requests)}`],
      ['Writes begun during the move: acknowledged after a 503, completion p99 / max', (m) => `${n0(m.during.writes.retried)} of ${n0(m.during.writes.begun)}; ${ms(m.during.writes.p99Ms)} / ${ms(m.during.writes.maxMs)} ms`],
      [`The studio's reads in the ${s.afterS} s after: p50 / p99 (quiet)`, (m) => `${ms(m.after.moverReads.p50Ms)} / ${ms(m.after.moverReads.p99Ms)} ms (${ms(q.moverReads.p50Ms)} / ${ms(q.moverReads.p99Ms)})`],
      ["The neighbours' reads: p99 during (quiet)", (m) => `**${ms(m.during.neighbours.p99Ms)} ms** (${ms(q.neighbours.p99Ms)}), ${times(m.during.neighbours.p99Ms, q.neighbours.p99Ms)}`],
      ["The neighbours' requests not answered 2xx", (m) => `${n0(notOk(m.during.neighbours))} of ${n0(m.during.neighbours.requests)}`],
    ];
    out.push(table(['', `Move 1: by ${methodName(first)}`, `Move 2: by ${methodName(second)}`], rows.map(([label, f]) => [label, f(first), f(second)])));
  }
  out.push('Every window (latencies in ms; ratios against the quiet window\'s p99; writes: those begun in the window, from first send to acknowledgement):');
  const ofMove = (m: MoveFigures | undefined) => (m ? [m.during, ...(m.pause ? [m.pause] : []), m.after] : []);
  const windows = [r.quiet, ...ofMove(first), r.purge.during, ...ofMove(second), r.quietAfter];
  out.push(
    table(
      ['Window', 'Seconds', 'Studio reads', 'p50', 'p99', '÷ quiet', 'not 2xx', 'Studio write requests', 'p99', '503', 'Writes begun', 'done p99 / max', 'Neighbour reads', 'p50', 'p99', '÷ quiet', 'not 2xx'],
      windows.map((w) => windowRow(w, r.quiet)),
    ),
  );
  out.push(
    table(
      ['Move', ...(['synced', 'locked', 'copied', 'fenced', 'switched'] as const).map((x) => `\`${x}\``), 'done'],
      r.moves.map((m) => [m.label, ...(['synced', 'locked', 'copied', 'fenced', 'switched'] as const).map((x) => (m.steps[x] === undefined ? '–' : `${fmt(m.steps[x] / 1000, 2)} s`)), `${fmt(m.totalMs / 1000, 2)} s`]),
    ),
  );
  out.push('(Each step as the mover told it, from the start of `moveTenant`, whose plan counts every table\'s rows and, for a new silo, makes and migrates its database first: `synced` once the subscription\'s first copy is done, `locked` once the move lock is granted and writes pause, `copied` once the rows match at both ends, `fenced` once the source refuses the studio, `switched` once the catalog names the target.)');
  out.push('Where the write pause went: what the database was doing for the move, from `pg_stat_activity` sampled every ' + `${SAMPLE_MS} ms` + ' (active statements by their text: the mover\'s, and the replication\'s own backends when at work rather than waiting; "none of these": no such statement under way, the mover working in Node or between statements). Seconds are samples × the interval; statements under way together count each.');
  // Classes under half a second in every column go together as "other".
  const all = r.moves.flatMap((m) => [...m.activity.pause, ...m.activity.whole]);
  const classes = [...new Set(all.map((a) => a.what))].filter((c) => all.some((a) => a.what === c && a.seconds >= 0.5));
  const other = (list: Array<{ what: string; seconds: number }>) => list.filter((a) => !classes.includes(a.what)).reduce((n, a) => n + a.seconds, 0);
  const cell = (list: Array<{ what: string; seconds: number }>, c: string) => {
    const a = list.find((x) => x.what === c);
    return a ? `${fmt(a.seconds, 1)} s` : '–';
  };
  out.push(
    table(
      ['Statements under way', ...r.moves.flatMap((m) => [`${m.label}: writes paused`, `${m.label}: whole move`])],
      [
        ...classes.map((c) => [c, ...r.moves.flatMap((m) => [cell(m.activity.pause, c), cell(m.activity.whole, c)])]),
        ['other statements (each under 0.5 s)', ...r.moves.flatMap((m) => [`${fmt(other(m.activity.pause), 1)} s`, `${fmt(other(m.activity.whole), 1)} s`])],
      ],
    ),
  );
  const purgeTop = r.purge.activity.filter((a) => a.what.startsWith('deleting')).slice(0, 4);
  out.push(
    `The first move's old rows purged from pool-main (\`cleanUpMoveSource\`, in batches): ${n0(r.purge.rows)} rows in ${fmt(r.purge.seconds, 1)} s` +
      (purgeTop.length ? `, most of it ${purgeTop.map((a) => `${a.what} (${fmt(a.seconds, 1)} s)`).join(', ')}` : '') +
      `; the studio's reads p99 ${ms(r.purge.during.moverReads.p99Ms)} ms and the neighbours' ${ms(r.purge.during.neighbours.p99Ms)} ms meanwhile.`,
  );

  out.push('### Were the rows whole?');
  out.push(
    `The calibration's writes add, each: ${r.calibration.map((c) => `${c.table} ${c.perMember ? `+${fmt(c.perMember, 0)}` : '0'} a member, ${c.perBooking ? `+${fmt(c.perBooking, 0)}` : '0'} a booking`).join('; ')} (a table with 0 and 0 was changed in place).`,
  );
  out.push(
    table(
      ['Snapshot', 'Members / bookings acknowledged since the last', 'Writes failed', 'Tables the load does not write, unchanged', 'Tables it writes: rows (expected)', 'Whole'],
      r.checks.map((c) => [
        c.label,
        `${n0(c.members)} / ${n0(c.bookings)}`,
        n0(c.failedWrites),
        `${c.untouched - c.untouchedChanged.length} of ${c.untouched}${c.untouchedChanged.length ? ` (changed: ${c.untouchedChanged.join(', ')})` : ''}`,
        c.loadTables.filter((t) => t.before !== t.after || t.after !== t.expected).map((t) => `${t.table} ${n0(t.after)}${t.after === t.expected ? '' : ` (**${n0(t.expected)}**)`}`).join(', ') || 'unchanged',
        c.ok ? 'yes' : '**no**',
      ]),
    ),
  );
  const a = r.acknowledged;
  out.push(
    `At the end, of the ${n0(a.members)} members acknowledged (201) ${n0(a.membersFound)} were found by id, and the studio had ${n0(a.loadMembers)} members of the load's in all; of the ${n0(a.bookings)} bookings acknowledged, ${n0(a.bookingsFound)} were found. ` +
      `The load sent ${n0(r.totals.requests)} requests in all; ${n0(r.totals.writes)} writes, ${n0(r.totals.acknowledged)} acknowledged, ${n0(r.totals.failedWrites)} failed.` +
      (r.totals.firstFailures.length ? ` First answers neither 2xx nor 503: ${r.totals.firstFailures.map((f) => `\`${f.replaceAll('`', "'").slice(0, 200)}\``).join('; ')}.` : ''),
  );
  out.push(table(['Largest tables of the studio', 'Rows'], r.studio.largest.map((t) => [t.table, n0(t.rows)])));

  out.push('### Reading it');
  const notes: string[] = [];
  const part = (m: MoveFigures, what: string) => m.activity.pause.find((x) => x.what === what)?.seconds ?? 0;
  for (const m of r.moves) {
    const pause = (m.writePauseMs ?? Number.NaN) / 1000;
    const top = m.activity.pause.filter((x) => x.what !== 'none of these').slice(0, 3).map((x) => `${x.what} ${fmt(x.seconds, 1)} s`).join(', ');
    notes.push(
      `- **${m.label}.** Writes paused ${secs(m.writePauseMs, 2)}: the aim of under ${PAUSE_AIM_MS / 1000} s is ${met((m.writePauseMs ?? Infinity) < PAUSE_AIM_MS)}. ` +
        (m.method === 'replication'
          ? `The first copy (${secs(m.copyMs)}) ran while the studio was served as usual; the pause is the cut-over alone. Of its ${fmt(pause, 1)} s, about ${fmt(part(m, ACTIVITY[0]![0]), 1)} s went to the checksums of every row of the studio, computed at the source once and at the target until they match (\`caughtUp\` in moves.ts), with the move lock held: that check reads all ${n0(m.rows ?? m.planRows)} rows at both ends, so this pause grows with the studio, not with the writes it must catch up on.`
          : `The studio read throughout, and its writes were refused for the whole copy and its checks (${top}): ${floor ? `${times(pause, floor.seconds)} PostgreSQL's own \\copy of the same rows between the same two kinds of database` : 'no floor measured'}.`) +
        ` ${n0(m.during.moverWrites.unavailable)} of its write requests were answered 503 during the move and sent again, and ${n0(m.during.moverReads.unavailable + m.after.moverReads.unavailable)} of its reads during it and in the ${s.afterS} s after (a server still placing the studio at the source after the switch is refused there once with 503, and forgets it).`,
    );
  }
  const copy = r.moves.find((m) => m.method === 'copy');
  if (copy && copy.targetBefore.length) {
    const inserts = copy.activity.pause.filter((a) => a.what.startsWith('inserting into')).slice(0, 3);
    notes.push(
      `- **The copy and the target's statistics.** When the copy began, the planner's statistics of pool-main said ${copy.targetBefore.map((t) => `${t.table} ${n0(t.reltuples)} rows in ${n0(t.relpages)} pages`).join(', ')} (the purge had emptied them and ANALYZE had counted that). ` +
        `The copy loads each table in one statement inside one transaction, and each loaded row runs its foreign-key checks and insert triggers; planned for near-empty tables, those look rows up by scanning rather than by key, so the load grows with the square of the rows: ${inserts.map((a) => `${a.what.replace('inserting into ', '')} ${fmt(a.seconds, 0)} s`).join(', ')} of the pause. ` +
        '(A backtrace of the loading backend, taken once while writing this section under the same conditions, showed a foreign-key check (`RI_FKey_check`) filtering a scan by uuid rather than probing the key, and the member-status trigger\'s update under a bitmap heap scan.) ' +
        'Four runs while writing this section gave pauses of 56 s and 66 s when autovacuum had not yet analyzed pool-main after the purge, and 273 s and 290 s when it had, seconds before the move back. How often a real move meets this depends on the target\'s statistics against the rows it loads: a busy cell\'s tables hold other studios\' rows, while a new cell or an emptied silo used again is like this one.',
    );
  }
  notes.push(
    `- **Right after a move** the studio's reads ran at p50 ${r.moves.map((m) => `${ms(m.after.moverReads.p50Ms)} ms after ${m.method === 'replication' ? 'the replication' : 'the copy'}`).join(' and ')}, against ${ms(r.quiet.moverReads.p50Ms)} ms quiet, while the neighbours' ran at ${r.moves.map((m) => `${ms(m.after.neighbours.p50Ms)} ms`).join(' and ')}; in the quiet window at the end, after the floor, the studio's reads were still at p50 ${ms(r.quietAfter.moverReads.p50Ms)} ms and p99 ${ms(r.quietAfter.moverReads.p99Ms)} ms, the neighbours' at p99 ${ms(r.quietAfter.neighbours.p99Ms)} ms. ` +
      `Neither method runs ANALYZE on its target: when each move was done, ${r.moves.map((m) => `${m.to}'s ${m.targetStats.slice(0, 2).map((t) => `${t.table} had ${n0(t.liveRows)} live rows, ${n0(t.modifiedSinceAnalyze)} written since its last ANALYZE${t.analyzed ? '' : ' (never analyzed)'}`).join(', ')}`).join('; ')}, until autovacuum comes round to them.`,
    `- **503s.** A paused write was sent again every ${fmt(s.retryMs[0] / 1000, 0)}–${fmt(s.retryMs[1] / 1000, 0)} s until acknowledged, so the count of 503s is about the pause × the writes waiting ÷ ${fmt((s.retryMs[0] + s.retryMs[1]) / 2000, 1)} s; a client that waits the \`Retry-After: 5\` the server sends would meet about ${fmt((s.retryMs[0] + s.retryMs[1]) / 2 / 5000, 1)}× as many. ${r.totals.failedWrites ? `${n0(r.totals.failedWrites)} writes gave up after the load's ${fmt(120, 0)} s of 503s (${r.moves.map((m) => `${n0(m.during.writes.failed)} begun during ${m.method === 'replication' ? 'the replication' : 'the copy'}`).join(', ')}); nothing of them was written. ` : ''}No acknowledged write was lost or doubled (above).`,
    `- **The neighbours** were never refused; their p99 rose during each move (${r.moves.map((m) => `${times(m.during.neighbours.p99Ms, r.quiet.neighbours.p99Ms)} during ${m.method === 'replication' ? 'the replication' : 'the copy'}`).join(', ')}), as the move's scans, copies and checksums share the cell's database and the machine's ${r.cores} cores with them.`,
    '- **Moving back before the purge delay.** Measured once while writing this section with the purge left out (`BENCH_MOVES_NO_PURGE=1`: the move back by copy lands in pool-main while the first move\'s 190,000 old rows are still there, as it does within `TENANT_PURGE_DELAY_HOURS` of the first move): the copy clears those rows inside the write pause, in its one target transaction, and the pause was 367 s, about 277 s of it deleting rows; the studio\'s writes waited up to the load\'s 120 s and 215 of them gave up. The replication clears the target before its first copy, outside the pause.',
    `- Load average (1/5/15 min) at the start of the section: ${loadText(r.loadAverage.start)}; at its end: ${loadText(r.loadAverage.end)}, on ${r.cores} cores shared by the server, PostgreSQL, the mover and the load. Measured on ${r.date}, ${fmt(r.seconds, 0)} s for the whole section.`,
  );
  out.push(notes.join('\n'));
  return out.join('\n\n');
}
