import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform, type TestTenant } from '../../../test/support/platform.js';
import { inTenantTransaction, type Tx } from './databases.js';
import { fixedQuery } from './fixed-query.js';

/** A statement with every kind of parameter, a constant bind (42) and a literal list. */
const probe = (db: Tx, p: { name: string; n: number; at: Date; flag: boolean | null }) =>
  db
    .selectNoFrom([
      sql<string>`${p.name}::text`.as('name'),
      sql<number>`${p.n}::int + ${42}::int`.as('n'),
      sql<string>`to_char(${p.at}::timestamptz at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS')`.as('at'),
      sql<boolean | null>`${p.flag}::boolean`.as('flag'),
    ])
    .where(sql<boolean>`${p.name}::text in ('a', 'b', 'c') or ${p.n}::int > 0`);

describe('fixedQuery (real PostgreSQL)', () => {
  let platform: TestPlatform;
  let tenant: TestTenant;
  const inTenant = async <T>(fn: (db: Tx) => Promise<T>) => inTenantTransaction(await platform.runtime.directory.dbFor((await platform.runtime.directory.byId(tenant.id))!), tenant.id, fn);

  beforeAll(async () => {
    platform = await startTestPlatform();
    tenant = await platform.createTenant();
  });
  afterAll(() => platform?.close());

  it('binds each call its own values, and answers what Kysely building the query each time answers', async () => {
    const fixed = fixedQuery(probe);
    const calls = [
      { name: 'a', n: 0, at: new Date('2026-03-29T00:59:59.123Z'), flag: true },
      { name: 'zz', n: 7, at: new Date('2031-12-31T23:00:00.000Z'), flag: null },
      { name: 'b', n: -3, at: new Date('2000-01-01T00:00:00.001Z'), flag: false },
      { name: 'zz', n: -1, at: new Date('2026-01-01T00:00:00.000Z'), flag: false },
    ];
    await inTenant(async (db) => {
      const answers = [];
      for (const p of calls) {
        const got = await fixed(db, p);
        expect(got).toEqual(await probe(db, p).execute());
        answers.push(got);
      }
      expect(answers).toEqual([
        [{ name: 'a', n: 42, at: '2026-03-29 00:59:59.123', flag: true }],
        [{ name: 'zz', n: 49, at: '2031-12-31 23:00:00.000', flag: null }],
        [{ name: 'b', n: 39, at: '2000-01-01 00:00:00.001', flag: false }],
        [],
      ]);
    });
  });

  it('refuses, on its first call, a build that computes with a parameter instead of passing it on', async () => {
    const arithmetic = fixedQuery((db, p: { n: number }) => db.selectNoFrom(sql<number>`${p.n + 1}::int`.as('n')));
    const text = fixedQuery((db, p: { name: string }) => db.selectNoFrom(sql<string>`${`${p.name}%`}::text`.as('pattern')));
    const literal = fixedQuery((db, p: { name: string }) => db.selectNoFrom(sql.lit(p.name).as('name')));
    const method = fixedQuery((db, p: { at: Date }) => db.selectNoFrom(sql<number>`${p.at.getTime()}::bigint`.as('ms')));
    await inTenant(async (db) => {
      await expect(arithmetic(db, { n: 1 })).rejects.toThrow(/parameter "n" was computed with/);
      await expect(text(db, { name: 'x' })).rejects.toThrow(/parameter "name" was computed with/);
      await expect(literal(db, { name: 'x' })).rejects.toThrow(/parameter "name" was computed with/);
      await expect(method(db, { at: new Date() })).rejects.toThrow(TypeError);
    });
  });
});
