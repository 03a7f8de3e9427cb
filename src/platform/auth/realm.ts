import { AppError } from '../errors.js';
import { text, type Text } from '../i18n.js';
import type { Tx } from '../db/databases.js';
import type { RequestInfo, TenantContext, TenantSession } from '../tenancy/context.js';
import { loginAttemptsRepo, type LoginRealm, type SessionStore, type TokenStore } from './credentials.repo.js';
import { hashPassword, newSecret, sha256, verifyPassword } from './secrets.js';
import { queueMail } from '../messaging/outbox.js';

/** An account of any realm, as sign-in sees it. */
export interface RealmAccount {
  id: string;
  password_hash: string | null;
  status: 'active' | 'disabled';
}

export interface Mail {
  template: string;
  subject: string;
  body: string;
}

/**
 * A sign-in realm: staff and members are separate realms with their own accounts, sessions, tokens and
 * throttling counts, but one piece of code signs them in, opens their sessions and mails their tokens.
 */
export interface AccountRealm<Account extends RealmAccount, Purpose extends string, SignedIn> {
  name: LoginRealm;
  sessionPrefix: 'shs' | 'shm';
  sessionTtlHours: number;
  sessions: SessionStore;
  tokens: TokenStore<Purpose>;
  /** The account of an email; `lock` takes its row lock until the transaction ends. */
  credentials(db: Tx, email: string, lock?: boolean): Promise<Account | undefined>;
  setPassword(ctx: TenantContext, accountId: string, passwordHash: string): Promise<void>;
  /** After a right password: why this account may not sign in yet (an unconfirmed email), if it may not. */
  refusal?(account: Account): AppError | null;
  /**
   * After a right password on an account that may sign in: the answer instead of a session when a second step
   * is needed (a two-factor code), or null to open the session.
   */
  secondStep?(db: Tx, account: Account): Promise<SignedIn | null>;
  /** The answer to a successful sign-in: the session plus whoever signed in. */
  signedIn(db: Tx, account: Account, session: { token: string; expiresAt: string }): Promise<SignedIn>;
  /** The password reset mail, with a link carrying the token. */
  resetMail(ctx: TenantContext, token: string): Mail;
}

/** How long a mailed password reset link works. */
export const RESET_TOKEN_TTL_MS = 60 * 60_000;

export interface ThrottleSettings {
  maxFailuresPerAccount: number;
  maxFailuresPerIp: number;
  maxFailuresPerTenantMinute: number;
  windowMinutes: number;
  /** Mailed tokens of one purpose per account per hour (more requests are accepted and dropped). */
  mailsPerEmailHour: number;
}

export type RealmFlows = ReturnType<typeof createRealmFlows>;

