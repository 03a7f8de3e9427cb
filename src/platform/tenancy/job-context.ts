import { asLocale } from '../i18n.js';
import { inTenantTransaction } from '../db/databases.js';
import type { Tenant } from '../db/types.js';
import type { TenantContext } from './context.js';
import { isDepartedTenant, type TenantDirectory } from './directory.js';

export type TenantTransaction = <T>(fn: (ctx: TenantContext) => Promise<T>) => Promise<T>;

/**
 * A background job's way into one tenant's data: short transactions on the tenant's placement, each with a
 * system context (no principal) dated `now`. Null when the tenant is gone.
 */
export async function tenantJob(directory: TenantDirectory, tenantId: string, now: Date): Promise<{ tenant: Tenant; transaction: TenantTransaction } | null> {
  const tenant = await directory.byId(tenantId);
  if (!tenant || tenant.status === 'deleted') return null;
  const request = { requestId: `job:${tenantId}`, ip: '127.0.0.1', userAgent: null, locale: asLocale(tenant.locale) };
  return {
    tenant,
    transaction: async (fn) =>
      inTenantTransaction(await directory.dbFor(tenant), tenant.id, (db) => fn({ tenant, db, principal: null, request, now })).catch((error: unknown) => {
        // The tenant has moved: the job's retry finds its new database.
        if (isDepartedTenant(error)) directory.forgetAll();
        throw error;
      }),
  };
}
