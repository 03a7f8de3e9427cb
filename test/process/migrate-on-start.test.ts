import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { withCredentials } from '../../src/platform/db/databases.js';
import { createLogger } from '../../src/platform/runtime.js';
import { openAppRuntime } from '../../src/app/composition.js';
import { TEST_ENV } from '../support/env.js';
import { freePort, startServer } from '../support/server-process.js';
import { dropTestDatabase } from '../support/drop-database.js';

/** A control-plane database of its own, so what a start does (or does not) is not mixed with other tests. */
const adminUrl = inject('adminUrl');
const database = `studiohive_nomigrate_${randomUUID().slice(0, 8)}`;
const url = withCredentials(adminUrl, { database });
let owner: pg.Client;
/** The owner, in that database. */
let inside: pg.Client;

beforeAll(async () => {
  owner = new pg.Client({ connectionString: adminUrl });
  await owner.connect();
  await owner.query(`create database ${database}`);
  inside = new pg.Client({ connectionString: url });
  await inside.connect();
});
afterAll(async () => {
  await inside?.end();
  await dropTestDatabase(owner, database);
  await owner.end();
});

const serverEnv = async () => ({ ...TEST_ENV, DATABASE_URL: url, MIGRATE_ON_START: 'false', PORT: String(await freePort()), HOST: '127.0.0.1', LOG_LEVEL: 'warn' });

describe('MIGRATE_ON_START=false', () => {
  it('refuses to start on a control plane that lacks a migration, changing nothing', async () => {
    const refused = await startServer(await serverEnv()).then(
      async (server) => {
        server.child.kill('SIGKILL'); // it should not have started: stop it, and fail below
        await server.exited;
        return new Error('the server started');
      },
      (error: Error) => error,
    );
    expect(refused.message).toMatch(/server exited early/);
    expect(refused.message).toMatch(/The control-plane database is not migrated far enough for this version \(\d+ pending: platform\/0001_catalog\.sql, .*\)\. Run `studiohive migrate`/);
    expect((await inside.query(`select count(*)::int as n from pg_namespace where nspname in ('studiohive_meta', 'platform', 'app')`)).rows[0].n).toBe(0);
  });

  it('starts without migrating once the release step has migrated', async () => {
    const runtime = await openAppRuntime(loadConfig({ ...TEST_ENV, DATABASE_URL: url }), createLogger({ LOG_LEVEL: 'silent' }));
    try {
      await runtime.migrate();
    } finally {
      await runtime.close();
    }
    const migratedAt = async () => (await inside.query(`select migrated_at from platform.placements where id = 'pool-main'`)).rows[0].migrated_at as Date;
    const before = await migratedAt();
    expect(before).toBeInstanceOf(Date);
    const server = await startServer(await serverEnv());
    try {
      expect(server.output()).toContain('Studiohive is running');
      // Every migrate, even one with nothing to apply, stamps each placement it reached; this start reached none.
      expect(await migratedAt()).toEqual(before);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });
});
