import { Logger, makeWorkerUtils, run, runMigrations, type Runner, type TaskList, type WorkerUtils } from 'graphile-worker';
import type { FastifyBaseLogger } from 'fastify';

/**
 * graphile-worker on the control-plane database. The worker connects as the owner because graphile-worker
 * manages its own schema; task code reaches tenant data only through the app role's pools, under RLS.
 */
export class Jobs {
  private utils?: WorkerUtils;
  private runner?: Runner;
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

  async add(task: string, payload: Record<string, unknown>, opts: { runAt?: Date; jobKey?: string; maxAttempts?: number } = {}) {
    this.utils ??= await makeWorkerUtils({ connectionString: this.connectionString, logger: this.logger });
    return this.utils.addJob(task, payload, opts);
  }

  async start(taskList: TaskList, opts: { concurrency?: number; crontab?: string } = {}): Promise<void> {
    this.runner = await run({
      connectionString: this.connectionString,
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
  }
}
