import type { TenantRouter } from '../../platform/http/tenant-route.js';

/** The owner's dashboard and reports: figures computed in SQL over the tenant's own rows. */
export function reportRoutes(_router: TenantRouter) {}
