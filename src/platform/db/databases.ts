import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import { CompiledQuery, Kysely, PostgresDialect, sql, type DatabaseConnection, type Dialect, type Driver, type Transaction, type TransactionSettings } from 'kysely';
import { LRUCache } from 'lru-cache';
import pg from 'pg';
import type { DB, Placement } from './types.js';
import { FairGate, type AdmissionObserver, type AdmissionSettings, type GateStats } from './admission.js';

// A calendar date stays a 'YYYY-MM-DD' string: as a JS Date it would shift with the server's time zone.
pg.types.setTypeParser(pg.types.builtins.DATE, (value) => value);
// Money is bigint minor units; as a JS number it is exact up to 2^53, far past any studio's invoice. Past that a
// silent rounding would be a wrong charge, so it fails instead.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError(`bigint ${value} is beyond exact JavaScript numbers`);
  return n;
});

export type Db = Kysely<DB>;
export type Tx = Transaction<DB>;

export interface DatabaseSettings {
  /** Admin (owner) URL per cluster; "main" holds the control plane. */
  clusters: Record<string, string>;
  appUser: string;
  appPassword: string;
  platformUser: string;
  platformPassword: string;
  poolMax: number;
  siloPoolMax: number;
  siloPoolsOpenMax: number;
  idleTimeoutMs: number;
  admission: AdmissionSettings;
  /** Named prepared statements per connection (DB_PREPARED_STATEMENTS), at most this many; 0 = unnamed only. */
  preparedPerConnection: number;
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
  /** Fair admission of tenant transactions to this pool (none on the platform role's pool). */
  gate?: FairGate;
  /** The placement id it serves (a metrics label); the control cell's comes from migration 0001. */
  placementId?: string;
}

/** One pool's connection counts, read without a query (for /metrics). */
export interface PoolStats {
  kind: 'cell' | 'silo' | 'platform';
  placementId: string | null;
  total: number;
  idle: number;
  waiting: number;
  max: number;
}

type PlacementRef = Pick<Placement, 'id' | 'tier' | 'cluster' | 'database'>;

/** A request waits this long for a connection before it fails (503), instead of hanging. */
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * Lazily opened, bounded pools. The tenant path uses the app role: one pool per pool cell (kept open: each holds
 * many tenants) and one small pool per silo, kept in an LRU that ends the pools it evicts (connections in use
 * finish their work first; callers look a pool up for each transaction, so none is reused after its end).
 * Idle connections close after idleTimeoutMs, so the connection count stays bounded however many silos exist.
 * The catalog's tables are read and written by the platform role, on its own small pool.
 */
export class Databases {
  /** App role on the control-plane database: the tenant path, and its one-row catalog lookups. */
  readonly control: Db;
  /** Platform role on the control-plane database: the catalog's tables (platform API, CLI, jobs, limits). */
  readonly platform: Db;
  private readonly cells = new Map<string, OpenPool>();
  private readonly silos: LRUCache<string, OpenPool>;
  private readonly platformPool: OpenPool;
  /** Set once by the observability wiring: admission metrics and per-tenant queued time. */
  admissionObserver: AdmissionObserver | null = null;

