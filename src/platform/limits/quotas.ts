import { sql } from 'kysely';
import type { Tx } from '../db/databases.js';
import { AppError } from '../errors.js';
import { text, type Text } from '../i18n.js';
import type { TenantContext } from '../tenancy/context.js';
import type { Limits } from '../tenancy/plans.js';

/** The hard quotas, checked when a row that counts is created (or brought back). */
export type CountedResource = 'members' | 'locations' | 'staff';

/**
 * What counts against a quota is what a studio owner would call "in use": members who have not cancelled
 * (cancelled members stay in the book for their history and invoices, but no longer take a seat), locations that
 * are not archived, staff accounts that are active. Each count runs under the tenant's RLS, so it needs no filter.
 */
const counters: Record<CountedResource, (db: Tx) => Promise<number>> = {
  members: async (db) => Number((await db.selectFrom('app.members').select((eb) => eb.fn.countAll<string>().as('n')).where('status', '<>', 'cancelled').executeTakeFirstOrThrow()).n),
  locations: async (db) => Number((await db.selectFrom('app.locations').select((eb) => eb.fn.countAll<string>().as('n')).where('archived_at', 'is', null).executeTakeFirstOrThrow()).n),
  staff: async (db) => Number((await db.selectFrom('app.staff').select((eb) => eb.fn.countAll<string>().as('n')).where('status', '=', 'active').executeTakeFirstOrThrow()).n),
};

export const countUsage = async (db: Tx) => ({
  members: await counters.members(db),
  locations: await counters.locations(db),
  staff: await counters.staff(db),
});

const limitName: Record<CountedResource | 'storageBytes', string> = {
  members: 'tenant.members',
  locations: 'tenant.locations',
  staff: 'tenant.staff',
  storageBytes: 'tenant.storage_bytes',
};

/** A tenant's effective limits; a key missing from the catalog row means no limit for that resource. */
export function limitOf(limits: Record<string, number> | Partial<Limits>, key: keyof Limits): number | null {
  const value = (limits as Record<string, unknown>)[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

export function quotaExceeded(resource: CountedResource | 'storageBytes', usage: number, max: number, detail: Text) {
  return new AppError('quota_exceeded', detail, { limit: limitName[resource], usage, max });
}

/**
 * Refuses `adding` more rows of `resource` (one unless said) when they would take the tenant past its quota. The count runs under a transaction-level
 * advisory lock per tenant and resource, so two creates racing at quota-1 are serialised: the second counts the
 * first's row once it commits (READ COMMITTED takes a new snapshot per statement) and is refused. The lock ends
 * with the transaction; creates of other tenants or other resources never wait on it.
 */
export async function assertQuota(ctx: TenantContext, resource: CountedResource, adding = 1): Promise<void> {
  const max = limitOf(ctx.tenant.limits, resource);
  if (max === null) return;
  await sql`select pg_advisory_xact_lock(hashtextextended(${`quota:${resource}:${ctx.tenant.id}`}, 0))`.execute(ctx.db);
  const usage = await counters[resource](ctx.db);
  if (usage + adding > max) {
    const values = { max, resource, usage, limit: limitName[resource] };
    // Several at once (an import) may be refused below the quota: the message says how many would not fit.
    throw quotaExceeded(resource, usage, max, adding > 1 ? text('platform.quota.adding', { ...values, adding, left: Math.max(0, max - usage) }) : text('platform.quota.reached', values));
  }
  if (resource === 'members') await assertStorage(ctx);
}

/**
 * Stored bytes are measured by the quota_usage job, not per request (summing a tenant's rows costs a scan). At or
 * over the storage quota, new members are refused: members are what makes a studio's data grow (their history,
 * contracts, invoices); everything else keeps working, so nobody is locked out of what they already have.
 */
async function assertStorage(ctx: TenantContext): Promise<void> {
  const max = limitOf(ctx.tenant.limits, 'storageBytes');
  if (max === null) return;
  const usage = Number(ctx.tenant.stored_bytes);
  if (usage >= max) {
    throw quotaExceeded('storageBytes', usage, max, text('platform.quota.storage', { usage, max }));
  }
}
