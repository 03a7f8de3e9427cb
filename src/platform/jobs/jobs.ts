import { EventEmitter } from 'node:events';
import { Logger, makeWorkerUtils, run, runMigrations, type Runner, type TaskList, type WorkerEvents, type WorkerUtils } from 'graphile-worker';
import type { FastifyBaseLogger } from 'fastify';
import pg from 'pg';

/**
 * graphile-worker on the control-plane database. The worker connects as the owner because graphile-worker
 * manages its own schema; task code reaches tenant data only through the app role's pools, under RLS.
 */
export class Jobs {
  private utils?: WorkerUtils;
  private runner?: Runner;
  private pool?: pg.Pool;
  private readonly logger: Logger;
  /** graphile-worker's events (job:failed and the others), for metrics. */
  readonly events: WorkerEvents = new EventEmitter() as WorkerEvents;

  constructor(
    private readonly connectionString: string,
    log: Pick<FastifyBaseLogger, 'info' | 'warn' | 'error' | 'debug'>,
  ) {
    this.logger = new Logger((scope) => (level, message, meta) => {
      const line = { ...scope, ...meta };
      if (level === 'error') log.error(line, message);
      else if (level === 'warning') log.warn(line, message);
      else if (level === 'info') log.debug(line, message);
    });
  }

  async migrate(): Promise<void> {
    await runMigrations({ connectionString: this.connectionString, logger: this.logger });
  }

  /**
   * One pool for the worker and for adding jobs, owned here: it has an error listener for its whole life (an idle
   * connection cut by a database shutdown must not crash the process) and is ended only after the worker stops.
   */
  private pgPool(): pg.Pool {
    if (!this.pool) {
      this.pool = new pg.Pool({ connectionString: this.connectionString, max: 10 });
      this.pool.on('error', (error) => this.logger.warn(`job database connection lost: ${error.message}`));
    }
    return this.pool;
  }

  async add(task: string, payload: Record<string, unknown>, opts: { runAt?: Date; jobKey?: string; maxAttempts?: number } = {}) {
    this.utils ??= await makeWorkerUtils({ pgPool: this.pgPool(), logger: this.logger });
    return this.utils.addJob(task, payload, opts);
  }

  async start(taskList: TaskList, opts: { concurrency?: number; crontab?: string } = {}): Promise<void> {
    this.runner = await run({
      pgPool: this.pgPool(),
      taskList,
      crontab: opts.crontab ?? '',
      concurrency: opts.concurrency ?? 2,
      noHandleSignals: true,
      pollInterval: 1000,
      logger: this.logger,
      events: this.events,
    });
  }

  /**
   * Jobs by state, straight from graphile-worker's table (one scan of a table that holds only unfinished jobs):
   * ready to run, scheduled for later, locked by a worker, and failed for good (out of attempts, kept for a look).
   */
  async queueDepth(timeoutMs: number): Promise<Record<'ready' | 'scheduled' | 'locked' | 'failed', number>> {
    const { rows } = await this.pgPool().query<Record<'ready' | 'scheduled' | 'locked' | 'failed', number>>({
      text: `select count(*) filter (where is_available and run_at <= now())::int as ready,
                    count(*) filter (where is_available and run_at > now())::int as scheduled,
                    count(*) filter (where locked_at is not null)::int as locked,
                    count(*) filter (where locked_at is null and attempts >= max_attempts)::int as failed
               from graphile_worker._private_jobs`,
      query_timeout: timeoutMs,
    } as pg.QueryConfig);
    return rows[0]!;
  }

  /** The owner pool's connection counts, when it is open. */
  poolStats(): { total: number; idle: number; waiting: number; max: number } | null {
    const pool = this.pool;
    return pool ? { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, max: pool.options.max } : null;
  }

  async stop(): Promise<void> {
    await this.runner?.stop();
    this.runner = undefined;
    await this.utils?.release();
    this.utils = undefined;
    await this.pool?.end();
    this.pool = undefined;
  }
}
