/**
 * Reservations (issue 4): the booking engine over HTTP against a real server, with pgbench's TPC-B-like
 * workload on the same PostgreSQL in the same run as the yardstick.
 *
 * 1. Booking throughput: members book distinct lessons (no seat contention, no overlapping bookings) through
 *    `POST /api/me/reservations` with their own session, closed loop; bookings/s ÷ pgbench TPS.
 * 2. Opening-minute rush: N members book one lesson of 30 seats at the same instant; exactly 30 must be booked.
 *    Other tenants' ordinary traffic runs at a steady rate meanwhile; its p99 before and during the rush.
 * 3. The same rush through the studio's waiting room (a lottery): the same members queue before a real opening a
 *    minute or two ahead, then each does what the web app does (one timetable read after the opening to learn
 *    their turn, the booking at it), so the platform's admission rate and not the crowd sets the load. Exactly 30
 *    booked again, and the other tenants' p99 before and during, against the same open-loop traffic as part 2.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { hashPassword, newSecret } from '../src/platform/auth/secrets.js';
import { addDays, localParts, zonedInstant } from '../src/platform/calendar.js';
import { TSX_ENTRY, startAppServer, startBenchCluster, withAdmin, type BenchCluster } from './cluster.js';
import { createPooledTenants, type DensitySettings, type TenantCredential } from './density.js';
import { readFileSync } from 'node:fs';
import { REPO_ROOT, WORK_DIR, fmt, log, mapConcurrent, onCleanup, percentile, processTree, ratio, sleep, sortedCopy, table, unmeasuredSection } from './lib.js';
import { probe, request, runLoad, type LoadResult, type LoadTarget } from './load.js';
import { parseOutput, pgbench, pgbenchVersion, readLatenciesMs } from './rls-cost.js';

export interface ReservationSettings {
  /** Members of the booking tenant: every one books in the throughput run and hits the rush lesson. */
  members: number;
  /** Lessons of the throughput run (distinct, non-overlapping times) and their capacity. */
  lessons: number;
  capacity: number;
  connections: number;
  warmupMs: number;
  durationMs: number;
  pgbenchScale: number;
  pgbenchClients: number;
  pgbenchThreads: number;
  pgbenchS: number;
  rushSeats: number;
  /** Keep-alive connections the rush's requests share (the rest queue in the client, as behind a proxy). */
  rushConnections: number;
  otherTenants: number;
  /** Requests per second of the other tenants' traffic (open loop), half timetable, half member search. */
  otherRate: number;
  baselineMs: number;
  setupConcurrency: number;
  /** Places the waiting room lets in each second (part 3): the server's WAITING_ROOM_ADMIT_PER_SECOND. */
  waitingRoomRate: number;
}

export interface ReservationPorts {
  pg: number;
  app: number;
}

export interface StatementProfile {
  query: string;
  callsPerBooking: number;
  meanMs: number;
  sharePct: number;
}

export interface Window {
  requests: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  non2xx: number;
}

/** CPU time (ms, user + system) of the app server and of PostgreSQL (all its processes) over a rush. */
export interface RushCpu {
  app: number;
  pg: number;
}

/** A rush lesson as the superuser finds it afterwards, against the answers' count of "waitlisted". */
export interface RushChecks {
  booked: number;
  held: number;
  reservations: number;
  consumed: number;
  waiting: number;
  waitlistedAnswers: number;
}

export interface WaitingRoomRush {
  /** The studio's settings and the server's rate: members queue `minutesBefore` the opening, `rate` let in a second. */
  minutesBefore: number;
  order: 'lottery';
  rate: number;
  members: number;
  connections: number;
  /**
   * Every member's `POST /api/me/waiting-room` before the opening, `connections` at a time (closed loop), a refused
   * one (503) tried again a moment later; latencies of every request, joins/s of members placed.
   */
  joins: {
    members: number;
    joined: number;
    requests: number;
    durationMs: number;
    perS: number;
    p50Ms: number;
    p99Ms: number;
    maxMs: number;
    statuses: Record<string, number>;
    /** Where members stood after their last try (`queued`, with no place yet in a lottery; or the refusal's reason). */
    states: Record<string, number>;
    /** How long before the opening the last join was answered. */
    doneBeforeOpeningMs: number;
    firstFailure: string | null;
  };
  /**
   * Each member's timetable read after the opening (the first one draws the lottery), with the app's retries of a
   * server error and its reads again of a place not drawn yet; `states`: what each member's last read found.
   */
  reads: { requests: number; retries: number; p50Ms: number; p99Ms: number; maxMs: number; states: Record<string, number>; rereads: number; lastAnsweredMs: number; firstFailure: string | null };
  /** Each member's booking at their turn, latency from the moment it was sent. */
  bookings: {
    requests: number;
    statuses: Record<string, number>;
    outcomes: Record<string, number>;
    p50Ms: number;
    p90Ms: number;
    p99Ms: number;
    maxMs: number;
    /** When the last place's turn came (floor((N − 1) / rate) s after the opening), and when the last answer came. */
    lastTurnMs: number;
    allAnsweredMs: number;
    firstFailure: string | null;
  };
  /** CPU time (ms) of the app server and of PostgreSQL from the opening until the last booking's answer. */
  cpuMs: RushCpu;
  checks: RushChecks & { queued: number; placed: number; drawn: number; admitPerSecond: number };
  others: { before: Window; joins: Window; reads?: Window; during: Window; after: Window; firstFailure: string | null };
}

export interface ReservationsResult {
  settings: ReservationSettings;
  loadAverage: { start: number[]; end: number[] };
  setupSeconds: { tenants: number; members: number; sessions: number; others: number };
  throughput: LoadResult & { bookedInDb: number; seats: number };
  /** CPU time per booking during the measured run: the app server, PostgreSQL (all its processes), the load generator. */
  cpuPerBookingMs: { app: number; pg: number; generator: number };
  profile: { statementsPerBooking: number; roundTripsPerBooking?: number; transactionsPerBooking: number; planMsPerBooking: number; execMsPerBooking: number; top: StatementProfile[] } | { skipped: string };
  pgbench: { version: string; scale: number; clients: number; threads: number; seconds: number; tps: number; transactions: number; failed: number; p50Ms: number; p99Ms: number } | { skipped: string };
  rush: {
    requests: number;
    connections: number;
    statuses: Record<string, number>;
    outcomes: Record<string, number>;
    p50Ms: number;
    p90Ms: number;
    p99Ms: number;
    allAnsweredMs: number;
    firstFailure: string | null;
    checks: RushChecks;
    /** From the release until the last answer. Absent in results of runs made before it was measured. */
    cpuMs?: RushCpu;
    /** The app server's event-loop delay from the release until the last answer (p99, max). Absent in older results. */
    loopDelayMs?: { p99Ms: number; maxMs: number };
  };
  others: { before: Window; during: Window; after: Window; firstFailure: string | null };
  /**
   * Just before the rush, over the same connections and against the same other tenants' traffic: every member at
   * once with the cheapest signed-in member request, the floor under any rush. Absent in older results.
   */
  floor?: {
    route: string;
    requests: number;
    statuses: Record<string, number>;
    p50Ms: number;
    p99Ms: number;
    allAnsweredMs: number;
    firstFailure: string | null;
    cpuMs: RushCpu;
    loopDelayMs: { p99Ms: number; maxMs: number };
    /**
     * The other tenants' requests sent during the floor burst. Their reference is the quiet spell after it (the
     * rush's "before"): the spell before the floor comes first after the traffic starts, and is still partly cold.
     */
    others: { during: Window };
  };
  /** Absent in results of runs made before the part existed. */
  waitingRoom?: WaitingRoomRush;
  totalSeconds: number;
}

export type ReservationsOutcome = ReservationsResult | { skipped: string };

const DAY = 86_400_000;
const MINUTE = 60_000;
const idem = () => ({ 'idempotency-key': randomUUID() });

/* ------------------------------------------------------------------------------------------------------------
 * Setup
 * ---------------------------------------------------------------------------------------------------------- */

interface Studio {
  cred: TenantCredential;
  host: string;
  locationId: string;
  lessonTypeId: string;
  roomId: string;
  packPlanId: string;
}

interface Member {
  id: string;
  token: string;
}

async function call(port: number, host: string, token: string, method: 'GET' | 'POST' | 'PATCH', url: string, body?: unknown, expect = method === 'POST' ? 201 : 200) {
  const res = await probe({ port, host, token, method, path: url, body, headers: idem() }, url);
  if (res.status !== expect) throw new Error(`${method} ${url} at ${host} answered ${res.status}: ${res.body.slice(0, 500)}`);
  return JSON.parse(res.body) as Record<string, unknown> & { id: string };
}

/** A location, a lesson type, a room (written as the superuser: there is no room API yet) and a pack plan. */
async function studio(cluster: BenchCluster, port: number, baseDomain: string, cred: TenantCredential, packCredits: number): Promise<Studio> {
  const host = `${cred.slug}.${baseDomain}`;
  const api = (url: string, body: unknown) => call(port, host, cred.token, 'POST', url, body);
  const location = await api('/api/locations', { name: 'Studio Shibuya' });
  const type = await api('/api/lesson-types', { name: 'Spin 45', durationMinutes: 45 });
  const pack = await api('/api/plans', { kind: 'pack', name: `${packCredits}-class pack`, terms: { price: 22_000, taxCategory: 'standard_10', packCredits, packValidityDays: 365 } });
  const roomId = await withAdmin(cluster.adminUrl, async (c) =>
    (await c.query<{ id: string }>(`insert into app.rooms (tenant_id, location_id, name, capacity) values ($1, $2, 'Room A', 1000) returning id`, [cred.id, location.id])).rows[0]!.id,
  );
  return { cred, host, locationId: location.id, lessonTypeId: type.id, roomId, packPlanId: pack.id };
}

/** Lessons at the given instants, `minutes` long, written as the superuser (the lesson API is not there yet). */
async function addLessons(cluster: BenchCluster, s: Studio, starts: Date[], minutes: number, capacity: number): Promise<string[]> {
  return withAdmin(cluster.adminUrl, async (c) =>
    (
      await c.query<{ id: string }>(
        `insert into app.lessons (tenant_id, lesson_type_id, location_id, room_id, starts_at, ends_at, capacity)
         select $1, $2, $3, $4, t, t + make_interval(mins => $5), $6 from unnest($7::timestamptz[]) with ordinality as u(t, i) order by i
         returning id`,
        [s.cred.id, s.lessonTypeId, s.locationId, s.roomId, minutes, capacity, starts.map((d) => d.toISOString())],
      )
    ).rows.map((r) => r.id),
  );
}

