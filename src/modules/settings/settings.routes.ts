import type { TenantRouter } from '../../platform/http/tenant-route.js';
import { ALL_STAFF } from '../../platform/http/tenant-route.js';
import { planStanding } from '../../platform/limits/plan-usage.js';
import type { Runtime } from '../../platform/runtime.js';
import * as s from './settings.schemas.js';
import { bookingSettingsService, settingsService } from './settings.service.js';
import { auditRow } from '../../platform/audit/audit.js';

export function settingsRoutes({ route }: TenantRouter, runtime: Runtime) {
  const tags = ['settings'];
  route({
    method: 'GET', url: '/api/settings/membership', summary: 'Pro-rating, cut-off and billing day, currency, tax rounding', tags, access: ALL_STAFF,
    schema: { response: s.membershipRules },
    handler: (ctx) => settingsService.get(ctx),
  });
  route({
    method: 'PATCH', url: '/api/settings/membership', summary: 'Change the membership rules', tags, access: ['owner', 'manager'], audit: auditRow('app.tenant_settings'),
    schema: { body: s.updateMembershipRules, response: s.membershipRules },
    handler: (ctx, { body }) => settingsService.update(ctx, body),
  });
  route({
    method: 'GET', url: '/api/settings/plan', summary: 'The studio’s Studiohive plan: each quota’s usage, limit and warning level', tags, access: ['owner', 'manager'],
    schema: { response: s.planStanding },
    handler: (ctx) => planStanding(runtime, ctx),
  });
}

export function bookingSettingsRoutes({ route }: TenantRouter) {
  const tags = ['settings'];
  route({
    method: 'GET', url: '/api/settings/booking', summary: 'The studio’s booking rules: window, deadlines, penalties, strikes, waitlist', tags, access: ALL_STAFF,
    schema: { response: s.bookingSettings },
    handler: (ctx) => bookingSettingsService.get(ctx),
  });
  route({
    method: 'PATCH', url: '/api/settings/booking', summary: 'Change the studio’s booking rules', tags, access: ['owner', 'manager'], audit: auditRow('app.tenant_settings'),
    schema: { body: s.updateBookingSettings, response: s.bookingSettings },
    handler: (ctx, { body }) => bookingSettingsService.update(ctx, body),
  });
}
