import type { TaskList } from 'graphile-worker';
import type { Runtime } from '../runtime.js';
import { z } from 'zod';
import { cleanUpMoveSource, moveTenant } from '../tenancy/moves.js';
import { refreshQuotaUsage } from '../limits/quota-usage.js';
import { perTenantSweep, tenantPayload } from './tenant-tasks.js';

/** The platform's own schedule; each module adds its lines (AppModule.crontab). */
const PLATFORM_CRONTAB = ['23 0 * * * analytics_compact', '37 * * * * quota_usage_sweep', '*/5 * * * * messages_sweep'];

/** The worker's schedule: the platform's and every module's. */
export function crontab(runtime: Pick<Runtime, 'composition'>): string {
  return [...PLATFORM_CRONTAB, ...runtime.composition.modules.flatMap((m) => m.crontab ?? [])].join('\n');
}

/** Every background task: the platform's and every module's (a task name taken twice is a wiring mistake). */
export function taskList(runtime: Runtime): TaskList {
  const tasks = platformTasks(runtime);
  for (const module of runtime.composition.modules) {
    for (const [name, task] of Object.entries(module.tasks?.(runtime) ?? {})) {
      if (name in tasks) throw new Error(`task ${name} of module ${module.name} is already taken`);
      tasks[name] = task;
    }
  }
  return tasks;
}

function platformTasks(runtime: Runtime): TaskList {
  return {
    tenant_purge: async (payload, helpers) => {
      const { tenantId } = tenantPayload.parse(payload);
      const result = await runtime.tenants.purge(tenantId);
      helpers.logger.info(`tenant ${tenantId} purge: ${JSON.stringify(result)}`);
    },

    /** A move asked for on the admin API (moves.ts); a retry after a crash resumes it. */
    tenant_move: async (payload, helpers) => {
      const { tenantId, target, method } = z
        .object({
          tenantId: z.uuid(),
          target: z.union([z.object({ placementId: z.string() }), z.object({ tier: z.literal('silo'), cluster: z.string().optional() })]),
          method: z.literal('copy').optional(),
        })
        .parse(payload);
      const result = await moveTenant(runtime, tenantId, target, { method });
      helpers.logger.info(`tenant ${tenantId} move: ${JSON.stringify(result)}`);
    },

    /** A finished move's old rows, after the purge delay (moves.ts). */
    tenant_move_cleanup: async (payload, helpers) => {
      const { moveId } = z.object({ moveId: z.uuid() }).parse(payload);
      const result = await cleanUpMoveSource(runtime, moveId);
      helpers.logger.info(`tenant move ${moveId} cleanup: ${JSON.stringify(result)}`);
    },

    /** Daily: merges the page-view files of finished days (see analytics.service.ts). */
    analytics_compact: async (_payload, helpers) => {
      // DuckDB is loaded only here and in the CLI, not by every server at start.
      const { compactAnalytics } = await import('../analytics/analytics.service.js');
      const result = await compactAnalytics(runtime.config, runtime.clock.now());
      helpers.logger.info(`analytics compaction: ${JSON.stringify(result)}`);
    },

    /** Hourly: each tenant's quota usage and stored bytes (the limits report, /metrics, the storage quota). */
    quota_usage_sweep: perTenantSweep(runtime, 'quota_usage'),

    quota_usage: async (payload) => {
      await refreshQuotaUsage(runtime, tenantPayload.parse(payload).tenantId);
    },

    /**
     * Messages are kicked when they are queued; this finds what a lost kick or a dead worker left (also run at start).
     * One job per studio, under one key, so a studio never has two queued.
     */
    messages_sweep: async (payload, helpers) => {
      if (runtime.messaging.canDeliver) await perTenantSweep(runtime, 'messages_deliver', 'messages')(payload, helpers);
    },

    /**
     * One batch of a studio's messages. A full batch queues the studio again at the back of the queue, so a campaign of
     * one studio cannot hold back another studio's password reset; otherwise it comes back when the next retry is due.
     */
    messages_deliver: async (payload) => {
      const { tenantId } = tenantPayload.parse(payload);
      const result = await runtime.messaging.deliver(tenantId);
      let again = result.more ? new Date() : result.next;
      // Nothing went, yet a message is due by now: the app's clock is behind the one the row was due by (a skewed
      // host, a test's clock). Coming straight back would spin until they agree; once a second is enough.
      const idle = result.sent + result.retrying + result.failed === 0;
      if (again && idle && again.getTime() < Date.now() + 1000) again = new Date(Date.now() + 1000);
      if (again) await runtime.jobs.add('messages_deliver', { tenantId }, { jobKey: `messages:${tenantId}`, runAt: again });
    },
  };
}
