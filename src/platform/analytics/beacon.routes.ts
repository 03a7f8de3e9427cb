import { isbot } from 'isbot';
import type { Runtime } from '../runtime.js';
import type { TenantRouter } from '../http/tenant-route.js';
import { beaconBody } from './beacon.schemas.js';
import { collectorFor } from './collector.js';

/**
 * The page-view beacon's collect endpoint, for the tenant the host names. It opens no transaction and never
 * waits for storage: the view goes into the collector's bounded buffer (or is dropped and counted).
 */
export function beaconRoutes(router: TenantRouter, runtime: Runtime): void {
  const collector = collectorFor(runtime);
  router.onClose(() => collector.close());

  router.sessionRoute({
    method: 'POST',
    url: '/api/beacon',
    summary: 'Report a page view of the web app (navigator.sendBeacon); bots are dropped',
    tags: ['analytics'],
    access: 'public',
    status: 204,
    // Page views do not use up the studio's API budget: the endpoint touches no database and bounds its own
    // memory (past its buffer, views are dropped and counted).
    metered: false,
    schema: { body: beaconBody },
    sessionHandler: async (session, { body }) => {
      const userAgent = session.request.userAgent?.slice(0, 512) ?? '';
      // Every browser sends a User-Agent; a request without one is a script.
      if (!userAgent || isbot(userAgent)) {
        collector.dropBot();
        return;
      }
      collector.accept({ at: session.now, tenantId: session.tenant.id, ...body, ip: session.request.ip, userAgent });
    },
  });
}