/**
 * Members registered and sold the pack through the API (the pack's credits are granted by the sale), then
 * a confirmed member account and one session each, inserted as the superuser: the rows a sign-up, its
 * confirmation and a sign-in write (sha256 of a fresh shm_ token; one real argon2id hash shared by all), so
 * that thousands of members get a session without thousands of argon2id sign-ins.
 */
async function members(cluster: BenchCluster, port: number, s: Studio, n: number, concurrency: number): Promise<Member[]> {
  const api = (url: string, body: unknown) => call(port, s.host, s.cred.token, 'POST', url, body);
  const ids = await mapConcurrent(Array.from({ length: n }, (_, i) => i), concurrency, async (i) => {
    const m = await api('/api/members', { familyName: '鈴木', givenName: `一郎${i}` });
    await api('/api/contracts', { memberId: m.id, planId: s.packPlanId });
    return m.id;
  });
  const passwordHash = await hashPassword('bench member password');
  const sessions = ids.map((id) => ({ id, ...newSecret('shm') }));
  await withAdmin(cluster.adminUrl, (c) =>
    c.query(
      `with a as (
         insert into app.member_accounts (tenant_id, member_id, email, password_hash, confirmed_at)
         select $1, m, 'm' || i || '@' || $2, $3, now() from unnest($4::uuid[]) with ordinality as u(m, i)
         returning id, member_id)
       insert into app.member_sessions (tenant_id, account_id, token_hash, expires_at, user_agent)
       select $1, a.id, decode(u.h, 'hex'), now() + interval '30 days', 'studiohive-bench'
         from a join unnest($4::uuid[], $5::text[]) as u(m, h) on u.m = a.member_id`,
      [s.cred.id, `${s.cred.slug}.example.test`, passwordHash, sessions.map((x) => x.id), sessions.map((x) => x.hash.toString('hex'))],
    ),
  );
  return sessions.map((x) => ({ id: x.id, token: x.token }));
}

/* ------------------------------------------------------------------------------------------------------------
 * Measurements
 * ---------------------------------------------------------------------------------------------------------- */

/** CPU time (user + system, ms) used so far by the trees of the given roots; 100 ticks a second on Linux. */
function cpuMs(roots: number[]): number {
  let ticks = 0;
  for (const root of roots) {
    for (const pid of processTree(root)) {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        ticks += Number(fields[11]) + Number(fields[12]);
      } catch {
        // gone
      }
    }
  }
  return ticks * 10;
}

/** The CPU used so far by the app server and by PostgreSQL, to subtract across a window. */
const cpuOf = (pids: { app: number; pg: number }): RushCpu => ({ app: cpuMs([pids.app]), pg: cpuMs([pids.pg]) });
const cpuSince = (pids: { app: number; pg: number }, from: RushCpu): RushCpu => {
  const now = cpuOf(pids);
  return { app: now.app - from.app, pg: now.pg - from.pg };
};

const count = async (adminUrl: string, text: string, params: unknown[] = []) =>
  withAdmin(adminUrl, async (c) => Number((await c.query<{ n: string }>(text, params)).rows[0]!.n));

/** pg_stat_statements of the app role since the last reset, per booking. */
async function statementProfile(adminUrl: string, bookings: number, commits: number): Promise<ReservationsResult['profile']> {
  return withAdmin(adminUrl, async (c) => {
    const rows = await c.query<{ query: string; calls: string; total: number; mean: number; plan: number }>(
      `select query, calls, total_exec_time as total, mean_exec_time as mean, total_plan_time as plan from pg_stat_statements
        where userid = 'studiohive_app'::regrole and dbid = (select oid from pg_database where datname = current_database())
        order by total_exec_time desc`,
    );
    const calls = rows.rows.reduce((a, r) => a + Number(r.calls), 0);
    const total = rows.rows.reduce((a, r) => a + r.total, 0);
    // The tenant's set_config goes with `begin` in one simple query (its literals normalised to $n here), so it is
    // a statement but not a round trip of its own. (Another set_config of literals would match too: none is on the
    // booking path.)
    const withBegin = rows.rows.filter((r) => /^select set_config\(\$1, \$2, \$3\)$/.test(r.query.trim())).reduce((a, r) => a + Number(r.calls), 0);
    return {
      planMsPerBooking: rows.rows.reduce((a, r) => a + r.plan, 0) / bookings,
      execMsPerBooking: total / bookings,
      statementsPerBooking: calls / bookings,
      roundTripsPerBooking: (calls - withBegin) / bookings,
      transactionsPerBooking: commits / bookings,
      top: rows.rows.slice(0, 15).map((r) => ({
        query: r.query.replace(/\s+/g, ' ').slice(0, 220),
        callsPerBooking: Number(r.calls) / bookings,
        meanMs: r.mean,
        sharePct: (100 * r.total) / total,
      })),
    };
  });
}

async function runPgbench(cluster: BenchCluster, d: DensitySettings, s: ReservationSettings): Promise<ReservationsResult['pgbench']> {
  const version = pgbenchVersion();
  if (!version) return { skipped: 'pgbench not found (Debian package postgresql-client)' };
  await withAdmin(cluster.adminUrl, (c) => c.query(`create database pgbench`));
  const common = ['-h', '127.0.0.1', '-p', String(cluster.port), '-U', 'postgres'];
  const i0 = performance.now();
  await pgbench(['-i', '-q', '-s', String(s.pgbenchScale), ...common, 'pgbench'], d.pgPassword);
  log(`pgbench -i -s ${s.pgbenchScale}: ${((performance.now() - i0) / 1000).toFixed(1)} s`);
  const dir = path.join(WORK_DIR, 'pgbench-reservations');
  await mkdir(dir, { recursive: true });
  const prefix = path.join(dir, 'tpcb');
  const out = await pgbench(
    [...common, '-n', '-c', String(s.pgbenchClients), '-j', String(s.pgbenchThreads), '-T', String(s.pgbenchS), '-l', `--log-prefix=${prefix}`, 'pgbench'],
    d.pgPassword,
  );
  const parsed = parseOutput(out);
  const latencies = await readLatenciesMs(dir, 'tpcb');
  const run = { version, scale: s.pgbenchScale, clients: s.pgbenchClients, threads: s.pgbenchThreads, seconds: s.pgbenchS, ...parsed, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) };
  log(`pgbench TPC-B-like, ${s.pgbenchClients} clients: ${run.tps.toFixed(0)} tps, p50 ${run.p50Ms.toFixed(2)} ms, p99 ${run.p99Ms.toFixed(2)} ms`);
  return run;
}

/**
 * Other tenants' everyday requests at a fixed rate (open loop), each with its send time and latency, sent from a
 * process of its own (bench/background-child.ts) so that the rush's client work in this process never delays them.
 * Resolves once the first request is out; `stop` gives the samples with `at` on this process's performance clock.
 */
async function backgroundTraffic(targets: LoadTarget[], ratePerS: number) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/background-child.ts', JSON.stringify({ targets, ratePerS })], { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  const removeCleanup = onCleanup('other tenants\' traffic', async () => kill());
  // A child that died is reported by the read below, not by an unhandled EPIPE on its stdin.
  child.stdin!.on('error', () => undefined);
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const first = await lines.next();
  if (first.done || first.value !== 'started') {
    kill();
    throw new Error(`bench/background-child.ts did not start (${first.done ? 'exited' : first.value})`);
  }
  return {
    async stop() {
      child.stdin!.end('stop\n');
      const last = await lines.next();
      removeCleanup();
      if (last.done) throw new Error('bench/background-child.ts exited without its samples');
      const out = JSON.parse(last.value) as { samples: Array<{ at: number; ms: number; status: number }>; firstFailure: string | null };
      return { samples: out.samples.map((x) => ({ ...x, at: x.at - performance.timeOrigin })), firstFailure: out.firstFailure };
    },
  };
}

/**
 * The app server's event-loop delay (p99 and max, ms) since the last call: prom-client samples it with
 * `monitorEventLoopDelay` and starts afresh at every scrape of /metrics. While the loop is held, every request
 * already in the socket waits, whichever tenant sent it. Node records the whole time between its 10 ms samples, so
 * an idle loop reads about 10 ms; the figures are reported as read.
 */
