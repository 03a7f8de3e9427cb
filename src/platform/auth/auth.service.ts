import { AppError } from '../errors.js';
import type { Tx } from '../db/databases.js';
import type { StaffRole, Tenant } from '../db/types.js';
import type { Principal, TenantContext, TenantSession } from '../tenancy/context.js';
import { hashPassword, newSecret, sha256, verifyPassword } from './secrets.js';
import {
  apiKeysRepo,
  loginAttemptsRepo,
  outboxRepo,
  resetTokensRepo,
  sessionsRepo,
  staffRepo,
} from './staff.repo.js';
import { toStaffDto } from './staff.service.js';

export interface AuthSettings {
  sessionTtlHours: number;
  maxFailuresPerAccount: number;
  maxFailuresPerIp: number;
  maxFailuresPerTenantMinute: number;
  windowMinutes: number;
  resetsPerEmailHour: number;
  /** The public address of a tenant, for links in mail. */
  tenantUrl(tenant: Pick<Tenant, 'slug'>): string;
}

const SESSION_TOUCH_INTERVAL_MS = 5 * 60_000;
const RESET_TOKEN_TTL_MS = 60 * 60_000;
const INVITE_TOKEN_TTL_MS = 72 * 60 * 60_000;

export type AuthService = ReturnType<typeof createAuthService>;

