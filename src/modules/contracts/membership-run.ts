import { inTenantTransaction, type Tx } from '../../platform/db/databases.js';
import { todayIn } from '../../platform/calendar.js';
import { pruneIdempotencyKeys } from '../../platform/http/idempotency.js';
import type { TenantDirectory } from '../../platform/tenancy/directory.js';
import { applyAllDue } from '../members/status.service.js';
import { tenantJob } from '../../platform/tenancy/job-context.js';
import { releaseUncovered } from '../reservations/release.js';
import { creditsService } from '../credits/credits.service.js';

const BATCH = 1000;

/** Bookings that a leave or an ended contract no longer covers, released a batch at a time. */
async function drainReleases(directory: TenantDirectory, tenantId: string, now: Date) {
  const job = (await tenantJob(directory, tenantId, now))!;
  let total = 0;
  for (let n = -1; n !== 0; total += n) n = await job.transaction((ctx) => releaseUncovered(ctx));
  return total;
}

/**
 * A tenant's daily membership work, safe to run any number of times (hourly in practice): status changes
 * whose day has come (leave, return, cancellation with its effects), this month's credit grants and
 * carry-overs, expiry of lots past their date, and old idempotency keys. Each batch is its own short
 * transaction, so a crash loses at most one batch, which the next run redoes.
 */
export async function runMembershipDay(directory: TenantDirectory, tenantId: string, now: Date, today?: string) {
  const tenant = await directory.byId(tenantId);
  if (!tenant || tenant.status === 'deleted') return null;
  const day = today ?? todayIn(tenant.timezone, now);
  const transaction = async <T>(fn: (db: Tx) => Promise<T>) => inTenantTransaction(await directory.dbFor(tenant), tenant.id, fn);
  const drain = async (step: (db: Tx) => Promise<number>) => {
    let total = 0;
    for (let n = -1; n !== 0; total += n) n = await transaction(step);
    return total;
  };
  const statusChanges = await applyAllDue(transaction, day, BATCH);
  const creditsGranted = await drain((db) => creditsService.grantDue(db, day, { limit: BATCH }));
  const lotsExpired = await drain((db) => creditsService.expireDue(db, day, BATCH));
  const reservationsReleased = await drainReleases(directory, tenant.id, now);
  await transaction((db) => pruneIdempotencyKeys(db));
  return { tenantId, day, statusChanges, creditsGranted, lotsExpired, reservationsReleased };
}
