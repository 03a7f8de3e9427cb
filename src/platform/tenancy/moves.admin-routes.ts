import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { problemSchema } from '../http/problems.js';
import type { Runtime } from '../runtime.js';
import { abandonMove, listMoves, startMove, toMoveDto } from './moves.js';
import { moveBody, moveDto, moveList, movePlan, moveStarted } from './moves.schemas.js';
import { tenantRef } from './tenants.schemas.js';

const errors = { 400: problemSchema, 401: problemSchema, 404: problemSchema, 409: problemSchema, 422: problemSchema, 503: problemSchema };

/** Tier moves on the platform admin API (moves.ts); registered inside the admin-token scope of platformRoutes. */
export async function movesAdminRoutes(app: FastifyInstance, runtime: Runtime): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const meta = { tags: ['platform'], security: [{ platformAdmin: [] }] };
  r.post(
    '/platform/tenants/:tenant/moves',
    {
      schema: {
        ...meta,
        summary: 'Move a tenant to a silo or another placement while it is served (a job; follow it with GET), or only plan it (dryRun)',
        params: tenantRef, body: moveBody, response: { 200: movePlan, 202: moveStarted, ...errors },
      },
    },
    async (req, reply) => reply.code(req.body.dryRun ? 200 : 202).send(await startMove(runtime, req.params.tenant, req.body)),
  );
  r.get(
    '/platform/tenants/:tenant/moves',
    { schema: { ...meta, summary: "A tenant's moves, newest first, with their progress", params: tenantRef, response: { 200: moveList, ...errors } } },
    async (req) => ({ items: (await listMoves(runtime, req.params.tenant)).map(toMoveDto) }),
  );
  r.post(
    '/platform/tenants/:tenant/moves/abandon',
    { schema: { ...meta, summary: 'Give up an unfinished move that has not switched: the tenant stays where it was', params: tenantRef, response: { 200: moveDto, ...errors } } },
    async (req) => toMoveDto(await abandonMove(runtime, req.params.tenant)),
  );
}