async function loopDelay(port: number, adminToken: string): Promise<{ p99Ms: number; maxMs: number }> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${adminToken}` } });
  if (!res.ok) throw new Error(`/metrics answered ${res.status}`);
  const body = await res.text();
  const read = (name: string) => 1000 * Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(body)?.[1] ?? Number.NaN);
  return { p99Ms: read('nodejs_eventloop_lag_p99_seconds'), maxMs: read('nodejs_eventloop_lag_max_seconds') };
}

function windowOf(samples: Array<{ at: number; ms: number; status: number }>, from: number, to: number): Window {
  const inside = samples.filter((x) => x.at >= from && x.at < to);
  const sorted = sortedCopy(inside.map((x) => x.ms));
  return {
    requests: inside.length,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted.length ? sorted[sorted.length - 1]! : Number.NaN,
    non2xx: inside.filter((x) => x.status !== 200).length,
  };
}

/**
 * A rush's answers by HTTP status and by outcome (the body's outcome, or its refusal's reason), with the first one
 * that is neither a booking, a waitlist place nor "full".
 */
function tally(answers: Array<{ status: number; body: string }>) {
  const statuses: Record<string, number> = {};
  const outcomes: Record<string, number> = {};
  let firstFailure: string | null = null;
  for (const a of answers) {
    statuses[a.status] = (statuses[a.status] ?? 0) + 1;
    let outcome = `HTTP ${a.status}`;
    try {
      const body = JSON.parse(a.body) as { outcome?: string; reason?: string };
      outcome = body.outcome ?? body.reason ?? outcome;
    } catch {
      // not JSON
    }
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    if (a.status !== 201 && !(a.status === 409 && outcome === 'full')) firstFailure ??= `${a.status}: ${a.body.slice(0, 300)}`;
  }
  return { statuses, outcomes, firstFailure };
}

/** The rush lesson's seats, bookings, credits consumed and waitlist as the superuser finds them. */
async function rushChecks(adminUrl: string, lessonId: string, waitlistedAnswers: number): Promise<RushChecks> {
  return withAdmin(adminUrl, async (c) => {
    const one = async (text: string) => Number((await c.query<{ n: string }>(text, [lessonId])).rows[0]!.n);
    return {
      booked: await one(`select booked as n from app.lessons where id = $1`),
      held: await one(`select held as n from app.lessons where id = $1`),
      reservations: await one(`select count(*) as n from app.reservations where lesson_id = $1 and status = 'booked'`),
      consumed: await one(`select count(*) as n from app.credit_ledger where kind = 'consume' and reference_id in (select id from app.reservations where lesson_id = $1)`),
      waiting: await one(`select count(*) as n from app.waitlist_entries where lesson_id = $1 and status = 'waiting'`),
      waitlistedAnswers,
    };
  });
}

const rushHolds = (c: RushChecks, outcomes: Record<string, number>, seats: number) =>
  c.booked === seats && c.reservations === seats && c.consumed === seats && (outcomes.booked ?? 0) === seats && c.waiting === c.waitlistedAnswers;

/* ------------------------------------------------------------------------------------------------------------
 * 3. The same rush through a waiting room
 * ---------------------------------------------------------------------------------------------------------- */

const WAITING_ROOM_MINUTES_BEFORE = 10;
/**
 * How far ahead the opening is at least: the quiet baseline, then time for every member to join before it (the
 * joins take their turns on the queue; 20 ms a member is a third of the rate a quick run measured), and a margin.
 */
const openingLeadMs = (s: ReservationSettings) => s.baselineMs + 20 * s.members + 30_000 + DRAW_LEAD_MS;
/** The places are drawn this long before the opening (waiting-room.service.ts): the joins must be over by then. */
const DRAW_LEAD_MS = 60_000;
/**
 * The opening lesson's window opens this many days before its day: six days after the opening is later than every
 * lesson of parts 1 and 2 (at most 5.5 days ahead), so no member's booking of it overlaps one they hold.
 */
const OPENING_DAYS_BEFORE = 6;
/** The web app's spread of a queue's phones around a moment the server named (useRefreshAt in web/src/member/Schedule.tsx). */
const APP_SPREAD_MS = 1_500;
/** And its pause before reading again when the moment has already passed by the phone's clock. */
const APP_REREAD_MS = 2_000;
/**
 * The app's reads retry a server error (a 503 when the studio's share of the database is busy) twice, after 1 s
 * and 2 s (the query client's retry in web/src/api/client.ts, react-query's delays); its writes never retry.
 */
const APP_READ_RETRY_DELAYS_MS = [1_000, 2_000];
/** A member whose join was refused taps again a moment later, a few times: the queue is open for minutes. */
const JOIN_TRIES = 5;
const JOIN_RETRY_MS = 1_000;
const serverError = (status: number) => status === 0 || status >= 500;

type MyState = { state: string; position?: number | null; turnAt?: string | null; opensAt?: string; checkAt?: string };

/**
 * Part 3: a lesson of the rush's seats in a lesson type whose window opens at the next whole minute far enough
 * ahead, the studio's waiting room on (a lottery), every member queued before the draw (a minute before the
 * opening), then each member's phone as the web app runs it: a timetable read at the moment its join named
 * (`checkAt`, spread over the 45 s after the draw by the entry's lot; the first read after the draw draws it if
 * the job has not), and the booking at the turn it names (with up to 1.5 s of spread; half ask for the waitlist,
 * as in part 2).
 */
async function waitingRoomRush(cluster: BenchCluster, port: number, pids: { app: number; pg: number }, s: ReservationSettings, main: Studio, people: Member[], background: LoadTarget[]): Promise<WaitingRoomRush> {
  const owner = (method: 'POST' | 'PATCH', url: string, body: unknown) => call(port, main.host, main.cred.token, method, url, body, method === 'POST' ? 201 : 200);
  const timeZone = await withAdmin(cluster.adminUrl, async (c) => (await c.query<{ timezone: string }>(`select timezone from platform.tenants where id = $1`, [main.cred.id])).rows[0]!.timezone);
  // The server runs on the real clock, so the opening is a real instant: a whole minute (booking rules speak HH:MM).
  const opening = new Date(Math.ceil((Date.now() + openingLeadMs(s)) / MINUTE) * MINUTE);
  const local = localParts(opening, timeZone);
  const lessonDay = addDays(local.date, OPENING_DAYS_BEFORE);
  if (zonedInstant(addDays(lessonDay, -OPENING_DAYS_BEFORE), local.time, timeZone).getTime() !== opening.getTime()) {
    throw new Error(`reservations bench: ${local.date} ${local.time} in ${timeZone} is not the opening ${opening.toISOString()}`);
  }
  const type = await owner('POST', '/api/lesson-types', { name: 'Spin 45 (opening)', durationMinutes: 45, bookingRules: { opensDaysBefore: OPENING_DAYS_BEFORE, opensAt: local.time } });
  const [lessonId] = await addLessons(cluster, { ...main, lessonTypeId: type.id }, [zonedInstant(lessonDay, local.time, timeZone)], 45, s.rushSeats);
  await owner('PATCH', '/api/settings/booking', { waitingRoomMinutesBefore: WAITING_ROOM_MINUTES_BEFORE, waitingRoomOrder: 'lottery' });

  const agent = new http.Agent({ keepAlive: true, maxSockets: s.rushConnections });
  const asMember = (m: Member, method: 'GET' | 'POST', url: string, body?: unknown) =>
    request(agent, { port, host: main.host, token: m.token, method, path: url, body, headers: idem() }).catch((error: unknown) => ({ status: 0, body: (error as Error).message }));
  const scheduleUrl = `/api/me/schedule?from=${lessonDay}&days=1`;
  // Every request's latency, retries included (each is load the server carried).
  const readMs: number[] = [];
  let readRetries = 0;
  const readState = async (m: Member) => {
    let res: { status: number; body: string };
    for (let attempt = 0; ; attempt++) {
      const t = performance.now();
      res = await asMember(m, 'GET', scheduleUrl);
      readMs.push(performance.now() - t);
      if (!serverError(res.status) || attempt >= APP_READ_RETRY_DELAYS_MS.length) break;
      readRetries += 1;
      await sleep(APP_READ_RETRY_DELAYS_MS[attempt]!);
    }
    let me: MyState | undefined;
    try {
      me = (JSON.parse(res.body) as { lessons?: Array<{ id: string; me: MyState }> }).lessons?.find((l) => l.id === lessonId)?.me;
    } catch {
      // not JSON
    }
    return { ...res, me };
  };
  // Before anyone queues the lesson must say so: a queue for that opening, not yet open for booking.
  const first = await readState(people[0]!);
  if (first.status !== 200 || first.me?.state !== 'queue' || first.me.opensAt !== opening.toISOString()) {
    throw new Error(`reservations bench: the opening lesson reads ${first.status} ${JSON.stringify(first.me ?? first.body.slice(0, 300))}, not a queue opening at ${opening.toISOString()}`);
  }
  readMs.length = 0; // only the reads from the opening are measured
  log(`reservations: waiting room (lottery, ${s.waitingRoomRate}/s) for the opening at ${local.time} ${timeZone}, ${((opening.getTime() - Date.now()) / 1000).toFixed(0)} s from now`);

  const traffic = await backgroundTraffic(background, s.otherRate);
  await Promise.all(Array.from({ length: s.rushConnections }, () => request(agent, { port, host: main.host, token: '', path: '/readyz' })));
  await sleep(s.baselineMs);

  // Everyone queues in one burst, as many at a time as there are connections: the worst case of what is in
  // practice spread over the queue's ten minutes. Each join takes its turn on the room's row.
  const joinsFrom = performance.now();
  const joinMs: number[] = [];
  const joinStatuses: Record<string, number> = {};
  let joinFailure: string | null = null;
  const joins = await mapConcurrent(people, s.rushConnections, async (m) => {
    let res: { status: number; body: string };
    for (let attempt = 1; ; attempt++) {
      const t = performance.now();
      res = await asMember(m, 'POST', '/api/me/waiting-room', { lessonId });
      joinMs.push(performance.now() - t);
      joinStatuses[res.status] = (joinStatuses[res.status] ?? 0) + 1;
      if (!serverError(res.status) || attempt >= JOIN_TRIES) return { ...res, attempts: attempt };
      await sleep(JOIN_RETRY_MS + Math.random() * JOIN_RETRY_MS);
    }
  });
  const joinsTo = performance.now();
  const doneBeforeOpeningMs = opening.getTime() - Date.now();
  // Where each member stands after their last try.
  const joinStates: Record<string, number> = {};
  for (const j of joins) {
    let state = `HTTP ${j.status}`;
    try {
      const body = JSON.parse(j.body) as { state?: string; reason?: string; position?: number | null };
      state = body.state ?? body.reason ?? state;
      if (j.status === 200 && (body.state !== 'queued' || body.position !== null)) joinFailure ??= `a lottery place before the draw: ${j.body.slice(0, 300)}`;
    } catch {
      // not JSON
    }
    joinStates[state] = (joinStates[state] ?? 0) + 1;
    if (j.status !== 200) joinFailure ??= `${j.status} after ${j.attempts} tries: ${j.body.slice(0, 300)}`;
  }
  const joined = joins.filter((j) => j.status === 200).length;
  const joinSorted = sortedCopy(joinMs);
  log(
    `reservations: ${joined} of ${joins.length} members joined in ${(joinsTo - joinsFrom).toFixed(0)} ms (${joinMs.length} requests: ${JSON.stringify(joinStatuses)}), ` +
      `p50 ${percentile(joinSorted, 50).toFixed(0)} ms, p99 ${percentile(joinSorted, 99).toFixed(0)} ms; ${(doneBeforeOpeningMs / 1000).toFixed(1)} s before the opening`,
  );
  if (doneBeforeOpeningMs <= DRAW_LEAD_MS) throw new Error(`reservations bench: the joins ended ${((DRAW_LEAD_MS - doneBeforeOpeningMs) / 1000).toFixed(1)} s after the draw; lengthen openingLeadMs`);
  const checkAtOf = new Map(joins.map((j, i) => {
    try {
      return [i, Date.parse((JSON.parse(j.body) as { checkAt: string }).checkAt)] as const;
    } catch {
      return [i, opening.getTime() - DRAW_LEAD_MS] as const;
    }
  }));

  // The phones: timers on the wall clock (the server's), latencies on the monotonic one.
  const until = (wallMs: number) => sleep(Math.max(0, wallMs - Date.now()));
  const openingPerf = performance.now() + (opening.getTime() - Date.now());
  // From the draw: the phones' reads of their places come in the minute before the opening.
  const drawPerf = openingPerf - DRAW_LEAD_MS;
  const cpuAtOpening = until(opening.getTime() - DRAW_LEAD_MS).then(() => cpuOf(pids));
  let rereads = 0;
  const phones = await Promise.all(
    people.map(async (m, i) => {
      await until(checkAtOf.get(i)! + Math.random() * APP_SPREAD_MS);
      let read = await readState(m);
      // A place not drawn yet (this phone a hair early): the app asks again two seconds on.
      for (let again = 0; again < 3 && read.me?.state === 'queued' && !read.me.turnAt; again++) {
        rereads += 1;
        await sleep(APP_REREAD_MS + Math.random() * APP_SPREAD_MS);
        read = await readState(m);
      }
      const readAt = performance.now();
      // Queued: book at the turn the read named. Let in already ('bookable', or 'full' once the seats are gone): now.
      const turnAt = read.me?.state === 'queued' && read.me.turnAt ? Date.parse(read.me.turnAt) : Date.now();
      await until(turnAt + Math.random() * APP_SPREAD_MS);
      const sent = performance.now();
      const booking = await asMember(m, 'POST', '/api/me/reservations', { lessonId, joinWaitlist: i % 2 === 0 });
      const answeredAt = performance.now();
      return { read, readAt, booking: { ...booking, ms: answeredAt - sent }, answeredAt };
    }),
  );
  const answered = Math.max(...phones.map((p) => p.answeredAt));
  const cpu = cpuSince(pids, await cpuAtOpening);
  await sleep(s.baselineMs / 2);
  const bg = await traffic.stop();
  agent.destroy();

  const readSorted = sortedCopy(readMs);
  const readStates: Record<string, number> = {};
  let readFailure: string | null = null;
  for (const p of phones) {
    const state = p.read.me?.state ?? `HTTP ${p.read.status}`;
    readStates[state] = (readStates[state] ?? 0) + 1;
    if (p.read.status !== 200) readFailure ??= `${p.read.status}: ${p.read.body.slice(0, 300)}`;
    else if (!['queued', 'bookable', 'full'].includes(state) || (state === 'queued' && !p.read.me?.turnAt)) readFailure ??= `a read after the opening found ${JSON.stringify(p.read.me)}`;
  }
  const answers = phones.map((p) => p.booking);
  const { statuses, outcomes, firstFailure } = tally(answers);
  const sorted = sortedCopy(answers.map((a) => a.ms));
  const checks = {
    ...(await rushChecks(cluster.adminUrl, lessonId!, outcomes.waitlisted ?? 0)),
    ...(await withAdmin(cluster.adminUrl, async (c) => {
      const one = async (text: string) => Number((await c.query<{ n: string }>(text, [main.cred.id, opening])).rows[0]!.n);
      return {
        queued: await one(`select count(*) as n from app.waiting_room_entries where tenant_id = $1 and opens_at = $2`),
        placed: await one(`select count(distinct position) as n from app.waiting_room_entries where tenant_id = $1 and opens_at = $2 and position is not null`),
        drawn: await one(`select count(*) as n from app.waiting_rooms where tenant_id = $1 and opens_at = $2 and drawn_at is not null`),
        admitPerSecond: await one(`select coalesce(max(admit_per_second), 0) as n from app.waiting_rooms where tenant_id = $1 and opens_at = $2`),
      };
    })),
  };
  const result: WaitingRoomRush = {
    minutesBefore: WAITING_ROOM_MINUTES_BEFORE,
    order: 'lottery',
    rate: s.waitingRoomRate,
    members: people.length,
    connections: s.rushConnections,
    joins: {
      members: joins.length,
      joined,
      requests: joinMs.length,
      durationMs: joinsTo - joinsFrom,
      perS: joined / ((joinsTo - joinsFrom) / 1000),
      p50Ms: percentile(joinSorted, 50),
      p99Ms: percentile(joinSorted, 99),
      maxMs: joinSorted[joinSorted.length - 1] ?? Number.NaN,
      statuses: joinStatuses,
      states: joinStates,
      doneBeforeOpeningMs,
      firstFailure: joinFailure,
    },
    reads: {
      requests: readMs.length,
      retries: readRetries,
      p50Ms: percentile(readSorted, 50),
      p99Ms: percentile(readSorted, 99),
      maxMs: readSorted[readSorted.length - 1] ?? Number.NaN,
      states: readStates,
      rereads,
      lastAnsweredMs: Math.max(...phones.map((p) => p.readAt)) - openingPerf,
      firstFailure: readFailure,
    },
    bookings: {
      requests: answers.length,
      statuses,
      outcomes,
      p50Ms: percentile(sorted, 50),
      p90Ms: percentile(sorted, 90),
      p99Ms: percentile(sorted, 99),
      maxMs: sorted[sorted.length - 1] ?? Number.NaN,
      lastTurnMs: Math.floor((people.length - 1) / s.waitingRoomRate) * 1000,
      allAnsweredMs: answered - openingPerf,
      firstFailure,
    },
    cpuMs: cpu,
    checks,
    others: {
      before: windowOf(bg.samples, joinsFrom - s.baselineMs, joinsFrom),
      joins: windowOf(bg.samples, joinsFrom, joinsTo),
      reads: windowOf(bg.samples, drawPerf, openingPerf),
      during: windowOf(bg.samples, openingPerf, answered),
      after: windowOf(bg.samples, answered, Number.POSITIVE_INFINITY),
      firstFailure: bg.firstFailure,
    },
  };
  const b = result.bookings;
  log(`reservations: ${readMs.length} timetable reads from the opening (${readRetries} retries of a server error, ${rereads} reads again of a place not drawn), p50 ${result.reads.p50Ms.toFixed(0)} ms, p99 ${result.reads.p99Ms.toFixed(0)} ms; last found ${JSON.stringify(readStates)}`);
  log(`reservations: waiting-room bookings p50 ${b.p50Ms.toFixed(0)} ms, p99 ${b.p99Ms.toFixed(0)} ms, max ${b.maxMs.toFixed(0)} ms from their send; last answer ${b.allAnsweredMs.toFixed(0)} ms after the opening (last turn at ${b.lastTurnMs} ms); ${JSON.stringify(outcomes)}; ${JSON.stringify(checks)}`);
  log(`reservations: CPU from the draw (a minute before the opening) to the last answer: app ${(cpu.app / 1000).toFixed(1)} s, PostgreSQL ${(cpu.pg / 1000).toFixed(1)} s in ${((b.allAnsweredMs + DRAW_LEAD_MS) / 1000).toFixed(1)} s (the other tenants' traffic included)`);
  for (const failure of [joinFailure, readFailure, firstFailure]) if (failure) log(`  first unexpected answer: ${failure}`);
  const o = result.others;
  log(`reservations: other tenants p99 ${o.before.p99Ms.toFixed(1)} ms before, ${o.joins.p99Ms.toFixed(1)} ms during the joins, ${o.reads?.p99Ms.toFixed(1)} ms during the reads of places, ${o.during.p99Ms.toFixed(1)} ms from the opening to the last answer (${o.during.requests} requests), ${o.after.p99Ms.toFixed(1)} ms after`);
  // A join whose answer was lost may still have queued its member (a later try finds the same place): at least
  // every member told they were queued, each with a place of their own.
  if (!rushHolds(checks, outcomes, s.rushSeats) || checks.queued < joined || checks.placed !== checks.queued || checks.drawn !== 1 || checks.admitPerSecond !== s.waitingRoomRate) {
    throw new Error(`WAITING ROOM CHECK FAILED: expected exactly ${s.rushSeats} booked and ${joined} places drawn at ${s.waitingRoomRate}/s; got ${JSON.stringify({ checks, outcomes })}`);
  }
  return result;
}

