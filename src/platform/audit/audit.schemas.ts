import { z } from 'zod';
import { calendarDate } from '../dates.schemas.js';

export const auditFilters = z.object({
  from: calendarDate.optional().describe('First studio-local day, inclusive'),
  to: calendarDate.optional().describe('Last studio-local day, inclusive'),
  actorId: z.uuid().optional().describe('A staff member or API key'),
  area: z.string().regex(/^[a-z0-9-]{1,60}$/).optional().describe('The first path segment after /api/: members, invoices, settings …'),
  outcome: z.enum(['done', 'refused', 'failed']).optional(),
  targetId: z.uuid().optional().describe('An id in the route’s path (a member, an invoice …)'),
});

export const auditListQuery = auditFilters.extend({
  before: z.string().regex(/^\d{4}-\d\d-\d\dT[\d:.]+Z~[0-9a-f-]{36}$/).optional().describe('Cursor: nextCursor of the previous page'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

const fields = z.record(z.string(), z.unknown());

export const auditEntry = z
  .object({
    id: z.uuid(),
    at: z.string(),
    actor: z.object({ kind: z.enum(['staff', 'api_key']), id: z.uuid(), name: z.string(), role: z.enum(['owner', 'manager', 'front_desk', 'instructor']) }),
    ip: z.string(),
    userAgent: z.string().nullable(),
    method: z.string(),
    route: z.string().describe('The route’s pattern, /api/members/:memberId'),
    area: z.string(),
    params: z.record(z.string(), z.string()),
    outcome: z.enum(['done', 'refused', 'failed']),
    status: z.number().int(),
    problemCode: z.string().nullable(),
    changes: z.object({ before: fields, after: fields }).nullable().describe('The fields the write changed; secrets show as [redacted]'),
    requestId: z.string(),
  })
  .meta({ id: 'AuditEntry' });

export const auditList = z
  .object({
    items: z.array(auditEntry),
    nextCursor: z.string().nullable(),
    actors: z.array(z.object({ id: z.uuid(), name: z.string() })).describe('Everyone in the log, for the actor filter'),
    areas: z.array(z.string()).describe('Every area in the log, for the area filter'),
  })
  .meta({ id: 'AuditList' });
