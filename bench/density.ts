/**
 * Tenant density: the pooled design (one server, one database, N tenants under RLS) against the incumbent
 * design (one server and one database per customer), under the same authenticated load.
 */
import { createLogger } from '../src/platform/runtime.js';
import { openAppRuntime } from '../src/app/composition.js';
import { loadConfig } from '../src/config.js';
import { newSecret } from '../src/platform/auth/secrets.js';
import { withCredentials } from '../src/platform/db/databases.js';
import { startAppServer, startBenchCluster, withAdmin, type AppServer, type BenchCluster } from './cluster.js';
import {
  WORK_DIR,
  log,
  mapConcurrent,
  processTable,
  randomInt,
  startMemorySampler,
  treesMemory,
  type MemoryReading,
  type SampledMemory,
} from './lib.js';
import { probe, runLoad, type LoadResult, type LoadTarget } from './load.js';
import path from 'node:path';

export interface DensitySettings {
  tenants: number;
  /** The first this-many tenants are created with an owner password (argon2id), to show that cost. */
  passwordSample: number;
  createConcurrency: number;
  connections: number;
  warmupMs: number;
  durationMs: number;
  incumbents: number;
  baseDomain: string;
  appPassword: string;
  /** For PLATFORM_DATABASE_PASSWORD (the control-plane role), in versions of the app that have one. */
  platformPassword: string;
  adminToken: string;
  pgPassword: string;
  requestPath: string;
}

export interface TenantCredential {
  id: string;
  slug: string;
  ownerId: string;
  token: string;
}

export interface CreationResult {
  tenants: number;
  concurrency: number;
  withPassword: { count: number; seconds: number; rate: number };
  withoutPassword: { count: number; seconds: number; rate: number };
  /** Creation rate per block of consecutive tenants (without password), to show how it changes with size. */
  blocks: Array<{ from: number; to: number; rate: number }>;
  totalSeconds: number;
  overallRate: number;
  sessionsSeconds: number;
}

export interface DesignResult {
  label: string;
  appProcesses: number;
  tenants: number;
  databases: number;
  clusters: number;
  startupSeconds: number;
  idle: { app: MemoryReading; pg: MemoryReading };
  load: LoadResult;
  memory: SampledMemory;
  /** Servers that were no longer running when the measured run ended (should be none). */
  exitedServers: string[];
}

const SESSION_BATCH = 2_000;
const CREATION_BLOCK = 1_000;

export function runtimeConfig(adminUrl: string, s: DensitySettings) {
  return loadConfig({
    DATABASE_URL: adminUrl,
    APP_DATABASE_PASSWORD: s.appPassword,
    PLATFORM_DATABASE_PASSWORD: s.platformPassword,
    PLATFORM_ADMIN_TOKEN: s.adminToken,
    BASE_DOMAIN: s.baseDomain,
    LOG_LEVEL: 'warn',
    RUN_WORKER: 'false',
    SEED_DEMO: 'false',
    DATA_DIR: path.join(WORK_DIR, 'app-data'),
  });
}

/**
 * Gives every tenant one valid staff session for its owner: rows inserted as the superuser (which bypasses
 * RLS) with sha256(token), exactly what a login would store, without paying argon2id per tenant.
 */
async function insertSessions(adminUrl: string, owners: Array<{ id: string; slug: string; ownerId: string }>): Promise<TenantCredential[]> {
  const creds = owners.map((o) => {
    const secret = newSecret('shs');
    return { ...o, token: secret.token, hashHex: secret.hash.toString('hex') };
  });
  await withAdmin(adminUrl, async (client) => {
    for (let i = 0; i < creds.length; i += SESSION_BATCH) {
      const batch = creds.slice(i, i + SESSION_BATCH);
      await client.query(
        `insert into app.staff_sessions (tenant_id, staff_id, token_hash, expires_at, user_agent)
         select t, s, decode(h, 'hex'), now() + interval '30 days', 'studiohive-bench'
         from unnest($1::uuid[], $2::uuid[], $3::text[]) as x(t, s, h)`,
        [batch.map((c) => c.id), batch.map((c) => c.ownerId), batch.map((c) => c.hashHex)],
      );
    }
  });
  return creds.map(({ hashHex: _, ...c }) => c);
}