/* ------------------------------------------------------------------------------------------------------------ */

export async function runReservations(ports: ReservationPorts, s: ReservationSettings, d: DensitySettings): Promise<ReservationsOutcome> {
  const t0 = performance.now();
  const loadAtStart = os.loadavg();
  // Bookings per member in the throughput run, plus one for each rush (parts 2 and 3).
  const perMember = Math.ceil((s.lessons * s.capacity) / s.members);
  const packCredits = perMember + 2;
  const cluster = await startBenchCluster('reservations', ports.pg, d.pgPassword, ['-c', 'shared_preload_libraries=pg_stat_statements', '-c', 'pg_stat_statements.track=top', '-c', 'pg_stat_statements.track_planning=on']);
  try {
    let p0 = performance.now();
    const { creds } = await createPooledTenants(cluster, { ...d, tenants: 1 + s.otherTenants, passwordSample: 0 });
    const tenantSeconds = (performance.now() - p0) / 1000;
    await withAdmin(cluster.adminUrl, (c) => c.query(`create extension if not exists pg_stat_statements`));
    // The booking studio registers more members through the API than the starter plan's quota allows.
    await withAdmin(cluster.adminUrl, (c) => c.query(`update platform.tenants set limits = limits || '{"members": 100000}' where id = $1`, [creds[0]!.id]));

    const server = await startAppServer('reservations', ports.app, {
      databaseUrl: cluster.adminUrl,
      appPassword: d.appPassword,
      platformPassword: d.platformPassword,
      adminToken: d.adminToken,
      baseDomain: d.baseDomain,
    }, TSX_ENTRY, { WAITING_ROOM_ADMIT_PER_SECOND: String(s.waitingRoomRate) }); // part 3's rate; parts 1 and 2 have no waiting room
    const pids = { app: server.pid, pg: cluster.postmasterPid() };
    try {
      // The booking tenant: lessons of 15 minutes every 20 minutes from 36 hours ahead (inside the default
      // booking window, 7 days before the lesson's day at 12:00), and the rush lesson 24 hours ahead.
      const main = await studio(cluster, ports.app, d.baseDomain, creds[0]!, packCredits);
      const first = Math.ceil((Date.now() + 1.5 * DAY) / (20 * MINUTE)) * 20 * MINUTE;
      const lessons = await addLessons(cluster, main, Array.from({ length: s.lessons }, (_, i) => new Date(first + i * 20 * MINUTE)), 15, s.capacity);
      if (first + s.lessons * 20 * MINUTE > Date.now() + 5.5 * DAY) throw new Error('reservations bench: too many lessons for the booking window');
      const [rushLesson] = await addLessons(cluster, main, [new Date(Math.ceil((Date.now() + DAY) / (20 * MINUTE)) * 20 * MINUTE + 5 * MINUTE)], 45, s.rushSeats);
      p0 = performance.now();
      log(`reservations: ${s.members} members with a ${packCredits}-credit pack through the API, ${s.setupConcurrency} at a time`);
      const people = await members(cluster, ports.app, main, s.members, s.setupConcurrency);
      const membersSeconds = (performance.now() - p0) / 1000;
      log(`reservations: members ready in ${membersSeconds.toFixed(1)} s`);

      // Other tenants: a few lessons this week, 10 members each (one with a session), for timetable and search.
      p0 = performance.now();
      const background: LoadTarget[] = [];
      await mapConcurrent(creds.slice(1), 2, async (cred) => {
        const st = await studio(cluster, ports.app, d.baseDomain, cred, 10);
        const day0 = Math.ceil(Date.now() / DAY) * DAY;
        await addLessons(cluster, st, Array.from({ length: 21 }, (_, i) => new Date(day0 + Math.floor(i / 3) * DAY + (i % 3) * 3 * 3_600_000)), 45, 20);
        const [member] = await members(cluster, ports.app, st, 10, 2);
        const today = new Date().toISOString().slice(0, 10);
        background.push({ port: ports.app, host: st.host, token: member!.token, path: `/api/me/schedule?from=${today}&days=7`, label: 'schedule' });
        background.push({ port: ports.app, host: st.host, token: cred.token, path: `/api/members?limit=25&q=${encodeURIComponent('鈴木')}`, label: 'search' });
      });
      const othersSeconds = (performance.now() - p0) / 1000;
      for (const target of background.slice(0, 2)) {
        const res = await probe(target, target.path!);
        if (res.status !== 200) throw new Error(`${target.path} answered ${res.status}: ${res.body.slice(0, 300)}`);
      }

      /* ---- 1. Throughput ---- */
      // Request k books lesson k mod L for member (L·C … ) so that every pair is new, no lesson gets more than
      // C requests, and requests in flight together are on different lessons and (mostly) different members.
      const seats = s.lessons * s.capacity;
      let k = 0;
      const pick = (): LoadTarget => {
        const n = k++;
        const j = n % s.lessons;
        const r = Math.floor(n / s.lessons) % s.capacity;
        const member = people[(j * s.capacity + r) % s.members]!;
        return { port: ports.app, host: main.host, token: member.token, method: 'POST', path: '/api/me/reservations', body: { lessonId: lessons[j] }, headers: idem };
      };
      const check = await request(new http.Agent(), pick());
      if (check.status !== 201) throw new Error(`a member booking answered ${check.status}: ${check.body.slice(0, 500)}`);
      log(`reservations: warm-up ${s.warmupMs / 1000} s at ${s.connections} connections`);
      await runLoad({ connections: s.connections, durationMs: s.warmupMs, path: '/', pick });
      const before = k;
      await withAdmin(cluster.adminUrl, (c) => c.query(`select pg_stat_statements_reset()`));
      const commits0 = await count(cluster.adminUrl, `select xact_commit as n from pg_stat_database where datname = 'studiohive'`);
      const cpu0 = { app: cpuMs([server.pid]), pg: cpuMs([cluster.postmasterPid()]), gen: process.cpuUsage() };
      const throughput = await runLoad({ connections: s.connections, durationMs: s.durationMs, path: '/', pick });
      const genCpu = process.cpuUsage(cpu0.gen);
      const cpuPerBookingMs = {
        app: (cpuMs([server.pid]) - cpu0.app) / throughput.ok,
        pg: (cpuMs([cluster.postmasterPid()]) - cpu0.pg) / throughput.ok,
        generator: (genCpu.user + genCpu.system) / 1000 / throughput.ok,
      };
      log(`reservations: CPU per booking: app ${cpuPerBookingMs.app.toFixed(2)} ms, PostgreSQL ${cpuPerBookingMs.pg.toFixed(2)} ms, generator ${cpuPerBookingMs.generator.toFixed(2)} ms`);
      const commits1 = await count(cluster.adminUrl, `select xact_commit as n from pg_stat_database where datname = 'studiohive'`);
      if (k > seats) log(`reservations: WARNING the throughput run asked for ${k} seats of ${seats}; later requests were refused`);
      const bookedInDb = await count(cluster.adminUrl, `select count(*) as n from app.reservations where tenant_id = $1 and status = 'booked' and lesson_id <> $2`, [main.cred.id, rushLesson]);
      log(
        `reservations: ${throughput.ok} bookings in ${throughput.durationS.toFixed(1)} s = ${throughput.rps.toFixed(0)}/s (${k - before} asked), p50 ${throughput.p50Ms.toFixed(1)} ms, p99 ${throughput.p99Ms.toFixed(1)} ms, non-2xx ${throughput.non2xx}, errors ${throughput.errors}`,
      );
      if (throughput.firstFailure) log(`  first non-2xx: ${throughput.firstFailure}`);
      const profile = await statementProfile(cluster.adminUrl, throughput.ok, commits1 - commits0);
      if (!('skipped' in profile)) log(`reservations: ${profile.statementsPerBooking.toFixed(1)} statements (${profile.roundTripsPerBooking?.toFixed(1)} round trips) and ${profile.transactionsPerBooking.toFixed(2)} commits per booking`);

      const pg = await runPgbench(cluster, d, s);

      /* ---- 2. The rush ---- */
      const traffic = await backgroundTraffic(background, s.otherRate);
      const agent = new http.Agent({ keepAlive: true, maxSockets: s.rushConnections });
      // Open the pool's connections first, so that the rush measures bookings, not TCP handshakes.
      await Promise.all(Array.from({ length: s.rushConnections }, () => request(agent, { port: ports.app, host: main.host, token: '', path: '/readyz' })));
      // The other tenants' first requests are cold (their tenants looked up, statements prepared): a warm-up before
      // the quiet window, which would otherwise make "before" look slow and the rush's ratio small.
      await sleep(s.warmupMs + s.baselineMs);
      // The floor, on the same connections and against the same traffic: every member at once with the cheapest
      // signed-in request a member makes. No rush can be answered sooner than this, whatever booking costs; then a
      // quiet spell again, the rush's own "before".
      log(`reservations: floor, ${s.members} × GET /api/me/waitlist at once over ${s.rushConnections} connections`);
      // Every member sends one request at the same instant; latency from that instant, with the app's CPU and
      // event-loop delay over the burst.
      const burst = async (target: (m: Member, i: number) => LoadTarget) => {
        await loopDelay(ports.app, d.adminToken);
        const cpu0 = cpuOf(pids);
        const from = performance.now();
        const answers = await Promise.all(
          people.map(async (m, i) => {
            const res = await request(agent, target(m, i)).catch((error: unknown) => ({ status: 0, body: (error as Error).message }));
            return { ...res, ms: performance.now() - from };
          }),
        );
        const to = performance.now();
        return { answers, from, to, cpuMs: cpuSince(pids, cpu0), loopDelayMs: await loopDelay(ports.app, d.adminToken) };
      };
      const floorBurst = await burst((m) => ({ port: ports.app, host: main.host, token: m.token, path: '/api/me/waitlist' }));
      await sleep(s.baselineMs);
      log(`reservations: rush, ${s.members} members on ${s.rushSeats} seats over ${s.rushConnections} connections`);
      const { answers, from: released, to: answered, cpuMs: rushCpu, loopDelayMs: rushLoop } = await burst((m, i) => ({
        port: ports.app, host: main.host, token: m.token, method: 'POST', path: '/api/me/reservations',
        body: { lessonId: rushLesson, joinWaitlist: i % 2 === 0 }, headers: idem(),
      }));
      await sleep(s.baselineMs / 2);
      const bg = await traffic.stop();
      agent.destroy();
      const { statuses, outcomes, firstFailure } = tally(answers);
      const sorted = sortedCopy(answers.map((a) => a.ms));
      const checks = await rushChecks(cluster.adminUrl, rushLesson!, outcomes.waitlisted ?? 0);
      const rush: ReservationsResult['rush'] = {
        requests: answers.length,
        connections: s.rushConnections,
        statuses,
        outcomes,
        p50Ms: percentile(sorted, 50),
        p90Ms: percentile(sorted, 90),
        p99Ms: percentile(sorted, 99),
        allAnsweredMs: answered - released,
        firstFailure,
        checks,
        cpuMs: rushCpu,
        loopDelayMs: rushLoop,
      };
      log(`reservations: rush answered in ${rush.allAnsweredMs.toFixed(0)} ms, p50 ${rush.p50Ms.toFixed(0)} ms, p99 ${rush.p99Ms.toFixed(0)} ms; ${JSON.stringify(outcomes)}; ${JSON.stringify(checks)}; CPU app ${(rushCpu.app / 1000).toFixed(1)} s, PostgreSQL ${(rushCpu.pg / 1000).toFixed(1)} s`);
      if (firstFailure) log(`  first unexpected answer: ${firstFailure}`);
      const floorAnswers = floorBurst.answers;
      const floorSorted = sortedCopy(floorAnswers.map((a) => a.ms));
      const floorStatuses = tally(floorAnswers).statuses;
      const floor: NonNullable<ReservationsResult['floor']> = {
        route: 'GET /api/me/waitlist',
        requests: floorAnswers.length,
        statuses: floorStatuses,
        p50Ms: percentile(floorSorted, 50),
        p99Ms: percentile(floorSorted, 99),
        allAnsweredMs: floorBurst.to - floorBurst.from,
        firstFailure: floorAnswers.find((a) => a.status !== 200)?.body.slice(0, 300) ?? null,
        cpuMs: floorBurst.cpuMs,
        loopDelayMs: floorBurst.loopDelayMs,
        others: { during: windowOf(bg.samples, floorBurst.from, floorBurst.to) },
      };
      log(`reservations: floor answered in ${floor.allAnsweredMs.toFixed(0)} ms, p50 ${floor.p50Ms.toFixed(0)} ms, p99 ${floor.p99Ms.toFixed(0)} ms; ${JSON.stringify(floorStatuses)}; CPU app ${(floor.cpuMs.app / 1000).toFixed(1)} s, PostgreSQL ${(floor.cpuMs.pg / 1000).toFixed(1)} s; other tenants p99 ${floor.others.during.p99Ms.toFixed(1)} ms during`);
      const others = {
        before: windowOf(bg.samples, released - s.baselineMs, released),
        during: windowOf(bg.samples, released, answered),
        after: windowOf(bg.samples, answered, Number.POSITIVE_INFINITY),
        firstFailure: bg.firstFailure,
      };
      log(`reservations: other tenants p99 ${others.before.p99Ms.toFixed(1)} ms before, ${others.during.p99Ms.toFixed(1)} ms during (${others.during.requests} requests), ${others.after.p99Ms.toFixed(1)} ms after`);
      if (!rushHolds(checks, outcomes, s.rushSeats)) {
        throw new Error(`RUSH CHECK FAILED: expected exactly ${s.rushSeats} booked; got ${JSON.stringify({ checks, outcomes })}`);
      }

      /* ---- 3. The same rush through a waiting room ---- */
      // After part 2, so that neither the lesson type nor the studio's waiting room is there during parts 1 and 2.
      const waitingRoom = await waitingRoomRush(cluster, ports.app, pids, s, main, people, background);
      return {
        settings: s,
        loadAverage: { start: loadAtStart, end: os.loadavg() },
        setupSeconds: { tenants: tenantSeconds, members: membersSeconds, sessions: 0, others: othersSeconds },
        throughput: { ...throughput, bookedInDb, seats },
        cpuPerBookingMs,
        profile,
        pgbench: pg,
        rush,
        others,
        floor,
        waitingRoom,
        totalSeconds: (performance.now() - t0) / 1000,
      };
    } finally {
      await server.stop();
    }
  } finally {
    await cluster.stop();
  }
}

