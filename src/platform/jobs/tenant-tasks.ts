import type { Task } from 'graphile-worker';
import { z } from 'zod';
import type { Runtime } from '../runtime.js';

/** The payload of a job that works on one tenant. */
export const tenantPayload = z.object({ tenantId: z.uuid() });

/**
 * A sweep: one `task` job per live tenant, each under its own job key so that a tenant never has two queued
 * (a slow tenant's run is not stacked up by the next sweep).
 */
export function perTenantSweep(runtime: Pick<Runtime, 'tenants' | 'jobs'>, task: string, key = task): Task {
  return async () => {
    for (const tenantId of await runtime.tenants.liveIds()) {
      await runtime.jobs.add(task, { tenantId }, { jobKey: `${key}:${tenantId}` });
    }
  };
}
