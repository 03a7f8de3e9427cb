import type { TenantRouter } from '../../platform/http/tenant-route.js';
import { ALL_STAFF } from '../../platform/http/tenant-route.js';
import * as s from './settings.schemas.js';
import { settingsService } from './settings.service.js';

export function settingsRoutes({ route }: TenantRouter) {
  const tags = ['settings'];
  route({
    method: 'GET', url: '/api/settings/membership', summary: 'Pro-rating, cut-off and billing day, currency, tax rounding', tags, access: ALL_STAFF,
    schema: { response: s.membershipRules },
    handler: (ctx) => settingsService.get(ctx),
  });
  route({
    method: 'PATCH', url: '/api/settings/membership', summary: 'Change the membership rules', tags, access: ['owner', 'manager'],
    schema: { body: s.updateMembershipRules, response: s.membershipRules },
    handler: (ctx, { body }) => settingsService.update(ctx, body),
  });
}
