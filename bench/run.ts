/**
 * `npm run bench`: tenant density (pooled vs one server and database per customer), RLS cost, the membership
 * book (member search, contract previews, month-end status changes), reservations and the monthly billing run,
 * on bench-only embedded PostgreSQL clusters under bench/.work/. Rewrites BENCHMARKS.md.
 *
 *   npm run bench              full run (about 20 minutes on 2 cores)
 *   npm run bench -- --quick   small sizes, to check the bench works; writes bench/.work/BENCHMARKS.quick.md
 *   npm run bench -- --render  no measurement: rewrites BENCHMARKS.md from the last full run (bench/.work/results.json)
 *   npm run bench -- --render --merge billing   the same, with the section measured alone by `--only billing`
 *                              (bench/.work/only-billing.json) put into results.json first
 *   npm run bench -- --only reservations|billing|beacon|noisy|migrate|mail|web|reports|archive|moves [--quick]   one section alone, to iterate on it; writes
 *                              bench/.work/only-<section>.md and .json (bench/.work/ is emptied first)
 *   npm run bench -- --splice reports|archive|moves   no measurement: puts the section measured by `--only reports` (and its summary
 *                              line) into BENCHMARKS.md in place, when there is no full run's results.json to merge it into
 *
 * To find where the time goes (none of these changes what is measured unless you set it):
 *   BENCH_PROFILE_DIR=dir     each app server writes a V8 CPU profile there when it stops
 *   BENCH_SERVER_ENV='{...}'  more environment for every app server, e.g. '{"ADMISSION_TENANT_SHARE":"0.2"}'
 *   BENCH_SERVER_LOG=file     everything the servers print is appended there (with '{"LOG_LEVEL":"info"}' above,
 *                             the access log: each request's time inside the server, against the client's)
 */
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { renderBillingSection, runBillingBench, type BillingBenchSettings, type BillingOutcome, type BillingPorts } from './billing.js';
import { renderBeaconSection, runBeaconBench, type BeaconBenchSettings, type BeaconOutcome, type BeaconPorts } from './beacon.js';
import { resetWorkDir, startBenchCluster, withAdmin } from './cluster.js';
import {
  createPooledTenants,
  measureIncumbentSeparateClusters,
  measureIncumbentSharedCluster,
  measurePooled,
  type DensitySettings,
  type IncumbentPorts,
} from './density.js';
import { REPO_ROOT, WORK_DIR, assertPortsFree, log, runCleanups } from './lib.js';
import { runMembership, type MembershipPorts, type MembershipSettings } from './membership.js';
import { renderReport, type BenchResults, type MachineInfo } from './report.js';
import { renderReservationsSection, runReservations, type ReservationPorts, type ReservationSettings } from './reservations.js';
import { runRlsCost, type RlsSettings } from './rls-cost.js';
import { renderNoisySection, runNoisyNeighbour, type NoisyOutcome, type NoisySettings } from './noisy-neighbour.js';
import { measureRuntimeOverhead } from './runtime-overhead.js';
import { renderMigrateSection, runMigrateBench, type MigrateBenchSettings, type MigrateOutcome } from './migrate-silos.js';
import { renderMailSection, runMailBench, type MailBenchSettings, type MailOutcome } from './mail.js';
import { renderWebSection, runWebBench, type WebBenchSettings, type WebOutcome, type WebPorts } from './web.js';
import { renderReportsSection, reportsHeadline, runReportsBench, type ReportsBenchSettings, type ReportsOutcome, type ReportsPorts } from './reports.js';
import { archiveHeadline, renderArchiveSection, runArchiveBench, type ArchiveBenchSettings, type ArchiveOutcome } from './archive.js';
import { movesHeadline, renderMovesSection, runMovesBench, type MovesBenchSettings, type MovesOutcome } from './moves.js';

