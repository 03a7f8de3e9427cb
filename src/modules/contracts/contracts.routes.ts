import type { TenantRouter } from '../../platform/http/tenant-route.js';
import { ALL_STAFF } from '../../platform/http/tenant-route.js';
import * as s from './contracts.schemas.js';
import { contractsService as svc } from './contracts.service.js';
import type { AuditLoader } from '../../platform/audit/audit.js';

/** The front desk sells and changes contracts; prices come from plans, which only managers edit. */
const DESK = ['owner', 'manager', 'front_desk'] as const;

/**
 * Each change is idempotent and has a preview twin: the same operation run in a transaction that is rolled
 * back, so the preview shows exactly what confirming will charge and when.
 */
/** The audit log keeps the contract as staff see it (plans, leaves, options) before and after each change. */
const contract: AuditLoader = { load: (ctx, params) => svc.get(ctx, params.contractId!) };
const change = { idempotent: true, preview: true, audit: contract } as const;

/** Selling (a contract with its first invoice) is the sales context's: see sales.routes.ts. */
export function contractRoutes({ route }: TenantRouter) {
  const tags = ['contracts'];
  route({
    method: 'GET', url: '/api/contracts/:contractId', summary: 'A contract with its plans, leaves, options and coming charges', tags, access: ALL_STAFF,
    schema: { params: s.contractIdParams, response: s.contractDto },
    handler: (ctx, { params }) => svc.get(ctx, params.contractId),
  });
  route({
    method: 'GET', url: '/api/members/:memberId/contracts', summary: 'A member’s contracts, newest first', tags, access: ALL_STAFF,
    schema: { params: s.memberIdParams, response: s.contractList },
    handler: (ctx, { params }) => svc.listForMember(ctx, params.memberId),
  });
  route({
    method: 'POST', url: '/api/contracts/:contractId/plan-change', summary: 'Change the plan from a month (blocked while an invoice is unpaid)', tags, access: DESK, ...change,
    schema: { params: s.contractIdParams, body: s.planChangeBody, response: s.contractDto },
    handler: (ctx, { params, body }) => svc.changePlan(ctx, params.contractId, body),
  });
  route({
    method: 'POST', url: '/api/contracts/:contractId/leaves', summary: 'Put the contract on leave (休会) from a month', tags, access: DESK, ...change, status: 201,
    schema: { params: s.contractIdParams, body: s.leaveBody, response: s.contractDto },
    handler: (ctx, { params, body }) => svc.startLeave(ctx, params.contractId, body),
  });
  route({
    method: 'PUT', url: '/api/contracts/:contractId/leaves/:leaveId/return', summary: 'Set the month the member returns from leave', tags, access: DESK, ...change,
    schema: { params: s.leaveParams, body: s.returnBody, response: s.contractDto },
    handler: (ctx, { params, body }) => svc.setReturn(ctx, params.contractId, params.leaveId, body),
  });
  route({
    method: 'GET', url: '/api/contracts/:contractId/leaves/:leaveId', summary: 'One leave of a contract', tags, access: ALL_STAFF,
    schema: { params: s.leaveParams, response: s.leaveDto },
    handler: (ctx, { params }) => svc.getLeave(ctx, params.contractId, params.leaveId),
  });
  route({
    method: 'DELETE', url: '/api/contracts/:contractId/leaves/:leaveId', summary: 'Withdraw a leave that has not started', tags, access: DESK, audit: contract,
    schema: { params: s.leaveParams, response: s.contractDto },
    handler: (ctx, { params }) => svc.withdrawLeave(ctx, params.contractId, params.leaveId),
  });
  route({
    method: 'POST', url: '/api/contracts/:contractId/cancellation', summary: 'Cancel (退会) under the cut-off rule', tags, access: DESK, ...change,
    schema: { params: s.contractIdParams, body: s.cancelBody, response: s.contractDto },
    handler: (ctx, { params, body }) => svc.cancel(ctx, params.contractId, body),
  });
  route({
    method: 'DELETE', url: '/api/contracts/:contractId/cancellation', summary: 'Take back a cancellation before it takes effect', tags, access: DESK, audit: contract,
    schema: { params: s.contractIdParams, response: s.contractDto },
    handler: (ctx, { params }) => svc.withdrawCancellation(ctx, params.contractId),
  });
  route({
    method: 'POST', url: '/api/contracts/:contractId/options', summary: 'Attach an option (locker, rental)', tags, access: DESK, ...change, status: 201,
    schema: { params: s.contractIdParams, body: s.optionBody, response: s.contractDto },
    handler: (ctx, { params, body }) => svc.addOption(ctx, params.contractId, body),
  });
  route({
    method: 'GET', url: '/api/contracts/:contractId/options/:optionId', summary: 'One option of a contract', tags, access: ALL_STAFF,
    schema: { params: s.optionParams, response: s.optionDto },
    handler: (ctx, { params }) => svc.getOption(ctx, params.contractId, params.optionId),
  });
  route({
    method: 'DELETE', url: '/api/contracts/:contractId/options/:optionId', summary: 'Detach an option at the end of the month the cut-off allows', tags, access: DESK, audit: contract,
    schema: { params: s.optionParams, response: s.contractDto },
    handler: (ctx, { params }) => svc.endOption(ctx, params.contractId, params.optionId),
  });

  // Members manage their own membership from their phones: the same operations and previews, on their own
  // contracts (or those of the family they lead) only.
  const member = 'member' as const;
  route({
    method: 'GET', url: '/api/me/contracts', summary: 'My contracts (a family lead may pass memberId)', tags, access: member,
    schema: { querystring: s.myContractsQuery, response: s.contractList },
    handler: (ctx, { query }) => svc.mine(ctx, query.memberId),
  });
  route({
    method: 'POST', url: '/api/me/contracts/:contractId/leaves', summary: 'Take a leave (休会) from a month', tags, access: member, status: 201, ...change,
    schema: { params: s.contractIdParams, body: s.leaveBody, response: s.contractDto },
    handler: (ctx, { params, body }) => svc.self.startLeave(ctx, params.contractId, body),
  });
  route({
    method: 'PUT', url: '/api/me/contracts/:contractId/leaves/:leaveId/return', summary: 'Set the month I come back from leave', tags, access: member, ...change,
    schema: { params: s.leaveParams, body: s.returnBody, response: s.contractDto },
    handler: (ctx, { params, body }) => svc.self.setReturn(ctx, params.contractId, params.leaveId, body),
  });
  route({
    method: 'POST', url: '/api/me/contracts/:contractId/options', summary: 'Add an option the studio sells in the app (charged with the monthly invoices)', tags, access: member,
    status: 201, ...change,
    schema: { params: s.contractIdParams, body: s.optionBody, response: s.contractDto },
    handler: (ctx, { params, body }) => svc.self.addOption(ctx, params.contractId, body),
  });
  route({
    method: 'POST', url: '/api/me/contracts/:contractId/cancellation', summary: 'Cancel my membership (退会) under the cut-off rule', tags, access: member, ...change,
    schema: { params: s.contractIdParams, body: s.cancelBody, response: s.contractDto },
    handler: (ctx, { params, body }) => svc.self.cancel(ctx, params.contractId, body),
  });
}
