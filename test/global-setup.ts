import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { loadConfig } from '../src/config.js';
import { startEmbeddedPostgres } from '../src/platform/db/embedded.js';
import { createLogger, openRuntime } from '../src/platform/runtime.js';
import { TEST_ENV } from './support/env.js';

declare module 'vitest' {
  export interface ProvidedContext {
    adminUrl: string;
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.once('error', reject);
  });
}

/** One real PostgreSQL (embedded, throw-away) for the whole run, migrated once. */
export default async function setup(project: TestProject) {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'studiohive-test-'));
  await import('node:fs/promises').then((fs) => fs.chmod(dataDir, 0o777));
  const server = await startEmbeddedPostgres({
    dataDir,
    port: await freePort(),
    database: 'studiohive_test',
    password: 'test-admin-password',
    persistent: false,
  });
  const config = loadConfig({ ...TEST_ENV, DATABASE_URL: server.adminUrl });
  const runtime = await openRuntime(config, createLogger({ LOG_LEVEL: 'silent' }));
  await runtime.migrate();
  await runtime.close();
  project.provide('adminUrl', server.adminUrl);
  return async () => {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
}