// Below Linux's ephemeral range (32768–60999): a port in it can be taken at any moment as the local end of some
// outgoing connection (a test run's database clients, say), and then the bench cannot listen there.
const PORTS = {
  pooledPg: 25400,
  pooledApp: 25500,
  incumbent: { sharedPg: 25401, firstPg: 25410, firstApp: 25501 } satisfies IncumbentPorts,
  membership: { pg: 25402, app: 25540 } satisfies MembershipPorts,
  reservations: { pg: 25403, app: 25560 } satisfies ReservationPorts,
  billing: { pg: 25404 } satisfies BillingPorts,
  beacon: { pg: 25405, app: 25580, empty: 25581 } satisfies BeaconPorts,
  noisy: { pg: 25406, app: 25600 },
  migrate: { pg: 25407 },
  mail: { pg: 25408 },
  web: { pg: 25409, first: 25620 } satisfies WebPorts,
  reports: { pg: 25430, app: 25640, empty: 25641 } satisfies ReportsPorts,
  archive: { pg: 25431 },
  moves: { pg: 25432, app: 25642 },
};

const APP_USER = 'studiohive_app';

function settings(quick: boolean) {
  const secret = () => randomBytes(24).toString('base64url');
  const density: DensitySettings = {
    tenants: quick ? 300 : 10_000,
    passwordSample: quick ? 8 : 40,
    createConcurrency: 4,
    connections: 50,
    warmupMs: quick ? 1_000 : 3_000,
    durationMs: quick ? 4_000 : 20_000,
    incumbents: quick ? 3 : 20,
    baseDomain: 'bench.test',
    appPassword: secret(),
    platformPassword: secret(),
    adminToken: secret(),
    pgPassword: secret(),
    requestPath: '/api/auth/me',
  };
  const rls: RlsSettings = {
    rowsPerTenant: 50,
    clients: 4,
    threads: 2,
    rounds: quick ? 3 : 6,
    roundS: quick ? 1 : 3,
    warmupS: quick ? 1 : 3,
    pairedS: quick ? 2 : 20,
    appUser: APP_USER,
    appPassword: density.appPassword,
    pgPassword: density.pgPassword,
  };
  // Quick and full sizes side by side: 10 × 500 members and 2,000 status changes, or 200 × 2,000 and 100,000.
  const membershipSizes = quick
    ? { tenants: 10, membersPerTenant: 500, withoutContract: 25, changesPerTenant: 200, warmupMs: 500, rounds: 1, roundMs: 1_000, serialRoundMs: 1_000, pgbenchS: 1 }
    : { tenants: 200, membersPerTenant: 2_000, withoutContract: 100, changesPerTenant: 500, warmupMs: 1_000, rounds: 3, roundMs: 4_000, serialRoundMs: 2_000, pgbenchS: 5 };
  const membership: MembershipSettings = { ...membershipSizes, applyConcurrency: 2, connections: 20, searchLimit: 25 };
  // 2,000 members on 240 lessons × 40 seats (9,600 seats, 5 bookings each at most), or 400 on 240 × 10.
  const reservations: ReservationSettings = {
    members: quick ? 400 : 2_000,
    lessons: 240,
    capacity: quick ? 10 : 40,
    connections: 50,
    warmupMs: quick ? 1_000 : 3_000,
    durationMs: quick ? 4_000 : 20_000,
    pgbenchScale: 10,
    pgbenchClients: 8,
    pgbenchThreads: 2,
    pgbenchS: quick ? 4 : 20,
    rushSeats: 30,
    rushConnections: 200,
    otherTenants: 20,
    otherRate: 100,
    baselineMs: quick ? 3_000 : 10_000,
    setupConcurrency: 8,
    waitingRoomRate: 100,
  };
  // 2,000 tenants × 500 contracts (1,000,000 invoices), or 50 × 100; tenants at a time chosen on 100 (or 10)
  // other tenants per value.
  const billing: BillingBenchSettings = {
    tenants: quick ? 50 : 2_000,
    contractsPerTenant: quick ? 100 : 500,
    concurrencies: [1, 2, 4],
    calibrationTenants: quick ? 10 : 100,
    batchSize: 500,
    today: '2026-11-11',
    startDate: '2026-12-01',
    price: 9_800,
  };
  // Page views over loopback to one core; the defaults of BEACON_* (50,000 buffered, a file every 10 s or 5,000).
  const beacon: BeaconBenchSettings = {
    connections: 64,
    warmupSeconds: quick ? 1 : 3,
    durationSeconds: quick ? 5 : 20,
    bufferMax: 50_000,
    flushMs: 10_000,
    flushEvents: 5_000,
  };
  // The noisy tenant at 10× a limit of 3,000 requests/min (the standard plan's): 500 requests/s, while the
  // quiet one sends 50/s. A full phase is one whole minute, the limit's window.
  const noisy: NoisySettings = {
    limitPerMinute: 3_000,
    factor: 10,
    quietRate: 50,
    quietConnections: 10,
    noisyConnections: 50,
    phaseS: quick ? 10 : 60,
    warmupS: quick ? 2 : 5,
    membersPerTenant: 500,
    // At saturation (issue 17), with the rate limit off and the server's default pool and admission settings: the
    // noisy tenant's capacity in a closed loop, then a flood at twice it beside the quiet tenant, then 4 tenants at
    // the capacity each at once; 30 s a phase, or 4.
    saturation: {
      capacityConnections: 50,
      capacityS: quick ? 3 : 10,
      phaseS: quick ? 4 : 30,
      floodFactor: 2,
      floodConnections: 200,
      equalTenants: 4,
      equalConnections: 50,
      poolMax: 10,
      tenantShare: 0.5,
      queueMax: 1_000,
      waitMs: 5_000,
    },
  };
  // 1,000 empty silos migrated one after another, then 8 at a time (the default MIGRATE_CONCURRENCY); or 50.
  const migrate: MigrateBenchSettings = { silos: quick ? 50 : 1_000, concurrency: 8, createConcurrency: 4 };
  // 100,000 mails across 1,000 studios, then a reset during a 50,000-mail campaign (issue 18's figures).
  const mail: MailBenchSettings = quick ? { tenants: 50, perTenant: 20, campaign: 2_000, baseline: 2_000 } : { tenants: 1_000, perTenant: 100, campaign: 50_000, baseline: 10_000 };
  // Cold loads of the member timetable and the staff member list on slow 4G (150 ms, 1.6 Mbit/s) with a 4× slower
  // CPU, before and after the web app's rebuild (the profile); 5 loads of each, or 2.
  const web: WebBenchSettings = {
    beforeCommit: '456c6b0',
    loads: quick ? 2 : 5,
    latencyMs: 150,
    throughput: 200_000,
    cpuSlowdown: 4,
    extraMembers: 40,
    quietMs: 1_500,
    timeoutMs: 60_000,
  };
  // Two studios of 2,000 members (or 300) with a year of a 40-a-week timetable and monthly invoices; every report
  // at 1 and 4 connections, 3 rounds of 4 s per route (or 1 of 1 s).
  const reports: ReportsBenchSettings = {
    studios: 2,
    members: quick ? 300 : 2_000,
    daysBack: quick ? 60 : 365,
    daysAhead: 14,
    capacity: 20,
    connections: [1, 4],
    warmupS: 1,
    roundS: quick ? 1 : 4,
    rounds: quick ? 1 : 3,
  };
  // One studio of 10,000 members with a year of data (or 1,000 and 60 days), exported and imported once.
  const archive: ArchiveBenchSettings = { members: quick ? 1_000 : 10_000, daysBack: quick ? 60 : 365, daysAhead: 14, capacity: 40 };
  // The archive's studio (10,000 members, a year), or 1,000 and 60 days, and 4 neighbours of 200 members in its pool
  // cell, under 10 reads/s and 4 writes/s of its own and 10 reads/s of theirs; moved to a silo by replication and back
  // by the read-only copy.
  const moves: MovesBenchSettings = {
    members: quick ? 1_000 : 10_000,
    daysBack: quick ? 60 : 365,
    daysAhead: 14,
    capacity: 40,
    neighbours: 4,
    neighbourMembers: 200,
    readRate: 10,
    writeRate: 4,
    neighbourRate: 10,
    warmupS: quick ? 2 : 5,
    quietS: quick ? 4 : 10,
    settleS: 3,
    afterS: quick ? 3 : 10,
    retryMs: [1_000, 2_000],
    calibrationWrites: 5,
  };
  return { density, rls, membership, reservations, billing, beacon, noisy, migrate, mail, web, reports, archive, moves };
}

