/**
 * The process the billing bench times (spawned by bench/billing.ts, never run by hand): opens a Runtime as the
 * CLI does and calls `runBilling` for the given tenants, `concurrency` tenants at a time, on the given day.
 * Imports only the app, so its memory is the billing run's. Writes its result as JSON to the file named in its
 * job file; with `profile` on, it also times every statement the app sends, client side (node-postgres'
 * Client.query wrapped), grouped by statement text.
 *
 *   node --import tsx bench/billing-worker.ts <job.json>
 */
import { readFile, writeFile } from 'node:fs/promises';
import pg from 'pg';
import { loadConfig } from '../src/config.js';
import { billingDeps, runBilling, type BillingRunResult } from '../src/modules/billing/billing-run.js';
import { createLogger } from '../src/platform/runtime.js';
import { openAppRuntime } from '../src/app/composition.js';

export interface WorkerJob {
  env: Record<string, string>;
  tenantIdsFile: string;
  concurrency: number;
  batchSize: number;
  /** The day to run as (`billing-run --date`). */
  today: string;
  profile: boolean;
  resultFile: string;
}

export interface StatementTiming {
  statement: string;
  calls: number;
  totalMs: number;
}

export interface WorkerResult {
  tenants: number;
  concurrency: number;
  batchSize: number;
  /** From the first runBilling call to the last one's end (the Runtime already open). */
  runSeconds: number;
  /** Opening the Runtime (pools, catalog) before the run. */
  openSeconds: number;
  invoicesCreated: number;
  charged: { succeeded: number; failed: number; unknown: number };
  reconciled: number;
  retries: number;
  skipped: number;
  /** Wall time of one tenant's runBilling, ms. */
  tenantMs: { p50: number; p90: number; max: number };
  /** process.memoryUsage() sampled every 100 ms during the run, and peaks. */
  peak: { rss: number; heapUsed: number; external: number };
  cpu: { userMs: number; systemMs: number };
  statements: StatementTiming[] | null;
}

/** Statement text without its parameters' count: `in ($1, $2, …)` lists and VALUES rows collapse to one. */
function shapeOf(text: string): string {
  return text
    .slice(0, 1000)
    .replace(/\s+/g, ' ')
    .replace(/\(\$\d+(, \$\d+)*\)/g, '(…)')
    .replace(/(\(…\), )+\(…\)/g, '(…)')
    .replace(/\$\d+/g, '$')
    .trim()
    .slice(0, 240);
}

function profileQueries(): Map<string, StatementTiming> {
  const stats = new Map<string, StatementTiming>();
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  proto.query = function (this: unknown, ...args: unknown[]) {
    const first = args[0];
    const text = typeof first === 'string' ? first : (first as { text?: string } | undefined)?.text;
    const result = original.apply(this, args);
    if (text && result && typeof (result as Promise<unknown>).then === 'function') {
      const t0 = performance.now();
      const key = shapeOf(text);
      const done = () => {
        const s = stats.get(key) ?? { statement: key, calls: 0, totalMs: 0 };
        s.calls += 1;
        s.totalMs += performance.now() - t0;
        stats.set(key, s);
      };
      (result as Promise<unknown>).then(done, done);
    }
    return result;
  };
  return stats;
}

async function main() {
  const job = JSON.parse(await readFile(process.argv[2]!, 'utf8')) as WorkerJob;
  const ids = JSON.parse(await readFile(job.tenantIdsFile, 'utf8')) as string[];
  const stats = job.profile ? profileQueries() : null;
  const config = loadConfig(job.env);
  const o0 = performance.now();
  const runtime = await openAppRuntime(config, createLogger(config));
  const openSeconds = (performance.now() - o0) / 1000;
  const peak = { rss: 0, heapUsed: 0, external: 0 };
  const sample = () => {
    const m = process.memoryUsage();
    peak.rss = Math.max(peak.rss, m.rss);
    peak.heapUsed = Math.max(peak.heapUsed, m.heapUsed);
    peak.external = Math.max(peak.external, m.external);
  };
  const timer = setInterval(sample, 100);
  try {
    const deps = billingDeps(runtime);
    const results: Array<BillingRunResult | null> = new Array(ids.length);
    const tenantMs: number[] = [];
    let next = 0;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const worker = async () => {
      for (let i = next++; i < ids.length; i = next++) {
        const s0 = performance.now();
        results[i] = await runBilling(deps, ids[i]!, runtime.clock.now(), { today: job.today, batchSize: job.batchSize });
        tenantMs.push(performance.now() - s0);
      }
    };
    await Promise.all(Array.from({ length: Math.min(job.concurrency, ids.length) }, worker));
    const runSeconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    sample();
    const done = results.filter((r): r is BillingRunResult => r !== null);
    tenantMs.sort((a, b) => a - b);
    const at = (p: number) => tenantMs[Math.min(tenantMs.length - 1, Math.max(0, Math.ceil((p / 100) * tenantMs.length) - 1))] ?? Number.NaN;
    const result: WorkerResult = {
      tenants: ids.length,
      concurrency: job.concurrency,
      batchSize: job.batchSize,
      runSeconds,
      openSeconds,
      invoicesCreated: done.reduce((a, r) => a + r.invoicesCreated, 0),
      charged: {
        succeeded: done.reduce((a, r) => a + r.charged.succeeded, 0),
        failed: done.reduce((a, r) => a + r.charged.failed, 0),
        unknown: done.reduce((a, r) => a + r.charged.unknown, 0),
      },
      reconciled: done.reduce((a, r) => a + r.reconciled, 0),
      retries: done.reduce((a, r) => a + r.retries, 0),
      skipped: ids.length - done.length,
      tenantMs: { p50: at(50), p90: at(90), max: tenantMs.at(-1) ?? Number.NaN },
      peak,
      cpu: { userMs: cpu.user / 1000, systemMs: cpu.system / 1000 },
      statements: stats ? [...stats.values()].sort((a, b) => b.totalMs - a.totalMs) : null,
    };
    await writeFile(job.resultFile, JSON.stringify(result, null, 2));
  } finally {
    clearInterval(timer);
    await runtime.close();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
