import type { Runtime } from '../runtime.js';
import type { TenantRouter } from '../http/tenant-route.js';

/** The page-view beacon's collect endpoint, for the tenant the host names. */
export function beaconRoutes(router: TenantRouter, runtime: Runtime): void {
  void router;
  void runtime;
}