/** The section number of the reports in BENCHMARKS.md. */
const REPORTS_SECTION = 11;
const ARCHIVE_SECTION = 12;
const MOVES_SECTION = 13;

/** Re-renders BENCHMARKS.md from the results of the last full run, after a change to the report's wording. */
async function renderOnly() {
  const file = path.join(WORK_DIR, 'results.json');
  const results = JSON.parse(await readFile(file, 'utf8')) as BenchResults;
  const merge = process.argv.indexOf('--merge');
  if (merge >= 0) {
    const name = process.argv[merge + 1] ?? '';
    if (!['billing', 'beacon', 'noisy', 'migrate', 'mail', 'web', 'reports', 'archive', 'moves'].includes(name)) throw new Error(`--merge: unknown section ${name} (known: billing, beacon, noisy, migrate, mail, web, reports, archive, moves)`);
    const section: unknown = JSON.parse(await readFile(path.join(WORK_DIR, `only-${name}.json`), 'utf8'));
    if (name === 'beacon') results.beacon = section as BeaconOutcome;
    else if (name === 'noisy') results.noisy = section as NoisyOutcome;
    else if (name === 'migrate') results.migrate = section as MigrateOutcome;
    else if (name === 'mail') results.mail = section as MailOutcome;
    else if (name === 'web') results.web = section as WebOutcome;
    else if (name === 'reports') results.reports = section as ReportsOutcome;
    else if (name === 'archive') results.archive = section as ArchiveOutcome;
    else if (name === 'moves') results.moves = section as MovesOutcome;
    else results.billing = section as BillingOutcome;
    await writeFile(file, JSON.stringify(results, null, 2));
    log(`merged bench/.work/only-${name}.json into results.json`);
  }
  await writeFile(path.join(REPO_ROOT, 'BENCHMARKS.md'), renderReport(results));
  log(`rewrote BENCHMARKS.md from the run of ${results.machine.date}`);
}

