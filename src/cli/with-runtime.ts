import { loadConfig } from '../config.js';
import { CliError } from './cli-error.js';
import { createLogger, type Runtime } from '../platform/runtime.js';
import { openAppRuntime } from '../app/composition.js';

/**
 * Opens the platform, runs fn, and always closes it. Only `migrate` changes the schema (and re-asserts the
 * database roles); other commands refuse to run against a database that was never migrated.
 */
export async function withRuntime<T>(fn: (runtime: Runtime) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const runtime = await openAppRuntime(config, createLogger({ LOG_LEVEL: config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL }));
  try {
    return await fn(runtime);
  } catch (error) {
    if ((error as { code?: string }).code === '42P01' || (error as { code?: string }).code === '28P01') {
      throw new CliError('The database is not set up yet: run `studiohive migrate` (or `npm start`) first', 1);
    }
    throw error;
  } finally {
    await runtime.close();
  }
}

