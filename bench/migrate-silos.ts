/**
 * Migrating silos (section 8): N silo databases in the catalog, each brought from empty to the current tenant schema
 * by `runtime.migrate()` (what `studiohive migrate` runs), once one after another (MIGRATE_CONCURRENCY=1) and once
 * MIGRATE_CONCURRENCY at a time, each run on fresh databases of its own; then the same silos migrated again with
 * nothing to apply (what every migrate pays per silo at least), both ways.
 */
import os from 'node:os';
import { readMigrations } from '../src/platform/db/migrate.js';
import { createLogger } from '../src/platform/runtime.js';
import { openAppRuntime } from '../src/app/composition.js';
import { startBenchCluster, withAdmin } from './cluster.js';
import { runtimeConfig, type DensitySettings } from './density.js';
import { fmt, log, mapConcurrent, percentile, sortedCopy, table, unmeasuredSection } from './lib.js';

export interface MigrateBenchSettings {
  silos: number;
  /** The parallel run's MIGRATE_CONCURRENCY (the default). */
  concurrency: number;
  /** CREATE DATABASE statements at a time while preparing a run (not timed). */
  createConcurrency: number;
}

export interface MigrateRun {
  /** From empty databases (every tenant migration), or again with nothing to apply. */
  kind: 'from empty' | 'nothing to apply';
  concurrency: number;
  silos: number;
  /** Wall time of the placements' part of runtime.migrate() (the control plane, already migrated, excluded). */
  seconds: number;
  perSiloMs: number;
  /** Each silo's own migration (connect, lock, migrations, grants, catalog record), as the report gives it. */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  failed: number;
  /** Seconds the run's databases took to create (CREATE DATABASE, createConcurrency at a time), not in `seconds`. */
  createSeconds: number | null;
  loadAverage: { start: number[]; end: number[] };
}

export type MigrateOutcome =
  | { skipped: string }
  | { settings: MigrateBenchSettings; tenantMigrations: number; runs: MigrateRun[]; date: string; seconds: number };

const databaseOf = (id: string) => `studiohive_${id.replaceAll('-', '_')}`;

/** N empty databases, in the catalog as `placements add --tier silo` leaves them but with nothing migrated yet. */
async function createSilos(adminUrl: string, s: MigrateBenchSettings, prefix: string) {
  const ids = Array.from({ length: s.silos }, (_, i) => `${prefix}${String(i + 1).padStart(5, '0')}`);
  const c0 = performance.now();
  await mapConcurrent(ids, s.createConcurrency, (id) => withAdmin(adminUrl, (c) => c.query(`create database ${c.escapeIdentifier(databaseOf(id))}`)));
  const createSeconds = (performance.now() - c0) / 1000;
  await withAdmin(adminUrl, (c) =>
    c.query(`insert into platform.placements (id, tier, cluster, database, tenant_capacity) select id, 'silo', 'main', db, 1 from unnest($1::text[], $2::text[]) as x(id, db)`, [
      ids,
      ids.map(databaseOf),
    ]),
  );
  log(`migrate: ${s.silos} empty silo databases created in ${fmt(createSeconds, 1)} s`);
  return { ids, createSeconds };
}

/** The silos leave the catalog (the next run migrates only its own) and give their disk back. */
async function dropSilos(adminUrl: string, s: MigrateBenchSettings, ids: string[], prefix: string) {
  await withAdmin(adminUrl, (c) => c.query(`delete from platform.placements where id like $1`, [`${prefix}%`]));
  await mapConcurrent(ids, s.createConcurrency, (id) => withAdmin(adminUrl, (c) => c.query(`drop database ${c.escapeIdentifier(databaseOf(id))}`)));
}

