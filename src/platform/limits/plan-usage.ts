import type { Runtime } from '../runtime.js';
import type { TenantContext } from '../tenancy/context.js';
import type { Limits } from '../tenancy/plans.js';
import { countUsage, limitOf } from './quotas.js';
import { limitRow, type Level, type LimitName } from './thresholds.js';

export type QuotaKey = keyof Limits;
type TenantLimitName = Extract<LimitName, `tenant.${string}`>;

export interface QuotaStanding {
  key: QuotaKey;
  /** The stable limit name, as quota_exceeded problems, LIMIT_THRESHOLDS and `studiohive limits` spell it. */
  limit: TenantLimitName | 'tenant.api_requests_per_minute';
  /** Null when it is not measured (the request rate: it is counted per instance, in memory). */
  usage: number | null;
  /** Null: no limit. */
  max: number | null;
  percent: number | null;
  /** Null when usage is not measured; always ok without a limit. */
  level: Level | null;
}

export interface PlanStanding {
  plan: string;
  quotas: QuotaStanding[];
  /** When the stored bytes were last measured (the quota_usage job); null before the first measurement. */
  storageMeasuredAt: string | null;
}

const counted: Array<['members' | 'locations' | 'staff', TenantLimitName]> = [
  ['members', 'tenant.members'],
  ['locations', 'tenant.locations'],
  ['staff', 'tenant.staff'],
];

/**
 * The studio's own view of its plan: what it uses of each quota. Members, locations and staff are counted now,
 * in the request's transaction, with the very counters the quota checks use; stored bytes are the figure on the
 * catalog row that the storage check reads. Levels come from the same function as the operator report, with the
 * same threshold overrides, so the studio and the operator never see different levels for the same numbers.
 * Everything else comes from the catalog row the request carries: a second query here, inside a pool tenant's
 * transaction, would wait on the same connection pool.
 */
export async function planStanding(runtime: Runtime, ctx: TenantContext): Promise<PlanStanding> {
  const { tenant } = ctx;
  const overrides = runtime.config.LIMIT_THRESHOLDS;
  const standing = (key: QuotaKey, limit: QuotaStanding['limit'], usage: number | null): QuotaStanding => {
    const max = limitOf(tenant.limits, key);
    if (usage === null || limit === 'tenant.api_requests_per_minute') return { key, limit, usage, max, percent: null, level: null };
    if (max === null) return { key, limit, usage, max, percent: null, level: 'ok' };
    const { percent, level } = limitRow(tenant.slug, limit, usage, max, overrides);
    return { key, limit, usage, max, percent, level };
  };
  const usage = await countUsage(ctx.db);
  return {
    plan: tenant.plan,
    quotas: [
      ...counted.map(([key, limit]) => standing(key, limit, usage[key])),
      standing('storageBytes', 'tenant.storage_bytes', Number(tenant.stored_bytes)),
      standing('apiRequestsPerMinute', 'tenant.api_requests_per_minute', null),
    ],
    storageMeasuredAt: tenant.stored_bytes_measured_at ? new Date(tenant.stored_bytes_measured_at).toISOString() : null,
  };
}
