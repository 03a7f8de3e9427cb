import type { AuthService } from '../../platform/auth/auth.service.js';
import { loginAttemptsRepo } from '../../platform/auth/credentials.repo.js';
import { RESET_TOKEN_TTL_MS, type AccountRealm, type Mail } from '../../platform/auth/realm.js';
import { hashPassword, sha256, verifyPassword } from '../../platform/auth/secrets.js';
import { AppError, refusal } from '../../platform/errors.js';
import { render, text, type Text } from '../../platform/i18n.js';
import type { TenantContext, TenantSession } from '../../platform/tenancy/context.js';
import { memberAccountsRepo, memberSessionsRepo, memberTokensRepo } from './member-accounts.repo.js';
import { membersRepo } from './members.repo.js';
import { membersService, type MemberInput } from './members.service.js';
import { signUpSettingsService } from './sign-up-settings.service.js';

const CONFIRM_TOKEN_TTL_MS = 48 * 3_600_000;

type MemberCredentials = NonNullable<Awaited<ReturnType<typeof memberAccountsRepo.credentials>>>;
type MemberRef = { id: string; memberNumber: number; familyName: string; givenName: string };
type MemberSignedIn = { token: string; expiresAt: string; member: MemberRef };

export interface SignUpInput extends Pick<MemberInput, 'familyName' | 'givenName' | 'familyNameKana' | 'givenNameKana' | 'phone'> {
  email: string;
  password: string;
  acceptedTermsVersion: string;
}

/** What a sign-up keeps until its email is confirmed, to make the member from. */
type SignUpProfile = Omit<SignUpInput, 'email' | 'password'>;

export type MemberAccountsService = ReturnType<typeof createMemberAccountsService>;

/**
 * The member realm: members sign up, confirm their email, sign in and reset their password themselves. It
 * shares its sign-in, session and mail-token code with staff (platform/auth/realm.ts) but has its own tables,
 * token prefix (shm_) and throttling counts.
 */