export function createRealmFlows(settings: ThrottleSettings) {
  const refuse = (detail: Text, retryAfterSeconds: number): never => {
    throw new AppError('rate_limited', detail, { retryAfterSeconds: Math.max(1, Math.ceil(retryAfterSeconds)) });
  };

  /** Throttles of one realm, checked under the account's lock; counts failures only. */
  async function checkThrottles(db: Tx, realm: LoginRealm, email: string, ip: string) {
    if ((await loginAttemptsRepo.failuresSince(db, realm, 1)) >= settings.maxFailuresPerTenantMinute) {
      refuse(text('platform.sign_in.studio_throttled'), 60);
    }
    if ((await loginAttemptsRepo.failuresSince(db, realm, settings.windowMinutes, ip)) >= settings.maxFailuresPerIp) {
      refuse(text('platform.sign_in.network_throttled'), settings.windowMinutes * 60);
    }
    const attempts = await loginAttemptsRepo.accountAttempts(db, realm, email, settings.windowMinutes);
    if (attempts.failed >= settings.maxFailuresPerAccount) {
      const retryAt = (attempts.oldest?.getTime() ?? Date.now()) + settings.windowMinutes * 60_000;
      refuse(text('platform.sign_in.account_throttled'), (retryAt - Date.now()) / 1000);
    }
    if (attempts.failed + attempts.pending >= settings.maxFailuresPerAccount) {
      refuse(text('platform.sign_in.pending'), 1);
    }
  }

  const flows = {
    /** Opens a session for an account and answers as the realm signs in. */
    async openSession<A extends RealmAccount, P extends string, S>(db: Tx, realm: AccountRealm<A, P, S>, account: A, request: RequestInfo): Promise<S> {
      const secret = newSecret(realm.sessionPrefix);
      const created = await realm.sessions.insert(db, {
        ownerId: account.id,
        tokenHash: secret.hash,
        expiresAt: new Date(Date.now() + realm.sessionTtlHours * 3_600_000),
        ip: request.ip,
        userAgent: request.userAgent?.slice(0, 500) ?? null,
      });
      return realm.signedIn(db, account, { token: secret.token, expiresAt: created.expires_at.toISOString() });
    },

    /**
     * Checks the throttles, records the attempt as pending and loads the account in one short transaction that
     * holds a per-account lock, so parallel guesses are counted in turn; verifies the password with no
     * connection held (argon2id is deliberately slow); then settles the attempt and, if the password was right
     * and is still the account's password, opens a session. Only failures lock an account; attempts still being
     * checked only ask the next one to retry in a second. A right password on an account that may not sign in
     * yet (the realm's refusal) counts as a success, so its owner is never locked out while confirming.
     */
    async signIn<A extends RealmAccount, P extends string, S>(session: TenantSession, realm: AccountRealm<A, P, S>, input: { email: string; password: string }): Promise<S> {
      const { email } = input;
      const result = await flows.attempt(session, realm.name, email, {
        load: (db) => realm.credentials(db, email),
        check: (account) => verifyPassword(account?.password_hash, input.password),
        settle: async (db, account) => {
          const current = account ? await realm.credentials(db, email) : undefined;
          // A password changed (or an account disabled) while this one was being checked does not sign anyone in.
          if (current?.status !== 'active' || current.password_hash !== account?.password_hash) return null;
          const refusal = realm.refusal?.(current) ?? null;
          if (refusal) return { refusal };
          return { signedIn: (await realm.secondStep?.(db, current)) ?? (await flows.openSession(db, realm, current, session.request)) };
        },
      });
      if (!result) throw new AppError('invalid_credentials');
      if ('refusal' in result) throw result.refusal;
      return result.signedIn;
    },

    /**
     * One throttled check of a secret (a password, a two-factor code), counted under `key` in the realm's
     * sign-in attempts: the throttles are checked, the attempt recorded as pending and what the check needs
     * loaded in one short transaction holding the key's lock, so parallel guesses are counted in turn; the
     * check runs with no connection held (argon2id is deliberately slow); then `settle` runs only after a
     * right secret and its answer (null: not signed in after all) settles the attempt.
     */
    async attempt<L, T>(
      session: TenantSession,
      realm: LoginRealm,
      key: string,
      steps: { load(db: Tx): Promise<L>; check(loaded: L): Promise<boolean>; settle(db: Tx, loaded: L): Promise<T | null> },
    ): Promise<T | null> {
      const ip = session.request.ip;
      const { attemptId, loaded } = await session.transaction(async ({ db }) => {
        await loginAttemptsRepo.lockAccount(db, realm, key);
        await checkThrottles(db, realm, key, ip);
        const attempt = await loginAttemptsRepo.recordPending(db, realm, { email: key, ip });
        return { attemptId: attempt.id, loaded: await steps.load(db) };
      });
      const ok = await steps.check(loaded);
      return session.transaction(async ({ db }) => {
        const result = ok ? await steps.settle(db, loaded) : null;
        await loginAttemptsRepo.settle(db, attemptId, result !== null);
        if (result !== null) await loginAttemptsRepo.pruneOld(db);
        return result;
      });
    },

    /** A fresh single-use token of an account, stored as its SHA-256. */
    async issueToken<P extends string>(db: Tx, realm: AccountRealm<RealmAccount, P, unknown>, accountId: string, purpose: P, ttlMs: number): Promise<string> {
      const secret = newSecret('shr');
      await realm.tokens.insert(db, { ownerId: accountId, tokenHash: secret.hash, expiresAt: new Date(Date.now() + ttlMs), purpose });
      return secret.token;
    },

    /**
     * Mails an account a token (reset, confirmation) and always answers the same way, so it does not reveal
     * which emails have accounts. Past the hourly allowance per account and purpose the request is accepted
     * and dropped, so nobody can flood an inbox; the row lock makes parallel requests count in turn.
     */
    async mailToken<A extends RealmAccount, P extends string>(
      ctx: TenantContext,
      realm: AccountRealm<A, P, unknown>,
      input: {
        email: string;
        purpose: P;
        ttlMs: number;
        /** Whether this account should get the mail at all (beyond being active). */
        wanted?: (account: A) => boolean;
        mail: (token: string) => Mail;
      },
    ): Promise<void> {
      const account = await realm.credentials(ctx.db, input.email, true);
      if (!account || account.status !== 'active' || (input.wanted && !input.wanted(account))) return;
      if ((await realm.tokens.issuedSince(ctx.db, account.id, input.purpose, 60)) >= settings.mailsPerEmailHour) return;
      const token = await flows.issueToken(ctx.db, realm, account.id, input.purpose, input.ttlMs);
      await queueMail(ctx.db, [{ to_address: input.email, ...input.mail(token) }]);
    },

    /** Mails a password reset link; always accepted, so it does not reveal which emails have accounts. */
    requestPasswordReset: <A extends RealmAccount, P extends string>(
      ctx: TenantContext,
      realm: AccountRealm<A, P | 'reset', unknown>,
      input: { email: string },
    ) =>
      flows.mailToken(ctx, realm, { email: input.email, purpose: 'reset', ttlMs: RESET_TOKEN_TTL_MS, mail: (token) => realm.resetMail(ctx, token) }),

    /** Sets a new password with a mailed token (single use, unexpired) and ends the account's sessions. */
    async resetPassword<P extends string>(
      session: TenantSession,
      realm: AccountRealm<RealmAccount, P, unknown>,
      input: { token: string; password: string },
      purposes: readonly P[],
    ): Promise<void> {
      const passwordHash = await hashPassword(input.password);
      await session.transaction(async (ctx) => {
        const used = await realm.tokens.consume(ctx.db, sha256(input.token), purposes);
        if (!used) throw new AppError('unprocessable', text('platform.link_invalid'));
        await realm.setPassword(ctx, used.owner_id, passwordHash);
        await realm.sessions.revokeAllFor(ctx.db, used.owner_id);
      });
    },
  };
  return flows;
}
