/**
 * Reservations (issue 4): the booking engine over HTTP against a real server, with pgbench's TPC-B-like
 * workload on the same PostgreSQL in the same run as the yardstick.
 *
 * 1. Booking throughput: members book distinct lessons (no seat contention, no overlapping bookings) through
 *    `POST /api/me/reservations` with their own session, closed loop; bookings/s ÷ pgbench TPS.
 * 2. Opening-minute rush: N members book one lesson of 30 seats at the same instant; exactly 30 must be booked.
 *    Other tenants' ordinary traffic runs at a steady rate meanwhile; its p99 before and during the rush.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { hashPassword, newSecret } from '../src/platform/auth/secrets.js';
import { startAppServer, startBenchCluster, withAdmin, type BenchCluster } from './cluster.js';
import { createPooledTenants, type DensitySettings, type TenantCredential } from './density.js';
import { readFileSync } from 'node:fs';
import { WORK_DIR, fmt, log, mapConcurrent, percentile, processTree, ratio, sleep, sortedCopy, table, unmeasuredSection } from './lib.js';
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

export interface ReservationsResult {
  settings: ReservationSettings;
  loadAverage: { start: number[]; end: number[] };
  setupSeconds: { tenants: number; members: number; sessions: number; others: number };
  throughput: LoadResult & { bookedInDb: number; seats: number };
  /** CPU time per booking during the measured run: the app server, PostgreSQL (all its processes), the load generator. */
  cpuPerBookingMs: { app: number; pg: number; generator: number };
  profile: { statementsPerBooking: number; transactionsPerBooking: number; planMsPerBooking: number; execMsPerBooking: number; top: StatementProfile[] } | { skipped: string };
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
    checks: { booked: number; held: number; reservations: number; consumed: number; waiting: number; waitlistedAnswers: number };
  };
  others: { before: Window; during: Window; after: Window; firstFailure: string | null };
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

