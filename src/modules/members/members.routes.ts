import { z } from 'zod';
import type { TenantRouter } from '../../platform/http/tenant-route.js';
import { ALL_STAFF } from '../../platform/http/tenant-route.js';
import * as s from './members.schemas.js';
import { membersService } from './members.service.js';
import { memberImportService } from './member-import.service.js';
import { statusService } from './status.service.js';
import { auditRow } from '../../platform/audit/audit.js';

const EDITORS = ['owner', 'manager', 'front_desk'] as const;

export function memberRoutes({ route }: TenantRouter) {
  const tags = ['members'];
  route({
    method: 'GET', url: '/api/members', summary: 'Search members by name, kana, number, email or phone prefix', tags, access: ALL_STAFF,
    schema: { querystring: s.listMembersQuery, response: s.memberList },
    handler: (ctx, { query }) => membersService.search(ctx, query),
  });
  route({
    method: 'GET', url: '/api/members/export', summary: 'The members the list’s filters find, as CSV (UTF-8 with BOM, headers in the request’s language)', tags,
    access: EDITORS, produces: 'text/csv; charset=utf-8',
    schema: { querystring: s.exportMembersQuery, response: z.any().describe('text/csv') },
    handler: (ctx, { query }) => membersService.exportCsv(ctx, query),
  });
  route({
    method: 'POST', url: '/api/members/import', summary: 'Import members from another system’s CSV (once per external id; the rows with errors are listed and left out)', tags,
    access: EDITORS, idempotent: true, preview: true, bodyLimit: s.IMPORT_FILE_MAX_CHARS + 64 * 1024,
    schema: { body: s.importMembersBody, response: s.importMembersResult },
    handler: (ctx, { body }) => memberImportService.run(ctx, body),
  });
  route({
    method: 'POST', url: '/api/members', summary: 'Register a member (the next member number is assigned)', tags, access: EDITORS, status: 201,
    schema: { body: s.createMemberBody, response: s.memberDto },
    handler: (ctx, { body }) => membersService.create(ctx, body),
  });
  route({
    method: 'GET', url: '/api/members/:memberId', summary: 'One member, with family', tags, access: ALL_STAFF,
    schema: { params: s.memberIdParams, response: s.memberDto },
    handler: (ctx, { params }) => membersService.get(ctx, params.memberId),
  });
  route({
    method: 'PATCH', url: '/api/members/:memberId', summary: 'Change a member’s profile, tags or notes', tags, access: EDITORS, audit: auditRow('app.members', 'memberId'),
    schema: { params: s.memberIdParams, body: s.updateMemberBody, response: s.memberDto },
    handler: (ctx, { params, body }) => membersService.update(ctx, params.memberId, body),
  });
  route({
    method: 'PUT', url: '/api/members/:memberId/family-lead', summary: 'Put a member in a family, under its lead', tags, access: EDITORS,
    schema: { params: s.memberIdParams, body: s.familyLeadBody, response: s.memberDto },
    handler: (ctx, { params, body }) => membersService.setFamilyLead(ctx, params.memberId, body.leadId),
  });
  route({
    method: 'DELETE', url: '/api/members/:memberId/family-lead', summary: 'Take a member out of its family', tags, access: EDITORS,
    schema: { params: s.memberIdParams, response: s.memberDto },
    handler: (ctx, { params }) => membersService.clearFamilyLead(ctx, params.memberId),
  });
  route({
    method: 'GET', url: '/api/members/:memberId/messages', summary: 'Mail sent to the member, and whether it was delivered', tags, access: EDITORS,
    schema: { params: s.memberIdParams, querystring: s.messagesQuery, response: s.memberMessages },
    handler: (ctx, { params, query }) => membersService.messages(ctx, params.memberId, query.limit),
  });
  route({
    method: 'GET', url: '/api/members/:memberId/status', summary: 'Status, its history, and changes waiting for their day', tags, access: ALL_STAFF,
    schema: { params: s.memberIdParams, response: s.statusHistory },
    handler: (ctx, { params }) => statusService.history(ctx, params.memberId),
  });
  route({
    method: 'POST', url: '/api/members/:memberId/status', summary: 'Change status by hand (trial, reinstatement; contracts change it themselves)', tags, access: EDITORS, idempotent: true,
    schema: { params: s.memberIdParams, body: s.statusChangeBody, response: s.statusHistory },
    handler: (ctx, { params, body }) => statusService.change(ctx, params.memberId, body),
  });
  route({
    method: 'GET', url: '/api/members/:memberId/status/:changeId', summary: 'A status change waiting for its day', tags, access: ALL_STAFF,
    schema: { params: s.statusChangeParams, response: s.scheduledChange },
    handler: (ctx, { params }) => statusService.scheduledChange(ctx, params.memberId, params.changeId),
  });
  route({
    method: 'DELETE', url: '/api/members/:memberId/status/:changeId', summary: 'Withdraw a status change that has not taken effect', tags, access: EDITORS,
    schema: { params: s.statusChangeParams, response: s.statusHistory },
    handler: (ctx, { params }) => statusService.withdraw(ctx, params.memberId, params.changeId),
  });
}
