import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Db } from '../db/databases.js';
import { usageRepo, type UsageCounts, type UsageRow } from './usage.repo.js';

const HOUR_MS = 3_600_000;

/**
 * Requests, errors and time per tenant and UTC hour, counted in memory and added to platform.tenant_usage on an
 * interval and at shutdown. Counting costs a map update per request; the database sees one statement per flush.
 */
export class UsageRecorder {
  private pending = new Map<string, UsageRow>();
  private flushing: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: { db: Db; clock: Clock; log: Pick<Logger, 'warn' | 'debug'> },
  ) {}

  record(tenantId: string, statusCode: number, durationMs: number): void {
    const row = this.rowOf(tenantId);
    row.requests += 1;
    if (statusCode >= 400 && statusCode < 500) row.clientErrors += 1;
    if (statusCode >= 500) row.serverErrors += 1;
    row.durationMs += durationMs;
  }

  /** Time a request or job of the tenant waited for its turn at a database pool. */
  queued(tenantId: string, ms: number): void {
    this.rowOf(tenantId).queuedMs += ms;
  }

  private rowOf(tenantId: string): UsageRow {
    const now = this.deps.clock.now().getTime();
    const hour = new Date(now - (now % HOUR_MS));
    const key = `${tenantId}/${hour.getTime()}`;
    let row = this.pending.get(key);
    if (!row) {
      row = { tenantId, hour, requests: 0, clientErrors: 0, serverErrors: 0, durationMs: 0, queuedMs: 0 };
      this.pending.set(key, row);
    }
    return row;
  }

  /** Counts not yet written, for tests and the shutdown log. */
  get pendingRows(): number {
    return this.pending.size;
  }

  /**
   * Writes what has been counted so far. Flushes run one at a time (the timer and a shutdown may meet); a
   * failed one puts its counts back for the next try. Returns the rows written (tenants gone from the catalog
   * are skipped).
   */
  flush(): Promise<number> {
    const run = this.flushing.then(() => this.flushOnce());
    this.flushing = run.catch(() => undefined);
    return run;
  }

  private async flushOnce(): Promise<number> {
    if (this.pending.size === 0) return 0;
    const batch = this.pending;
    this.pending = new Map();
    try {
      const written = await usageRepo.add(this.deps.db, [...batch.values()]);
      if (written < batch.size) this.deps.log.debug({ skipped: batch.size - written }, 'usage of tenants no longer in the catalog skipped');
      return written;
    } catch (error) {
      for (const [key, row] of batch) this.putBack(key, row);
      throw error;
    }
  }

  private putBack(key: string, row: UsageRow) {
    const current = this.pending.get(key);
    if (!current) {
      this.pending.set(key, row);
      return;
    }
    for (const field of ['requests', 'clientErrors', 'serverErrors', 'durationMs', 'queuedMs'] as const satisfies Array<keyof UsageCounts>) {
      current[field] += row[field];
    }
  }

  /** Flushes every intervalMs; the timer never keeps the process alive. */
  start(intervalMs: number): void {
    this.timer ??= setInterval(() => {
      this.flush().catch((error: unknown) => this.deps.log.warn({ err: error }, 'usage flush failed; counts kept for the next try'));
    }, intervalMs).unref();
  }

  /** Stops the timer and writes what is left. */
  async stop(): Promise<number> {
    clearInterval(this.timer);
    this.timer = undefined;
    return this.flush();
  }
}