async function call(port: number, host: string, token: string, method: 'GET' | 'POST', url: string, body?: unknown, expect = method === 'POST' ? 201 : 200) {
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
    return {
      planMsPerBooking: rows.rows.reduce((a, r) => a + r.plan, 0) / bookings,
      execMsPerBooking: total / bookings,
      statementsPerBooking: calls / bookings,
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

/** Other tenants' everyday requests at a fixed rate (open loop), each with its send time and latency. */
function backgroundTraffic(targets: LoadTarget[], ratePerS: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
  const samples: Array<{ at: number; ms: number; status: number }> = [];
  let firstFailure: string | null = null;
  let inFlight = 0;
  let i = 0;
  const interval = 1000 / ratePerS;
  const start = performance.now();
  let stopped = false;
  const tick = () => {
    if (stopped) return;
    // Catch up on the schedule (timers drift under load), so the rate stays what was asked.
    const due = Math.floor((performance.now() - start) / interval);
    while (i <= due) {
      const target = targets[i % targets.length]!;
      i += 1;
      const at = performance.now();
      inFlight += 1;
      request(agent, target).then(
        (res) => {
          inFlight -= 1;
          samples.push({ at, ms: performance.now() - at, status: res.status });
          if (res.status !== 200) firstFailure ??= `${res.status} from ${target.path}: ${res.body.slice(0, 300)}`;
        },
        (error: unknown) => {
          inFlight -= 1;
          samples.push({ at, ms: performance.now() - at, status: 0 });
          firstFailure ??= `${(error as Error).message} (${target.path})`;
        },
      );
    }
    setTimeout(tick, Math.max(1, interval / 2));
  };
  tick();
  return {
    async stop() {
      stopped = true;
      while (inFlight > 0) await sleep(20);
      agent.destroy();
      return { samples, firstFailure };
    },
  };
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

/* ------------------------------------------------------------------------------------------------------------ */

export async function runReservations(ports: ReservationPorts, s: ReservationSettings, d: DensitySettings): Promise<ReservationsOutcome> {
  const t0 = performance.now();
  const loadAtStart = os.loadavg();
  // Bookings per member in the throughput run, plus one for the rush.
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
    });
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
      if (!('skipped' in profile)) log(`reservations: ${profile.statementsPerBooking.toFixed(1)} statements and ${profile.transactionsPerBooking.toFixed(2)} commits per booking`);

      const pg = await runPgbench(cluster, d, s);

      /* ---- 2. The rush ---- */
      const traffic = backgroundTraffic(background, s.otherRate);
      const agent = new http.Agent({ keepAlive: true, maxSockets: s.rushConnections });
      // Open the pool's connections first, so that the rush measures bookings, not TCP handshakes.
      await Promise.all(Array.from({ length: s.rushConnections }, () => request(agent, { port: ports.app, host: main.host, token: '', path: '/readyz' })));
      await sleep(s.baselineMs);
      log(`reservations: rush, ${s.members} members on ${s.rushSeats} seats over ${s.rushConnections} connections`);
      const released = performance.now();
      const answers = await Promise.all(
        people.map(async (m, i) => {
          const res = await request(agent, {
            port: ports.app, host: main.host, token: m.token, method: 'POST', path: '/api/me/reservations',
            body: { lessonId: rushLesson, joinWaitlist: i % 2 === 0 }, headers: idem(),
          }).catch((error: unknown) => ({ status: 0, body: (error as Error).message }));
          return { ...res, ms: performance.now() - released };
        }),
      );
      const answered = performance.now();
      await sleep(s.baselineMs / 2);
      const bg = await traffic.stop();
      agent.destroy();
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
      const sorted = sortedCopy(answers.map((a) => a.ms));
      const checks = await withAdmin(cluster.adminUrl, async (c) => {
        const one = async (text: string) => Number((await c.query<{ n: string }>(text, [rushLesson])).rows[0]!.n);
        return {
          booked: await one(`select booked as n from app.lessons where id = $1`),
          held: await one(`select held as n from app.lessons where id = $1`),
          reservations: await one(`select count(*) as n from app.reservations where lesson_id = $1 and status = 'booked'`),
          consumed: await one(`select count(*) as n from app.credit_ledger where kind = 'consume' and reference_id in (select id from app.reservations where lesson_id = $1)`),
          waiting: await one(`select count(*) as n from app.waitlist_entries where lesson_id = $1 and status = 'waiting'`),
          waitlistedAnswers: outcomes.waitlisted ?? 0,
        };
      });
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
      };
      log(`reservations: rush answered in ${rush.allAnsweredMs.toFixed(0)} ms, p50 ${rush.p50Ms.toFixed(0)} ms, p99 ${rush.p99Ms.toFixed(0)} ms; ${JSON.stringify(outcomes)}; ${JSON.stringify(checks)}`);
      if (firstFailure) log(`  first unexpected answer: ${firstFailure}`);
      const others = {
        before: windowOf(bg.samples, released - s.baselineMs, released),
        during: windowOf(bg.samples, released, answered),
        after: windowOf(bg.samples, answered, Number.POSITIVE_INFINITY),
        firstFailure: bg.firstFailure,
      };
      log(`reservations: other tenants p99 ${others.before.p99Ms.toFixed(1)} ms before, ${others.during.p99Ms.toFixed(1)} ms during (${others.during.requests} requests), ${others.after.p99Ms.toFixed(1)} ms after`);
      if (checks.booked !== s.rushSeats || checks.reservations !== s.rushSeats || checks.consumed !== s.rushSeats || (outcomes.booked ?? 0) !== s.rushSeats || checks.waiting !== checks.waitlistedAnswers) {
        throw new Error(`RUSH CHECK FAILED: expected exactly ${s.rushSeats} booked; got ${JSON.stringify({ checks, outcomes })}`);
      }
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
    `- Opening-minute rush: ${n0(r.rush.requests)} members on ${r.settings.rushSeats} seats at once → exactly ${r.rush.checks.booked} booked (checked in the database); every answer within **${n0(r.rush.allAnsweredMs)} ms** (p50 ${n0(r.rush.p50Ms)} ms, p99 ${n0(r.rush.p99Ms)} ms). Other tenants' p99 ${ms(r.others.before.p99Ms)} ms before, **${ms(r.others.during.p99Ms)} ms** during.`,
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
- **Rush.** All ${n0(s.members)} members send \`POST /api/me/reservations {lessonId, joinWaitlist}\` for the rush lesson at the same instant (even-numbered members ask to join the waitlist when it is full, the others do not), over ${s.rushConnections} keep-alive connections opened beforehand: the requests beyond ${s.rushConnections} wait in the client for a free connection, as they would behind a proxy. Latency is measured from the release instant, so it includes that wait. Then, as the superuser: \`app.lessons.booked\`, the booked reservations, the credit-ledger \`consume\` rows of those reservations, and the waiting waitlist entries against the answers. The bench fails if any is not exactly ${s.rushSeats} (or the waitlist count differs from the "waitlisted" answers).
- **Other tenants.** ${s.otherTenants} other tenants (a studio, 21 lessons this week and 10 members each) send, at a fixed rate of ${s.otherRate} requests/s in all (open loop: requests leave on schedule, whatever the answers), alternately \`GET /api/me/schedule?from=<today>&days=7\` (a member session) and \`GET /api/members?limit=25&q=すず\` (the owner's session), from ${fmt(s.baselineMs / 1000, 0)} s before the rush until ${fmt(s.baselineMs / 2000, 1)} s after it. Their latency is reported for requests sent in the ${fmt(s.baselineMs / 1000, 0)} s before the release, between the release and the last rush answer, and after.
- Load average (1/5/15 min) when this section started: ${r.loadAverage.start.map((x) => fmt(x, 2)).join(' / ')}; when it ended: ${r.loadAverage.end.map((x) => fmt(x, 2)).join(' / ')}.`);

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
      `Per booking the app role ran **${fmt(p.statementsPerBooking, 1)} statements** (pg_stat_statements calls, including \`begin\`/\`commit\` and \`set_config\`) in ${fmt(p.transactionsPerBooking, 2)} transactions; a TPC-B transaction is 7 statements. Each statement is a round trip from the server to PostgreSQL, and statements with parameters go as named prepared statements (\`DB_PREPARED_STATEMENTS\`, 200 per connection), so PostgreSQL parses each once per connection and may reuse its plan (pgbench's default simple protocol parses and plans its 7 short statements every time). ` +
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
      [
        ['`app.lessons.booked` of the rush lesson', n0(ru.checks.booked), n0(s.rushSeats)],
        ['`app.lessons.held`', n0(ru.checks.held), '0'],
        ['Booked reservations of the lesson', n0(ru.checks.reservations), n0(s.rushSeats)],
        ['Credit `consume` rows of those reservations', n0(ru.checks.consumed), n0(s.rushSeats)],
        ['Waiting waitlist entries', n0(ru.checks.waiting), `${n0(ru.checks.waitlistedAnswers)} (the "waitlisted" answers)`],
      ],
    ),
  );
  out.push(`HTTP statuses: ${Object.entries(ru.statuses).map(([k, v]) => `${k} × ${n0(v)}`).join(', ')}.` + (ru.firstFailure ? ` First unexpected answer: \`${ru.firstFailure}\`` : ''));
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
  return out.join('\n\n');
}
