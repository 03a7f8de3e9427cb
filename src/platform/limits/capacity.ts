import { statfs, stat } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { analyticsDir } from '../analytics/storage.js';
import type { Runtime } from '../runtime.js';
import type { LimitName } from './thresholds.js';

export interface Measure {
  scope: string;
  limit: LimitName;
  usage: number;
  max: number;
}

/**
 * Connections and cluster size, read with the owner connection: only a
 * superuser (or pg_read_all_stats) sees every backend and may size every database. A short-lived client, so
 * nothing stays open between reports (the metrics cache keeps that to one connection per cluster every few seconds).
 */
async function clusterMeasures(name: string, url: string, dbSizeLimit: number): Promise<Measure[]> {
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
    return [
      { scope, limit: 'platform.db_connections', usage: row.connections, max: row.max_connections },
      { scope, limit: 'platform.db_size_bytes', usage: Number(row.db_bytes), max: dbSizeLimit },
    ];
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
  const { DATA_DIR, ANALYTICS_STORAGE } = runtime.config;
  const data = await diskMeasure('disk:data', DATA_DIR);
  const disks = [data];
  if (ANALYTICS_STORAGE === 'local') {
    const analytics = await diskMeasure('disk:analytics', analyticsDir(runtime.config));
    if (analytics.device !== data.device) disks.push(analytics);
  }
  return disks.map(({ device: _device, ...m }) => m);
}

async function cellMeasures(runtime: Runtime): Promise<Measure[]> {
  const cells = await runtime.databases.platform
    .selectFrom('platform.placements')
    .select(['id', 'tenant_count', 'tenant_capacity'])
    .where('tier', '=', 'pool')
    .orderBy('id')
    .execute();
  return cells.map((c) => ({ scope: `cell:${c.id}`, limit: 'platform.cell_tenants', usage: c.tenant_count, max: c.tenant_capacity }));
}

/** Every platform capacity limit: scopes are clusters, pool cells and folders, so their number stays small. */
export async function platformCapacity(runtime: Runtime): Promise<Measure[]> {
  const clusters = Object.entries(runtime.databases.settings.clusters).sort(([a], [b]) => (a === 'main' ? -1 : b === 'main' ? 1 : a.localeCompare(b)));
  const perCluster = await Promise.all(clusters.map(([name, url]) => clusterMeasures(name, url, runtime.config.DB_SIZE_LIMIT_BYTES)));
  // Ready jobs: not locked, not out of attempts, due now; the same count the /metrics queue gauge reads.
  const { ready } = await runtime.jobs.queueDepth(10_000);
  const backlog: Measure = { scope: 'jobs', limit: 'platform.job_backlog', usage: ready, max: runtime.config.JOB_BACKLOG_LIMIT };
  return [...perCluster.flat(), backlog, ...(await cellMeasures(runtime)), ...(await diskMeasures(runtime))];
}