async function timedMigrate(
  adminUrl: string,
  density: DensitySettings,
  prefix: string,
  run: Pick<MigrateRun, 'kind' | 'concurrency' | 'createSeconds'>,
): Promise<MigrateRun> {
  const runtime = await openAppRuntime({ ...runtimeConfig(adminUrl, density), MIGRATE_CONCURRENCY: run.concurrency }, createLogger({ LOG_LEVEL: 'warn' }));
  const loadStart = os.loadavg();
  let report;
  let seconds;
  try {
    const t0 = performance.now();
    report = await runtime.migrate();
    seconds = (performance.now() - t0) / 1000 - report.controlPlane.durationMs / 1000;
  } finally {
    await runtime.close();
  }
  const loadEnd = os.loadavg();
  const mine = report.placements.filter((p) => p.id.startsWith(prefix));
  const durations = sortedCopy(mine.map((p) => p.durationMs));
  const failed = mine.filter((p) => p.status === 'failed');
  if (failed[0]) log(`migrate: ${failed.length} failed, the first: ${failed[0].id}: ${failed[0].error}`);
  log(`migrate (${run.kind}): ${mine.length} silos in ${fmt(seconds, 1)} s (${fmt((seconds * 1000) / mine.length, 1)} ms each), ${run.concurrency} at a time`);
  return {
    ...run,
    silos: mine.length,
    seconds,
    perSiloMs: (seconds * 1000) / mine.length,
    p50Ms: percentile(durations, 50),
    p99Ms: percentile(durations, 99),
    maxMs: durations[durations.length - 1] ?? 0,
    failed: failed.length,
    loadAverage: { start: loadStart, end: loadEnd },
  };
}

export async function runMigrateBench(port: number, s: MigrateBenchSettings, density: DensitySettings): Promise<MigrateOutcome> {
  const t0 = performance.now();
  const cluster = await startBenchCluster('migrate', port, density.pgPassword);
  try {
    const adminUrl = cluster.adminUrl;
    // The control plane (and pool-main) first, so each timed run has only silos to do.
    const setup = await openAppRuntime(runtimeConfig(adminUrl, density), createLogger({ LOG_LEVEL: 'warn' }));
    try {
      await setup.migrate();
    } finally {
      await setup.close();
    }
    const runs: MigrateRun[] = [];
    for (const concurrency of [1, s.concurrency]) {
      const prefix = `silo-bench-c${concurrency}-`;
      const { ids, createSeconds } = await createSilos(adminUrl, s, prefix);
      runs.push(await timedMigrate(adminUrl, density, prefix, { kind: 'from empty', concurrency, createSeconds }));
      // The last set, now up to date, shows what a migrate with nothing to apply costs per silo.
      if (concurrency === s.concurrency) {
        for (const again of [1, s.concurrency]) runs.push(await timedMigrate(adminUrl, density, prefix, { kind: 'nothing to apply', concurrency: again, createSeconds: null }));
      }
      await dropSilos(adminUrl, s, ids, prefix);
    }
    return { settings: s, tenantMigrations: (await readMigrations('tenant')).length, runs, date: new Date().toISOString(), seconds: (performance.now() - t0) / 1000 };
  } finally {
    await cluster.stop();
  }
}

const n0 = (v: number) => fmt(v, 0);

const pair = (r: Exclude<MigrateOutcome, { skipped: string }>, kind: MigrateRun['kind']) => {
  const runs = r.runs.filter((x) => x.kind === kind);
  return { one: runs.find((x) => x.concurrency === 1), parallel: runs.find((x) => x.concurrency !== 1) };
};

const pairLine = ({ one, parallel }: ReturnType<typeof pair>) =>
  one && parallel
    ? `**${fmt(one.seconds, 1)} s** one after another (**${fmt(one.perSiloMs, 1)} ms** per silo), **${fmt(parallel.seconds, 1)} s** ${parallel.concurrency} at a time (**${fmt(parallel.perSiloMs, 1)} ms** per silo, ${fmt(one.seconds / parallel.seconds, 1)}× faster)`
    : null;

