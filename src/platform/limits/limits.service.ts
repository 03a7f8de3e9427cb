import { AppError } from '../errors.js';
import { text } from '../i18n.js';
import type { Runtime } from '../runtime.js';
import type { Tenant } from '../db/types.js';
import { platformCapacity } from './capacity.js';
import { limitOf } from './quotas.js';
import { refreshQuotaUsage } from './quota-usage.js';
import { levels, limitRow, worstLevel, type Level, type LimitName, type LimitRow } from './thresholds.js';

export interface LimitsQuery {
  /** One tenant (slug or id): only its quotas, measured now. */
  tenant?: string;
  /** Measure every live tenant now instead of reading the quota_usage job's last measurement. */
  refresh?: boolean;
  /** Only rows at this level or worse. */
  level?: Exclude<Level, 'ok'>;
}

export interface LimitsReport {
  level: Level;
  rows: LimitRow[];
}

const quotaKeys: Array<[LimitName, 'members' | 'locations' | 'staff' | 'storageBytes', 'members' | 'locations' | 'staff' | 'stored_bytes']> = [
  ['tenant.members', 'members', 'members'],
  ['tenant.locations', 'locations', 'locations'],
  ['tenant.staff', 'staff', 'staff'],
  ['tenant.storage_bytes', 'storageBytes', 'stored_bytes'],
];

/**
 * Each live tenant's quotas against its last measurement (platform.tenant_quota_usage). A tenant not yet measured
 * has no rows until the quota_usage job (or --refresh) measures it; a limit missing from its catalog row is unlimited.
 */
export async function tenantRows(runtime: Runtime, tenantIds?: string[]): Promise<LimitRow[]> {
  let query = runtime.databases.platform
    .selectFrom('platform.tenants as t')
    .innerJoin('platform.tenant_quota_usage as u', 'u.tenant_id', 't.id')
    .select(['t.slug', 't.limits', 'u.members', 'u.locations', 'u.staff', 'u.stored_bytes'])
    .where('t.status', '<>', 'deleted')
    .where('t.purged_at', 'is', null)
    .orderBy('t.slug');
  if (tenantIds) query = query.where('t.id', 'in', tenantIds.length > 0 ? tenantIds : ['00000000-0000-0000-0000-000000000000']);
  const overrides = runtime.config.LIMIT_THRESHOLDS;
  return (await query.execute()).flatMap((t) =>
    quotaKeys.flatMap(([name, limitKey, usageKey]) => {
      const max = limitOf(t.limits, limitKey);
      return max === null ? [] : [limitRow(t.slug, name, Number(t[usageKey]), max, overrides)];
    }),
  );
}

export async function platformRows(runtime: Runtime): Promise<LimitRow[]> {
  const overrides = runtime.config.LIMIT_THRESHOLDS;
  return (await platformCapacity(runtime)).map((m) => limitRow(m.scope, m.limit, m.usage, m.max, overrides));
}

async function findTenant(runtime: Runtime, ref: string): Promise<Tenant> {
  const byId = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(ref);
  const tenant = byId ? await runtime.directory.byId(ref) : await runtime.directory.bySlug(ref.toLowerCase());
  if (!tenant || tenant.status === 'deleted') throw new AppError('tenant_not_found', text('platform.no_tenant', { ref }));
  return tenant;
}

/** The one report behind `studiohive limits`, GET /platform/limits (and, from the same rows, /metrics). */
export async function limitsReport(runtime: Runtime, q: LimitsQuery = {}): Promise<LimitsReport> {
  let rows: LimitRow[];
  if (q.tenant) {
    const tenant = await findTenant(runtime, q.tenant);
    await refreshQuotaUsage(runtime, tenant.id);
    rows = await tenantRows(runtime, [tenant.id]);
  } else {
    if (q.refresh) for (const id of await runtime.tenants.liveIds()) await refreshQuotaUsage(runtime, id);
    rows = [...(await platformRows(runtime)), ...(await tenantRows(runtime))];
  }
  const level = worstLevel(rows);
  if (q.level) rows = rows.filter((r) => levels.indexOf(r.level) >= levels.indexOf(q.level!));
  return { level, rows };
}