/** The sections `--splice` can put into BENCHMARKS.md: their number, how to render them, and their summary line. */
const SPLICEABLE = {
  reports: { n: REPORTS_SECTION, render: (r: unknown) => renderReportsSection(r as ReportsOutcome, REPORTS_SECTION), headline: (r: unknown) => reportsHeadline(r as ReportsOutcome)[0], prefix: '- Reports at ' },
  archive: { n: ARCHIVE_SECTION, render: (r: unknown) => renderArchiveSection(r as ArchiveOutcome, ARCHIVE_SECTION), headline: (r: unknown) => archiveHeadline(r as ArchiveOutcome)[0], prefix: "- A studio's archive at " },
  moves: { n: MOVES_SECTION, render: (r: unknown) => renderMovesSection(r as MovesOutcome, MOVES_SECTION), headline: (r: unknown) => movesHeadline(r as MovesOutcome)[0], prefix: '- Moving a studio while it is served' },
} as const;

/**
 * Puts a section measured alone (bench/.work/only-<name>.json) into BENCHMARKS.md as it stands: its section
 * replaced (or added before the caveats) and its summary line replaced (or added at the end of the summary). For
 * when no full run's results.json exists for `--render --merge <name>`.
 */
async function splice(name: keyof typeof SPLICEABLE) {
  const { n, render, headline, prefix } = SPLICEABLE[name];
  const r = JSON.parse(await readFile(path.join(WORK_DIR, `only-${name}.json`), 'utf8')) as { skipped: string } | { date: string };
  const file = path.join(REPO_ROOT, 'BENCHMARKS.md');
  let doc = await readFile(file, 'utf8');
  const section = `${render(r)}\n\n(Measured alone with \`npm run bench -- --only ${name}\` and put in place with \`--splice ${name}\`; a full run renders it in place.)\n`;
  const start = doc.indexOf(`\n## ${n}. `);
  if (start >= 0) {
    const end = doc.indexOf('\n## ', start + 1);
    doc = `${doc.slice(0, start)}\n${section}\n${doc.slice(end)}`;
  } else {
    const caveats = doc.indexOf('\n## Caveats');
    if (caveats < 0) throw new Error('--splice: BENCHMARKS.md has no "## Caveats" heading to put the section before');
    doc = `${doc.slice(0, caveats)}\n${section}\n${doc.slice(caveats)}`;
  }
  const line = headline(r);
  if (line) {
    const lines = doc.split('\n');
    const summary = lines.indexOf('## Summary');
    const machine = lines.indexOf('## Machine');
    const old = lines.findIndex((x, i) => i > summary && i < machine && x.startsWith(prefix));
    if (old >= 0) lines[old] = line;
    else {
      let last = machine - 1;
      while (last > summary && lines[last]!.trim() === '') last -= 1;
      lines.splice(last + 1, 0, line);
    }
    doc = lines.join('\n');
  }
  await writeFile(file, doc);
  log(`put the ${name} section of ${'skipped' in r ? 'a skipped run' : r.date} into BENCHMARKS.md`);
}

