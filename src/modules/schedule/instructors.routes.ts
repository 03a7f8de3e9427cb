import type { TenantRouter } from '../../platform/http/tenant-route.js';
import { ALL_STAFF } from '../../platform/http/tenant-route.js';
import * as s from './instructors.schemas.js';
import { instructorsService } from './instructors.service.js';

const MANAGERS = ['owner', 'manager'] as const;

/** Who teaches: usually a staff account, sometimes a guest without one. */
export function instructorRoutes({ route }: TenantRouter) {
  const tags = ['schedule'];
  route({
    method: 'GET', url: '/api/instructors', summary: 'List instructors', tags, access: ALL_STAFF,
    schema: { querystring: s.listInstructorsQuery, response: s.instructorList },
    handler: (ctx, { query }) => instructorsService.list(ctx, query),
  });
  route({
    method: 'POST', url: '/api/instructors', summary: 'Add an instructor', tags, access: MANAGERS, status: 201,
    schema: { body: s.createInstructorBody, response: s.instructorDto },
    handler: (ctx, { body }) => instructorsService.create(ctx, body),
  });
  route({
    method: 'GET', url: '/api/instructors/:instructorId', summary: 'One instructor', tags, access: ALL_STAFF,
    schema: { params: s.instructorIdParams, response: s.instructorDto },
    handler: (ctx, { params }) => instructorsService.get(ctx, params.instructorId),
  });
  route({
    method: 'PATCH', url: '/api/instructors/:instructorId', summary: 'Change, link or archive an instructor', tags, access: MANAGERS,
    schema: { params: s.instructorIdParams, body: s.updateInstructorBody, response: s.instructorDto },
    handler: (ctx, { params, body }) => instructorsService.update(ctx, params.instructorId, body),
  });
}
