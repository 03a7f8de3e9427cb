import type { TenantRouter } from '../../platform/http/tenant-route.js';
import { ALL_STAFF } from '../../platform/http/tenant-route.js';
import * as s from './credits.schemas.js';
import { creditsService } from './credits.service.js';
import { actingMemberId } from '../members/acting-member.js';

export function creditRoutes({ route }: TenantRouter) {
  const tags = ['credits'];
  route({
    method: 'GET', url: '/api/me/credits', summary: 'My credits usable today, their lots with expiry, and the ledger (a family lead may pass memberId)', tags,
    access: 'member',
    schema: { querystring: s.myLedgerQuery, response: s.creditsOverview },
    handler: async (ctx, { query }) => creditsService.overview(ctx, await actingMemberId(ctx, query.memberId), query),
  });
  route({
    method: 'GET', url: '/api/members/:memberId/credits', summary: 'Credits usable today, their lots, and the ledger (newest first)', tags, access: ALL_STAFF,
    schema: { params: s.memberIdParams, querystring: s.ledgerQuery, response: s.creditsOverview },
    handler: (ctx, { params, query }) => creditsService.overview(ctx, params.memberId, query),
  });
  route({
    method: 'POST', url: '/api/members/:memberId/credits/adjustments', summary: 'Add or take away credits, with a reason', tags,
    access: ['owner', 'manager'], status: 201, idempotent: true,
    schema: { params: s.memberIdParams, body: s.adjustmentBody, response: s.creditsOverview },
    handler: (ctx, { params, body }) => creditsService.adjust(ctx, params.memberId, body),
  });
}