/** One section alone (`--only reservations`), for iterating on it without the whole bench. */
async function onlySection(name: string, quick: boolean) {
  if (!['reservations', 'billing', 'beacon', 'noisy', 'migrate', 'mail', 'web', 'reports', 'archive', 'moves'].includes(name)) throw new Error(`--only: unknown section ${name} (known: reservations, billing, beacon, noisy, migrate, mail, web, reports, archive, moves)`);
  const { density, reservations, billing, beacon, noisy, migrate, mail, web, reports, archive, moves } = settings(quick);
  await resetWorkDir();
  if (name === 'moves') {
    await assertPortsFree([PORTS.moves.pg, PORTS.moves.app]);
    const result = await runMovesBench(PORTS.moves, moves, density);
    await writeFile(path.join(WORK_DIR, `only-${name}.json`), JSON.stringify(result, null, 2));
    await writeFile(path.join(WORK_DIR, `only-${name}.md`), renderMovesSection(result, MOVES_SECTION));
    log(`wrote bench/.work/only-${name}.md`);
    return;
  }
  if (name === 'archive') {
    await assertPortsFree([PORTS.archive.pg]);
    const result = await runArchiveBench(PORTS.archive.pg, archive, density);
    await writeFile(path.join(WORK_DIR, `only-${name}.json`), JSON.stringify(result, null, 2));
    await writeFile(path.join(WORK_DIR, `only-${name}.md`), renderArchiveSection(result, ARCHIVE_SECTION));
    log(`wrote bench/.work/only-${name}.md`);
    return;
  }
  if (name === 'reports') {
    await assertPortsFree([PORTS.reports.pg, PORTS.reports.app, PORTS.reports.empty]);
    const result = await runReportsBench(PORTS.reports, reports, density);
    await writeFile(path.join(WORK_DIR, `only-${name}.json`), JSON.stringify(result, null, 2));
    await writeFile(path.join(WORK_DIR, `only-${name}.md`), renderReportsSection(result, REPORTS_SECTION));
    log(`wrote bench/.work/only-${name}.md`);
    return;
  }
  if (name === 'web') {
    const result = await runWebBench(PORTS.web, web, density);
    await writeFile(path.join(WORK_DIR, `only-${name}.json`), JSON.stringify(result, null, 2));
    await writeFile(path.join(WORK_DIR, `only-${name}.md`), renderWebSection(result, 10));
    log(`wrote bench/.work/only-${name}.md`);
    return;
  }
  if (name === 'mail') {
    await assertPortsFree([PORTS.mail.pg]);
    const result = await runMailBench(PORTS.mail.pg, mail, density);
    await writeFile(path.join(WORK_DIR, `only-${name}.json`), JSON.stringify(result, null, 2));
    await writeFile(path.join(WORK_DIR, `only-${name}.md`), renderMailSection(result, 9));
    log(`wrote bench/.work/only-${name}.md`);
    return;
  }
  if (name === 'migrate') {
    await assertPortsFree([PORTS.migrate.pg]);
    const result = await runMigrateBench(PORTS.migrate.pg, migrate, density);
    await writeFile(path.join(WORK_DIR, `only-${name}.json`), JSON.stringify(result, null, 2));
    await writeFile(path.join(WORK_DIR, `only-${name}.md`), renderMigrateSection(result, 8));
    log(`wrote bench/.work/only-${name}.md`);
    return;
  }
  if (name === 'beacon') {
    const result = await runBeaconBench(PORTS.beacon, beacon);
    await writeFile(path.join(WORK_DIR, `only-${name}.json`), JSON.stringify(result, null, 2));
    await writeFile(path.join(WORK_DIR, `only-${name}.md`), renderBeaconSection(result, 6));
    log(`wrote bench/.work/only-${name}.md`);
    return;
  }
  if (name === 'noisy') {
    await assertPortsFree([PORTS.noisy.pg, PORTS.noisy.app]);
    const result = await runNoisyNeighbour(PORTS.noisy, noisy, density);
    await writeFile(path.join(WORK_DIR, `only-${name}.json`), JSON.stringify(result, null, 2));
    await writeFile(path.join(WORK_DIR, `only-${name}.md`), renderNoisySection(result, 7));
    log(`wrote bench/.work/only-${name}.md`);
    return;
  }
  if (name === 'billing') {
    await assertPortsFree([PORTS.billing.pg]);
    const result = await runBillingBench(PORTS.billing, billing, density);
    await writeFile(path.join(WORK_DIR, `only-${name}.json`), JSON.stringify(result, null, 2));
    await writeFile(path.join(WORK_DIR, `only-${name}.md`), renderBillingSection(result, 5));
    log(`wrote bench/.work/only-${name}.md`);
    return;
  }
  await assertPortsFree([PORTS.reservations.pg, PORTS.reservations.app]);
  const result = await runReservations(PORTS.reservations, reservations, density);
  await writeFile(path.join(WORK_DIR, `only-${name}.json`), JSON.stringify(result, null, 2));
  await writeFile(path.join(WORK_DIR, `only-${name}.md`), renderReservationsSection(result, 4));
  log(`wrote bench/.work/only-${name}.md`);
}

