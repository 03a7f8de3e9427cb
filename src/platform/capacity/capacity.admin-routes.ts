import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { problemSchema } from '../http/problems.js';
import type { Runtime } from '../runtime.js';
import { DEFAULT_RULES, planBody, planQuery, planResponse } from './capacity.schemas.js';
import { computePlan, renderPlan } from './capacity.service.js';

const errors = { 400: problemSchema, 401: problemSchema };

/** Platform admin API for capacity; registered inside the admin-token scope of platformRoutes. */
export async function capacityAdminRoutes(app: FastifyInstance, runtime: Runtime): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const meta = { tags: ['platform'], security: [{ platformAdmin: [] }] };
  r.get(
    '/platform/capacity/plan',
    { schema: { ...meta, summary: 'Scaling schedule from the business calendar, with the default rules', querystring: planQuery, response: { 200: planResponse, ...errors } } },
    async (req) => renderPlan(await computePlan(runtime, req.query, DEFAULT_RULES)),
  );
  r.post(
    '/platform/capacity/plan',
    { schema: { ...meta, summary: 'Scaling schedule from the business calendar, with rules of your own', body: planBody, response: { 200: planResponse, ...errors } } },
    async (req) => {
      const { rules, ...query } = req.body;
      return renderPlan(await computePlan(runtime, query, rules));
    },
  );
}