/* ------------------------------------------------------------------------------------------------------------
 * Report
 * ---------------------------------------------------------------------------------------------------------- */

const ms = (v: number, digits = 1) => fmt(v, digits);
const n0 = (v: number) => fmt(v, 0);

export function reservationsHeadline(r: ReservationsOutcome | undefined): string[] {
  if (!r) return [];
  if ('skipped' in r) return [`- Reservations: skipped (${r.skipped}).`];
  const t = r.throughput;
  const tps = 'skipped' in r.pgbench ? Number.NaN : r.pgbench.tps;
  return [
    `- Booking throughput: **${n0(t.ok / t.durationS)} bookings/s** at ${t.connections} connections (p50 ${ms(t.p50Ms)} ms, p99 ${ms(t.p99Ms)} ms) against pgbench TPC-B-like ${n0(tps)} TPS on the same PostgreSQL: **${ratio(t.ok / t.durationS, tps)}**.`,
    `- Opening-minute rush: ${n0(r.rush.requests)} members on ${r.settings.rushSeats} seats at once → exactly ${r.rush.checks.booked} booked (checked in the database); every answer within **${n0(r.rush.allAnsweredMs)} ms** (p50 ${n0(r.rush.p50Ms)} ms, p99 ${n0(r.rush.p99Ms)} ms). Other tenants' p99 ${ms(r.others.before.p99Ms)} ms before, **${ms(r.others.during.p99Ms)} ms** during.` +
      (r.floor ? ` The floor, ${n0(r.floor.requests)} × \`${r.floor.route}\` at once just before: every answer within ${n0(r.floor.allAnsweredMs)} ms (p99 ${n0(r.floor.p99Ms)} ms), other tenants' p99 during it ${ms(r.floor.others.during.p99Ms)} ms (${ratio(r.floor.others.during.p99Ms, r.others.before.p99Ms, 1)} their p99 before the rush).` : ''),
    ...waitingRoomHeadline(r),
  ];
}

