import type { z, ZodType } from 'zod';
import type { TenantRouter } from '../http/tenant-route.js';
import { ALL_STAFF } from '../http/tenant-route.js';
import { asLocale } from '../i18n.js';
import type { Runtime } from '../runtime.js';
import type { TenantContext, TenantSession } from '../tenancy/context.js';
import { apiKeysService } from './api-keys.service.js';
import * as s from './auth.schemas.js';
import { staffLoginResponse } from './two-factor.schemas.js';
import { auditRow } from '../audit/audit.js';

type Credentials = { email: string; password: string };

/**
 * The routes every sign-in realm has, under its own prefix: sign in, sign out, and a password reset by mail.
 * Staff use /api/auth, members /api/member-auth; one definition serves both.
 */
export function signInRoutes<R extends ZodType>(
  { route, sessionRoute }: TenantRouter,
  realm: {
    prefix: string;
    tags: string[];
    /** Who signs out: any staff session, or a member's. */
    access: 'authenticated' | 'member';
    session: R;
    service: {
      login(session: TenantSession, input: Credentials): Promise<z.input<R>>;
      logout(ctx: TenantContext): Promise<void>;
      requestPasswordReset(ctx: TenantContext, input: { email: string }): Promise<void>;
      confirmPasswordReset(session: TenantSession, input: { token: string; password: string }): Promise<void>;
    };
  },
) {
  const { prefix, tags, service } = realm;
  const cookieRealm = realm.access === 'member' ? 'member' : 'staff';
  sessionRoute({
    method: 'POST', url: `${prefix}/login`, summary: 'Sign in with email and password (a browser also gets the session as an HttpOnly cookie)', tags, access: 'public',
    sessionCookie: { issues: cookieRealm },
    schema: { body: s.loginBody, response: realm.session },
    // service.login is already typed to answer z.input<R>; the router cannot resolve that for a generic R.
    sessionHandler: (session, { body }) => service.login(session, body) as never,
  });
  route({
    method: 'POST', url: `${prefix}/logout`, summary: 'End this session', tags, access: realm.access, status: 204,
    sessionCookie: { ends: cookieRealm },
    schema: {},
    handler: (ctx) => service.logout(ctx),
  });
  route({
    method: 'POST', url: `${prefix}/password-reset`, summary: 'Mail a password reset link', tags, access: 'public', status: 202,
    schema: { body: s.resetRequestBody },
    handler: (ctx, { body }) => service.requestPasswordReset(ctx, body),
  });
  sessionRoute({
    method: 'POST', url: `${prefix}/password-reset/confirm`, summary: 'Set a new password with a mailed token (ends every session)', tags,
    access: 'public', status: 204,
    schema: { body: s.resetConfirmBody },
    sessionHandler: (session, { body }) => service.confirmPasswordReset(session, body),
  });
}

export function authRoutes(router: TenantRouter, { auth, staff, tenants }: Runtime) {
  const { route } = router;
  const tags = ['auth'];
  route({
    method: 'GET', url: '/api/tenant', summary: 'The studio at this address', tags, access: 'public',
    schema: { response: s.tenantInfo },
    handler: async ({ tenant }) => ({ id: tenant.id, slug: tenant.slug, displayName: tenant.display_name, timezone: tenant.timezone, locale: asLocale(tenant.locale) }),
  });
  route({
    method: 'PUT', url: '/api/tenant/locale', summary: 'Set the language the studio works in (each person may still choose their own)', tags,
    access: ['owner', 'manager'],
    schema: { body: s.studioLocale, response: s.studioLocale },
    handler: ({ tenant }, { body }) => tenants.setLocale(tenant, body.locale),
  });
  route({
    method: 'GET', url: '/api/manifest.webmanifest', summary: 'The web app manifest: members add the studio to their home screen under its own name', tags,
    access: 'public', produces: 'application/manifest+json',
    schema: { response: s.webAppManifest },
    handler: async ({ tenant }) => ({
      name: tenant.display_name,
      short_name: tenant.display_name,
      lang: tenant.locale,
      start_url: '/member',
      scope: '/',
      display: 'standalone' as const,
      background_color: '#f4f5f7',
      theme_color: '#2f6f5e',
      icons: [
        { src: '/icons/icon-192.png', sizes: '192x192', type: 'image/png', purpose: 'any' as const },
        { src: '/icons/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'any' as const },
        { src: '/icons/icon-maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' as const },
      ],
    }),
  });
  signInRoutes(router, { prefix: '/api/auth', tags, access: 'authenticated', session: staffLoginResponse, service: auth });
  route({
    method: 'GET', url: '/api/auth/me', summary: 'The signed-in staff member', tags, access: ALL_STAFF,
    schema: { response: s.staffDto },
    handler: (ctx) => staff.me(ctx),
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
    method: 'PATCH', url: '/api/staff/:staffId', summary: 'Change name, role or status', tags, access: ['owner', 'manager'], audit: auditRow('app.staff', 'staffId'),
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