async function main() {
  if (process.argv.includes('--render')) return renderOnly();
  if (process.argv.includes('--splice')) {
    const name = process.argv[process.argv.indexOf('--splice') + 1] ?? '';
    if (!(name in SPLICEABLE)) throw new Error(`--splice: unknown section ${name} (known: ${Object.keys(SPLICEABLE).join(', ')})`);
    return splice(name as keyof typeof SPLICEABLE);
  }
  const quick = process.argv.includes('--quick');
  const only = process.argv.indexOf('--only');
  if (only >= 0) return onlySection(process.argv[only + 1] ?? '', quick);
  const { density, rls, membership, reservations, billing, beacon, noisy, migrate, mail, web, reports, archive, moves } = settings(quick);
  const t0 = performance.now();
  const loadAverageAtStart = os.loadavg();
  await resetWorkDir();
  const allPorts = [
    PORTS.pooledPg,
    PORTS.pooledApp,
    PORTS.incumbent.sharedPg,
    PORTS.membership.pg,
    PORTS.membership.app,
    PORTS.reservations.pg,
    PORTS.reservations.app,
    PORTS.billing.pg,
    PORTS.beacon.pg,
    PORTS.beacon.app,
    PORTS.beacon.empty,
    PORTS.noisy.pg,
    PORTS.noisy.app,
    PORTS.migrate.pg,
    PORTS.mail.pg,
    PORTS.web.pg,
    PORTS.reports.pg,
    PORTS.reports.app,
    PORTS.reports.empty,
    PORTS.archive.pg,
    PORTS.moves.pg,
    PORTS.moves.app,
    ...Array.from({ length: 7 }, (_, i) => PORTS.web.first + i),
    ...Array.from({ length: density.incumbents }, (_, i) => [PORTS.incumbent.firstPg + i, PORTS.incumbent.firstApp + i]).flat(),
  ];
  await assertPortsFree(allPorts);

  const phaseSeconds: Record<string, number> = {};
  const phase = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const p0 = performance.now();
    log(`── ${name}`);
    try {
      return await fn();
    } finally {
      phaseSeconds[name] = (performance.now() - p0) / 1000;
    }
  };

  const cluster = await phase('pooled cluster start', () => startBenchCluster('pooled', PORTS.pooledPg, density.pgPassword));
  const pg = await withAdmin(cluster.adminUrl, async (c) => {
    const version = (await c.query<{ version: string }>('select version()')).rows[0]!.version;
    const pgSettings: Record<string, string> = {};
    for (const name of ['shared_buffers', 'max_connections', 'work_mem', 'io_method']) {
      const row = (await c.query<{ setting: string }>(`select current_setting($1, true) as setting`, [name])).rows[0];
      if (row?.setting) pgSettings[name] = row.setting;
    }
    return { version, pgSettings };
  });
  const machine: MachineInfo = {
    date: new Date().toISOString(),
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: os.totalmem() / 1024 ** 3,
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    postgres: pg.version,
    pgSettings: pg.pgSettings,
    loadAverageAtStart,
  };

  const { creds, creation } = await phase('tenant creation', () => createPooledTenants(cluster, density));
  const pooled = await phase('pooled load', () => measurePooled(cluster, creds, PORTS.pooledApp, density));
  const runtimeOverhead = await phase('tsx vs compiled', () =>
    measureRuntimeOverhead(cluster, creds, PORTS.pooledApp, density, quick ? 2_000 : 5_000),
  );
  const rlsResult = await phase('RLS cost', () => runRlsCost(cluster, rls));
  await cluster.stop();
  const incumbentShared = await phase('incumbent A (1 cluster)', () => measureIncumbentSharedCluster(PORTS.incumbent, density));
  const incumbentSeparate = await phase('incumbent B (1 cluster each)', () => measureIncumbentSeparateClusters(PORTS.incumbent, density));
  const membershipResult = await phase('membership book', () => runMembership(PORTS.membership, membership, density));
  const reservationsResult = await phase('reservations', () => runReservations(PORTS.reservations, reservations, density));
  const billingResult = await phase('billing run', () => runBillingBench(PORTS.billing, billing, density));
  const beaconResult = await phase('beacon ingestion', () => runBeaconBench(PORTS.beacon, beacon));
  const noisyResult = await phase('noisy neighbour', () => runNoisyNeighbour(PORTS.noisy, noisy, density));
  const migrateResult = await phase('migrating silos', () => runMigrateBench(PORTS.migrate.pg, migrate, density));
  const mailResult = await phase('mail delivery', () => runMailBench(PORTS.mail.pg, mail, density));
  const webResult = await phase('web app', () => runWebBench(PORTS.web, web, density));
  const reportsResult = await phase('reports', () => runReportsBench(PORTS.reports, reports, density));
  const archiveResult = await phase('archive', () => runArchiveBench(PORTS.archive.pg, archive, density));
  const movesResult = await phase('moves', () => runMovesBench(PORTS.moves, moves, density));

  const results: BenchResults = {
    quick,
    machine,
    density: { ...density, appPassword: '[redacted]', platformPassword: '[redacted]', adminToken: '[redacted]', pgPassword: '[redacted]' },
    creation,
    pooled,
    incumbents: [incumbentShared, incumbentSeparate],
    runtimeOverhead,
    rls: 'skipped' in rlsResult ? rlsResult : { ...rlsResult, settings: { ...rlsResult.settings, appPassword: '[redacted]', pgPassword: '[redacted]' } },
    membership: membershipResult,
    reservations: reservationsResult,
    billing: billingResult,
    beacon: beaconResult,
    noisy: noisyResult,
    migrate: migrateResult,
    mail: mailResult,
    web: webResult,
    reports: reportsResult,
    archive: archiveResult,
    moves: movesResult,
    phaseSeconds,
    totalSeconds: (performance.now() - t0) / 1000,
  };
  const file = quick ? path.join(WORK_DIR, 'BENCHMARKS.quick.md') : path.join(REPO_ROOT, 'BENCHMARKS.md');
  await writeFile(file, renderReport(results));
  await writeFile(path.join(WORK_DIR, quick ? 'results.quick.json' : 'results.json'), JSON.stringify(results, null, 2));
  log(`wrote ${path.relative(REPO_ROOT, file)} (total ${results.totalSeconds.toFixed(0)} s)`);
}

// startEmbeddedPostgres adds one 'exit' listener per cluster, and incumbent B starts 20 of them.
process.setMaxListeners(64);

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    log(`${signal}: stopping everything the bench started`);
    void runCleanups().finally(() => process.exit(130));
  });
}

main()
  .then(async () => {
    await runCleanups();
    process.exit(0);
  })
  .catch(async (error: unknown) => {
    console.error(error);
    await runCleanups();
    process.exit(1);
  });
