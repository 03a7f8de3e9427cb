import { z } from 'zod';
import type { TenantRouter } from '../http/tenant-route.js';
import * as s from './audit.schemas.js';
import { auditService } from './audit.service.js';

/** The studio's audit log, for its owners only: who changed what, and what was attempted and refused. */
export function auditRoutes({ route }: TenantRouter) {
  const tags = ['audit'];
  route({
    method: 'GET', url: '/api/audit-log', summary: 'Staff and API key writes, done and refused, newest first', tags, access: ['owner'],
    schema: { querystring: s.auditListQuery, response: s.auditList },
    handler: (ctx, { query }) => auditService.list(ctx, query),
  });
  route({
    method: 'GET', url: '/api/audit-log/export', summary: 'The audit log the filters find, as CSV (UTF-8 with BOM, headers in the request’s language)', tags,
    access: ['owner'], produces: 'text/csv; charset=utf-8',
    schema: { querystring: s.auditFilters, response: z.any().describe('text/csv') },
    handler: (ctx, { query }) => auditService.exportCsv(ctx, query),
  });
}