export function migrateHeadline(r: MigrateOutcome | undefined): string[] {
  if (!r || 'skipped' in r) return [];
  const empty = pairLine(pair(r, 'from empty'));
  const again = pairLine(pair(r, 'nothing to apply'));
  const silos = r.runs[0]?.silos ?? 0;
  return empty ? [`- Migrating ${n0(silos)} silos: from empty (${r.tenantMigrations} tenant migrations each) ${empty}; with nothing to apply ${again ?? 'not measured'}.`] : [];
}

export function renderMigrateSection(r: MigrateOutcome | undefined, n: number): string {
  const heading = `## ${n}. Migrating silos`;
  if (!r || 'skipped' in r) return unmeasuredSection(heading, r);
  const s = r.settings;
  const out: string[] = [heading];
  out.push(`### Method

- **Data.** A bench cluster of its own (\`migrate\`), its control plane migrated first. For each run from empty, ${n0(s.silos)} new, empty databases (\`CREATE DATABASE\`, ${s.createConcurrency} at a time, not timed) entered in \`platform.placements\` as silos on cluster \`main\`, as \`placements add --tier silo\` would leave them but with nothing migrated yet; each such run has databases of its own, dropped afterwards. The runs with nothing to apply migrate the second set again, once it is up to date.
- **Run.** \`runtime.migrate()\`, what \`studiohive migrate\` and a start with \`MIGRATE_ON_START=true\` run, from the bench process: every silo gets the ${r.tenantMigrations} tenant migrations (each in its own transaction, under the database's advisory lock), the runtime roles' grants, and its outcome and schema version recorded in the catalog. Once with \`MIGRATE_CONCURRENCY=1\` (one after another, as every release before this one did) and once with \`MIGRATE_CONCURRENCY=${s.concurrency}\` (the default). The time is the wall time of the placements' part (the control plane, already up to date, is left out); per silo is that time divided by the silos. The p50/p99 are each silo's own migration as the report gives it (one owner connection per silo: connect, lock, migrations, grants, catalog record), which grows when several run at once on 2 cores.
- The bench process, PostgreSQL and whatever else runs on the machine share its 2 cores; the load average of each run is given below.`);
  out.push('### Results');
  out.push(
    table(
      ['Silos', 'At a time', 'Count', 'Time', 'Per silo', 'Each silo p50 (ms)', 'p99 (ms)', 'Max (ms)', 'Failed', 'Creating the databases (not timed)', 'Load average at start / end (1 min)'],
      r.runs.map((run) => [
        run.kind,
        String(run.concurrency),
        n0(run.silos),
        `**${fmt(run.seconds, 1)} s**`,
        `**${fmt(run.perSiloMs, 1)} ms**`,
        fmt(run.p50Ms, 0),
        fmt(run.p99Ms, 0),
        fmt(run.maxMs, 0),
        n0(run.failed),
        run.createSeconds === null ? '' : `${fmt(run.createSeconds, 1)} s`,
        `${fmt(run.loadAverage.start[0]!, 2)} / ${fmt(run.loadAverage.end[0]!, 2)}`,
      ]),
    ),
  );
  const empty = pair(r, 'from empty');
  const again = pair(r, 'nothing to apply');
  if (empty.one && empty.parallel && again.one && again.parallel) {
    out.push(
      `From empty, ${empty.parallel.concurrency} at a time took ${fmt(empty.parallel.seconds / empty.one.seconds, 2)}× the time of one after another; with nothing to apply, ${fmt(again.parallel.seconds / again.one.seconds, 2)}×. ` +
        `A migration from empty is mostly PostgreSQL executing DDL (creating the tables, indexes, functions and policies of ${r.tenantMigrations} migrations), so on 2 cores running several at once gains at most the second core, and each silo's own time grows with the queue (the p50 column). ` +
        `With nothing to apply a silo costs a connection, the lock, a look at its migrations table, the grants and its catalog row: round trips more than work, which overlap well. A release usually adds one or two migrations, so its migrate costs between the two rows per silo.`,
    );
  }
  out.push(`Measured on ${r.date}, ${fmt(r.seconds, 0)} s for the whole section.`);
  return out.join('\n\n');
}