/** Creates the pooled tenants through runtime.tenants.create and gives each a session. */
export async function createPooledTenants(cluster: BenchCluster, s: DensitySettings): Promise<{ creds: TenantCredential[]; creation: CreationResult }> {
  const runtime = await openAppRuntime(runtimeConfig(cluster.adminUrl, s), createLogger({ LOG_LEVEL: 'warn' }));
  try {
    await runtime.migrate();
    // The default pool cell holds 5,000 tenants; the bench puts all of them in that one cell.
    await withAdmin(cluster.adminUrl, (c) =>
      c.query(`update platform.placements set tenant_capacity = greatest(tenant_capacity, $1) where id = 'pool-main'`, [s.tenants]),
    );
    const create = async (i: number, withPassword: boolean) => {
      const slug = `studio-${String(i).padStart(5, '0')}`;
      const result = await runtime.tenants.create({
        slug,
        displayName: `Bench Studio ${i}`,
        tier: 'pool',
        plan: 'starter',
        owner: {
          email: `owner@${slug}.example.test`,
          displayName: `Owner ${i}`,
          ...(withPassword ? { password: `bench-password-${i}-${s.appPassword.slice(0, 8)}` } : {}),
        },
      });
      return { id: result.tenant.id, slug: result.tenant.slug, ownerId: result.owner.id };
    };
    const indexes = Array.from({ length: s.tenants }, (_, i) => i + 1);
    const sample = indexes.slice(0, s.passwordSample);
    const rest = indexes.slice(s.passwordSample);

    const t0 = performance.now();
    const owners = await mapConcurrent(sample, s.createConcurrency, (i) => create(i, true));
    const t1 = performance.now();
    log(`created ${sample.length} tenants with an owner password in ${((t1 - t0) / 1000).toFixed(1)} s`);
    const blocks: CreationResult['blocks'] = [];
    for (let b = 0; b < rest.length; b += CREATION_BLOCK) {
      const block = rest.slice(b, b + CREATION_BLOCK);
      const b0 = performance.now();
      owners.push(...(await mapConcurrent(block, s.createConcurrency, (i) => create(i, false))));
      const rate = block.length / ((performance.now() - b0) / 1000);
      blocks.push({ from: block[0]!, to: block.at(-1)!, rate });
      log(`created tenants ${block[0]}–${block.at(-1)} at ${rate.toFixed(0)}/s`);
    }
    const t2 = performance.now();
    const creds = await insertSessions(cluster.adminUrl, owners);
    const t3 = performance.now();
    log(`inserted ${creds.length} staff sessions in ${((t3 - t2) / 1000).toFixed(1)} s`);
    const secs = (a: number, b: number) => (b - a) / 1000;
    return {
      creds,
      creation: {
        tenants: owners.length,
        concurrency: s.createConcurrency,
        withPassword: { count: sample.length, seconds: secs(t0, t1), rate: sample.length / secs(t0, t1) },
        withoutPassword: { count: rest.length, seconds: secs(t1, t2), rate: rest.length / secs(t1, t2) },
        blocks,
        totalSeconds: secs(t0, t2),
        overallRate: owners.length / secs(t0, t2),
        sessionsSeconds: secs(t2, t3),
      },
    };
  } finally {
    await runtime.close();
  }
}

