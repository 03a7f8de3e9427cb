import type { TenantRouter } from '../../platform/http/tenant-route.js';
import { memberIdParams } from '../members/members.schemas.js';
import * as s from './privacy.schemas.js';
import { privacyService } from './privacy.service.js';

/** Data requests are the owner's and managers' to carry out: they hand out or destroy a person's data. */
const MANAGERS = ['owner', 'manager'] as const;

export function privacyRoutes({ route }: TenantRouter) {
  const tags = ['data requests'];
  route({
    method: 'GET', url: '/api/data-requests', summary: 'Members’ erasure requests waiting for the studio', tags, access: MANAGERS,
    schema: { response: s.dataRequestList },
    handler: (ctx) => privacyService.pending(ctx),
  });
  route({
    method: 'GET', url: '/api/members/:memberId/data', summary: 'Everything the studio holds about a member, as one JSON document', tags, access: MANAGERS,
    schema: { params: memberIdParams, response: s.memberDataExport },
    handler: (ctx, { params }) => privacyService.export(ctx, params.memberId),
  });
  route({
    method: 'GET', url: '/api/members/:memberId/data-requests', summary: 'Whether a member is erased, and their data requests', tags, access: MANAGERS,
    schema: { params: memberIdParams, response: s.memberDataState },
    handler: (ctx, { params }) => privacyService.stateOf(ctx, params.memberId),
  });
  route({
    method: 'POST', url: '/api/members/:memberId/data-requests/decline', summary: 'Decline the member’s pending erasure request, with a reason they see', tags, access: MANAGERS,
    schema: { params: memberIdParams, body: s.declineBody, response: s.memberDataState },
    handler: (ctx, { params, body }) => privacyService.decline(ctx, params.memberId, body.reason),
  });
  route({
    method: 'POST', url: '/api/members/:memberId/erasure', summary: 'Erase a member’s personal data (invoices and the ledger are kept, anonymised); /preview shows what goes', tags,
    access: MANAGERS, preview: true,
    schema: { params: memberIdParams, response: s.erasureSummary },
    handler: (ctx, { params }) => privacyService.erase(ctx, params.memberId),
  });

  route({
    method: 'GET', url: '/api/me/data', summary: 'Download everything the studio holds about me (JSON)', tags, access: 'member',
    schema: { response: s.memberDataExport },
    handler: (ctx) => privacyService.exportMine(ctx),
  });
  route({
    method: 'GET', url: '/api/me/data-requests', summary: 'My requests to delete my account, and their state', tags, access: 'member',
    schema: { response: s.dataRequestList },
    handler: (ctx) => privacyService.mine(ctx),
  });
  route({
    method: 'POST', url: '/api/me/data-requests', summary: 'Ask the studio to delete my account and personal data', tags, access: 'member', status: 201,
    schema: { response: s.dataRequestList },
    handler: (ctx) => privacyService.ask(ctx),
  });
}
