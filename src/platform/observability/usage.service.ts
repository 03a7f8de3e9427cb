import { AppError } from '../errors.js';
import { text } from '../i18n.js';
import type { Runtime } from '../runtime.js';
import { usageRepo, type UsageWindow } from './usage.repo.js';
import { parseTimeArg, type UsageQuery } from './usage.schemas.js';

const DAY_MS = 86_400_000;

type Counts = { requests: number; client_errors: number; server_errors: number; duration_ms: number; queued_ms: number };

const countsDto = (r: Counts) => ({
  requests: r.requests,
  clientErrors: r.client_errors,
  serverErrors: r.server_errors,
  durationMs: Math.round(r.duration_ms * 1000) / 1000,
  queuedMs: Math.round(r.queued_ms * 1000) / 1000,
  avgDurationMs: r.requests > 0 ? Math.round((r.duration_ms / r.requests) * 1000) / 1000 : null,
});

const hourDto = (r: Counts & { tenant_id: string; slug: string; hour: Date }) => ({
  tenantId: r.tenant_id,
  slug: r.slug,
  hour: r.hour.toISOString(),
  ...countsDto(r),
});

/** What the admin API and the CLI both answer: usage rows from platform.tenant_usage. */
export function createUsageService(runtime: Pick<Runtime, 'databases' | 'tenants' | 'clock'>) {
  const db = runtime.databases.platform;

  function window(q: { since?: string; until?: string }) {
    const now = runtime.clock.now();
    const until = q.until ? parseTimeArg(q.until, now) : now;
    const since = q.since ? parseTimeArg(q.since, now) : new Date(until!.getTime() - DAY_MS);
    if (!since || !until) throw new AppError('bad_request', text('platform.usage.bad_window'));
    if (since >= until) throw new AppError('bad_request', text('platform.usage.since_after_until'));
    return { since, until };
  }

  async function tenantOf(ref: string) {
    const tenant = await runtime.tenants.get(ref);
    return { id: tenant.id, slug: tenant.slug };
  }

  return {
    async usage(q: Pick<UsageQuery, 'since' | 'until' | 'tenant' | 'by' | 'limit'>) {
      const { since, until } = window(q);
      const w: UsageWindow = { since, until, limit: q.limit, ...(q.tenant ? { tenantId: (await tenantOf(q.tenant)).id } : {}) };
      const span = { since: since.toISOString(), until: until.toISOString() };
      if (q.by === 'hour') return { by: 'hour' as const, ...span, items: (await usageRepo.hourly(db, w)).map(hourDto) };
      const totals = await usageRepo.totalsByTenant(db, w);
      return { by: 'tenant' as const, ...span, items: totals.map((r) => ({ tenantId: r.tenant_id, slug: r.slug, hours: r.hours, ...countsDto(r) })) };
    },

    async tenantUsage(ref: string, q: { since?: string; until?: string; limit: number }) {
      const tenant = await tenantOf(ref);
      const { since, until } = window(q);
      const items = await usageRepo.hourly(db, { since, until, tenantId: tenant.id, limit: q.limit });
      return { tenantId: tenant.id, slug: tenant.slug, since: since.toISOString(), until: until.toISOString(), items: items.map(hourDto) };
    },
  };
}

export type UsageService = ReturnType<typeof createUsageService>;
