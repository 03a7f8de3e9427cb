import type { TenantRouter } from '../../platform/http/tenant-route.js';
import { ALL_STAFF } from '../../platform/http/tenant-route.js';
import * as s from './catalog.schemas.js';
import { catalogService } from './catalog.service.js';

const MANAGERS = ['owner', 'manager'] as const;

/** Locations and lesson types: what plans' booking rules and members' home locations refer to. */
export function catalogRoutes({ route }: TenantRouter) {
  const tags = ['schedule'];
  route({
    method: 'GET', url: '/api/locations', summary: 'List locations', tags, access: ALL_STAFF,
    schema: { querystring: s.listQuery, response: s.locationList },
    handler: (ctx, { query }) => catalogService.listLocations(ctx, query),
  });
  route({
    method: 'POST', url: '/api/locations', summary: 'Add a location', tags, access: MANAGERS, status: 201,
    schema: { body: s.createLocationBody, response: s.locationDto },
    handler: (ctx, { body }) => catalogService.createLocation(ctx, body),
  });
  route({
    method: 'GET', url: '/api/locations/:locationId', summary: 'One location', tags, access: ALL_STAFF,
    schema: { params: s.locationIdParams, response: s.locationDto },
    handler: (ctx, { params }) => catalogService.getLocation(ctx, params.locationId),
  });
  route({
    method: 'PATCH', url: '/api/locations/:locationId', summary: 'Rename, re-address or archive a location', tags, access: MANAGERS,
    schema: { params: s.locationIdParams, body: s.updateLocationBody, response: s.locationDto },
    handler: (ctx, { params, body }) => catalogService.updateLocation(ctx, params.locationId, body),
  });
  route({
    method: 'GET', url: '/api/lesson-types', summary: 'List lesson types', tags, access: ALL_STAFF,
    schema: { querystring: s.listQuery, response: s.lessonTypeList },
    handler: (ctx, { query }) => catalogService.listLessonTypes(ctx, query),
  });
  route({
    method: 'POST', url: '/api/lesson-types', summary: 'Add a lesson type', tags, access: MANAGERS, status: 201,
    schema: { body: s.createLessonTypeBody, response: s.lessonTypeDto },
    handler: (ctx, { body }) => catalogService.createLessonType(ctx, body),
  });
  route({
    method: 'GET', url: '/api/lesson-types/:lessonTypeId', summary: 'One lesson type', tags, access: ALL_STAFF,
    schema: { params: s.lessonTypeIdParams, response: s.lessonTypeDto },
    handler: (ctx, { params }) => catalogService.getLessonType(ctx, params.lessonTypeId),
  });
  route({
    method: 'PATCH', url: '/api/lesson-types/:lessonTypeId', summary: 'Change or archive a lesson type', tags, access: MANAGERS,
    schema: { params: s.lessonTypeIdParams, body: s.updateLessonTypeBody, response: s.lessonTypeDto },
    handler: (ctx, { params, body }) => catalogService.updateLessonType(ctx, params.lessonTypeId, body),
  });
}