function waitingRoomHeadline(r: ReservationsResult): string[] {
  const w = r.waitingRoom;
  if (!w) return [];
  const b = w.bookings;
  return [
    `- The same rush through a waiting room (lottery, ${n0(w.rate)} let in a second): ${n0(w.members)} members queued (${n0(w.joins.perS)} joins/s, p99 ${n0(w.joins.p99Ms)} ms), then booked at their turns → exactly ${w.checks.booked} booked; each booking answered within p99 **${n0(b.p99Ms)} ms** of being sent (max ${n0(b.maxMs)} ms), the last ${n0(b.allAnsweredMs)} ms after the opening. ` +
      `Other tenants' p99 ${ms(w.others.before.p99Ms)} ms before, **${ms(w.others.during.p99Ms)} ms** during (**${ratio(w.others.during.p99Ms, w.others.before.p99Ms, 1)}**, against ${ratio(r.others.during.p99Ms, r.others.before.p99Ms, 1)} in the plain rush).`,
  ];
}

export function renderReservationsSection(r: ReservationsOutcome | undefined, n: number): string {
  const heading = `## ${n}. Reservations: booking throughput and the opening-minute rush`;
  if (!r || 'skipped' in r) return unmeasuredSection(heading, r);
  const out: string[] = [heading];
  const s = r.settings;
  const t = r.throughput;
  const pg = r.pgbench;
  const bookingsPerS = t.ok / t.durationS;
  out.push(`### Method

- **Data.** A bench cluster of its own (\`reservations\`, the settings of section 1, plus \`shared_preload_libraries=pg_stat_statements\` for the statement profile) with ${n0(1 + s.otherTenants)} tenants created through \`runtime.tenants.create\` (${fmt(r.setupSeconds.tenants, 1)} s). One server (\`node --import tsx src/main.ts\`, \`DB_POOL_MAX=10\`; fair admission holds one tenant to 5 of the 10 connections, \`ADMISSION_TENANT_SHARE=0.5\`). The booking tenant got a location and a lesson type (\`POST /api/locations\`, \`POST /api/lesson-types\`), a pack plan (\`POST /api/plans\`, kind \`pack\`, ${n0(Math.ceil((s.lessons * s.capacity) / s.members) + 2)} credits, 365 days), a room, and ${n0(s.lessons)} lessons of ${s.capacity} seats, 15 minutes long, one every 20 minutes from 36 hours ahead (so none overlap, and all are inside the default booking window), plus the rush lesson (${s.rushSeats} seats) 24 hours ahead. Rooms and lessons were inserted as the superuser, as the tests do (there is no room or lesson API yet). ${n0(s.members)} members were registered and sold the pack through the API (\`POST /api/members\`, \`POST /api/contracts\`, ${s.setupConcurrency} at a time; ${fmt(r.setupSeconds.members, 1)} s), so their credits are real ledger grants. Each member then got a confirmed member account and one member session, inserted as the superuser with the rows sign-up, confirmation and sign-in write (\`token_hash\` = SHA-256 of a fresh \`shm_…\` token), instead of ${n0(s.members)} argon2id sign-ins.
- **Booking throughput.** The real member path, \`POST /api/me/reservations {lessonId}\` with the member's own session and a fresh \`Idempotency-Key\`; closed loop (\`bench/load.ts\`), ${s.connections} keep-alive connections, ${fmt(s.warmupMs / 1000, 0)} s warm-up then ${fmt(s.durationMs / 1000, 0)} s measured. Request *k* books lesson *k* mod ${s.lessons} for a member chosen so that every (member, lesson) pair is new, no lesson gets more than its ${s.capacity} seats, and requests in flight together are on different lessons: no seat contention, no overlapping bookings, no refusals. Every booking locks the member, judges eligibility (standing, contract covering the day, plan limits, overlap), consumes a credit through the ledger, writes the reservation and takes the seat.
- **pgbench.** ${'skipped' in pg ? `skipped (${pg.skipped})` : `${pg.version}, the built-in TPC-B-like script on a scratch database \`pgbench\` of the same cluster (\`pgbench -i -s ${pg.scale}\`), \`-c ${pg.clients} -j ${pg.threads} -T ${pg.seconds}\`, as the superuser, right after the booking run (the app server idle).`} The ratio bookings/s ÷ TPS compares one booking over HTTP (with tenant resolution, session, idempotency key and JSON) with one TPC-B transaction (3 updates, 1 select, 1 insert) on the same machine.
- **Statement profile.** \`pg_stat_statements\` (track = top, track_planning on) was reset at the start of the measured booking run and read after it; statements of the app role only, divided by the bookings made.
- **Rush.** All ${n0(s.members)} members send \`POST /api/me/reservations {lessonId, joinWaitlist}\` for the rush lesson at the same instant (even-numbered members ask to join the waitlist when it is full, the others do not), over ${s.rushConnections} keep-alive connections opened beforehand: the requests beyond ${s.rushConnections} wait in the client for a free connection, as they would behind a proxy. Latency is measured from the release instant, so it includes that wait. Then, as the superuser: \`app.lessons.booked\`, the booked reservations, the credit-ledger \`consume\` rows of those reservations, and the waiting waitlist entries against the answers. The bench fails if any is not exactly ${s.rushSeats} (or the waitlist count differs from the "waitlisted" answers). Before the rush, over the same connections: the floor, every member at once with \`GET /api/me/waitlist\` (below), then ${fmt(s.baselineMs / 1000, 0)} s of the other tenants' traffic alone.
- **Other tenants.** ${s.otherTenants} other tenants (a studio, 21 lessons this week and 10 members each) send, at a fixed rate of ${s.otherRate} requests/s in all (open loop: requests leave on schedule, whatever the answers), alternately \`GET /api/me/schedule?from=<today>&days=7\` (a member session) and \`GET /api/members?limit=25&q=すず\` (the owner's session), from a process of their own (\`bench/background-child.ts\`, so the rush's client work never delays their measurement), from ${fmt((s.warmupMs + s.baselineMs) / 1000, 0)} s before the floor until ${fmt(s.baselineMs / 2000, 1)} s after the rush. Their latency is reported for requests sent in the ${fmt(s.baselineMs / 1000, 0)} s before the release (the first ${fmt(s.warmupMs / 1000, 0)} s, cold, are left out), between the release and the last rush answer, and after.
${r.waitingRoom ? `${waitingRoomMethod(r.waitingRoom, s)}\n` : ''}- Load average (1/5/15 min) when this section started: ${r.loadAverage.start.map((x) => fmt(x, 2)).join(' / ')}; when it ended: ${r.loadAverage.end.map((x) => fmt(x, 2)).join(' / ')}.`);

  out.push(`### Booking throughput`);
  out.push(
    table(
      ['Run', 'Transactions', 'Per second', 'p50 (ms)', 'p90 (ms)', 'p99 (ms)', 'Max (ms)', 'Non-2xx / errors'],
      [
        [`Bookings over HTTP, ${t.connections} conn.`, n0(t.ok), `**${n0(bookingsPerS)}**`, ms(t.p50Ms), ms(t.p90Ms), ms(t.p99Ms), ms(t.maxMs), `${n0(t.non2xx)} / ${n0(t.errors)}`],
        'skipped' in pg
          ? ['pgbench TPC-B-like', 'skipped', '', '', '', '', '', '']
          : [`pgbench TPC-B-like, ${pg.clients} clients`, n0(pg.transactions), `**${n0(pg.tps)}**`, ms(pg.p50Ms, 2), '', ms(pg.p99Ms, 2), '', `${n0(pg.failed)} failed`],
        ['**Bookings/s ÷ TPS**', '', `**${'skipped' in pg ? 'n/a' : ratio(bookingsPerS, pg.tps)}**`, '', '', '', '', ''],
      ],
    ),
  );
  out.push(`Reservations in the database after the run (warm-up included): ${n0(t.bookedInDb)} of ${n0(t.seats)} seats.`);
  const c = r.cpuPerBookingMs;
  out.push(
    `CPU time per booking during the measured run (user + system from \`/proc\`): app server **${ms(c.app, 2)} ms**, PostgreSQL (all its processes) **${ms(c.pg, 2)} ms**, load generator ${ms(c.generator, 2)} ms, ` +
      `${ms(c.app + c.pg + c.generator, 2)} ms in all: at ${n0(bookingsPerS)} bookings/s that is ${fmt(((c.app + c.pg + c.generator) * bookingsPerS) / 1000, 2)} of the machine's ${os.cpus().length} cores busy with the bench's own processes` +
      ` (the rest of the CPU went to whatever else ran on the machine, see the load average).`,
  );
  if (t.firstFailure) out.push(`First non-2xx: \`${t.firstFailure}\``);
  if (t.firstError) out.push(`First transport error: \`${t.firstError}\``);
  if (!('skipped' in r.profile)) {
    const p = r.profile;
    out.push(`### Where a booking's time goes`);
    out.push(
      `Per booking the app role ran **${fmt(p.statementsPerBooking, 1)} statements** (pg_stat_statements calls, including \`begin\`/\`commit\` and \`set_config\`) in ${fmt(p.transactionsPerBooking, 2)} transactions; a TPC-B transaction is 7 statements. ${p.roundTripsPerBooking === undefined ? 'Each statement is a round trip' : `They took **${fmt(p.roundTripsPerBooking, 1)} round trips** (the tenant's \`set_config\` goes with \`begin\` in one query)`} from the server to PostgreSQL, and statements with parameters go as named prepared statements (\`DB_PREPARED_STATEMENTS\`, 200 per connection), so PostgreSQL parses each once per connection and may reuse its plan (pgbench's default simple protocol parses and plans its 7 short statements every time). ` +
        `PostgreSQL's own accounting per booking: **${ms(p.planMsPerBooking, 2)} ms planning** and **${ms(p.execMsPerBooking, 2)} ms executing** (pg_stat_statements with \`track_planning\`), against the CPU time above. Statements by total execution time:`,
    );
    const lock = p.top.find((x) => /from "app"\."members" where "id" in .* for no key update/.test(x.query));
    if (lock && lock.callsPerBooking > 1.5) {
      out.push(
        `The member lock (\`select id from app.members … for no key update\`) runs ${fmt(lock.callsPerBooking, 1)} times per booking: \`reserve\` takes it through \`lockMember\`, and the credit consumption takes it again (the second is a no-op for the lock, but a round trip).`,
      );
    }
    out.push(table(['Statement', 'Calls / booking', 'Mean (ms)', 'Share of DB time'], p.top.map((x) => [`\`${x.query.replaceAll('|', '\\|')}\``, fmt(x.callsPerBooking, 2), ms(x.meanMs, 3), `${fmt(x.sharePct, 1)}%`])));
  }

  const ru = r.rush;
  out.push(`### Opening-minute rush: ${n0(ru.requests)} members, ${s.rushSeats} seats`);
  out.push(
    table(
      ['Requests', 'Connections', 'p50 (ms)', 'p90 (ms)', 'p99 (ms)', 'All answered after (ms)', 'Answers'],
      [[n0(ru.requests), n0(ru.connections), ms(ru.p50Ms, 0), ms(ru.p90Ms, 0), ms(ru.p99Ms, 0), `**${ms(ru.allAnsweredMs, 0)}**`, Object.entries(ru.outcomes).map(([k, v]) => `${k} ${n0(v)}`).join(', ')]],
    ),
  );
  out.push(
    table(
      ['Check (superuser)', 'Value', 'Expected'],
      seatChecks(ru.checks, s.rushSeats, 'the rush lesson'),
    ),
  );
  out.push(`HTTP statuses: ${Object.entries(ru.statuses).map(([k, v]) => `${k} × ${n0(v)}`).join(', ')}.` + (ru.firstFailure ? ` First unexpected answer: \`${ru.firstFailure}\`` : ''));
  if (r.floor) out.push(...renderFloor(r, r.floor));
  out.push(`Other tenants' requests (${s.otherRate}/s, timetable and member search), by when they were sent:`);
  const o = r.others;
  out.push(
    table(
      ['Window', 'Requests', 'p50 (ms)', 'p99 (ms)', 'Max (ms)', 'Non-2xx'],
      [
        [`${fmt(s.baselineMs / 1000, 0)} s before the rush`, n0(o.before.requests), ms(o.before.p50Ms), ms(o.before.p99Ms), ms(o.before.maxMs), n0(o.before.non2xx)],
        ['**During the rush**', n0(o.during.requests), ms(o.during.p50Ms), `**${ms(o.during.p99Ms)}**`, ms(o.during.maxMs), n0(o.during.non2xx)],
        ['After it', n0(o.after.requests), ms(o.after.p50Ms), ms(o.after.p99Ms), ms(o.after.maxMs), n0(o.after.non2xx)],
        ['**During ÷ before (p99)**', '', '', `**${ratio(o.during.p99Ms, o.before.p99Ms, 1)}**`, '', ''],
      ],
    ),
  );
  if (o.firstFailure) out.push(`First failure of the other tenants' traffic: \`${o.firstFailure}\``);
  if (r.waitingRoom) out.push(...renderWaitingRoom(r, r.waitingRoom));
  return out.join('\n\n');
}

