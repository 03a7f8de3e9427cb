import type { TenantRouter } from '../http/tenant-route.js';
import { ALL_STAFF } from '../http/tenant-route.js';
import type { Runtime } from '../runtime.js';
import { apiKeysService } from './api-keys.service.js';
import * as s from './auth.schemas.js';

export function authRoutes({ route, sessionRoute }: TenantRouter, { auth, staff }: Runtime) {
  const tags = ['auth'];
  route({
    method: 'GET', url: '/api/tenant', summary: 'The studio at this address', tags, access: 'public',
    schema: { response: s.tenantInfo },
    handler: async ({ tenant }) => ({ id: tenant.id, slug: tenant.slug, displayName: tenant.display_name, timezone: tenant.timezone }),
  });
  sessionRoute({
    method: 'POST', url: '/api/auth/login', summary: 'Sign in with email and password', tags, access: 'public',
    schema: { body: s.loginBody, response: s.loginResponse },
    sessionHandler: (session, { body }) => auth.login(session, body),
  });
  route({
    method: 'POST', url: '/api/auth/logout', summary: 'End this session', tags, access: 'authenticated', status: 204,
    schema: {},
    handler: (ctx) => auth.logout(ctx),
  });
  route({
    method: 'GET', url: '/api/auth/me', summary: 'The signed-in staff member', tags, access: ALL_STAFF,
    schema: { response: s.staffDto },
    handler: (ctx) => staff.me(ctx),
  });
  route({
    method: 'POST', url: '/api/auth/password-reset', summary: 'Mail a password reset link', tags, access: 'public', status: 202,
    schema: { body: s.resetRequestBody },
    handler: (ctx, { body }) => auth.requestPasswordReset(ctx, body),
  });
  sessionRoute({
    method: 'POST', url: '/api/auth/password-reset/confirm', summary: 'Set a new password with a reset or invite token', tags,
    access: 'public', status: 204,
    schema: { body: s.resetConfirmBody },
    sessionHandler: (session, { body }) => auth.confirmPasswordReset(session, body),
  });
}

export function staffRoutes({ route }: TenantRouter, { staff }: Runtime) {
  const tags = ['staff'];
  route({
    method: 'GET', url: '/api/staff', summary: 'List staff accounts', tags, access: ['owner', 'manager'],
    schema: { response: s.staffList },
    handler: (ctx) => staff.list(ctx),
  });
  route({
    method: 'POST', url: '/api/staff', summary: 'Invite a staff member', tags, access: ['owner', 'manager'], status: 201,
    schema: { body: s.createStaffBody, response: s.staffDto },
    handler: (ctx, { body }) => staff.create(ctx, body),
  });
  route({
    method: 'GET', url: '/api/staff/:staffId', summary: 'One staff account', tags, access: ['owner', 'manager'],
    schema: { params: s.staffIdParams, response: s.staffDto },
    handler: (ctx, { params }) => staff.get(ctx, params.staffId),
  });
  route({
    method: 'PATCH', url: '/api/staff/:staffId', summary: 'Change name, role or status', tags, access: ['owner', 'manager'],
    schema: { params: s.staffIdParams, body: s.updateStaffBody, response: s.staffDto },
    handler: (ctx, { params, body }) => staff.update(ctx, params.staffId, body),
  });
}

export function apiKeyRoutes({ route }: TenantRouter) {
  const tags = ['api keys'];
  route({
    method: 'GET', url: '/api/api-keys', summary: 'List API keys', tags, access: ['owner'],
    schema: { response: s.apiKeyList },
    handler: (ctx) => apiKeysService.list(ctx),
  });
  route({
    method: 'POST', url: '/api/api-keys', summary: 'Create an API key (the secret is shown once)', tags, access: ['owner'],
    status: 201,
    schema: { body: s.createApiKeyBody, response: s.createdApiKey },
    handler: (ctx, { body }) => apiKeysService.create(ctx, body),
  });
  route({
    method: 'GET', url: '/api/api-keys/:apiKeyId', summary: 'One API key', tags, access: ['owner'],
    schema: { params: s.apiKeyIdParams, response: s.apiKeyDto },
    handler: (ctx, { params }) => apiKeysService.get(ctx, params.apiKeyId),
  });
  route({
    method: 'DELETE', url: '/api/api-keys/:apiKeyId', summary: 'Revoke an API key', tags, access: ['owner'],
    schema: { params: s.apiKeyIdParams, response: s.apiKeyDto },
    handler: (ctx, { params }) => apiKeysService.revoke(ctx, params.apiKeyId),
  });
}
