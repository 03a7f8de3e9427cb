import { sql } from 'kysely';
import { tenantTables } from '../db/catalog.js';
import type { Tx } from '../db/databases.js';
import type { Tenant } from '../db/types.js';
import type { Runtime } from '../runtime.js';
import { tenantJob } from '../tenancy/job-context.js';
import { countUsage } from './quotas.js';

/**
 * What a tenant stores. A silo owns its database, so its size is the database's. A pool tenant shares its cell, so
 * its bytes are the sum of its rows' sizes over every table of the tenant schema, read under its RLS (so the sum
 * cannot include anyone else's rows). Indexes are not counted: they are the platform's choice, not the studio's.
 */
async function storedBytes(db: Tx, tenant: Tenant): Promise<number> {
  if (tenant.tier === 'silo') {
    return Number((await sql<{ n: string }>`select pg_database_size(current_database())::bigint as n`.execute(db)).rows[0]!.n);
  }
  const tables = await tenantTables(db);
  if (tables.length === 0) return 0;
  // The names come from PostgreSQL's own catalog as regclass text (already quoted), not from any input.
  const sums = tables.map((t) => sql`select coalesce(sum(pg_column_size(t.*)), 0)::bigint as n from ${sql.raw(t.name)} t`);
  const { rows } = await sql<{ n: string }>`select coalesce(sum(n), 0)::bigint as n from (${sql.join(sums, sql` union all `)}) s`.execute(db);
  return Number(rows[0]!.n);
}

export interface QuotaUsage {
  members: number;
  locations: number;
  staff: number;
  storedBytes: number;
}

/**
 * Measures one tenant and records it: the usage row the report and metrics read, and the stored bytes on the
 * catalog row that the request path checks. Null when the tenant is gone.
 */
export async function refreshQuotaUsage(runtime: Runtime, tenantId: string): Promise<QuotaUsage | null> {
  const job = await tenantJob(runtime.directory, tenantId, runtime.clock.now());
  if (!job) return null;
  const usage = await job.transaction(async (ctx) => ({ ...(await countUsage(ctx.db)), storedBytes: await storedBytes(ctx.db, ctx.tenant) }));
  await runtime.databases.platform.transaction().execute(async (trx) => {
    const row = { members: usage.members, locations: usage.locations, staff: usage.staff, stored_bytes: usage.storedBytes, measured_at: sql<Date>`now()` };
    await trx
      .insertInto('platform.tenant_quota_usage')
      .values({ tenant_id: tenantId, ...row })
      .onConflict((oc) => oc.column('tenant_id').doUpdateSet(row))
      .execute();
    await trx.updateTable('platform.tenants').set({ stored_bytes: usage.storedBytes, stored_bytes_measured_at: sql<Date>`now()` }).where('id', '=', tenantId).execute();
  });
  return usage;
}
