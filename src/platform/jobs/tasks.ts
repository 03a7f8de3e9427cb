import type { TaskList } from 'graphile-worker';
import { z } from 'zod';
import type { Runtime } from '../runtime.js';

const purgePayload = z.object({ tenantId: z.uuid() });

/** Every background task of the platform; modules add theirs here. */
export function taskList(runtime: Runtime): TaskList {
  return {
    tenant_purge: async (payload, helpers) => {
      const { tenantId } = purgePayload.parse(payload);
      const result = await runtime.tenants.purge(tenantId);
      helpers.logger.info(`tenant ${tenantId} purge: ${JSON.stringify(result)}`);
    },
  };
}
