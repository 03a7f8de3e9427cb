import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { constantTimeEqual } from '../auth/secrets.js';
import { AppError } from '../errors.js';
import { text } from '../i18n.js';
import { problemSchema } from '../http/problems.js';
import { bearerOf } from '../http/tenant-route.js';
import type { Runtime } from '../runtime.js';
import * as s from './tenants.schemas.js';
import { toPlacementDto } from './tenants.service.js';
import { usageAdminRoutes } from '../observability/usage.admin-routes.js';
import { limitsAdminRoutes } from '../limits/limits.admin-routes.js';
import { capacityAdminRoutes } from '../capacity/capacity.admin-routes.js';
import { movesAdminRoutes } from './moves.admin-routes.js';

const errors = { 400: problemSchema, 401: problemSchema, 404: problemSchema, 409: problemSchema, 422: problemSchema };

/** The operators' API: a bearer token from config, on any host, never tenant-scoped. */
export async function platformRoutes(app: FastifyInstance, runtime: Runtime) {
  const { tenants } = runtime;
  app.addHook('onRequest', async (req: FastifyRequest) => {
    const expected = runtime.platformAdminToken;
    if (!expected) throw new AppError('unauthenticated', text('platform.admin_api_off'));
    const given = bearerOf(req);
    if (!given || !constantTimeEqual(given, expected)) throw new AppError('unauthenticated', text('platform.admin_token_required'));
  });
  const r = app.withTypeProvider<ZodTypeProvider>();
  const meta = { tags: ['platform'], security: [{ platformAdmin: [] }] };

  r.post('/platform/tenants', { schema: { ...meta, summary: 'Create a tenant and its owner', body: s.createTenantBody, response: { 201: s.createdTenant, ...errors } } },
    async (req, reply) => reply.code(201).send(await tenants.create(req.body)));
  r.get('/platform/tenants', { schema: { ...meta, summary: 'List tenants', querystring: s.listTenantsQuery, response: { 200: s.tenantList, ...errors } } },
    (req) => tenants.list(req.query));
  r.get('/platform/tenants/:tenant', { schema: { ...meta, summary: 'One tenant', params: s.tenantRef, response: { 200: s.tenantDto, ...errors } } },
    (req) => tenants.get(req.params.tenant));
  r.post('/platform/tenants/:tenant/suspend', { schema: { ...meta, summary: 'Suspend a tenant', params: s.tenantRef, response: { 200: s.tenantDto, ...errors } } },
    (req) => tenants.suspend(req.params.tenant));
  r.post('/platform/tenants/:tenant/resume', { schema: { ...meta, summary: 'Resume a suspended tenant', params: s.tenantRef, response: { 200: s.tenantDto, ...errors } } },
    (req) => tenants.resume(req.params.tenant));
  r.delete('/platform/tenants/:tenant', { schema: { ...meta, summary: 'Delete a tenant (soft, then purged)', params: s.tenantRef, response: { 200: s.deletedTenant, ...errors } } },
    (req) => tenants.delete(req.params.tenant));
  r.post('/platform/tenants/:tenant/domains', { schema: { ...meta, summary: 'Register a custom domain', params: s.tenantRef, body: s.addDomainBody, response: { 200: s.tenantDto, ...errors } } },
    (req) => tenants.addDomain(req.params.tenant, req.body.domain));
  r.delete('/platform/tenants/:tenant/domains/:domain', { schema: { ...meta, summary: 'Remove a custom domain', params: s.domainParams, response: { 200: s.tenantDto, ...errors } } },
    (req) => tenants.removeDomain(req.params.tenant, req.params.domain));
  r.get('/platform/placements', { schema: { ...meta, summary: 'Database placements (pool cells and silos)', response: { 200: s.placementList, ...errors } } },
    async () => ({ items: (await tenants.placements()).map(toPlacementDto) }));
  r.post('/platform/placements', { schema: { ...meta, summary: 'Add a pool cell or a silo on any configured cluster', body: s.addPlacementBody, response: { 201: s.placementDto, ...errors } } },
    async (req, reply) => reply.code(201).send(toPlacementDto(await tenants.addPlacement(req.body))));

  for (const more of [usageAdminRoutes, limitsAdminRoutes, capacityAdminRoutes, movesAdminRoutes]) await more(app, runtime);
}
