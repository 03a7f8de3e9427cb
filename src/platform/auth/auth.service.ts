import type { Tx } from '../db/databases.js';
import { AppError } from '../errors.js';
import { render, studioLocale, text } from '../i18n.js';
import type { StaffRole, Tenant } from '../db/types.js';
import type { Principal, TenantContext, TenantSession } from '../tenancy/context.js';
import type { SessionStore } from './credentials.repo.js';
import type { PlatformHooks } from '../composition.js';
import { createRealmFlows, type AccountRealm } from './realm.js';
import { sha256 } from './secrets.js';
import { queueMail } from '../messaging/outbox.js';
import { apiKeysRepo, resetTokensRepo, sessionsRepo, staffRepo } from './staff.repo.js';
import { toStaffDto } from './staff.service.js';
import { roleName } from './roles.js';
import { createCodeCheck, createTwoFactorService, twoFactorChallenges, type SecondStep } from './two-factor.service.js';

export interface AuthSettings {
  sessionTtlHours: number;
  maxFailuresPerAccount: number;
  maxFailuresPerIp: number;
  maxFailuresPerTenantMinute: number;
  windowMinutes: number;
  resetsPerEmailHour: number;
  /** The public address of a tenant, for links in mail. */
  tenantUrl(tenant: Pick<Tenant, 'slug'>): string;
  memberSessions: PlatformHooks['memberSessions'];
}

const SESSION_TOUCH_INTERVAL_MS = 5 * 60_000;
const INVITE_TOKEN_TTL_MS = 72 * 60 * 60_000;

type StaffCredentials = NonNullable<Awaited<ReturnType<typeof staffRepo.credentials>>>;
type StaffSignedIn = { token: string; expiresAt: string; staff: ReturnType<typeof toStaffDto> };

export type AuthService = ReturnType<typeof createAuthService>;

/** The live session of a bearer token in one realm's table, marked as seen now and then. */
async function liveSession<P>(db: Tx, sessions: SessionStore<P>, bearer: string) {
  const session = await sessions.activeByHash(db, sha256(bearer));
  // Not while a move copies the studio (the transaction is read only): a sign-in is still good, its touch can wait.
  if (session && !session.read_only && Date.now() - session.last_seen_at.getTime() > SESSION_TOUCH_INTERVAL_MS) await sessions.touch(db, session.session_id);
  return session;
}

