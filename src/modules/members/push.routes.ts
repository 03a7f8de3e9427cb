import type { TenantRouter } from '../../platform/http/tenant-route.js';
import type { Runtime } from '../../platform/runtime.js';
import * as s from './push.schemas.js';
import { pushService, type PushSettings } from './push.service.js';

/** Notifications on the member's phones and browsers (Web Push); the sender is src/platform/messaging/push-sender.ts. */
export function memberPushRoutes({ route }: TenantRouter, runtime: Runtime) {
  const tags = ['me'];
  const settings: PushSettings = { keys: runtime.messaging.push, serviceHosts: runtime.config.PUSH_SERVICE_HOSTS };
  route({
    method: 'GET', url: '/api/me/push', summary: 'Notifications on my devices: the key to subscribe with, and whether this device and how many get them', tags, access: 'member',
    schema: { querystring: s.pushStateQuery, response: s.pushState },
    handler: (ctx, { query }) => pushService.state(ctx, settings, query.endpoint),
  });
  route({
    method: 'POST', url: '/api/me/push/subscriptions', summary: 'Get notifications on this device (the browser’s PushSubscription; again for the same device replaces it)', tags, access: 'member',
    schema: { body: s.pushSubscriptionBody, response: s.pushState },
    handler: (ctx, { body }) => pushService.subscribe(ctx, settings, body),
  });
  route({
    method: 'DELETE', url: '/api/me/push/subscriptions', summary: 'Stop notifications on this device', tags, access: 'member', status: 204,
    schema: { body: s.pushEndpointBody },
    handler: (ctx, { body }) => pushService.unsubscribe(ctx, body.endpoint),
  });
}