/** The floor burst beside the rush: what the same many members cost with the cheapest signed-in request. */
function renderFloor(r: ReservationsResult, f: NonNullable<ReservationsResult['floor']>): string[] {
  const ru = r.rush;
  const loop = (l: { p99Ms: number; maxMs: number } | undefined) => (l ? `${ms(l.p99Ms)} / ${ms(l.maxMs)}` : '');
  const cpu = (c: RushCpu | undefined) => (c ? `${fmt(c.app / 1000, 1)} / ${fmt(c.pg / 1000, 1)}` : '');
  const others = (during: Window) => `${ms(during.p99Ms)} (${ratio(during.p99Ms, r.others.before.p99Ms, 1)})`;
  const statuses = Object.entries(f.statuses).map(([k, v]) => `${k} × ${n0(v)}`).join(', ');
  return [
    `**The floor under the rush.** Just before it, over the same ${n0(ru.connections)} connections and against the same other tenants' traffic, all ${n0(f.requests)} members sent \`${f.route}\` at once: the cheapest signed-in request a member makes (the tenant, a transaction, the session under RLS, one read of the member's waitlist entries, none here). A rush of as many members cannot be answered sooner than this on this machine, whatever a booking costs. Statuses: ${statuses}. CPU is each process's whole time over the burst, the other tenants' traffic included; the event-loop delay is the app server's (prom-client's \`monitorEventLoopDelay\`, read from /metrics before and after; it samples every 10 ms and counts the whole time between samples, so an idle loop reads about 10 ms): while the loop is held, every request already in its socket waits, whichever tenant sent it.` +
      (f.firstFailure ? ` First answer other than 200: \`${f.firstFailure}\`` : ''),
    table(
      ['Burst', 'p50 (ms)', 'p99 (ms)', 'All answered after (ms)', 'CPU app / PostgreSQL (s)', 'App event-loop delay p99 / max (ms)', "Other tenants' p99 during (ms), ÷ their p99 in the quiet spell before the rush"],
      [
        [`Floor: ${n0(f.requests)} × \`${f.route}\``, ms(f.p50Ms, 0), ms(f.p99Ms, 0), ms(f.allAnsweredMs, 0), cpu(f.cpuMs), loop(f.loopDelayMs), others(f.others.during)],
        [`Rush: ${n0(ru.requests)} × \`POST /api/me/reservations\``, ms(ru.p50Ms, 0), ms(ru.p99Ms, 0), ms(ru.allAnsweredMs, 0), cpu(ru.cpuMs), loop(ru.loopDelayMs), others(r.others.during)],
        ['**Rush ÷ floor**', ratio(ru.p50Ms, f.p50Ms, 1), ratio(ru.p99Ms, f.p99Ms, 1), `**${ratio(ru.allAnsweredMs, f.allAnsweredMs, 1)}**`, ru.cpuMs ? ratio(ru.cpuMs.app + ru.cpuMs.pg, f.cpuMs.app + f.cpuMs.pg, 1) : '', '', ''],
      ],
    ),
  ];
}

/** The rows proving a rush sold exactly its seats, each credit once, and waitlisted whoever was told so. */
function seatChecks(c: ReservationsResult['rush']['checks'], seats: number, lesson: string): string[][] {
  return [
    [`\`app.lessons.booked\` of ${lesson}`, n0(c.booked), n0(seats)],
    ['`app.lessons.held`', n0(c.held), '0'],
    ['Booked reservations of the lesson', n0(c.reservations), n0(seats)],
    ['Credit `consume` rows of those reservations', n0(c.consumed), n0(seats)],
    ['Waiting waitlist entries', n0(c.waiting), `${n0(c.waitlistedAnswers)} (the "waitlisted" answers)`],
  ];
}

