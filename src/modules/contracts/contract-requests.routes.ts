import type { TenantRouter } from '../../platform/http/tenant-route.js';
import { ALL_STAFF } from '../../platform/http/tenant-route.js';
import type { AuditLoader } from '../../platform/audit/audit.js';
import * as s from './contracts.schemas.js';
import { contractRequestsService as svc } from './contract-requests.service.js';

const DESK = ['owner', 'manager', 'front_desk'] as const;
const request: AuditLoader = { load: (ctx, params) => svc.one(ctx, params.requestId!) };

/** Leaves and cancellations members ask for, at a studio whose staff approve them (Settings). */
export function contractRequestRoutes({ route }: TenantRouter) {
  const tags = ['contract requests'];
  route({
    method: 'POST', url: '/api/me/contracts/:contractId/requests', tags, access: 'member', status: 201, idempotent: true, preview: true,
    summary: 'Ask the studio for a leave (休会) or a cancellation (退会); answered with the contract as it will be once approved',
    schema: { params: s.contractIdParams, body: s.requestBody, response: s.requestAnswer },
    handler: (ctx, { params, body }) => svc.ask(ctx, params.contractId, body),
  });
  route({
    method: 'GET', url: '/api/me/contract-requests', summary: 'My requests (a family lead may pass memberId), and whether the studio approves changes', tags, access: 'member',
    schema: { querystring: s.myContractsQuery, response: s.myRequests },
    handler: (ctx, { query }) => svc.mine(ctx, query.memberId),
  });
  route({
    method: 'DELETE', url: '/api/me/contract-requests/:requestId', summary: 'Withdraw a request of mine the staff have not decided', tags, access: 'member',
    schema: { params: s.requestParams, response: s.requestDto },
    handler: (ctx, { params }) => svc.withdraw(ctx, params.requestId),
  });

  route({
    method: 'GET', url: '/api/contract-requests', summary: 'Members’ requests for a leave or a cancellation: pending (oldest first) or decided', tags, access: ALL_STAFF,
    schema: { querystring: s.requestsQuery, response: s.requestList },
    handler: (ctx, { query }) => svc.list(ctx, query.status),
  });
  route({
    method: 'GET', url: '/api/contract-requests/:requestId', summary: 'One request', tags, access: ALL_STAFF,
    schema: { params: s.requestParams, response: s.requestDto },
    handler: (ctx, { params }) => svc.one(ctx, params.requestId),
  });
  route({
    method: 'POST', url: '/api/contract-requests/:requestId/approve', summary: 'Approve: the change is made as asked, with the cut-off as of the day it was asked', tags, access: DESK,
    idempotent: true, audit: request,
    schema: { params: s.requestParams, response: s.requestDto },
    handler: (ctx, { params }) => svc.approve(ctx, params.requestId),
  });
  route({
    method: 'POST', url: '/api/contract-requests/:requestId/decline', summary: 'Decline, with the reason the member is told', tags, access: DESK, idempotent: true, audit: request,
    schema: { params: s.requestParams, body: s.requestDecline, response: s.requestDto },
    handler: (ctx, { params, body }) => svc.decline(ctx, params.requestId, body.reason),
  });
}
