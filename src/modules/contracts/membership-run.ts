import type { Tx } from '../../platform/db/databases.js';
import type { TenantContext } from '../../platform/tenancy/context.js';
import { todayIn } from '../../platform/calendar.js';
import { pruneIdempotencyKeys } from '../../platform/http/idempotency.js';
import type { TenantDirectory } from '../../platform/tenancy/directory.js';
import { applyAllDue } from '../members/status.service.js';
import { tenantJob } from '../../platform/tenancy/job-context.js';
import { releaseUncovered } from '../reservations/release.js';
import { creditsService } from '../credits/credits.service.js';
import { studioLocale } from '../../platform/i18n.js';

const BATCH = 1000;

/**
 * A tenant's daily membership work, safe to run any number of times (hourly in practice): status changes
 * whose day has come (leave, return, cancellation with its effects), this month's credit grants and
 * carry-overs, expiry of lots past their date, bookings a leave or an ended contract no longer covers, and old
 * idempotency keys. Each batch is its own short
 * transaction, so a crash loses at most one batch, which the next run redoes.
 */
export async function runMembershipDay(directory: TenantDirectory, tenantId: string, now: Date, today?: string) {
  const job = await tenantJob(directory, tenantId, now);
  if (!job) return null;
  const day = today ?? todayIn(job.tenant.timezone, now);
  const transaction = <T>(fn: (db: Tx) => Promise<T>) => job.transaction((ctx) => fn(ctx.db));
  const drain = async (step: (ctx: TenantContext) => Promise<number>) => {
    let total = 0;
    for (let n = -1; n !== 0; total += n) n = await job.transaction(step);
    return total;
  };
  // What the run writes for people to read (the credit ledger's reasons) is in the studio's language.
  const locale = studioLocale(job.tenant);
  const statusChanges = await applyAllDue(transaction, day, locale, BATCH);
  const creditsGranted = await drain((ctx) => creditsService.grantDue(ctx.db, day, locale, { limit: BATCH }));
  const lotsExpired = await drain((ctx) => creditsService.expireDue(ctx.db, day, locale, BATCH));
  // Bookings that a leave or an ended contract no longer covers.
  const reservationsReleased = await drain((ctx) => releaseUncovered(ctx));
  await transaction((db) => pruneIdempotencyKeys(db));
  return { tenantId, day, statusChanges, creditsGranted, lotsExpired, reservationsReleased };
}