function waitingRoomMethod(w: WaitingRoomRush, s: ReservationSettings): string {
  return (
    `- **The same rush through a waiting room.** Right after the rush, on the same server and against the same other tenants' traffic: a second lesson type whose window opens ${OPENING_DAYS_BEFORE} days before the lesson's day at a local time chosen so that the opening is the next whole minute at least ${fmt(openingLeadMs(s) / 1000, 0)} s ahead (\`POST /api/lesson-types\` with \`bookingRules\`), one lesson of ${s.rushSeats} seats of that type ${OPENING_DAYS_BEFORE} days after the opening (later than every other lesson, so no booking overlaps it), and the studio's waiting room on (\`PATCH /api/settings/booking {waitingRoomMinutesBefore: ${w.minutesBefore}, waitingRoomOrder: '${w.order}'}\`); the server was started with \`WAITING_ROOM_ADMIT_PER_SECOND=${w.rate}\`, so place *p* is let in ⌊(p − 1) / ${w.rate}⌋ s after the opening. The server runs on the real clock. ` +
    `After ${fmt(s.baselineMs / 1000, 0)} s of the other tenants' traffic alone, all ${n0(w.members)} members of the rush join the queue (\`POST /api/me/waiting-room {lessonId}\`), ${w.connections} at a time over ${w.connections} keep-alive connections (closed loop: a burst, the worst case of joins that in practice spread over the queue's ${w.minutesBefore} minutes; latency from each join's send). A join refused with a server error (a 503 when the studio's share of the database is busy) is tried again ${fmt(JOIN_RETRY_MS / 1000, 0)}–${fmt((2 * JOIN_RETRY_MS) / 1000, 0)} s later, up to ${JOIN_TRIES} tries, as a member would tap again. ` +
    `The places are drawn ${fmt(DRAW_LEAD_MS / 1000, 0)} s before the opening, and each member's client then does what the web app does: one \`GET /api/me/schedule\` of the lesson's day at the moment its join named (\`checkAt\`: its own moment in the 45 s after the draw, by its lot) plus up to ${fmt(APP_SPREAD_MS / 1000, 1)} s, which names the member's place and turn (the job queued for the draw draws it, or else the first read after it; a server error is retried after ${APP_READ_RETRY_DELAYS_MS.map((x) => fmt(x / 1000, 0)).join(' and ')} s, as the app's query client does, and a read that still finds no place asks again ${fmt(APP_REREAD_MS / 1000, 0)} s on), then at that \`turnAt\` plus up to ${fmt(APP_SPREAD_MS / 1000, 1)} s (at once if the read found them let in already) \`POST /api/me/reservations\` (even-numbered members with \`joinWaitlist\`, as in the rush; not retried, as in the rush), over the same ${w.connections} connections. ` +
    `The app itself reads the timetable again at the turn and a person then taps Book; the bench books straight away, the harder case for the server. A booking's latency is measured from the moment it was sent. Then the rush's checks as the superuser, and the queue's: one entry and one distinct drawn place per member, the room drawn once, at the server's rate. The other tenants' latency is reported for requests sent in the ${fmt(s.baselineMs / 1000, 0)} s before the joins, during the joins, during the minute of the reads of places (from the draw to the opening), from the opening until the last booking's answer, and after it.`
  );
}

function renderWaitingRoom(r: ReservationsResult, w: WaitingRoomRush): string[] {
  const s = r.settings;
  const out: string[] = [];
  const b = w.bookings;
  const ru = r.rush;
  const o = w.others;
  const roomRatio = o.during.p99Ms / o.before.p99Ms;
  // Members whose read came back after their turn had come (let in already, so they booked at once).
  const letInByTheRead = (w.reads.states.bookable ?? 0) + (w.reads.states.full ?? 0);
  out.push(`### The same rush through a waiting room: ${n0(w.members)} members, ${s.rushSeats} seats, ${n0(w.rate)} let in a second`);
  out.push(
    `In the plain rush all ${n0(ru.requests)} bookings arrive at once and the last is answered ${n0(ru.allAnsweredMs)} ms after the release. Through the waiting room the same members are let in ${n0(w.rate)} a second, so their bookings arrive in batches over ${fmt(b.lastTurnMs / 1000, 0)} s (the last place's turn) plus the phones' spread: ` +
      `each was answered within ${n0(b.p99Ms)} ms of being sent (p99; p50 ${n0(b.p50Ms)} ms), and the last ${n0(b.allAnsweredMs)} ms after the opening. Exactly ${w.checks.booked} seats were booked, as before. ` +
      `Before the bookings come the phones' timetable reads of their places, spread over the minute between the draw and the opening (p99 ${n0(w.reads.p99Ms)} ms, the last answered ${n0(w.reads.lastAnsweredMs)} ms after the opening${o.reads ? `; the other tenants' p99 meanwhile ${ms(o.reads.p99Ms)} ms` : ''}): ${n0(letInByTheRead)} of the ${n0(w.members)} members were let in already when their read answered, and booked at once. ` +
      `The other tenants' p99 from the opening to the last answer was ${ms(o.during.p99Ms)} ms, ${ratio(o.during.p99Ms, o.before.p99Ms, 1)} their p99 before (the aim is at most 2×: ${Number.isFinite(roomRatio) ? (roomRatio <= 2 ? 'met' : 'not met') : 'not measured'}); during the plain rush it was ${ms(r.others.during.p99Ms)} ms, ${ratio(r.others.during.p99Ms, r.others.before.p99Ms, 1)} that part's baseline.`,
  );
  out.push(
    table(
      ['', 'Plain rush (part 2)', `Through the waiting room (lottery, ${n0(w.rate)}/s)`],
      [
        ['Bookings sent', `${n0(ru.requests)} at once`, `${n0(b.requests)}, each at its turn`],
        ['Booking p50 / p99 (ms)', `${ms(ru.p50Ms, 0)} / ${ms(ru.p99Ms, 0)} (from the release)`, `${ms(b.p50Ms, 0)} / **${ms(b.p99Ms, 0)}** (from each send; max ${ms(b.maxMs, 0)})`],
        ['Last answer after the release / the opening (ms)', ms(ru.allAnsweredMs, 0), `${ms(b.allAnsweredMs, 0)} (last turn at ${ms(b.lastTurnMs, 0)})`],
        ['Answers', Object.entries(ru.outcomes).map(([k, v]) => `${k} ${n0(v)}`).join(', '), Object.entries(b.outcomes).map(([k, v]) => `${k} ${n0(v)}`).join(', ')],
        ['Booked (database)', n0(ru.checks.booked), n0(w.checks.booked)],
        [
          'CPU until the last answer: app server / PostgreSQL (s)',
          ru.cpuMs ? `${fmt(ru.cpuMs.app / 1000, 1)} / ${fmt(ru.cpuMs.pg / 1000, 1)}` : 'not measured',
          `${fmt(w.cpuMs.app / 1000, 1)} / ${fmt(w.cpuMs.pg / 1000, 1)} (from the draw, ${fmt(DRAW_LEAD_MS / 1000, 0)} s before the opening: the reads and the other tenants' traffic included)`,
        ],
        ["Other tenants' p99 before (ms)", ms(r.others.before.p99Ms), ms(o.before.p99Ms)],
        ["Other tenants' p99 during (ms)", ms(r.others.during.p99Ms), `**${ms(o.during.p99Ms)}**`],
        ['**During ÷ before (p99)**', ratio(r.others.during.p99Ms, r.others.before.p99Ms, 1), `**${ratio(o.during.p99Ms, o.before.p99Ms, 1)}**`],
      ],
    ),
  );
  const j = w.joins;
  out.push(`Joining the queue before the opening (${n0(w.connections)} at a time):`);
  out.push(
    table(
      ['Members joined', 'Requests (statuses)', 'Connections', 'Time (ms)', 'Joins per second', 'p50 (ms)', 'p99 (ms)', 'Max (ms)', 'Last answered before the opening'],
      [[
        `${n0(j.joined)} of ${n0(j.members)}`,
        `${n0(j.requests)} (${Object.entries(j.statuses).map(([k, v]) => `${k} × ${n0(v)}`).join(', ')})`,
        n0(w.connections), ms(j.durationMs, 0), `**${n0(j.perS)}**`, ms(j.p50Ms), `**${ms(j.p99Ms)}**`, ms(j.maxMs), `${fmt(j.doneBeforeOpeningMs / 1000, 1)} s`,
      ]],
    ),
  );
  const rd = w.reads;
  out.push(
    `Timetable reads of the places (from the draw): ${n0(rd.requests)} (${n0(rd.retries)} retries of a server error, ${n0(rd.rereads)} reads again of a place not drawn yet), p50 ${ms(rd.p50Ms)} ms, p99 ${ms(rd.p99Ms)} ms, max ${ms(rd.maxMs)} ms; the last answered ${n0(rd.lastAnsweredMs)} ms after the opening. ` +
      `What each member's last read found: ${Object.entries(rd.states).map(([k, v]) => `${k} ${n0(v)}`).join(', ')} (queued: a place and turn still to come; bookable or full: let in already).` +
      [j.firstFailure, rd.firstFailure, b.firstFailure].map((f, i) => (f ? ` First unexpected ${['join', 'read', 'booking'][i]} answer: \`${f}\`.` : '')).join(''),
  );
  out.push(`HTTP statuses of the bookings: ${Object.entries(b.statuses).map(([k, v]) => `${k} × ${n0(v)}`).join(', ')}.`);
  out.push(
    table(
      ['Check (superuser)', 'Value', 'Expected'],
      [
        ...seatChecks(w.checks, s.rushSeats, 'the lesson'),
        ['Queue entries of the opening', n0(w.checks.queued), n0(w.members)],
        ['Distinct places drawn', n0(w.checks.placed), n0(w.members)],
        ['Rooms drawn / their `admit_per_second`', `${n0(w.checks.drawn)} / ${n0(w.checks.admitPerSecond)}`, `1 / ${n0(w.rate)}`],
      ],
    ),
  );
  out.push(`Other tenants' requests (${s.otherRate}/s, timetable and member search), by when they were sent:`);
  out.push(
    table(
      ['Window', 'Requests', 'p50 (ms)', 'p99 (ms)', 'Max (ms)', 'Non-2xx'],
      [
        [`${fmt(s.baselineMs / 1000, 0)} s before the joins`, n0(o.before.requests), ms(o.before.p50Ms), ms(o.before.p99Ms), ms(o.before.maxMs), n0(o.before.non2xx)],
        ['During the joins', n0(o.joins.requests), ms(o.joins.p50Ms), ms(o.joins.p99Ms), ms(o.joins.maxMs), n0(o.joins.non2xx)],
        ...(o.reads ? [['From the draw to the opening (the reads of places)', n0(o.reads.requests), ms(o.reads.p50Ms), ms(o.reads.p99Ms), ms(o.reads.maxMs), n0(o.reads.non2xx)]] : []),
        ['**From the opening to the last answer**', n0(o.during.requests), ms(o.during.p50Ms), `**${ms(o.during.p99Ms)}**`, ms(o.during.maxMs), n0(o.during.non2xx)],
        ['After it', n0(o.after.requests), ms(o.after.p50Ms), ms(o.after.p99Ms), ms(o.after.maxMs), n0(o.after.non2xx)],
        ['**During ÷ before (p99)**', '', '', `**${ratio(o.during.p99Ms, o.before.p99Ms, 1)}**`, '', ''],
      ],
    ),
  );
  if (o.firstFailure) out.push(`First failure of the other tenants' traffic: \`${o.firstFailure}\``);
  return out;
}