/** Idle reading, warm-up, then the measured run with memory sampled throughout. */
async function measure(
  label: string,
  servers: AppServer[],
  pgRoots: number[],
  pick: () => LoadTarget,
  s: DensitySettings,
  extra: Pick<DesignResult, 'tenants' | 'databases' | 'clusters' | 'startupSeconds'>,
): Promise<DesignResult> {
  for (const target of [pick(), pick()]) {
    const res = await probe(target, s.requestPath);
    if (res.status !== 200) throw new Error(`${label}: probe of ${target.host} answered ${res.status}: ${res.body.slice(0, 300)}`);
  }
  const table = processTable();
  const idle = {
    app: treesMemory(servers.map((x) => x.pid), true, table),
    pg: treesMemory(pgRoots, true, table),
  };
  log(`${label}: warm-up ${s.warmupMs / 1000} s`);
  await runLoad({ connections: s.connections, durationMs: s.warmupMs, path: s.requestPath, pick });
  log(`${label}: measuring ${s.durationMs / 1000} s with ${s.connections} connections`);
  const sampler = startMemorySampler(() => ({ app: servers.map((x) => x.pid), pg: pgRoots }));
  const load = await runLoad({ connections: s.connections, durationMs: s.durationMs, path: s.requestPath, pick });
  const memory = sampler.stop();
  log(
    `${label}: ${load.rps.toFixed(0)} req/s, p50 ${load.p50Ms.toFixed(1)} ms, p99 ${load.p99Ms.toFixed(1)} ms, ` +
      `non-2xx ${load.non2xx}, errors ${load.errors}; app peak RSS ${(memory.appPeakRssKb / 1024).toFixed(0)} MiB, ` +
      `PostgreSQL peak RSS ${(memory.pgPeakRssKb / 1024).toFixed(0)} MiB`,
  );
  if (load.firstFailure) log(`${label}: first non-2xx: ${load.firstFailure}`);
  if (load.firstError) log(`${label}: first error: ${load.firstError}`);
  const exited = servers.filter((x) => x.child.exitCode !== null || x.child.signalCode !== null);
  for (const x of exited) log(`${label}: server ${x.name} exited during the run (${x.child.exitCode ?? x.child.signalCode}):\n${x.tail()}`);
  return { label, appProcesses: servers.length, idle, load, memory, exitedServers: exited.map((x) => x.name), ...extra };
}

/** The pooled design: one server for every tenant of the cluster. */
export async function measurePooled(cluster: BenchCluster, creds: TenantCredential[], port: number, s: DensitySettings): Promise<DesignResult> {
  const t0 = performance.now();
  const server = await startAppServer('pooled', port, {
    databaseUrl: cluster.adminUrl,
    appPassword: s.appPassword,
    platformPassword: s.platformPassword,
    adminToken: s.adminToken,
    baseDomain: s.baseDomain,
  });
  const startupSeconds = (performance.now() - t0) / 1000;
  try {
    const pick = (): LoadTarget => {
      const c = creds[randomInt(creds.length)]!;
      return { port, host: `${c.slug}.${s.baseDomain}`, token: c.token };
    };
    return await measure('pooled', [server], [cluster.postmasterPid()], pick, s, {
      tenants: creds.length,
      databases: 1,
      clusters: 1,
      startupSeconds,
    });
  } finally {
    await server.stop();
  }
}

/** Migrates one customer database and creates its single tenant and owner session, as its own server would. */
async function prepareCustomer(adminUrl: string, index: number, s: DensitySettings): Promise<TenantCredential> {
  const runtime = await openAppRuntime(runtimeConfig(adminUrl, s), createLogger({ LOG_LEVEL: 'warn' }));
  let owner: { id: string; slug: string; ownerId: string };
  try {
    await runtime.migrate();
    const slug = `customer-${String(index).padStart(2, '0')}`;
    const result = await runtime.tenants.create({
      slug,
      displayName: `Customer ${index}`,
      tier: 'pool',
      plan: 'starter',
      owner: { email: `owner@${slug}.example.test`, displayName: `Owner ${index}` },
    });
    owner = { id: result.tenant.id, slug, ownerId: result.owner.id };
  } finally {
    await runtime.close();
  }
  const [cred] = await insertSessions(adminUrl, [owner]);
  return cred!;
}

export interface IncumbentPorts {
  firstApp: number;
  /** The shared cluster (one database per customer). */
  sharedPg: number;
  /** The first of `incumbents` ports, one cluster per customer. */
  firstPg: number;
}

