import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Logger } from 'pino';
import type { Databases } from '../db/databases.js';
import type { AdmissionTier, GateStats, Refusal } from '../db/admission.js';
import type { Jobs } from '../jobs/jobs.js';

/**
 * The process's Prometheus registry. Never label a series by tenant id: thousands of tenants would make
 * thousands of series per metric. Per-tenant figures go to platform.tenant_usage instead.
 */
export interface Metrics {
  registry: Registry;
  http: {
    requests: Counter<HttpLabel>;
    duration: Histogram<HttpLabel>;
  };
  /** Messages handed to a provider, by channel and outcome (sent, retry, failed); no tenant label. */
  deliveries: Counter<'channel' | 'outcome'>;
}

type HttpLabel = 'route' | 'method' | 'status_class' | 'tier';

/** A scrape-time database read gives up after this long, so a slow database cannot hang a scrape. */
export const SCRAPE_QUERY_TIMEOUT_MS = 2_000;

export function createMetrics(): Metrics {
  const registry = new Registry();
  // Process memory and CPU, file descriptors, GC, and nodejs_eventloop_lag_seconds.
  collectDefaultMetrics({ register: registry });
  const labelNames: HttpLabel[] = ['route', 'method', 'status_class', 'tier'];
  const requests = new Counter({
    name: 'studiohive_http_requests_total',
    help: 'HTTP requests answered, by route pattern, method, status class and tenant tier',
    labelNames,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'studiohive_http_request_duration_seconds',
    help: 'Time from receiving a request to sending its answer, by route pattern, method, status class and tenant tier',
    labelNames,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const deliveries = new Counter({
    name: 'studiohive_message_deliveries_total',
    help: 'Messages handed to a provider, by channel (mail) and outcome: sent, retry (failed for now, tried again later), failed (given up)',
    labelNames: ['channel', 'outcome'],
    registers: [registry],
  });
  return { registry, http: { requests, duration }, deliveries };
}

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** The labels of one answered request; every value comes from a small fixed set or the route table. */
export function httpLabels(req: {
  method: string;
  is404: boolean;
  routeOptions: { url?: string };
  tenantTier: 'pool' | 'silo' | null;
}, statusCode: number): Record<HttpLabel, string> {
  return {
    // The pattern, never the path: a random URL must not create a series.
    route: req.is404 || !req.routeOptions.url ? 'unmatched' : req.routeOptions.url,
    method: KNOWN_METHODS.has(req.method) ? req.method : 'OTHER',
    status_class: `${Math.min(Math.max(Math.floor(statusCode / 100), 1), 5)}xx`,
    tier: req.tenantTier ?? 'none',
  };
}

/** Rejects when the work takes longer than ms (the work itself is left to finish or fail on its own). */
export function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

const registered = new WeakSet<Registry>();

/**
 * Gauges read when scraped: database pools (from pg's counters, no query) and the job queue (one cheap query,
 * with a timeout), and the count of jobs that failed for good. Registered once per registry.
 */
export function registerPlatformMetrics(metrics: Metrics, deps: { databases: Databases; jobs: Jobs; log: Logger }): void {
  const { registry } = metrics;
  if (registered.has(registry)) return;
  registered.add(registry);
  registerPoolGauges(registry, deps.databases, deps.jobs);
  registerJobMetrics(registry, deps.jobs, deps.log);
}

type PoolCounts = { total: number; idle: number; waiting: number; max: number };

/**
 * Pool cells by placement id; all silo pools under pool="silo" (one series per silo would grow with tenants);
 * the platform role's pool and the job worker's owner pool by name.
 */
function poolCounts(databases: Databases, jobs: Jobs): Map<string, PoolCounts> {
  const byPool = new Map<string, PoolCounts>();
  const add = (label: string, s: PoolCounts) => {
    const sum = byPool.get(label) ?? { total: 0, idle: 0, waiting: 0, max: 0 };
    byPool.set(label, { total: sum.total + s.total, idle: sum.idle + s.idle, waiting: sum.waiting + s.waiting, max: sum.max + s.max });
  };
  byPool.set('silo', { total: 0, idle: 0, waiting: 0, max: 0 });
  for (const s of databases.poolStats()) add(s.kind === 'cell' ? (s.placementId ?? 'cell') : s.kind, s);
  const jobPool = jobs.poolStats();
  if (jobPool) add('jobs', jobPool);
  return byPool;
}

function registerPoolGauges(registry: Registry, databases: Databases, jobs: Jobs) {
  let snapshot = new Map<string, PoolCounts>();
  const gauge = (name: string, help: string, pick: (c: PoolCounts) => number, refresh = false) =>
    new Gauge({
      name,
      help,
      labelNames: ['pool'],
      registers: [registry],
      collect() {
        // The first gauge of a scrape takes the snapshot, so the four agree with each other.
        if (refresh) snapshot = poolCounts(databases, jobs);
        this.reset();
        for (const [pool, counts] of snapshot) this.set({ pool }, pick(counts));
      },
    });
  gauge('studiohive_db_pool_connections', 'Open database connections per pool (placement id, "silo" for all silo pools, "platform", "jobs")', (c) => c.total, true);
  gauge('studiohive_db_pool_idle_connections', 'Open database connections not in use, per pool', (c) => c.idle);
  gauge('studiohive_db_pool_waiting_requests', 'Callers waiting for a database connection, per pool', (c) => c.waiting);
  gauge('studiohive_db_pool_max_connections', 'Connection limit per pool (summed over the open silo pools)', (c) => c.max);
  new Gauge({
    name: 'studiohive_db_silo_pools_open',
    help: 'Silo database pools currently open (bounded by SILO_POOLS_OPEN_MAX)',
    registers: [registry],
    collect() {
      this.set(databases.poolStats().filter((s) => s.kind === 'silo').length);
    },
  });
}

function registerJobMetrics(registry: Registry, jobs: Jobs, log: Logger) {
  new Gauge({
    name: 'studiohive_jobs_queued',
    help: 'Jobs in the queue by state: ready (due, waiting for a worker), scheduled (later), locked (running), failed (out of attempts)',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      this.reset();
      try {
        const depth = await withTimeout(jobs.queueDepth(SCRAPE_QUERY_TIMEOUT_MS), SCRAPE_QUERY_TIMEOUT_MS, 'reading the job queue');
        for (const [state, count] of Object.entries(depth)) this.set({ state }, count);
      } catch (error) {
        // Left out of this scrape rather than failing it: the other metrics still matter most when the database is slow.
        log.warn({ err: error }, 'job queue depth unavailable for /metrics');
      }
    },
  });
  const failed = new Counter({
    name: 'studiohive_jobs_failed_total',
    help: 'Jobs that failed for good (out of attempts), by task',
    labelNames: ['task'],
    registers: [registry],
  });
  const errors = new Counter({
    name: 'studiohive_job_attempt_errors_total',
    help: 'Job attempts that threw (each may be retried), by task',
    labelNames: ['task'],
    registers: [registry],
  });
  jobs.events.on('job:failed', ({ job }) => failed.inc({ task: job.task_identifier }));
  jobs.events.on('job:error', ({ job }) => errors.inc({ task: job.task_identifier }));
}

/**
 * Fair admission to the database pools (db/admission.ts), by placement tier only (never by tenant: the seconds each
 * tenant spent queued go to platform.tenant_usage). Returns what the pools' gates report to.
 */
export function admissionMetrics(registry: Registry, databases: Databases): { waited(tier: AdmissionTier, ms: number): void; refused(tier: AdmissionTier, why: Refusal): void } {
  const existing = registry.getSingleMetric('studiohive_admission_wait_seconds') as Histogram<'tier'> | undefined;
  const wait = existing ?? new Histogram({
    name: 'studiohive_admission_wait_seconds',
    help: 'How long a request or job queued for its tenant\'s turn at a database pool before it got one, by tier (pool, silo)',
    labelNames: ['tier'],
    buckets: [0.001, 0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const refusals = (registry.getSingleMetric('studiohive_admission_refused_total') as Counter<'tier' | 'reason'> | undefined) ?? new Counter({
    name: 'studiohive_admission_refused_total',
    help: 'Requests answered 503 because their tenant\'s queue was full (queue_full) or their wait passed its deadline (deadline), by tier',
    labelNames: ['tier', 'reason'],
    registers: [registry],
  });
  if (!existing) {
    const byTier = (pick: (s: GateStats) => number) => function (this: Gauge<'tier'>) {
      this.reset();
      const sums = new Map<string, number>([['pool', 0], ['silo', 0]]);
      for (const s of databases.admissionStats()) sums.set(s.tier, sums.get(s.tier)! + pick(s));
      for (const [tier, value] of sums) this.set({ tier }, value);
    };
    new Gauge({ name: 'studiohive_admission_queued_requests', help: 'Requests and jobs waiting for their tenant\'s turn at a database pool, by tier', labelNames: ['tier'], registers: [registry], collect: byTier((s) => s.queued) });
    new Gauge({ name: 'studiohive_admission_in_use', help: 'Pool places given to tenants\' transactions now, by tier', labelNames: ['tier'], registers: [registry], collect: byTier((s) => s.inUse) });
  }
  return {
    waited: (tier, ms) => wait.observe({ tier }, ms / 1000),
    refused: (tier, reason) => refusals.inc({ tier, reason }),
  };
}