export function createMemberAccountsService(auth: Pick<AuthService, 'realms' | 'tenantUrl'>, settings: { sessionTtlHours: number }) {
  const { realms } = auth;

  const realm: AccountRealm<MemberCredentials, 'confirm' | 'reset', MemberSignedIn> = {
    name: 'member',
    sessionPrefix: 'shm',
    sessionTtlHours: settings.sessionTtlHours,
    sessions: memberSessionsRepo,
    tokens: memberTokensRepo,
    credentials: memberAccountsRepo.credentials,
    // A reset link proves the address as the confirmation link does, so it makes the sign-up a member too.
    async setPassword(ctx, id, passwordHash) {
      await becomeMember(ctx, id);
      await memberAccountsRepo.setPassword(ctx.db, id, passwordHash);
    },
    refusal: (account) =>
      account.confirmed_at
        ? null
        : new AppError('account_unconfirmed', text('members.account_unconfirmed')),
    async signedIn(db, account, session) {
      // Only a confirmed account signs in, and a confirmed one has its member (a check of member_accounts).
      const m = (await membersRepo.byId(db, account.member_id!))!;
      return { ...session, member: { id: m.id, memberNumber: m.member_number, familyName: m.family_name, givenName: m.given_name } };
    },
    resetMail: (ctx, token) => resetMail(ctx, 'member_password_reset', text('members.mail.reset.opening'), token),
  };

  const link = (ctx: TenantContext, path: string, token: string) =>
    `${auth.tenantUrl(ctx.tenant)}${path}?token=${encodeURIComponent(token)}`;

  /** Mails here go to the person asking (they signed up, or asked for a link): in the language of their request. */
  const say = (ctx: TenantContext, t: Text) => render(t, ctx.request.locale, ctx.tenant.timezone);

  const confirmationMail = (ctx: TenantContext) => (token: string): Mail => ({
    template: 'member_confirm_email',
    subject: say(ctx, text('members.mail.confirm.subject', { studio: ctx.tenant.display_name })),
    body: say(ctx, text('members.mail.confirm.body', { studio: ctx.tenant.display_name, link: link(ctx, '/member/confirm', token) })),
  });

  /** The confirmation mail, to an active account whose email is not confirmed yet (rate limited per hour). */
  const mailConfirmation = (ctx: TenantContext, email: string) =>
    realms.mailToken(ctx, realm, {
      email,
      purpose: 'confirm',
      ttlMs: CONFIRM_TOKEN_TTL_MS,
      wanted: (account) => !account.confirmed_at,
      mail: confirmationMail(ctx),
    });

  function resetMail(ctx: TenantContext, template: string, opening: Text, token: string): Mail {
    return {
      template,
      subject: say(ctx, text('members.mail.account.subject', { studio: ctx.tenant.display_name })),
      body: say(ctx, text('members.mail.reset.body', { opening, link: link(ctx, '/member/reset-password', token) })),
    };
  }

  /** The member the desk registered with a sign-up's email, not yet anyone's account: the one it joins. */
  const deskMemberOf = (withEmail: Awaited<ReturnType<typeof membersRepo.withEmail>>) => withEmail.find((m) => !m.has_account);

  /**
   * A sign-up whose email is now proven becomes a member: the one the desk registered with this email (who has no
   * account yet), or else a new provisional member from what the person typed in. Under the email's lock, which a
   * desk registration of the same email takes too, so the two never both make a member.
   */
  async function becomeMember(ctx: TenantContext, accountId: string) {
    const seen = await memberAccountsRepo.byId(ctx.db, accountId);
    if (!seen || seen.member_id) return;
    await membersRepo.lockImports(ctx.db, ctx.tenant.id, 'email');
    await loginAttemptsRepo.lockAccount(ctx.db, 'member', seen.email);
    const account = (await memberAccountsRepo.byId(ctx.db, accountId, true))!;
    if (account.member_id) return;
    const withEmail = await membersRepo.withEmail(ctx.db, account.email);
    const desk = deskMemberOf(withEmail);
    // Every member with this email already has an account (of another address): this person is not one of them
    // that we can prove, so they get a member of their own, with the address they proved.
    const profile = account.sign_up_profile as unknown as SignUpProfile;
    const memberId = desk?.id ?? (await membersService.create(ctx, { ...profile, email: account.email }, { emailTaken: withEmail.length > 0 })).id;
    // The desk's member keeps the desk's details, and records the terms the person agreed to when signing up.
    if (desk) await membersService.recordTerms(ctx, desk.id, profile.acceptedTermsVersion);
    await memberAccountsRepo.link(ctx.db, accountId, memberId);
  }

  return {
    realm,

    /**
     * Creates an unconfirmed account, and mails a confirmation link; confirming makes it a member (becomeMember).
     * The answer is the same whether or not the email already has an account (which instead gets a mail saying
     * so, with a reset link), so sign-up does not reveal who is a member. The password is hashed first, with no
     * connection held.
     */
    async signUp(session: TenantSession, input: SignUpInput): Promise<void> {
      const passwordHash = await hashPassword(input.password);
      await session.transaction(async (ctx) => {
        await signUpSettingsService.assertEmailAllowed(ctx, input.email);
        await loginAttemptsRepo.lockAccount(ctx.db, 'member', input.email);
        if (await memberAccountsRepo.credentials(ctx.db, input.email, true)) {
          await realms.mailToken(ctx, realm, {
            email: input.email,
            purpose: 'reset',
            ttlMs: RESET_TOKEN_TTL_MS,
            mail: (token) =>
              resetMail(ctx, 'member_sign_up_existing', text('members.mail.sign_up_existing.opening', { studio: ctx.tenant.display_name }), token),
          });
          return;
        }
        const { password: _password, email, ...profile } = input;
        await memberAccountsRepo.insertPending(ctx.db, { email, password_hash: passwordHash, sign_up_profile: profile });
        await mailConfirmation(ctx, input.email);
      });
    },

    /**
     * Confirms the email with the mailed token (single use, 48 h), makes the sign-up a member, and signs them in.
     * The link proves the mailbox, not who chose the password: anyone may sign up with a member's address. So a
     * sign-up that would join a member the desk registered also needs its password here (else a stranger's sign-up,
     * confirmed by the member out of habit, would let the stranger sign in as them). A refusal rolls back, and the
     * link still works; who cannot give the password sets a new one by a reset link, which proves the mailbox and
     * makes the password its owner's.
     */
    async confirm(ctx: TenantContext, input: { token: string; password?: string | undefined }) {
      const used = await memberTokensRepo.consume(ctx.db, sha256(input.token), ['confirm']);
      if (!used) throw new AppError('unprocessable', text('members.confirm_link_invalid'));
      const pending = await memberAccountsRepo.byId(ctx.db, used.owner_id);
      if (pending && !pending.member_id && deskMemberOf(await membersRepo.withEmail(ctx.db, pending.email))) {
        if (!input.password) throw refusal('password_required', text('members.confirm_password_required'));
        if (!(await verifyPassword(pending.password_hash, input.password))) {
          throw refusal('password_wrong', text('members.confirm_password_wrong'));
        }
      }
      await becomeMember(ctx, used.owner_id);
      const account = await memberAccountsRepo.confirm(ctx.db, used.owner_id);
      if (account.status !== 'active') throw new AppError('forbidden', text('members.account_disabled'));
      return realms.openSession(ctx.db, realm, account, ctx.request);
    },

    /** Always accepted; mails only an unconfirmed account, within the hourly allowance. */
    resendConfirmation: (ctx: TenantContext, input: { email: string }) => mailConfirmation(ctx, input.email),

    login: (session: TenantSession, input: { email: string; password: string }) => realms.signIn(session, realm, input),

    async logout(ctx: TenantContext) {
      if (ctx.principal?.kind === 'member') await memberSessionsRepo.revoke(ctx.db, ctx.principal.sessionId);
    },

    /** Always accepted, so it does not reveal which emails have accounts. */
    requestPasswordReset: (ctx: TenantContext, input: { email: string }) => realms.requestPasswordReset(ctx, realm, input),

    /** Sets the new password, confirms the email (the link proves it), and ends every session of the member. */
    confirmPasswordReset: (session: TenantSession, input: { token: string; password: string }) =>
      realms.resetPassword(session, realm, input, ['reset']),
  };
}
