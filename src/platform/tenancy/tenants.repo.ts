import { sql } from 'kysely';
import type { Db } from '../db/databases.js';
import type { Placement, Tenant, TenantStatus, Tier } from '../db/types.js';
import type { Locale } from '../i18n.js';

const first = async <T>(rows: Promise<{ rows: T[] }>): Promise<T | undefined> => (await rows).rows[0];

/**
 * The tenant path's catalog lookups, made as the app role, which may not read the catalog's tables: through the
 * one-row functions of platform migration 0007. Each finds one tenant (or placement) by what a request names.
 */
export const catalogLookups = {
  tenantById: (db: Db, id: string) => first(sql<Tenant>`select * from platform.tenant_by_id(${id})`.execute(db)),
  tenantBySlug: (db: Db, slug: string) => first(sql<Tenant>`select * from platform.tenant_by_slug(${slug})`.execute(db)),
  tenantByDomain: (db: Db, domain: string) => first(sql<Tenant>`select * from platform.tenant_by_domain(${domain})`.execute(db)),
  placement: (db: Db, id: string) => first(sql<Placement>`select * from platform.placement_by_id(${id})`.execute(db)),
};

/** The catalog's tables, for the platform role (the admin API, the CLI, jobs). */
export const tenantsRepo = {
  byId: (db: Db, id: string) => db.selectFrom('platform.tenants').selectAll().where('id', '=', id).executeTakeFirst(),

  bySlug: (db: Db, slug: string) =>
    db.selectFrom('platform.tenants').selectAll().where('slug', '=', slug).executeTakeFirst(),

  byDomain: (db: Db, domain: string) =>
    db
      .selectFrom('platform.tenant_domains as d')
      .innerJoin('platform.tenants as t', 't.id', 'd.tenant_id')
      .selectAll('t')
      .where('d.domain', '=', domain)
      .executeTakeFirst(),

  list: (db: Db, q: { status?: TenantStatus; afterSlug?: string; limit: number }) => {
    let query = db.selectFrom('platform.tenants').selectAll().orderBy('slug').limit(q.limit);
    if (q.status) query = query.where('status', '=', q.status);
    if (q.afterSlug) query = query.where('slug', '>', q.afterSlug);
    return query.execute();
  },

  insert: (
    db: Db,
    row: {
      slug: string; display_name: string; tier: Tier; placement_id: string; plan: string; limits: Record<string, number>; locale?: Locale;
      timezone?: string; status?: 'active' | 'suspended';
    },
  ) =>
    db
      .insertInto('platform.tenants')
      .values({ ...row, limits: JSON.stringify(row.limits), ...(row.status === 'suspended' ? { suspended_at: sql`now()` } : {}) })
      .returningAll()
      .executeTakeFirstOrThrow(),

  setLocale: (db: Db, id: string, locale: Locale) =>
    db.updateTable('platform.tenants').set({ locale, updated_at: sql`now()` }).where('id', '=', id).returningAll().executeTakeFirstOrThrow(),

  setStatus: (db: Db, id: string, status: TenantStatus, from: TenantStatus[]) =>
    db
      .updateTable('platform.tenants')
      .set({
        status,
        updated_at: sql`now()`,
        ...(status === 'suspended' ? { suspended_at: sql`now()` } : {}),
        ...(status === 'active' ? { suspended_at: null } : {}),
        ...(status === 'deleted' ? { deleted_at: sql`now()` } : {}),
      })
      .where('id', '=', id)
      .where('status', 'in', from)
      .returningAll()
      .executeTakeFirst(),

  /** Marks the tenant purged; false when another purge got there first (so its place is released once). */
  markPurged: async (db: Db, id: string) =>
    (await db
      .updateTable('platform.tenants')
      .set({ purged_at: sql`now()` })
      .where('id', '=', id)
      .where('purged_at', 'is', null)
      .returning('id')
      .executeTakeFirst()) !== undefined,

  /** A tenant that never opened (an import that failed): its domains and usage rows go with it (on delete cascade). */
  remove: (db: Db, id: string) => db.deleteFrom('platform.tenants').where('id', '=', id).execute(),

  domains: (db: Db, tenantId: string) =>
    db.selectFrom('platform.tenant_domains').select('domain').where('tenant_id', '=', tenantId).orderBy('domain').execute(),

  addDomain: (db: Db, tenantId: string, domain: string) =>
    db.insertInto('platform.tenant_domains').values({ tenant_id: tenantId, domain }).returningAll().executeTakeFirstOrThrow(),

  removeDomain: (db: Db, tenantId: string, domain: string) =>
    db.deleteFrom('platform.tenant_domains').where('tenant_id', '=', tenantId).where('domain', '=', domain).executeTakeFirst(),

  removeAllDomains: (db: Db, tenantId: string) =>
    db.deleteFrom('platform.tenant_domains').where('tenant_id', '=', tenantId).execute(),

  placements: (db: Db) => db.selectFrom('platform.placements').selectAll().orderBy('id').execute(),

  placement: (db: Db, id: string) =>
    db.selectFrom('platform.placements').selectAll().where('id', '=', id).executeTakeFirst(),

  /** Takes a place in the pool cell with the most room left; none when every cell is full. */
  claimRoomiestPool: (db: Db, cluster?: string) =>
    db
      .updateTable('platform.placements')
      .set({ tenant_count: sql`tenant_count + 1` })
      .where('id', '=', (eb) =>
        eb
          .selectFrom('platform.placements')
          .select('id')
          .where('tier', '=', 'pool')
          .$if(cluster !== undefined, (q) => q.where('cluster', '=', cluster!))
          .whereRef('tenant_count', '<', 'tenant_capacity')
          .orderBy(sql`tenant_capacity - tenant_count`, 'desc')
          .orderBy('id')
          .limit(1)
          .forUpdate(),
      )
      .whereRef('tenant_count', '<', 'tenant_capacity')
      .returningAll()
      .executeTakeFirst(),

  /** Takes a place in one placement; none when it is full (or does not exist). */
  claimPlacement: (db: Db, id: string) =>
    db
      .updateTable('platform.placements')
      .set({ tenant_count: sql`tenant_count + 1` })
      .where('id', '=', id)
      .whereRef('tenant_count', '<', 'tenant_capacity')
      .returningAll()
      .executeTakeFirst(),

  releasePlacement: (db: Db, id: string) =>
    db.updateTable('platform.placements').set({ tenant_count: sql`tenant_count - 1` }).where('id', '=', id).execute(),

  insertPlacement: (db: Db, p: Omit<Placement, 'created_at' | 'tenant_count' | 'migration_status' | 'migration_error' | 'migrated_at' | 'schema_version'> & { schema_version: number }) =>
    db
      .insertInto('platform.placements')
      .values({ ...p, migration_status: 'ok', migrated_at: sql`now()` })
      .execute(),

  /** A migrate's outcome for a placement: a failure keeps the last good migrated_at and schema_version. */
  recordMigration: (db: Db, id: string, outcome: { schemaVersion: number } | { error: string }) =>
    db
      .updateTable('platform.placements')
      .set(
        'error' in outcome
          ? { migration_status: 'failed', migration_error: outcome.error }
          : { migration_status: 'ok', migration_error: null, migrated_at: sql`now()`, schema_version: outcome.schemaVersion },
      )
      .where('id', '=', id)
      .execute(),
};

export type { Tenant };
