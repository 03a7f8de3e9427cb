import { mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { PAGES } from './page-catalog.js';
import type { Config } from '../../config.js';
import { createObjectStore, parseKey, type ObjectStore, type StoredObject } from './storage.js';

export interface AnalyticsFilter {
  /** First day (UTC, YYYY-MM-DD) to include. */
  since?: string;
  tenantId?: string;
}

interface Partition {
  prefix: string;
  day: string;
  tenantId: string;
  compacted: StoredObject | null;
  smalls: StoredObject[];
}

/** The one file a partition's small files are merged into; a fixed name, so a rerun replaces it. */
export const COMPACTED = 'compacted.parquet';
const SMALL = /\.ndjson\.gz$/;

const HIVE = `hive_partitioning = true, hive_types = {'dt': DATE, 'tenant': VARCHAR}`;
const JSON_COLUMNS =
  "columns = {ts: 'TIMESTAMPTZ', tenant_id: 'VARCHAR', path: 'VARCHAR', referrer: 'VARCHAR', screen: 'VARCHAR', " +
  "language: 'VARCHAR', device: 'VARCHAR', visitor: 'VARCHAR'}";
const FIELDS = 'ts, tenant_id, path, referrer, screen, language, device, visitor';

const literal = (s: string) => `'${s.replaceAll("'", "''")}'`;
const fileList = (files: string[]) => `[${files.map(literal).join(', ')}]`;
const readSmalls = (files: string[], hive: boolean) =>
  `read_json(${fileList(files)}, format = 'newline_delimited', ${JSON_COLUMNS}, ${hive ? HIVE : 'hive_partitioning = false'}, filename = true)`;
const readCompacted = (files: string[], hive: boolean) =>
  `read_parquet(${fileList(files)}, ${hive ? HIVE : 'hive_partitioning = false'})`;

/** Groups stored keys into (day, tenant) partitions, pruned by the filter before any file is read. */
export function partitionsOf(objects: StoredObject[], filter: AnalyticsFilter & { before?: string } = {}): Partition[] {
  const byPrefix = new Map<string, Partition>();
  for (const object of objects) {
    const key = parseKey(object.key);
    if (!key) continue;
    if (filter.since && key.day < filter.since) continue;
    if (filter.before && key.day >= filter.before) continue;
    if (filter.tenantId && key.tenantId !== filter.tenantId) continue;
    const prefix = `dt=${key.day}/tenant=${key.tenantId}/`;
    let partition = byPrefix.get(prefix);
    if (!partition) byPrefix.set(prefix, (partition = { prefix, day: key.day, tenantId: key.tenantId, compacted: null, smalls: [] }));
    if (key.name === COMPACTED) partition.compacted = object;
    else if (SMALL.test(key.name)) partition.smalls.push(object);
  }
  return [...byPrefix.values()].sort((a, b) => a.prefix.localeCompare(b.prefix));
}

/**
 * Questions across every tenant's page views, answered by DuckDB over the stored files. A local store is read
 * in place; an S3 store is first copied (only the partitions the filter keeps) to a local cache folder, because
 * DuckDB's httpfs extension would have to be downloaded at run time.
 */
export class Analytics {
  private constructor(
    private readonly store: ObjectStore,
    private readonly cacheDir: string,
    private readonly instance: DuckDBInstance,
    private readonly db: DuckDBConnection,
  ) {}

  static async open(store: ObjectStore, cacheDir: string): Promise<Analytics> {
    const instance = await DuckDBInstance.create(':memory:');
    return new Analytics(store, cacheDir, instance, await instance.connect());
  }

  async close(): Promise<void> {
    this.db.closeSync();
    this.instance.closeSync();
    await this.store.close?.();
  }

  /** The N most viewed pages of each tenant. */
  async topPages(filter: AnalyticsFilter, limit: number) {
    await this.load(filter);
    return this.rows<{ tenant_id: string; page: string; views: number; visitors: number }>(`
      select tenant_id, path as page, count(*)::integer as views, count(distinct visitor)::integer as visitors
      from events group by tenant_id, path
      qualify row_number() over (partition by tenant_id order by count(*) desc, path) <= ${Math.trunc(limit)}
      order by tenant_id, views desc, page`);
  }

  /** Distinct visitors (and views) per tenant and day. */
  async visitors(filter: AnalyticsFilter) {
    await this.load(filter);
    return this.rows<{ day: string; tenant_id: string; visitors: number; views: number }>(`
      select strftime(dt, '%Y-%m-%d') as day, tenant_id, count(distinct visitor)::integer as visitors, count(*)::integer as views
      from events group by dt, tenant_id order by day, tenant_id`);
  }

  /** Pages of the app's catalog that no tenant (or not the given one) visited in the period. */
  async unusedPages(filter: AnalyticsFilter) {
    await this.load(filter);
    const seen = new Set((await this.rows<{ path: string }>('select distinct path from events')).map((r) => r.path));
    return PAGES.filter((p) => !seen.has(p.path)).map((p) => ({ page: p.path, app: p.app }));
  }

  async eventCount(filter: AnalyticsFilter = {}): Promise<number> {
    await this.load(filter);
    return (await this.rows<{ n: number }>('select count(*)::integer as n from events'))[0]!.n;
  }

  /**
   * Merges the small files of each finished day (before `before`) into one Parquet file per (day, tenant).
   * Each row keeps the name of the small file it came from: the merged file is stored (atomically) first and the
   * small files deleted after, and both queries and a rerun skip small files the merged one already holds, so a
   * run killed at any point neither loses nor double-counts a view.
   */
  async compact(before: string) {
    const partitions = partitionsOf(await this.store.list('dt='), { before }).filter((p) => p.smalls.length > 0);
    let filesBefore = 0;
    let filesAfter = 0;
    const work = await mkdtemp(path.join(os.tmpdir(), 'studiohive-compact-'));
    try {
      for (const partition of partitions) {
        filesBefore += partition.smalls.length + (partition.compacted ? 1 : 0);
        await this.compactPartition(partition, work);
        filesAfter += 1;
      }
    } finally {
      await rm(work, { recursive: true, force: true });
    }
    return { partitions: partitions.length, filesBefore, filesAfter };
  }

  private async compactPartition(partition: Partition, work: string) {
    const compacted = partition.compacted ? [await this.localFile(partition.compacted)] : [];
    const held = compacted.length ? await this.sourcesIn(compacted) : new Set<string>();
    const fresh = partition.smalls.filter((s) => !held.has(path.posix.basename(s.key)));
    const parts = [];
    if (compacted.length) parts.push(`select ${FIELDS}, src from ${readCompacted(compacted, false)}`);
    if (fresh.length) {
      const files = await Promise.all(fresh.map((s) => this.localFile(s)));
      parts.push(`select ${FIELDS}, parse_filename(filename) as src from ${readSmalls(files, false)}`);
    }
    if (fresh.length) {
      const out = path.join(work, `${partition.day}-${partition.tenantId}.parquet`);
      await this.db.run(`copy (${parts.join(' union all ')} order by ts) to ${literal(out)} (format parquet, compression zstd)`);
      await this.store.put(partition.prefix + COMPACTED, await readFile(out));
      await rm(out, { force: true });
    }
    for (const small of partition.smalls) await this.store.delete(small.key);
  }

  private async sourcesIn(compacted: string[]): Promise<Set<string>> {
    const rows = await this.rows<{ src: string }>(`select distinct src from ${readCompacted(compacted, false)}`);
    return new Set(rows.map((r) => r.src));
  }

  /** Defines the `events` view over the kept partitions: merged files, plus small files not yet merged. */
  private async load(filter: AnalyticsFilter) {
    const partitions = partitionsOf(await this.store.list('dt='), filter);
    const compacted: string[] = [];
    const smalls: string[] = [];
    for (const partition of partitions) {
      let held = new Set<string>();
      if (partition.compacted) {
        const file = await this.localFile(partition.compacted);
        compacted.push(file);
        held = await this.sourcesIn([file]);
      }
      for (const small of partition.smalls) {
        if (!held.has(path.posix.basename(small.key))) smalls.push(await this.localFile(small));
      }
    }
    const selects = [];
    if (compacted.length) selects.push(`select ${FIELDS}, dt from ${readCompacted(compacted, true)}`);
    if (smalls.length) selects.push(`select ${FIELDS}, dt from ${readSmalls(smalls, true)}`);
    if (!selects.length) {
      selects.push(
        'select null::timestamptz as ts, null::varchar as tenant_id, null::varchar as path, null::varchar as referrer, null::varchar as screen, ' +
          'null::varchar as language, null::varchar as device, null::varchar as visitor, null::date as dt where false',
      );
    }
    await this.db.run(`create or replace temp view events as ${selects.join(' union all ')}`);
  }

  /** The file DuckDB reads for a key: in place for a local store, else a cached copy (fetched if missing or changed). */
  private async localFile(object: StoredObject): Promise<string> {
    const inPlace = this.store.localPath?.(object.key);
    if (inPlace) return inPlace;
    const file = path.join(this.cacheDir, ...object.key.split('/'));
    const cached = await stat(file).catch(() => null);
    if (cached?.size !== object.size) {
      await mkdir(path.dirname(file), { recursive: true });
      const temp = `${file}.${process.pid}.part`;
      await writeFile(temp, await this.store.get(object.key));
      await rename(temp, file);
    }
    return file;
  }

  private async rows<T>(sql: string): Promise<T[]> {
    return (await this.db.runAndReadAll(sql)).getRowObjectsJson() as unknown as T[];
  }
}

export const dayOf = (at: Date) => at.toISOString().slice(0, 10);
export const addDays = (day: string, n: number) => dayOf(new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000));

/** Opens the analytics of the configured store; S3 partitions are cached under the data folder. */
export function openAnalytics(config: Config): Promise<Analytics> {
  return Analytics.open(createObjectStore(config), path.resolve(config.DATA_DIR, 'analytics-cache'));
}

/**
 * The daily job and `studiohive analytics compact`: by default every day before yesterday, since a view of
 * yesterday may still sit in some instance's buffer (or in a batch waiting for a retry) just after midnight.
 */
export async function compactAnalytics(config: Config, now: Date, before = addDays(dayOf(now), -1)) {
  const analytics = await openAnalytics(config);
  try {
    return { before, ...(await analytics.compact(before)) };
  } finally {
    await analytics.close();
  }
}
