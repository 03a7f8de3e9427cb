import type { AppModule } from '../../platform/composition.js';
import { perTenantSweep, tenantPayload } from '../../platform/jobs/tenant-tasks.js';
import { billingRoutes } from './billing.routes.js';
import { billingDeps, runBilling } from './billing-run.js';

export { invoiceDocuments } from './billing.service.js';

export const billingModule: AppModule = {
  name: 'billing',
  routes: [billingRoutes],
  // Hourly: each tenant's billing day comes at its own midnight; between billing days the run invoices new sales,
  // settles pending charges and retries failed ones.
  crontab: ['17 * * * * billing_sweep'],
  tasks: (runtime) => ({
    billing_sweep: perTenantSweep(runtime, 'billing_run'),
    billing_run: async (payload, helpers) => {
      const { tenantId } = tenantPayload.parse(payload);
      const result = await runBilling(billingDeps(runtime), tenantId, runtime.clock.now());
      helpers.logger.info(`billing run: ${JSON.stringify(result)}`);
    },
  }),
};
