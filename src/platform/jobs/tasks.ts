import type { TaskList } from 'graphile-worker';
import { z } from 'zod';
import type { Runtime } from '../runtime.js';
import { runMembershipDay } from '../../modules/contracts/membership-run.js';
import { runPromotion, runReservationUpkeep } from '../../modules/reservations/upkeep.js';
import { billingDeps, runBilling } from '../../modules/billing/billing-run.js';
import { refreshQuotaUsage } from '../limits/quota-usage.js';

const tenantPayload = z.object({ tenantId: z.uuid() });
const lessonPayload = tenantPayload.extend({ lessonId: z.uuid() });

/**
 * Hourly: every tenant's membership day (each tenant has its own midnight; reruns are harmless). Every minute:
 * reservation upkeep (lapsed offers, waitlist promotion the request path could not kick, no-shows). Hourly:
 * billing (each tenant's billing day comes at its own midnight; between billing days the run invoices new sales,
 * settles pending charges and retries failed ones).
 */
export const CRONTAB = [
  '7 * * * * membership_sweep',
  '* * * * * reservations_sweep',
  '17 * * * * billing_sweep',
  '23 0 * * * analytics_compact',
  '37 * * * * quota_usage_sweep',
  '*/5 * * * * mail_sweep',
].join('\n');

/** Every background task of the platform; modules add theirs here. */
export function taskList(runtime: Runtime): TaskList {
  return {
    tenant_purge: async (payload, helpers) => {
      const { tenantId } = tenantPayload.parse(payload);
      const result = await runtime.tenants.purge(tenantId);
      helpers.logger.info(`tenant ${tenantId} purge: ${JSON.stringify(result)}`);
    },

    /** Fans out one membership_daily job per live tenant; the job key keeps it to one queued job each. */
    membership_sweep: async () => {
      for (const tenantId of await runtime.tenants.liveIds()) {
        await runtime.jobs.add('membership_daily', { tenantId }, { jobKey: `membership_daily:${tenantId}` });
      }
    },

    reservations_sweep: async () => {
      for (const tenantId of await runtime.tenants.liveIds()) {
        await runtime.jobs.add('reservations_upkeep', { tenantId }, { jobKey: `reservations_upkeep:${tenantId}` });
      }
    },

    reservations_upkeep: async (payload, helpers) => {
      const { tenantId } = tenantPayload.parse(payload);
      const result = await runReservationUpkeep(runtime.directory, tenantId, runtime.clock.now());
      helpers.logger.debug(`reservation upkeep: ${JSON.stringify(result)}`);
    },

    /** Kicked after a seat is given up, so the next in line need not wait for the minute's sweep. */
    waitlist_promote: async (payload) => {
      const { tenantId, lessonId } = lessonPayload.parse(payload);
      await runPromotion(runtime.directory, tenantId, lessonId, () => runtime.clock.now());
    },

    billing_sweep: async () => {
      for (const tenantId of await runtime.tenants.liveIds()) {
        await runtime.jobs.add('billing_run', { tenantId }, { jobKey: `billing_run:${tenantId}` });
      }
    },

    billing_run: async (payload, helpers) => {
      const { tenantId } = tenantPayload.parse(payload);
      const result = await runBilling(billingDeps(runtime), tenantId, runtime.clock.now());
      helpers.logger.info(`billing run: ${JSON.stringify(result)}`);
    },

    /** Daily: merges the page-view files of finished days (see analytics.service.ts). */
    analytics_compact: async (_payload, helpers) => {
      // DuckDB is loaded only here and in the CLI, not by every server at start.
      const { compactAnalytics } = await import('../analytics/analytics.service.js');
      const result = await compactAnalytics(runtime.config, runtime.clock.now());
      helpers.logger.info(`analytics compaction: ${JSON.stringify(result)}`);
    },

    /** Hourly: each tenant's quota usage and stored bytes (the limits report, /metrics, the storage quota). */
    quota_usage_sweep: async () => {
      for (const tenantId of await runtime.tenants.liveIds()) {
        await runtime.jobs.add('quota_usage', { tenantId }, { jobKey: `quota_usage:${tenantId}` });
      }
    },

    quota_usage: async (payload) => {
      await refreshQuotaUsage(runtime, tenantPayload.parse(payload).tenantId);
    },

    /**
     * Mail is kicked when it is queued; this finds what a lost kick or a dead worker left (also run at start).
     * One job per studio, under one key, so a studio never has two queued.
     */
    mail_sweep: async () => {
      if (!runtime.mail.transport) return;
      for (const tenantId of await runtime.tenants.liveIds()) {
        await runtime.jobs.add('mail_deliver', { tenantId }, { jobKey: `mail:${tenantId}` });
      }
    },

    /**
     * One batch of a studio's mail. A full batch queues the studio again at the back of the queue, so a campaign of
     * one studio cannot hold back another studio's password reset; otherwise it comes back when the next retry is due.
     */
    mail_deliver: async (payload) => {
      const { tenantId } = tenantPayload.parse(payload);
      const result = await runtime.mail.deliver(tenantId);
      const again = result.more ? new Date() : result.next;
      if (again) await runtime.jobs.add('mail_deliver', { tenantId }, { jobKey: `mail:${tenantId}`, runAt: again });
    },

    membership_daily: async (payload, helpers) => {
      const { tenantId } = tenantPayload.parse(payload);
      const result = await runMembershipDay(runtime.directory, tenantId, runtime.clock.now());
      helpers.logger.info(`membership day: ${JSON.stringify(result)}`);
    },
  };
}