  constructor(readonly settings: DatabaseSettings) {
    const main = this.clusterUrl('main');
    const mainDb = databaseName(main);
    const control = this.open(withCredentials(main, { user: settings.appUser, password: settings.appPassword, database: mainDb }), settings.poolMax, 'pool');
    control.placementId = 'pool-main';
    this.cells.set(`main/${mainDb}`, control);
    this.control = control.db;
    this.platformPool = this.open(
      withCredentials(main, { user: settings.platformUser, password: settings.platformPassword, database: mainDb }),
      Math.min(settings.poolMax, 5),
    );
    this.platform = this.platformPool.db;
    this.silos = new LRUCache<string, OpenPool>({
      max: settings.siloPoolsOpenMax,
      dispose: (value) => {
        value.gate?.close();
        void value.db.destroy();
      },
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

  forPlacement(placement: PlacementRef): Db {
    const key = `${placement.cluster}/${placement.database}`;
    const cell = this.cells.get(key);
    if (cell) return cell.db;
    const url = withCredentials(this.clusterUrl(placement.cluster), {
      user: this.settings.appUser,
      password: this.settings.appPassword,
      database: placement.database,
    });
    if (placement.tier === 'pool') {
      const opened = { ...this.open(url, this.settings.poolMax, 'pool'), placementId: placement.id };
      this.cells.set(key, opened);
      return opened.db;
    }
    let silo = this.silos.get(key);
    if (!silo) {
      silo = this.open(url, this.settings.siloPoolMax, 'silo');
      this.silos.set(key, silo);
    }
    return silo.db;
  }

  isControlDatabase(placement: Pick<Placement, 'cluster' | 'database'>): boolean {
    return placement.cluster === 'main' && placement.database === databaseName(this.clusterUrl('main'));
  }

  /** Connection counts of every open pool, from pg's own counters (no query, so a scrape never waits on them). */
  poolStats(): PoolStats[] {
    const stats = (kind: PoolStats['kind'], { pool, placementId }: OpenPool): PoolStats => ({
      kind,
      placementId: placementId ?? null,
      total: pool.totalCount,
      idle: pool.idleCount,
      waiting: pool.waitingCount,
      max: pool.options.max,
    });
    return [
      ...[...this.cells.values()].map((cell) => stats('cell', cell)),
      ...[...this.silos.values()].map((silo) => stats('silo', silo)),
      stats('platform', this.platformPool),
    ];
  }

  /** Each tenant pool's admission state (no query), for /metrics. */
  admissionStats(): GateStats[] {
    return [...this.cells.values(), ...this.silos.values()].flatMap((open) => (open.gate ? [open.gate.stats()] : []));
  }

  async close(): Promise<void> {
    const open = [...this.cells.values(), ...this.silos.values()];
    this.cells.clear();
    this.silos.clear();
    await Promise.all([this.platform.destroy(), ...open.map((e) => e.db.destroy())]);
  }

  private open(connectionString: string, max: number, tier?: 'pool' | 'silo'): OpenPool {
    const pool = new pg.Pool({
      connectionString,
      max,
      idleTimeoutMillis: this.settings.idleTimeoutMs,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    });
    // A dropped idle connection must not crash the process; the pool replaces it on next use.
    pool.on('error', () => undefined);
    if (this.settings.preparedPerConnection > 0) {
      pool.on('connect', (client) => prepareOn(client, this.settings.preparedPerConnection));
      pool.on('release', (_error: Error | undefined, client: pg.PoolClient) => {
        if (staleConnections.has(client)) void client.end().catch(() => undefined);
      });
    }
    const db = new Kysely<DB>({ dialect: tier ? tenantBeginning(new PostgresDialect({ pool })) : new PostgresDialect({ pool }) });
    if (!tier) return { pool, db };
    const gate = new FairGate(tier, max, this.settings.admission, () => this.admissionObserver);
    gates.set(db, gate);
    return { pool, db, gate };
  }
}

const statementNames = new LRUCache<string, string>({ max: 5_000 });
/** Connections to close when released: ending one as the pool takes it back keeps it out of the idle list. */
const staleConnections = new WeakSet<pg.PoolClient>();

/** PostgreSQL's answer when a table a prepared statement reads changed shape (a migration by a newer instance). */
export const isStalePlan = (error: unknown) => (error as { code?: string }).code === '0A000' && (error as { routine?: string }).routine === 'RevalidateCachedQuery';

/**
 * Sends the connection's parameterised statements as named prepared statements (the name is a hash of the text),
 * so PostgreSQL parses each once per connection and may keep its plan, instead of parsing and planning every
 * statement of every request (in the bench, PostgreSQL's CPU per booking fell from 6.8 to 2.9 ms). Bounded per
 * connection: past `max` names, statements go unnamed as before. Statements without parameters (begin, commit)
 * stay simple queries. A connection whose prepared statement went stale (a newer instance migrated the table
 * it reads) is closed when released rather than reused; that request answers 503, the retry gets a fresh one.
 */
function prepareOn(client: pg.PoolClient, max: number): void {
  const query = client.query.bind(client) as (...args: unknown[]) => Promise<unknown>;
  const prepared = new Set<string>();
  (client as unknown as { query: (...args: unknown[]) => unknown }).query = (config: unknown, values?: unknown, callback?: unknown) => {
    if (typeof config !== 'string' || !Array.isArray(values) || values.length === 0 || callback !== undefined) return query(config, values, callback);
    let name = statementNames.get(config);
    if (name === undefined) {
      name = `s_${createHash('sha1').update(config).digest('base64url')}`;
      statementNames.set(config, name);
    }
    if (!prepared.has(name)) {
      if (prepared.size >= max) return query(config, values);
      prepared.add(name);
    }
    return query({ name, text: config, values }).catch((error: unknown) => {
      if (isStalePlan(error)) staleConnections.add(client);
      throw error;
    });
  };
}

/**
 * Runs fn in one transaction whose tenant is set with SET LOCAL semantics (set_config(..., true)), so the
 * setting ends with the transaction and is safe behind PgBouncer in transaction mode. The tenant is entered by
 * app.enter_tenant (tenant migration 0034), which also makes the transaction read only while a move copies the
 * tenant's rows, and refuses it once the tenant has moved out of this database.
 */
export async function inTenantTransaction<T>(db: Db, tenantId: string, fn: (trx: Tx) => Promise<T>): Promise<T> {
  let opened: Tx | undefined;
  // The tenant's turn at the pool first (fair admission), then pg's own pool, which then has a connection free.
  const release = await gates.get(db)?.acquire(tenantId);
  let result: T;
  try {
    const beginning = { tenantId, claimed: false, set: false };
    result = await beginningTenant.run(beginning, () =>
      db.transaction().execute(async (trx) => {
        opened = trx;
        // Set with `begin` in the same round trip (tenantBeginning), else here, as a parameter.
        if (!beginning.set) await sql`select app.enter_tenant(${tenantId}::uuid)`.execute(trx);
        // Transactions that fn opens, on whatever database, are not this tenant's to begin.
        return beginningTenant.exit(() => fn(trx));
      }),
    );
  } finally {
    release?.();
  }
  for (const hook of (opened && committedHooks.get(opened)) ?? []) hook(tenantId);
  return result;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The tenant inTenantTransaction is about to begin a transaction for, until the driver has set it. */
const beginningTenant = new AsyncLocalStorage<{ tenantId: string; claimed: boolean; set: boolean }>();

/**
 * A tenant pool's dialect, whose driver sends `begin` and the tenant's app.enter_tenant as one simple query: one round
 * trip fewer for every tenant transaction (each round trip is a write to the socket and a wait for the answer).
 * A simple query takes no parameters, so the tenant id goes in as a literal, and only when it is a uuid.
 */
function tenantBeginning(dialect: Dialect): Dialect {
  return {
    createAdapter: () => dialect.createAdapter(),
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createIntrospector: (db) => dialect.createIntrospector(db),
    createDriver: () => {
      const driver = dialect.createDriver();
      const wrapped: Driver = {
        init: () => driver.init(),
        acquireConnection: () => driver.acquireConnection(),
        releaseConnection: (connection) => driver.releaseConnection(connection),
        commitTransaction: (connection) => driver.commitTransaction(connection),
        rollbackTransaction: (connection) => driver.rollbackTransaction(connection),
        destroy: () => driver.destroy(),
        async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings) {
          const beginning = beginningTenant.getStore();
          // One begin per inTenantTransaction: whatever else starts in its async context later is not its to set.
          const claimable = beginning !== undefined && !beginning.claimed;
          if (beginning) beginning.claimed = true;
          if (!claimable || !UUID.test(beginning.tenantId) || settings.isolationLevel || settings.accessMode) {
            return driver.beginTransaction(connection, settings);
          }
          try {
            await connection.executeQuery(CompiledQuery.raw(`begin; select app.enter_tenant('${beginning.tenantId}')`));
          } catch (error) {
            // Kysely rolls back only a transaction whose begin returned; one that failed after `begin` ran (a
            // cancelled statement) would go back to the pool still open and aborted.
            await driver.rollbackTransaction(connection).catch(() => undefined);
            throw error;
          }
          beginning.set = true;
        },
      };
      for (const name of ['savepoint', 'rollbackToSavepoint', 'releaseSavepoint'] as const) {
        const method = driver[name];
        if (method) wrapped[name] = method.bind(driver);
      }
      return wrapped;
    },
  };
}

const committedHooks = new WeakMap<Tx, Array<(tenantId: string) => void>>();
const gates = new WeakMap<Db, FairGate>();

/**
 * Runs hook once the tenant transaction trx has committed, never if it rolls back: for work outside the database
 * that must not see uncommitted rows, such as kicking the mail worker. Whoever holds the transaction may call it,
 * a repository as well as a request or a job. A hook must not throw; what it starts must have a sweep behind it.
 */
export function afterCommit(trx: Tx, hook: (tenantId: string) => void): void {
  const hooks = committedHooks.get(trx);
  if (hooks) hooks.push(hook);
  else committedHooks.set(trx, [hook]);
}
