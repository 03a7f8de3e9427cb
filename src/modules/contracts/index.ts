import type { AppModule } from '../../platform/composition.js';
import { perTenantSweep, tenantPayload } from '../../platform/jobs/tenant-tasks.js';
import { contractRequestRoutes } from './contract-requests.routes.js';
import { contractRoutes } from './contracts.routes.js';
import { runMembershipDay } from './membership-run.js';

export const contractsModule: AppModule = {
  name: 'contracts',
  routes: [contractRoutes, contractRequestRoutes],
  // Hourly: each tenant has its own midnight; reruns are harmless.
  crontab: ['7 * * * * membership_sweep'],
  tasks: (runtime) => ({
    membership_sweep: perTenantSweep(runtime, 'membership_daily'),
    membership_daily: async (payload, helpers) => {
      const { tenantId } = tenantPayload.parse(payload);
      const result = await runMembershipDay(runtime.directory, tenantId, runtime.clock.now());
      helpers.logger.info(`membership day: ${JSON.stringify(result)}`);
    },
  }),
};
