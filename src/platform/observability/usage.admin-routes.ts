import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { problemSchema } from '../http/problems.js';
import type { Runtime } from '../runtime.js';
import * as s from './usage.schemas.js';
import { createUsageService } from './usage.service.js';

const errors = { 400: problemSchema, 401: problemSchema, 404: problemSchema };

/** Platform admin API for usage; registered inside the admin-token scope of platformRoutes. */
export async function usageAdminRoutes(app: FastifyInstance, runtime: Runtime): Promise<void> {
  const usage = createUsageService(runtime);
  const r = app.withTypeProvider<ZodTypeProvider>();
  const meta = { tags: ['platform'], security: [{ platformAdmin: [] }] };

  r.get('/platform/usage', {
    schema: { ...meta, summary: 'Requests, errors and time per tenant (totals or hourly rows), by default over the last 24 hours', querystring: s.usageQuery, response: { 200: s.usageResponse, ...errors } },
  }, (req) => usage.usage(req.query));
  r.get('/platform/tenants/:tenant/usage', {
    schema: { ...meta, summary: "One tenant's requests, errors and time by hour, by default over the last 24 hours", params: s.tenantUsageParams, querystring: s.tenantUsageQuery, response: { 200: s.tenantUsageResponse, ...errors } },
  }, (req) => usage.tenantUsage(req.params.tenant, req.query));
}
