import type { TenantRouter } from '../../platform/http/tenant-route.js';
import { memberIdParams } from './members.schemas.js';
import * as s from './notifications.schemas.js';
import { notificationsService } from './notifications.service.js';

/** A member's choice of what reaches them, how, and in which language; read only for the studio's staff. */
export function notificationRoutes({ route }: TenantRouter) {
  const tags = ['me'];
  route({
    method: 'GET', url: '/api/me/notifications', summary: 'What the studio sends me, on which channel, and in which language', tags, access: 'member',
    schema: { response: s.notificationSettings },
    handler: (ctx) => notificationsService.mine(ctx),
  });
  route({
    method: 'PUT', url: '/api/me/notifications', summary: 'Choose the channel of each kind of message, and turn optional ones on or off', tags, access: 'member',
    schema: { body: s.notificationsBody, response: s.notificationSettings },
    handler: (ctx, { body }) => notificationsService.update(ctx, body),
  });
  route({
    method: 'PUT', url: '/api/me/language', summary: 'Choose the language of what the studio sends me', tags, access: 'member',
    schema: { body: s.languageBody, response: s.notificationSettings },
    handler: (ctx, { body }) => notificationsService.setLanguage(ctx, body),
  });
  route({
    method: 'GET', url: '/api/members/:memberId/notification-preferences', summary: 'The member’s message choices and the channels that reach them (read only)',
    tags: ['members'], access: ['owner', 'manager', 'front_desk'],
    schema: { params: memberIdParams, response: s.notificationSettings },
    handler: (ctx, { params }) => notificationsService.ofMember(ctx, params.memberId),
  });
}