export function createAuthService(settings: AuthSettings) {
  /** Sign-in, sessions and mailed tokens of every realm (staff here, members in modules/members). */
  const realms = createRealmFlows({ ...settings, mailsPerEmailHour: settings.resetsPerEmailHour });

  const checkCode = createCodeCheck(realms);
  const twoFactor = createTwoFactorService(checkCode);

  const staffRealm: AccountRealm<StaffCredentials, 'reset' | 'invite', StaffSignedIn | SecondStep> = {
    name: 'staff',
    sessionPrefix: 'shs',
    sessionTtlHours: settings.sessionTtlHours,
    sessions: sessionsRepo,
    tokens: resetTokensRepo,
    credentials: staffRepo.credentials,
    setPassword: async (ctx, id, passwordHash) => void (await staffRepo.update(ctx.db, id, { password_hash: passwordHash })),
    secondStep: (db, account) => twoFactorChallenges.secondStep(db, account.id),
    signedIn: async (db, account, session) => ({ ...session, staff: toStaffDto((await staffRepo.byId(db, account.id))!) }),
    // To the person asking, in their language.
    resetMail: (ctx, token) => ({
      template: 'staff_password_reset',
      subject: render(text('mail.staff_password_reset.subject', { studio: ctx.tenant.display_name }), ctx.request.locale, ctx.tenant.timezone),
      body: render(text('mail.staff_password_reset.body', { link: resetLink(ctx.tenant, token) }), ctx.request.locale, ctx.tenant.timezone),
    }),
  };

  /** The session, once the second step is done: the staff member must still be active. */
  async function openStaffSession(db: Tx, session: TenantSession, staffId: string) {
    const staff = await staffRepo.byId(db, staffId);
    if (staff?.status !== 'active') throw new AppError('unauthenticated', text('twofactor.challenge_expired'), { reason: 'challenge_expired' });
    return (await realms.openSession(db, staffRealm, { id: staff.id, password_hash: null, status: staff.status }, session.request)) as StaffSignedIn;
  }

  function resetLink(tenant: Tenant, token: string) {
    return `${settings.tenantUrl(tenant)}/reset-password?token=${encodeURIComponent(token)}`;
  }

  return {
    realms,
    tenantUrl: settings.tenantUrl,

    /** Resolves a bearer secret to a principal inside the tenant transaction, so RLS scopes the lookup. */
    async authenticate(db: Tx, bearer: string): Promise<Principal | null> {
      if (bearer.startsWith('shs_')) {
        const s = await liveSession(db, sessionsRepo, bearer);
        return s ? { kind: 'staff', staffId: s.staff_id, role: s.role, sessionId: s.session_id } : null;
      }
      if (bearer.startsWith('shm_')) {
        const s = await liveSession(db, settings.memberSessions, bearer);
        return s ? { kind: 'member', memberId: s.member_id, accountId: s.account_id, sessionId: s.session_id } : null;
      }
      if (bearer.startsWith('shk_')) {
        const key = await apiKeysRepo.activeByHash(db, sha256(bearer));
        if (!key) return null;
        if (!key.read_only && (!key.last_used_at || Date.now() - key.last_used_at.getTime() > SESSION_TOUCH_INTERVAL_MS)) await apiKeysRepo.touch(db, key.id);
        return { kind: 'api_key', apiKeyId: key.id, role: key.role };
      }
      return null;
    },

    /** Staff sign-in, throttled in the database (see realm.ts). */
    login: (session: TenantSession, input: { email: string; password: string }) => realms.signIn(session, staffRealm, input),

    twoFactor,
    checkCode,

    /** The second step of a sign-in: a code from the authenticator app, or one of the recovery codes. */
    async loginWithCode(session: TenantSession, input: { challenge: string; code: string }): Promise<StaffSignedIn> {
      const { staff_id } = await session.transaction(({ db }) => twoFactorChallenges.find(db, input.challenge, 'code'));
      return checkCode(session, staff_id, { code: input.code, recovery: true }, async (db) => {
        const challenge = await twoFactorChallenges.find(db, input.challenge, 'code');
        await twoFactorChallenges.use(db, challenge.id);
        return openStaffSession(db, session, staff_id);
      });
    },

    /** Enrolment the studio requires, before the first session: a new secret for the authenticator app. */
    startEnrolment: (session: TenantSession, input: { challenge: string }) =>
      session.transaction(async ({ db, tenant, request }) => {
        const { staff_id } = await twoFactorChallenges.find(db, input.challenge, 'enrol');
        const staff = (await staffRepo.byId(db, staff_id))!;
        return twoFactor.start(db, staff_id, staff.email, render(text('twofactor.issuer', { studio: tenant.display_name }), request.locale, tenant.timezone));
      }),

    /** Confirms the enrolment with a code: two-factor sign-in is on, the recovery codes shown once, and the session given. */
    async confirmEnrolment(session: TenantSession, input: { challenge: string; code: string }) {
      const { staff_id } = await session.transaction(({ db }) => twoFactorChallenges.find(db, input.challenge, 'enrol'));
      let signedIn: StaffSignedIn | undefined;
      const { recoveryCodes } = await twoFactor.confirm(session, staff_id, input.code, async (db) => {
        const challenge = await twoFactorChallenges.find(db, input.challenge, 'enrol');
        await twoFactorChallenges.use(db, challenge.id);
        signedIn = await openStaffSession(db, session, staff_id);
      });
      return { ...signedIn!, recoveryCodes };
    },

    async logout(ctx: TenantContext) {
      if (ctx.principal?.kind === 'staff') await sessionsRepo.revoke(ctx.db, ctx.principal.sessionId);
    },

    /** Always answers the same way, so it does not reveal which emails have accounts. */
    requestPasswordReset: (ctx: TenantContext, input: { email: string }) => realms.requestPasswordReset(ctx, staffRealm, input),

    confirmPasswordReset: (session: TenantSession, input: { token: string; password: string }) =>
      realms.resetPassword(session, staffRealm, input, ['reset', 'invite']),

    /**
     * Creates a staff account. Without a password it mails an invitation whose link sets one; the token is
     * returned too, so an operator creating a tenant can hand it over.
     */
    async createStaffAccount(
      db: Tx,
      tenant: Tenant,
      input: { email: string; displayName: string; role: StaffRole; passwordHash?: string | null },
    ) {
      const staff = await staffRepo.insert(db, {
        email: input.email,
        display_name: input.displayName,
        role: input.role,
        password_hash: input.passwordHash ?? null,
      });
      let setupToken: string | null = null;
      if (!input.passwordHash) {
        setupToken = await realms.issueToken(db, staffRealm, staff.id, 'invite', INVITE_TOKEN_TTL_MS);
        // To someone other than the person asking (an owner or an operator creates the account): the studio's language.
        const locale = studioLocale(tenant);
        await queueMail(db, [{
          to_address: staff.email,
          template: 'staff_invite',
          subject: render(text('mail.staff_invite.subject', { studio: tenant.display_name }), locale, tenant.timezone),
          body: render(text('mail.staff_invite.body', { role: roleName(input.role), studio: tenant.display_name, link: resetLink(tenant, setupToken) }), locale, tenant.timezone),
        }]);
      }
      return { staff, setupToken };
    },
  };
}
