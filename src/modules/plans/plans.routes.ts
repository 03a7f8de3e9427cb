import type { TenantRouter } from '../../platform/http/tenant-route.js';
import { ALL_STAFF } from '../../platform/http/tenant-route.js';
import * as s from './plans.schemas.js';
import { plansService } from './plans.service.js';

/** Only managers and owners set what the studio sells and at what price. */
const PRICE_EDITORS = ['owner', 'manager'] as const;

export function planRoutes({ route }: TenantRouter) {
  const tags = ['plans'];
  route({
    method: 'GET', url: '/api/plans', summary: 'The studio’s plans: monthly memberships, packs and options', tags, access: ALL_STAFF,
    schema: { querystring: s.listPlansQuery, response: s.planList },
    handler: (ctx, { query }) => plansService.list(ctx, query),
  });
  route({
    method: 'POST', url: '/api/plans', summary: 'Add a plan (its version 1)', tags, access: PRICE_EDITORS, status: 201,
    schema: { body: s.createPlanBody, response: s.planDto },
    handler: (ctx, { body }) => plansService.create(ctx, body),
  });
  route({
    method: 'GET', url: '/api/plans/:planId', summary: 'One plan with its current terms and version history', tags, access: ALL_STAFF,
    schema: { params: s.planIdParams, response: s.planDto },
    handler: (ctx, { params }) => plansService.get(ctx, params.planId),
  });
  route({
    method: 'PATCH', url: '/api/plans/:planId', summary: 'Rename or archive a plan; changed terms make a new version', tags, access: PRICE_EDITORS, audit: { load: (ctx, params) => plansService.get(ctx, params.planId!) },
    schema: { params: s.planIdParams, body: s.updatePlanBody, response: s.planDto },
    handler: (ctx, { params, body }) => plansService.update(ctx, params.planId, body),
  });
  route({
    method: 'GET', url: '/api/plans/:planId/versions', summary: 'Every version of a plan with its terms, newest first', tags, access: ALL_STAFF,
    schema: { params: s.planIdParams, response: s.planVersionList },
    handler: (ctx, { params }) => plansService.versions(ctx, params.planId),
  });
}
