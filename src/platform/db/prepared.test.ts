import { sql } from 'kysely';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform, type TestTenant } from '../../../test/support/platform.js';
import { inTenantTransaction, type Db, type Tx } from './databases.js';

/** A platform on one connection, so every transaction of the test meets the same prepared statements. */
function onOneConnection(prepared: number) {
  const the = {} as { platform: TestPlatform; admin: pg.Client; tenant: TestTenant; db: Db; table: string };
  const schema = `prepared_${Math.random().toString(36).slice(2, 8)}`;
  beforeAll(async () => {
    the.platform = await startTestPlatform({ DB_POOL_MAX: '1', DB_PREPARED_STATEMENTS: String(prepared) });
    the.admin = await the.platform.admin();
    the.tenant = await the.platform.createTenant();
    the.db = await the.platform.runtime.directory.dbFor((await the.platform.runtime.directory.byId(the.tenant.id))!);
    the.table = `${schema}.t`;
    const appRole = the.platform.runtime.config.APP_DATABASE_USER;
    await the.admin.query(`create schema ${schema}; create table ${schema}.t (id int primary key); insert into ${schema}.t values (1), (2);
      grant usage on schema ${schema} to ${appRole}; grant select on ${schema}.t to ${appRole}`);
  });
  afterAll(async () => {
    await the.admin?.query(`drop schema if exists ${schema} cascade`);
    await the.platform?.close();
  });
  return {
    the,
    run: <T>(fn: (trx: Tx) => Promise<T>) => inTenantTransaction(the.db, the.tenant.id, fn),
  };
}

describe('named prepared statements, bounded per connection (real PostgreSQL)', () => {
  const { the, run } = onOneConnection(3);
  it('prepares at most the configured number, and runs the rest unnamed', async () => {
    for (let i = 0; i < 3; i++) {
      await run((trx) => sql`select id from ${sql.raw(the.table)} where id = ${1}`.execute(trx));
      await run((trx) => sql`select id from ${sql.raw(the.table)} where id >= ${1}`.execute(trx));
    }
    const names = await run(async (trx) => (await sql<{ name: string }>`select name from pg_prepared_statements where name like ${'s\\_%'}`.execute(trx)).rows);
    expect(names).toHaveLength(3);
    const rows = await run(async (trx) => (await sql<{ id: number }>`select id from ${sql.raw(the.table)} where id <> ${0} order by id`.execute(trx)).rows);
    expect(rows.map((r) => r.id)).toEqual([1, 2]);
  });
});

describe('a prepared statement gone stale (real PostgreSQL)', () => {
  const { the, run } = onOneConnection(10_000);
  it('fails the one transaction that meets it (a 503 for a request), then works on a fresh connection', async () => {
    const read = () => run(async (trx) => (await sql<Record<string, unknown>>`select * from ${sql.raw(the.table)} where id = ${2}`.execute(trx)).rows[0]);
    expect(await read()).toEqual({ id: 2 });
    // A newer instance's migration changes the table's shape under the prepared statement.
    await the.admin.query(`alter table ${the.table} add column note text default 'x'`);
    const stale = await read().catch((error: unknown) => error);
    expect(stale).toMatchObject({ code: '0A000' });
    // The connection that held it was closed on release: the next transaction gets a fresh one.
    expect(await read()).toEqual({ id: 2, note: 'x' });
  });
});
