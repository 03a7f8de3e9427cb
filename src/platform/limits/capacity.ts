import { statfs, stat } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import type { Runtime } from '../runtime.js';
import type { LimitName } from './thresholds.js';

export interface Measure {
  scope: string;
  limit: LimitName;
  usage: number;
  max: number;
}

/**
 * Connections, cluster size and (on the main cluster) the job backlog, read with the owner connection: only a
 * superuser (or pg_read_all_stats) sees every backend and may size every database. A short-lived client, so
 * nothing stays open between reports (the metrics cache keeps that to one connection per cluster every few seconds).
 */
async function clusterMeasures(name: string, url: string, withJobs: boolean, limits: { dbSize: number; jobBacklog: number }): Promise<Measure[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000, statement_timeout: 10_000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const { rows } = await client.query<{ connections: number; max_connections: number; db_bytes: string }>(`
      select (select count(*) from pg_stat_activity where backend_type = 'client backend')::int as connections,
             current_setting('max_connections')::int as max_connections,
             (select coalesce(sum(pg_database_size(datname)), 0) from pg_database where not datistemplate)::bigint as db_bytes`);
    const row = rows[0]!;
    const scope = `cluster:${name}`;
    const measures: Measure[] = [
      { scope, limit: 'platform.db_connections', usage: row.connections, max: row.max_connections },
      { scope, limit: 'platform.db_size_bytes', usage: Number(row.db_bytes), max: limits.dbSize },
    ];
    if (withJobs) {
      // Ready: not locked, not out of attempts, due now (graphile-worker's own is_available plus run_at).
      const jobs = await client.query<{ n: number }>(
        `select count(*)::int as n from graphile_worker._private_jobs where is_available and run_at <= now()`,
      );
      measures.push({ scope: 'jobs', limit: 'platform.job_backlog', usage: jobs.rows[0]!.n, max: limits.jobBacklog });
    }
    return measures;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** statfs needs a path that exists: DATA_DIR may not (an external database), so measure its nearest ancestor. */
async function existing(dir: string): Promise<string> {
  let current = path.resolve(dir);
  for (;;) {
    try {
      await stat(current);
      return current;
    } catch {
      const parent = path.dirname(current);
      if (parent === current) return current;
      current = parent;
    }
  }
}

/** Used against usable space, as `df` counts it (the blocks reserved for root are not the app's to use). */
async function diskMeasure(scope: string, dir: string): Promise<Measure & { device: number }> {
  const at = await existing(dir);
  const [fs, info] = await Promise.all([statfs(at), stat(at)]);
  const used = (fs.blocks - fs.bfree) * fs.bsize;
  return { scope, limit: 'platform.disk_bytes', usage: used, max: used + fs.bavail * fs.bsize, device: info.dev };
}

/** The data folder, and the analytics folder when it is stored locally on another file system. */
async function diskMeasures(runtime: Runtime): Promise<Measure[]> {
  const { DATA_DIR, ANALYTICS_DIR, ANALYTICS_STORAGE } = runtime.config;
  const data = await diskMeasure('disk:data', DATA_DIR);
  const disks = [data];
  if (ANALYTICS_STORAGE === 'local') {
    const analytics = await diskMeasure('disk:analytics', ANALYTICS_DIR ?? path.join(DATA_DIR, 'analytics'));
    if (analytics.device !== data.device) disks.push(analytics);
  }
  return disks.map(({ device: _device, ...m }) => m);
}

async function cellMeasures(runtime: Runtime): Promise<Measure[]> {
  const cells = await runtime.databases.control
    .selectFrom('platform.placements')
    .select(['id', 'tenant_count', 'tenant_capacity'])
    .where('tier', '=', 'pool')
    .orderBy('id')
    .execute();
  return cells.map((c) => ({ scope: `cell:${c.id}`, limit: 'platform.cell_tenants', usage: c.tenant_count, max: c.tenant_capacity }));
}

/** Every platform capacity limit: scopes are clusters, pool cells and folders, so their number stays small. */
export async function platformCapacity(runtime: Runtime): Promise<Measure[]> {
  const limits = { dbSize: runtime.config.DB_SIZE_LIMIT_BYTES, jobBacklog: runtime.config.JOB_BACKLOG_LIMIT };
  const clusters = Object.entries(runtime.databases.settings.clusters).sort(([a], [b]) => (a === 'main' ? -1 : b === 'main' ? 1 : a.localeCompare(b)));
  const perCluster = await Promise.all(clusters.map(([name, url]) => clusterMeasures(name, url, name === 'main', limits)));
  return [...perCluster.flat(), ...(await cellMeasures(runtime)), ...(await diskMeasures(runtime))];
}
