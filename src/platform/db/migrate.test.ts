import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { withCredentials } from './databases.js';
import { migrateDatabase, readMigrations } from './migrate.js';
import { loadConfig } from '../../config.js';
import { createLogger } from '../runtime.js';
import { openAppRuntime } from '../../app/composition.js';
import { TEST_ENV } from '../../../test/support/env.js';
import { testDatabaseEnv } from '../../../test/support/platform.js';
import { dropTestDatabase } from '../../../test/support/drop-database.js';

const adminUrl = inject('adminUrl');
let admin: pg.Client;
const created: string[] = [];

async function freshDatabase(): Promise<string> {
  const name = `studiohive_migrate_${randomUUID().slice(0, 8)}`;
  await admin.query(`create database ${name}`);
  created.push(name);
  return withCredentials(adminUrl, { database: name });
}

beforeAll(async () => {
  admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
});
afterAll(async () => {
  for (const name of created) await dropTestDatabase(admin, name);
  await admin.end();
});

describe('migrations', () => {
  it('apply once even when several instances start together', async () => {
    const url = await freshDatabase();
    const runs = await Promise.all([1, 2, 3, 4].map(() => migrateDatabase(url, ['platform', 'tenant'])));
    const total = (await readMigrations('platform')).length + (await readMigrations('tenant')).length;
    expect(runs.flatMap((r) => r.applied)).toHaveLength(total);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const recorded = await client.query('select set_name, id from studiohive_meta.migrations order by 1, 2');
    await client.end();
    expect(recorded.rowCount).toBe(total);
  });

  it('set up roles and grants without collisions when whole instances start together, on one database or several', async () => {
    // Several databases on one cluster share its roles, but not the per-database migration lock.
    const urls = [adminUrl, adminUrl, await freshDatabase(), await freshDatabase(), await freshDatabase()];
    const runtimes = await Promise.all(
      urls.map((url) => openAppRuntime(loadConfig({ ...TEST_ENV, ...testDatabaseEnv(), DATABASE_URL: url }), createLogger({ LOG_LEVEL: 'silent' }))),
    );
    try {
      const results = await Promise.allSettled(runtimes.map((r) => r.migrate()));
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    } finally {
      await Promise.all(runtimes.map((r) => r.close()));
    }
  });

  it('refuse to go on when an applied migration was edited', async () => {
    const url = await freshDatabase();
    await migrateDatabase(url, ['platform']);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`update studiohive_meta.migrations set checksum = 'edited' where set_name = 'platform' and id = 1`);
    await client.end();
    await expect(migrateDatabase(url, ['platform'])).rejects.toThrow(/changed after it was applied/);
  });

  it('roll a failing migration back whole', async () => {
    const url = await freshDatabase();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    // Something in the way of the first tenant migration makes it fail half-way.
    await client.query('create schema app; create table app.staff_sessions (x int)');
    await expect(migrateDatabase(url, ['tenant'])).rejects.toThrow(/0001_staff_and_sessions.sql failed/);
    const functions = await client.query(`select count(*)::int as n from pg_proc where proname = 'current_tenant_id'`);
    const recorded = await client.query(`select count(*)::int as n from studiohive_meta.migrations`);
    await client.end();
    expect(functions.rows[0].n).toBe(0);
    expect(recorded.rows[0].n).toBe(0);
  });
});
