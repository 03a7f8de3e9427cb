import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { problemSchema } from '../http/problems.js';
import type { Runtime } from '../runtime.js';
import { limitsReport } from './limits.service.js';
import { registerLimitMetrics } from './limits.metrics.js';
import { LIMIT_NAMES, levels } from './thresholds.js';

const level = z.enum(levels as ['ok', 'warning', 'critical']);

const limitsQuery = z.object({
  tenant: z.string().min(1).max(100).optional().describe("A tenant's slug or id: only its quotas, measured now"),
  level: z.enum(['warning', 'critical']).optional().describe('Only rows at this level or worse'),
  refresh: z.enum(['true', 'false']).optional().transform((v) => v === 'true').describe('Measure every tenant now'),
});

const limitsResponse = z.object({
  level: level.describe('The worst level of all rows (before the level filter)'),
  rows: z.array(
    z.object({
      scope: z.string().describe('A tenant slug, or cluster:<name>, cell:<placement>, disk:<folder>, jobs'),
      limit: z.enum(LIMIT_NAMES),
      usage: z.number(),
      max: z.number(),
      percent: z.number(),
      level,
    }),
  ),
});

/** Platform admin API for limits; registered inside the admin-token scope of platformRoutes. */
export async function limitsAdminRoutes(app: FastifyInstance, runtime: Runtime): Promise<void> {
  registerLimitMetrics(runtime);
  app.withTypeProvider<ZodTypeProvider>().get(
    '/platform/limits',
    {
      schema: {
        tags: ['platform'],
        security: [{ platformAdmin: [] }],
        summary: 'Every limit and quota as usage / max / percent and a level (the report of `studiohive limits`)',
        querystring: limitsQuery,
        response: { 200: limitsResponse, 400: problemSchema, 401: problemSchema, 404: problemSchema },
      },
    },
    (req) => limitsReport(runtime, req.query),
  );
}
