import type { TaskList } from 'graphile-worker';
import { z } from 'zod';
import type { Runtime } from '../runtime.js';
import { runMembershipDay } from '../../modules/contracts/membership-run.js';

const tenantPayload = z.object({ tenantId: z.uuid() });

/** Hourly: every tenant's membership day (each tenant has its own midnight; reruns are harmless). */
export const CRONTAB = '7 * * * * membership_sweep';

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

    membership_daily: async (payload, helpers) => {
      const { tenantId } = tenantPayload.parse(payload);
      const result = await runMembershipDay(runtime.directory, tenantId, runtime.clock.now());
      helpers.logger.info(`membership day: ${JSON.stringify(result)}`);
    },
  };
}
