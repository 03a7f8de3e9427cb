import { Kysely, PostgresDialect, sql, type Transaction } from 'kysely';
import { LRUCache } from 'lru-cache';
import pg from 'pg';
import type { DB, Placement } from './types.js';

export type Db = Kysely<DB>;
export type Tx = Transaction<DB>;

export interface DatabaseSettings {
  /** Admin (owner) URL per cluster; "main" holds the control plane. */
  clusters: Record<string, string>;
  appUser: string;
  appPassword: string;
  poolMax: number;
  siloPoolMax: number;
  siloPoolsOpenMax: number;
  idleTimeoutMs: number;
}

export function withCredentials(url: string, changes: { user?: string; password?: string; database?: string }): string {
  const u = new URL(url);
  if (changes.user !== undefined) u.username = encodeURIComponent(changes.user);
  if (changes.password !== undefined) u.password = encodeURIComponent(changes.password);
  if (changes.database !== undefined) u.pathname = `/${encodeURIComponent(changes.database)}`;
  return u.toString();
}

export function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.replace(/^\//, '')) || 'postgres';
}

interface OpenPool {
  db: Db;
  pool: pg.Pool;
}

/**
 * One lazily opened, bounded pool per placement, all as the app role. Silo pools are kept in an LRU and closed
 * when evicted, and idle connections are closed after idleTimeoutMs, so the total number of connections stays
 * bounded however many silos exist.
 */
export class Databases {
  readonly control: Db;
  private readonly controlPool: pg.Pool;
  private readonly silos: LRUCache<string, OpenPool>;

  constructor(readonly settings: DatabaseSettings) {
    const main = this.clusterUrl('main');
    const opened = this.open(this.appUrl(main, databaseName(main)), settings.poolMax);
    this.control = opened.db;
    this.controlPool = opened.pool;
    this.silos = new LRUCache<string, OpenPool>({
      max: settings.siloPoolsOpenMax,
      dispose: (value) => void value.db.destroy(),
    });
  }

  clusterUrl(cluster: string): string {
    const url = this.settings.clusters[cluster];
    if (!url) throw new Error(`Unknown database cluster "${cluster}"; configure it in EXTRA_CLUSTERS`);
    return url;
  }

  /** The owner connection for a placement's database: migrations and provisioning only. */
  adminUrl(placement: Pick<Placement, 'cluster' | 'database'>): string {
    return withCredentials(this.clusterUrl(placement.cluster), { database: placement.database });
  }

  forPlacement(placement: Pick<Placement, 'id' | 'cluster' | 'database'>): Db {
    if (this.isControlDatabase(placement)) return this.control;
    const key = `${placement.cluster}/${placement.database}`;
    let entry = this.silos.get(key);
    if (!entry) {
      entry = this.open(this.appUrl(this.clusterUrl(placement.cluster), placement.database), this.settings.siloPoolMax);
      this.silos.set(key, entry);
    }
    return entry.db;
  }

  isControlDatabase(placement: Pick<Placement, 'cluster' | 'database'>): boolean {
    return placement.cluster === 'main' && placement.database === databaseName(this.clusterUrl('main'));
  }

  poolStats() {
    const pools = [this.controlPool, ...[...this.silos.values()].map((e) => e.pool)];
    return {
      openPools: pools.length,
      total: pools.reduce((n, p) => n + p.totalCount, 0),
      idle: pools.reduce((n, p) => n + p.idleCount, 0),
      waiting: pools.reduce((n, p) => n + p.waitingCount, 0),
    };
  }

  async close(): Promise<void> {
    const silos = [...this.silos.values()];
    this.silos.clear();
    await Promise.all([this.control.destroy(), ...silos.map((e) => e.db.destroy())]);
  }

  private appUrl(clusterUrl: string, database: string): string {
    return withCredentials(clusterUrl, { user: this.settings.appUser, password: this.settings.appPassword, database });
  }

  private open(connectionString: string, max: number): OpenPool {
    const pool = new pg.Pool({ connectionString, max, idleTimeoutMillis: this.settings.idleTimeoutMs });
    // A dropped idle connection must not crash the process; the pool replaces it on next use.
    pool.on('error', () => undefined);
    return { pool, db: new Kysely<DB>({ dialect: new PostgresDialect({ pool }) }) };
  }
}

/**
 * Runs fn in one transaction whose tenant is set with SET LOCAL semantics (set_config(..., true)), so the
 * setting ends with the transaction and is safe behind PgBouncer in transaction mode.
 */
export async function inTenantTransaction<T>(db: Db, tenantId: string, fn: (trx: Tx) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (trx) => {
    await sql`select set_config('app.tenant_id', ${tenantId}, true)`.execute(trx);
    return fn(trx);
  });
}
