import { Logger, makeWorkerUtils, run, runMigrations, type Runner, type TaskList, type WorkerUtils } from 'graphile-worker';
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
    });
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
