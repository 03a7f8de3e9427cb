import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../config.js';
import { createLogger } from '../runtime.js';
import { openAppRuntime } from '../../app/composition.js';
import { TEST_ENV } from '../../../test/support/env.js';
import { withCredentials } from './databases.js';

/**
 * The README asks of a real installation only an owner role with LOGIN CREATEROLE CREATEDB, never a superuser
 * (managed services such as RDS and Cloud SQL hand out none). This makes such an owner on the test cluster, with a
 * database of its own, and runs the whole migrate as it.
 */
const superuserUrl = inject('superuserUrl');
const suffix = randomUUID().slice(0, 8);
const owner = `studiohive_owner_${suffix}`;
const ownerPassword = `owner-${suffix}-password`;
const database = `studiohive_least_${suffix}`;
let su: pg.Client;

const ownerEnv = (roles: { app: string; platform: string }) => ({
  ...TEST_ENV,
  DATABASE_URL: withCredentials(superuserUrl, { user: owner, password: ownerPassword, database }),
  APP_DATABASE_USER: roles.app,
  PLATFORM_DATABASE_USER: roles.platform,
});

async function migrateAs(roles: { app: string; platform: string }) {
  const runtime = await openAppRuntime(loadConfig(ownerEnv(roles)), createLogger({ LOG_LEVEL: 'silent' }));
  try {
    return (await runtime.migrate()).controlPlane.applied;
  } finally {
    await runtime.close();
  }
}

const attributes = async (role: string) =>
  (await su.query('select rolsuper, rolbypassrls, rolreplication, rolcreatedb, rolcreaterole, rolcanlogin from pg_roles where rolname = $1', [role])).rows[0];

beforeAll(async () => {
  su = new pg.Client({ connectionString: superuserUrl });
  await su.connect();
  await su.query(`create role ${owner} login createrole createdb password '${ownerPassword}'`);
  await su.query(`create database ${database} owner ${owner}`);
});
afterAll(async () => {
  await su.query(`drop database if exists ${database} with (force)`);
  for (const role of (await su.query(`select rolname from pg_roles where rolname like $1`, [`%${suffix}%`])).rows) {
    if (role.rolname !== owner) await su.query(`drop owned by ${role.rolname} cascade; drop role ${role.rolname}`).catch(() => undefined);
  }
  await su.query(`drop owned by ${owner} cascade`).catch(() => undefined);
  await su.query(`drop role if exists ${owner}`).catch(() => undefined);
  await su.end();
});

describe('an owner role that is not a superuser', () => {
  it('migrates everything and creates runtime roles that can bypass nothing', async () => {
    const roles = { app: `sh_app_${suffix}`, platform: `sh_platform_${suffix}` };
    expect((await attributes(owner)).rolsuper).toBe(false);
    const applied = await migrateAs(roles);
    expect(applied.length).toBeGreaterThan(0);
    for (const role of [roles.app, roles.platform]) {
      expect(await attributes(role)).toEqual({
        rolsuper: false, rolbypassrls: false, rolreplication: false, rolcreatedb: false, rolcreaterole: false, rolcanlogin: true,
      });
    }
    // Run again (every start migrates): the roles are re-asserted without needing a superuser either.
    expect(await migrateAs(roles)).toEqual([]);
  });

  it('refuses, by name, a runtime role that a superuser gave BYPASSRLS', async () => {
    const roles = { app: `sh_app2_${suffix}`, platform: `sh_platform2_${suffix}` };
    await su.query(`create role ${roles.app} login bypassrls`);
    await su.query(`grant ${roles.app} to ${owner} with admin option`);
    await expect(migrateAs(roles)).rejects.toThrow(new RegExp(`"${roles.app}" has BYPASSRLS.*ALTER ROLE "${roles.app}" NOSUPERUSER NOBYPASSRLS NOREPLICATION`));
  });
});
