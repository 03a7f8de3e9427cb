import type { TenantRouter } from '../../platform/http/tenant-route.js';
import { ALL_STAFF } from '../../platform/http/tenant-route.js';
import * as s from './lessons.schemas.js';
import { lessonsService } from './lessons.service.js';

const MANAGERS = ['owner', 'manager'] as const;

/** The timetable: one-off lessons, weekly series written out as lessons, and their exceptions. */
export function lessonRoutes({ route }: TenantRouter) {
  const tags = ['schedule'];
  route({
    method: 'GET', url: '/api/lessons', summary: 'The timetable between two local dates', tags, access: ALL_STAFF,
    schema: { querystring: s.listLessonsQuery, response: s.lessonList },
    handler: (ctx, { query }) => lessonsService.timetable(ctx, query),
  });
  route({
    method: 'POST', url: '/api/lessons', summary: 'Plan a one-off lesson', tags, access: MANAGERS, status: 201,
    schema: { body: s.createLessonBody, response: s.lessonDetail },
    handler: (ctx, { body }) => lessonsService.create(ctx, body),
  });
  route({
    method: 'GET', url: '/api/lessons/:lessonId', summary: 'One lesson, with its seat map and the spots taken', tags, access: ALL_STAFF,
    schema: { params: s.lessonIdParams, response: s.lessonDetail },
    handler: (ctx, { params }) => lessonsService.get(ctx, params.lessonId),
  });
  route({
    method: 'PATCH', url: '/api/lessons/:lessonId', summary: 'Move, substitute, re-room or resize one lesson', tags, access: MANAGERS,
    schema: { params: s.lessonIdParams, body: s.updateLessonBody, response: s.lessonDetail },
    handler: (ctx, { params, body }) => lessonsService.update(ctx, params.lessonId, body),
  });
  route({
    method: 'POST', url: '/api/lessons/:lessonId/cancel', summary: 'Cancel a lesson: bookings released, credits refunded, members told', tags, access: MANAGERS, idempotent: true, preview: true,
    schema: { params: s.lessonIdParams, body: s.cancelLessonBody, response: s.cancelLessonResult },
    handler: (ctx, { params, body }) => lessonsService.cancel(ctx, params.lessonId, body),
  });
  route({
    method: 'GET', url: '/api/lesson-series', summary: 'List weekly series', tags, access: ALL_STAFF,
    schema: { response: s.seriesList },
    handler: (ctx) => lessonsService.listSeries(ctx),
  });
  route({
    method: 'POST', url: '/api/lesson-series', summary: 'Add a weekly series (its lessons are written out at once)', tags, access: MANAGERS, status: 201,
    schema: { body: s.createSeriesBody, response: s.seriesDto },
    handler: (ctx, { body }) => lessonsService.createSeries(ctx, body),
  });
  route({
    method: 'GET', url: '/api/lesson-series/:seriesId', summary: 'One series, with how its occurrences stand', tags, access: ALL_STAFF,
    schema: { params: s.seriesIdParams, response: s.seriesDto },
    handler: (ctx, { params }) => lessonsService.getSeries(ctx, params.seriesId),
  });
  route({
    method: 'PATCH', url: '/api/lesson-series/:seriesId', summary: 'Change a series from a date on (lessons edited on their own, and earlier ones, are left alone)', tags, access: MANAGERS,
    schema: { params: s.seriesIdParams, body: s.updateSeriesBody, response: s.seriesDto },
    handler: (ctx, { params, body }) => lessonsService.updateSeries(ctx, params.seriesId, body),
  });
  route({
    method: 'POST', url: '/api/lesson-series/:seriesId/cancel', summary: 'Cancel the rest of a series', tags, access: MANAGERS, idempotent: true, preview: true,
    schema: { params: s.seriesIdParams, body: s.cancelSeriesBody, response: s.cancelSeriesResult },
    handler: (ctx, { params, body }) => lessonsService.cancelSeries(ctx, params.seriesId, body),
  });
}