async function startCustomerServers(urls: string[], ports: IncumbentPorts, s: DensitySettings, concurrency: number) {
  const t0 = performance.now();
  const servers = await mapConcurrent(urls, concurrency, (url, i) =>
    startAppServer(`customer-${i + 1}`, ports.firstApp + i, {
      databaseUrl: url,
      appPassword: s.appPassword,
      platformPassword: s.platformPassword,
      adminToken: s.adminToken,
      baseDomain: s.baseDomain,
    }),
  );
  return { servers, startupSeconds: (performance.now() - t0) / 1000 };
}

function incumbentPicker(servers: AppServer[], creds: TenantCredential[], s: DensitySettings) {
  return (): LoadTarget => {
    const i = randomInt(servers.length);
    const c = creds[i]!;
    return { port: servers[i]!.port, host: `${c.slug}.${s.baseDomain}`, token: c.token };
  };
}

/**
 * Incumbent, as set up most cheaply: one PostgreSQL cluster with one database per customer (CREATE DATABASE),
 * and one server process per customer pointed at its own database.
 */
export async function measureIncumbentSharedCluster(ports: IncumbentPorts, s: DensitySettings): Promise<DesignResult> {
  const cluster = await startBenchCluster('incumbent-shared', ports.sharedPg, s.pgPassword);
  const servers: AppServer[] = [];
  try {
    const urls: string[] = [];
    const creds: TenantCredential[] = [];
    for (let i = 1; i <= s.incumbents; i++) {
      const database = `customer_${String(i).padStart(2, '0')}`;
      await withAdmin(cluster.adminUrl, (c) => c.query(`create database ${c.escapeIdentifier(database)}`));
      const url = withCredentials(cluster.adminUrl, { database });
      urls.push(url);
      creds.push(await prepareCustomer(url, i, s));
    }
    log(`incumbent (shared cluster): ${s.incumbents} customer databases ready; starting ${s.incumbents} servers`);
    // Sequential starts: every server re-asserts the cluster-wide app role at start (ALTER ROLE), and
    // concurrent ALTER ROLE on one role can fail with "tuple concurrently updated".
    const started = await startCustomerServers(urls, ports, s, 1);
    servers.push(...started.servers);
    return await measure('incumbent, 1 cluster', servers, [cluster.postmasterPid()], incumbentPicker(servers, creds, s), s, {
      tenants: s.incumbents,
      databases: s.incumbents,
      clusters: 1,
      startupSeconds: started.startupSeconds,
    });
  } finally {
    await Promise.all(servers.map((x) => x.stop()));
    await cluster.stop();
  }
}

/** Incumbent, more faithfully: one PostgreSQL instance and one server process per customer. */
export async function measureIncumbentSeparateClusters(ports: IncumbentPorts, s: DensitySettings): Promise<DesignResult> {
  const clusters: BenchCluster[] = [];
  const servers: AppServer[] = [];
  try {
    const indexes = Array.from({ length: s.incumbents }, (_, i) => i + 1);
    const creds = await mapConcurrent(indexes, 2, async (i) => {
      const cluster = await startBenchCluster(`incumbent-${String(i).padStart(2, '0')}`, ports.firstPg + i - 1, s.pgPassword);
      clusters.push(cluster);
      return { cluster, cred: await prepareCustomer(cluster.adminUrl, i, s) };
    });
    log(`incumbent (separate clusters): ${s.incumbents} PostgreSQL instances ready; starting ${s.incumbents} servers`);
    const started = await startCustomerServers(creds.map((c) => c.cluster.adminUrl), ports, s, 2);
    servers.push(...started.servers);
    return await measure(
      'incumbent, 1 cluster each',
      servers,
      creds.map((c) => c.cluster.postmasterPid()),
      incumbentPicker(servers, creds.map((c) => c.cred), s),
      s,
      { tenants: s.incumbents, databases: s.incumbents, clusters: s.incumbents, startupSeconds: started.startupSeconds },
    );
  } finally {
    await Promise.all(servers.map((x) => x.stop()));
    await Promise.all(clusters.map((c) => c.stop()));
  }
}
