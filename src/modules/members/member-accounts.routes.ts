import { signInRoutes } from '../../platform/auth/auth.routes.js';
import type { TenantRouter } from '../../platform/http/tenant-route.js';
import type { Runtime } from '../../platform/runtime.js';
import * as s from './member-accounts.schemas.js';
import { createMemberAccountsService } from './member-accounts.service.js';
import { memberSelfService } from './member-self.service.js';
import { signUpSettingsService } from './sign-up-settings.service.js';
import { auditRow } from '../../platform/audit/audit.js';

/** The member realm's sign-up and sign-in, apart from staff (/api/auth). */
export function memberAuthRoutes(router: TenantRouter, { auth, config }: Runtime) {
  const { route, sessionRoute } = router;
  const accounts = createMemberAccountsService(auth, { sessionTtlHours: config.MEMBER_SESSION_TTL_HOURS });
  const tags = ['member auth'];
  sessionRoute({
    method: 'POST', url: '/api/member-auth/sign-up', summary: 'Sign up as a member (a confirmation link is mailed; same answer for known emails)', tags,
    access: 'public', status: 202,
    schema: { body: s.signUpBody },
    sessionHandler: (session, { body }) => accounts.signUp(session, body),
  });
  route({
    method: 'GET', url: '/api/member-auth/terms', summary: 'The studio\'s membership terms that a sign-up agrees to (their version and where to read them)', tags,
    access: 'public',
    schema: { response: s.memberTerms },
    handler: (ctx) => signUpSettingsService.terms(ctx),
  });
  route({
    method: 'POST', url: '/api/member-auth/confirm', summary: 'Confirm the email with the mailed token, and sign in', tags, access: 'public',
    sessionCookie: { issues: 'member' },
    schema: { body: s.confirmBody, response: s.memberSession },
    handler: (ctx, { body }) => accounts.confirm(ctx, body),
  });
  route({
    method: 'POST', url: '/api/member-auth/resend-confirmation', summary: 'Mail the confirmation link again', tags, access: 'public', status: 202,
    schema: { body: s.emailBody },
    handler: (ctx, { body }) => accounts.resendConfirmation(ctx, body),
  });
  signInRoutes(router, { prefix: '/api/member-auth', tags, access: 'member', session: s.memberSession, service: accounts });
}

/** A signed-in member's own profile, and a family lead's view of its family. */
export function memberSelfRoutes({ route }: TenantRouter) {
  const tags = ['me'];
  route({
    method: 'GET', url: '/api/me', summary: 'My profile and family', tags, access: 'member',
    schema: { response: s.memberSelfDto },
    handler: (ctx) => memberSelfService.get(ctx),
  });
  route({
    method: 'PATCH', url: '/api/me', summary: 'Change my profile', tags, access: 'member',
    schema: { body: s.selfUpdateBody, response: s.memberSelfDto },
    handler: (ctx, { body }) => memberSelfService.update(ctx, body),
  });
  route({
    method: 'GET', url: '/api/me/family/:memberId', summary: 'The profile of a member of the family I lead', tags, access: 'member',
    schema: { params: s.familyMemberParams, response: s.memberSelfDto },
    handler: (ctx, { params }) => memberSelfService.get(ctx, params.memberId),
  });
  route({
    method: 'PATCH', url: '/api/me/family/:memberId', summary: 'Change the profile of a member of the family I lead', tags, access: 'member',
    schema: { params: s.familyMemberParams, body: s.selfUpdateBody, response: s.memberSelfDto },
    handler: (ctx, { params, body }) => memberSelfService.update(ctx, body, params.memberId),
  });
}

const SETTINGS_EDITORS = ['owner', 'manager'] as const;

/** Who may sign up: disposable email services, and the studio's own list of blocked domains. */
export function signUpSettingsRoutes({ route }: TenantRouter) {
  const tags = ['settings'];
  route({
    method: 'GET', url: '/api/settings/member-sign-up', summary: 'Member sign-up settings', tags, access: SETTINGS_EDITORS,
    schema: { response: s.signUpSettings },
    handler: (ctx) => signUpSettingsService.get(ctx),
  });
  route({
    method: 'PUT', url: '/api/settings/member-sign-up', summary: 'Change member sign-up settings', tags, access: SETTINGS_EDITORS, audit: auditRow('app.tenant_settings'),
    schema: { body: s.signUpSettingsBody, response: s.signUpSettings },
    handler: (ctx, { body }) => signUpSettingsService.update(ctx, body),
  });
  route({
    method: 'GET', url: '/api/settings/blocked-email-domains', summary: 'Email domains that may not sign up', tags, access: SETTINGS_EDITORS,
    schema: { response: s.blockedDomainList },
    handler: (ctx) => signUpSettingsService.listDomains(ctx),
  });
  route({
    method: 'POST', url: '/api/settings/blocked-email-domains', summary: 'Block an email domain (and its subdomains) from signing up', tags,
    access: SETTINGS_EDITORS, status: 201,
    schema: { body: s.blockedDomainBody, response: s.blockedDomainDto },
    handler: (ctx, { body }) => signUpSettingsService.addDomain(ctx, body),
  });
  route({
    method: 'GET', url: '/api/settings/blocked-email-domains/:domainId', summary: 'One blocked email domain', tags, access: SETTINGS_EDITORS,
    schema: { params: s.blockedDomainParams, response: s.blockedDomainDto },
    handler: (ctx, { params }) => signUpSettingsService.getDomain(ctx, params.domainId),
  });
  route({
    method: 'DELETE', url: '/api/settings/blocked-email-domains/:domainId', summary: 'Unblock an email domain', tags, access: SETTINGS_EDITORS,
    status: 204,
    schema: { params: s.blockedDomainParams },
    handler: (ctx, { params }) => signUpSettingsService.removeDomain(ctx, params.domainId),
  });
}
