import type { TenantRouter } from '../../platform/http/tenant-route.js';
import { ALL_STAFF } from '../../platform/http/tenant-route.js';
import * as s from './checkin.schemas.js';
import { checkInService } from './checkin.service.js';

const DESK = ['owner', 'manager', 'front_desk'] as const;

/** The front desk: members show a rotating QR code, staff scan it (or check a member in by hand). */
export function checkInRoutes({ route }: TenantRouter) {
  const tags = ['check-in'];
  route({
    method: 'GET', url: '/api/me/check-in-code', summary: 'A fresh check-in code (QR) for me or a member of the family I lead; it expires in 30 minutes', tags, access: 'member',
    schema: { querystring: s.myQuery, response: s.checkInCode },
    handler: (ctx, { query }) => checkInService.code(ctx, query.memberId),
  });
  route({
    method: 'GET', url: '/api/me/check-ins', summary: 'My recent check-ins (or a family member’s)', tags, access: 'member',
    schema: { querystring: s.myQuery, response: s.checkInList },
    handler: (ctx, { query }) => checkInService.mine(ctx, query.memberId),
  });
  route({
    method: 'POST', url: '/api/check-ins', summary: 'Check a member in: a scanned code or by hand; marks the reservation attended, or records a walk-in', tags,
    access: DESK, idempotent: true,
    schema: { body: s.checkInBody, response: s.scanResult },
    handler: (ctx, { body }) => checkInService.checkIn(ctx, body),
  });
  route({
    method: 'POST', url: '/api/check-ins/preview', summary: 'The member at a glance before a check-in (same body): status, plan, credits, today’s lessons here, warnings; nothing is written', tags,
    access: DESK,
    schema: { body: s.checkInBody, response: s.checkInPreview },
    handler: (ctx, { body }) => checkInService.preview(ctx, body),
  });
  route({
    method: 'GET', url: '/api/check-ins', summary: 'A day’s check-ins (today unless a date is given), optionally at one location', tags, access: ALL_STAFF,
    schema: { querystring: s.listQuery, response: s.checkInList },
    handler: (ctx, { query }) => checkInService.day(ctx, query),
  });
  route({
    method: 'GET', url: '/api/members/:memberId/check-ins', summary: 'A member’s recent check-ins (the latest 50)', tags, access: ALL_STAFF,
    schema: { params: s.memberIdParams, response: s.checkInList },
    handler: (ctx, { params }) => checkInService.ofMember(ctx, params.memberId),
  });
}
