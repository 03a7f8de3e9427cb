import type { TenantRouter } from '../http/tenant-route.js';
import { ALL_STAFF } from '../http/tenant-route.js';
import { render, text } from '../i18n.js';
import type { Runtime } from '../runtime.js';
import { loginResponse, staffIdParams } from './auth.schemas.js';
import { staffRepo } from './staff.repo.js';
import { staffIdOf } from './two-factor.service.js';
import * as s from './two-factor.schemas.js';

/** Staff two-factor sign-in: the sign-in's second step, each person's own authenticator, and the owner's switches. */
export function twoFactorRoutes({ route, sessionRoute, settlingRoute }: TenantRouter, { auth, staff }: Runtime) {
  const signIn = ['auth'];
  sessionRoute({
    method: 'POST', url: '/api/auth/login/code', summary: 'Second step of a sign-in: a code from the authenticator app or a recovery code', tags: signIn,
    access: 'public', sessionCookie: { issues: 'staff' },
    schema: { body: s.codeLoginBody, response: loginResponse },
    sessionHandler: (session, { body }) => auth.loginWithCode(session, body),
  });
  sessionRoute({
    method: 'POST', url: '/api/auth/login/enrolment', summary: 'Set up two-factor sign-in the studio requires, before the first session: the secret and its QR code', tags: signIn,
    access: 'public',
    schema: { body: s.enrolmentBody, response: s.setup },
    sessionHandler: (session, { body }) => auth.startEnrolment(session, body),
  });
  sessionRoute({
    method: 'POST', url: '/api/auth/login/enrolment/confirm', summary: 'Confirm the set-up with a code: the session, and the recovery codes shown once', tags: signIn,
    access: 'public', sessionCookie: { issues: 'staff' },
    schema: { body: s.enrolmentConfirmBody, response: s.enrolledSession },
    sessionHandler: (session, { body }) => auth.confirmEnrolment(session, body),
  });

  const tags = ['two-factor'];
  route({
    method: 'GET', url: '/api/account/two-factor', summary: 'Whether my two-factor sign-in is on, and how many recovery codes are left', tags, access: ALL_STAFF,
    schema: { response: s.status },
    handler: (ctx) => auth.twoFactor.status(ctx.db, staffIdOf(ctx.principal)),
  });
  route({
    method: 'POST', url: '/api/account/two-factor', summary: 'Start setting up two-factor sign-in: the secret and its QR code', tags, access: ALL_STAFF, status: 201,
    schema: { response: s.setup },
    handler: async (ctx) => {
      const me = (await staffRepo.byId(ctx.db, staffIdOf(ctx.principal)))!;
      return auth.twoFactor.start(ctx.db, me.id, me.email, render(text('twofactor.issuer', { studio: ctx.tenant.display_name }), ctx.request.locale, ctx.tenant.timezone));
    },
  });
  // The code checks run after the request's transaction, in their own: a wrong code is counted (and throttled)
  // like a wrong password, which a refused request's rolled-back transaction could not record.
  settlingRoute({
    method: 'POST', url: '/api/account/two-factor/confirm', summary: 'Turn two-factor sign-in on with a code from the app (the recovery codes are shown once)', tags, access: ALL_STAFF,
    schema: { body: s.confirmBody, response: s.recoveryCodes },
    handler: async (ctx) => staffIdOf(ctx.principal),
    afterCommit: (session, staffId, { body }) => auth.twoFactor.confirm(session, staffId, body.code),
  });
  settlingRoute({
    method: 'POST', url: '/api/account/two-factor/recovery-codes', summary: 'New recovery codes after a current code (the old ones stop working)', tags, access: ALL_STAFF,
    schema: { body: s.confirmBody, response: s.recoveryCodes },
    handler: async (ctx) => staffIdOf(ctx.principal),
    afterCommit: (session, staffId, { body }) => auth.twoFactor.regenerateRecoveryCodes(session, staffId, body.code),
  });
  settlingRoute({
    method: 'POST', url: '/api/account/two-factor/disable', summary: 'Turn two-factor sign-in off with a current code or a recovery code', tags, access: ALL_STAFF, status: 204,
    schema: { body: s.disableBody },
    handler: async (ctx) => staffIdOf(ctx.principal),
    afterCommit: (session, staffId, { body }) => auth.twoFactor.disable(session, staffId, body.code),
  });
  route({
    method: 'DELETE', url: '/api/staff/:staffId/two-factor', summary: 'Reset a staff member’s two-factor sign-in (a lost phone): they set it up again', tags, access: ['owner'], status: 204,
    schema: { params: staffIdParams },
    handler: (ctx, { params }) => staff.resetTwoFactor(ctx, params.staffId),
  });
  route({
    method: 'GET', url: '/api/settings/staff-security', summary: 'Whether the studio requires two-factor sign-in for all staff', tags, access: ['owner', 'manager'],
    schema: { response: s.policy },
    handler: (ctx) => auth.twoFactor.policy(ctx.db),
  });
  route({
    method: 'PUT', url: '/api/settings/staff-security', summary: 'Require two-factor sign-in for all staff (ends the sessions of staff without it)', tags, access: ['owner'],
    schema: { body: s.policy, response: s.policy },
    handler: (ctx, { body }) => auth.twoFactor.setPolicy(ctx, body.requireStaffTwoFactor),
  });
}
