import { z } from 'zod';
import { timestamp } from '../auth/auth.schemas.js';
import { tenantRef } from '../tenancy/tenants.schemas.js';

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * A point in time: an ISO timestamp with offset, a UTC date (YYYY-MM-DD, its midnight), or a span back from now
 * (30m, 24h, 7d). Parsed later against the service's clock, so "24h" means 24 hours before the request.
 */
export const timeArg = z
  .string()
  .max(40)
  .refine((v) => parseTimeArg(v, new Date()) !== null, 'platform.usage.time_arg')
  .meta({ example: '24h' });

export function parseTimeArg(value: string, now: Date): Date | null {
  const span = /^(\d{1,6})([mhd])$/.exec(value);
  if (span) return new Date(now.getTime() - Number(span[1]) * UNIT_MS[span[2] as keyof typeof UNIT_MS]);
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const day = new Date(`${value}T00:00:00Z`);
    return Number.isNaN(day.getTime()) || day.toISOString().slice(0, 10) !== value ? null : day;
  }
  if (!z.iso.datetime({ offset: true }).safeParse(value).success) return null;
  return new Date(value);
}

const windowQuery = z.object({
  since: timeArg.optional().describe('Start of the window (default: 24h ago)'),
  until: timeArg.optional().describe('End of the window (default: now)'),
  limit: z.coerce.number().int().min(1).max(10_000).default(1_000).describe('Most rows returned'),
});

export const usageQuery = windowQuery.extend({
  tenant: z.string().min(1).max(64).optional().describe('Only this tenant (id or slug)'),
  by: z.enum(['tenant', 'hour']).default('tenant').describe('Totals per tenant (busiest first) or hourly rows (oldest first)'),
});
export type UsageQuery = z.output<typeof usageQuery>;

export const tenantUsageQuery = windowQuery;
export const tenantUsageParams = tenantRef;

const counts = {
  requests: z.number().int(),
  clientErrors: z.number().int().describe('Answers 400-499'),
  serverErrors: z.number().int().describe('Answers 500-599'),
  durationMs: z.number().describe('Total time spent answering, in milliseconds'),
  queuedMs: z.number().describe('Time spent waiting for a turn at the database (fair admission), in milliseconds; jobs included'),
  avgDurationMs: z.number().nullable(),
};

export const usageHourRow = z.object({ tenantId: z.uuid(), slug: z.string(), hour: timestamp.describe('Start of the UTC hour'), ...counts }).meta({ id: 'UsageHour' });
export const usageTenantRow = z.object({ tenantId: z.uuid(), slug: z.string(), hours: z.number().int().describe('Hours with any request'), ...counts }).meta({ id: 'UsageTenantTotal' });

const window = { since: timestamp, until: timestamp };

export const usageResponse = z
  .discriminatedUnion('by', [
    z.object({ by: z.literal('tenant'), ...window, items: z.array(usageTenantRow) }),
    z.object({ by: z.literal('hour'), ...window, items: z.array(usageHourRow) }),
  ])
  .meta({ id: 'Usage' });

export const tenantUsageResponse = z.object({ tenantId: z.uuid(), slug: z.string(), ...window, items: z.array(usageHourRow) }).meta({ id: 'TenantUsage' });