export function createAuthService(settings: AuthSettings) {
  async function issueSetupToken(db: Tx, staffId: string, purpose: 'reset' | 'invite'): Promise<string> {
    const secret = newSecret('shr');
    const ttlMs = purpose === 'reset' ? RESET_TOKEN_TTL_MS : INVITE_TOKEN_TTL_MS;
    await resetTokensRepo.insert(db, { staff_id: staffId, token_hash: secret.hash, expires_at: new Date(Date.now() + ttlMs), purpose });
    return secret.token;
  }

  function resetLink(tenant: Tenant, token: string) {
    return `${settings.tenantUrl(tenant)}/reset-password?token=${encodeURIComponent(token)}`;
  }

  return {
    /** Resolves a bearer secret to a principal inside the tenant transaction, so RLS scopes the lookup. */
    async authenticate(db: Tx, bearer: string): Promise<Principal | null> {
      if (bearer.startsWith('shs_')) {
        const session = await sessionsRepo.activeByHash(db, sha256(bearer));
        if (!session) return null;
        if (Date.now() - session.last_seen_at.getTime() > SESSION_TOUCH_INTERVAL_MS) await sessionsRepo.touch(db, session.session_id);
        return { kind: 'staff', staffId: session.staff_id, role: session.role, sessionId: session.session_id };
      }
      if (bearer.startsWith('shk_')) {
        const key = await apiKeysRepo.activeByHash(db, sha256(bearer));
        if (!key) return null;
        if (!key.last_used_at || Date.now() - key.last_used_at.getTime() > SESSION_TOUCH_INTERVAL_MS) await apiKeysRepo.touch(db, key.id);
        return { kind: 'api_key', apiKeyId: key.id, role: key.role };
      }
      return null;
    },

    /**
     * Checks the throttles, records the attempt as pending and loads the account in one short transaction that
     * holds a per-account lock, so parallel guesses are counted in turn; verifies the password with no
     * connection held (argon2id is deliberately slow); then settles the attempt and, if the password was right
     * and is still the account's password, opens a session. Only failures lock an account; attempts still being
     * checked only ask the next one to retry in a second.
     */
    async login(session: TenantSession, input: { email: string; password: string }) {
      const { email } = input;
      const ip = session.request.ip;
      const refuse = (detail: string, retryAfterSeconds: number): never => {
        throw new AppError('rate_limited', detail, { retryAfterSeconds: Math.max(1, Math.ceil(retryAfterSeconds)) });
      };
      const { attemptId, account } = await session.transaction(async ({ db }) => {
        await loginAttemptsRepo.lockAccount(db, email);
        if ((await loginAttemptsRepo.failuresLastMinute(db)) >= settings.maxFailuresPerTenantMinute) {
          refuse('Too many failed sign-ins at this studio; try again in a minute', 60);
        }
        if ((await loginAttemptsRepo.failuresFromIp(db, ip, settings.windowMinutes)) >= settings.maxFailuresPerIp) {
          refuse('Too many failed sign-ins from your network; try again later', settings.windowMinutes * 60);
        }
        const attempts = await loginAttemptsRepo.accountAttempts(db, email, settings.windowMinutes);
        if (attempts.failed >= settings.maxFailuresPerAccount) {
          const retryAt = (attempts.oldest?.getTime() ?? Date.now()) + settings.windowMinutes * 60_000;
          refuse('Too many failed sign-ins for this account; try again later', (retryAt - Date.now()) / 1000);
        }
        if (attempts.failed + attempts.pending >= settings.maxFailuresPerAccount) {
          refuse('Other sign-ins to this account are being checked; try again in a moment', 1);
        }
        const attempt = await loginAttemptsRepo.recordPending(db, { email, ip });
        return { attemptId: attempt.id, account: await staffRepo.credentialsByEmail(db, email) };
      });
      const passwordOk = await verifyPassword(account?.password_hash, input.password);
      const result = await session.transaction(async ({ db }) => {
        const current = account ? await staffRepo.credentialsByEmail(db, email) : undefined;
        // A password changed (or an account disabled) while this one was being checked does not sign anyone in.
        const succeeded = Boolean(passwordOk && current?.status === 'active' && current.password_hash === account?.password_hash);
        await loginAttemptsRepo.settle(db, attemptId, succeeded);
        if (!succeeded || !current) return null;
        await loginAttemptsRepo.pruneOld(db);
        const secret = newSecret('shs');
        const created = await sessionsRepo.insert(db, {
          staff_id: current.id,
          token_hash: secret.hash,
          expires_at: new Date(Date.now() + settings.sessionTtlHours * 3_600_000),
          ip,
          user_agent: session.request.userAgent?.slice(0, 500) ?? null,
        });
        const staff = await staffRepo.byId(db, current.id);
        return { token: secret.token, expiresAt: created.expires_at.toISOString(), staff: toStaffDto(staff!) };
      });
      if (!result) throw new AppError('invalid_credentials');
      return result;
    },

    async logout(ctx: TenantContext) {
      if (ctx.principal?.kind === 'staff') await sessionsRepo.revoke(ctx.db, ctx.principal.sessionId);
    },

    /** Always answers the same way, so it does not reveal which emails have accounts. */
    async requestPasswordReset(ctx: TenantContext, input: { email: string }) {
      // The row lock makes parallel requests count one after the other.
      const account = await staffRepo.lockCredentials(ctx.db, input.email);
      if (!account || account.status !== 'active') return;
      // Past the hourly allowance the request is accepted and dropped, so nobody can flood an inbox.
      if ((await resetTokensRepo.resetsIssuedSince(ctx.db, account.id, 60)) >= settings.resetsPerEmailHour) return;
      const token = await issueSetupToken(ctx.db, account.id, 'reset');
      await outboxRepo.enqueue(ctx.db, {
        to_address: input.email,
        template: 'staff_password_reset',
        subject: `Reset your ${ctx.tenant.display_name} password`,
        body: `Someone asked to reset your password. Open this link within an hour to choose a new one:\n${resetLink(ctx.tenant, token)}\n\nIf it was not you, ignore this mail.`,
      });
    },

    async confirmPasswordReset(session: TenantSession, input: { token: string; password: string }) {
      const passwordHash = await hashPassword(input.password);
      await session.transaction(async ({ db }) => {
        const used = await resetTokensRepo.consume(db, sha256(input.token));
        if (!used) throw new AppError('unprocessable', 'This reset link is invalid, already used, or expired');
        await staffRepo.update(db, used.staff_id, { password_hash: passwordHash });
        await sessionsRepo.revokeAllFor(db, used.staff_id);
      });
    },

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
        setupToken = await issueSetupToken(db, staff.id, 'invite');
        await outboxRepo.enqueue(db, {
          to_address: staff.email,
          template: 'staff_invite',
          subject: `You are invited to ${tenant.display_name} on Studiohive`,
          body: `You have a ${input.role.replace('_', ' ')} account at ${tenant.display_name}.\nChoose your password within 72 hours:\n${resetLink(tenant, setupToken)}`,
        });
      }
      return { staff, setupToken };
    },
  };
}
