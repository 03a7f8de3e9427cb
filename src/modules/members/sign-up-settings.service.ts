import { AppError, notFound } from '../../platform/errors.js';
import { text } from '../../platform/i18n.js';
import type { TenantContext } from '../../platform/tenancy/context.js';
import { domainAndParents, isDisposable } from './disposable-domains.js';
import { blockedDomainsRepo } from './member-accounts.repo.js';
import { settingsRepo } from '../settings/settings.repo.js';

type BlockedDomainRow = NonNullable<Awaited<ReturnType<typeof blockedDomainsRepo.byId>>>;

const toDomainDto = (d: BlockedDomainRow) => ({ id: d.id, domain: d.domain, createdAt: d.created_at.toISOString() });

/** A studio without a settings row blocks disposable domains: the safe default. */
const DEFAULT_BLOCK_DISPOSABLE = true;
/** Until the studio names its terms' version (the column's default too). */
const DEFAULT_TERMS_VERSION = '1';

/** Who may sign up as a member at a studio, the terms they agree to, and what members may change without staff. */
export const signUpSettingsService = {
  async get(ctx: TenantContext) {
    const row = await settingsRepo.get(ctx.db);
    return {
      blockDisposableEmailDomains: row?.block_disposable_email_domains ?? DEFAULT_BLOCK_DISPOSABLE,
      terms: signUpSettingsService.termsOf(row),
      memberChangesNeedApproval: row?.member_changes_need_approval ?? false,
    };
  },

  /** The studio's membership terms, which the sign-up screen shows and a sign-up agrees to. */
  terms: async (ctx: TenantContext) => signUpSettingsService.termsOf(await settingsRepo.get(ctx.db)),

  termsOf: (row: { member_terms_version: string; member_terms_url: string | null } | undefined) => ({
    version: row?.member_terms_version ?? DEFAULT_TERMS_VERSION,
    url: row?.member_terms_url ?? null,
  }),

  async update(ctx: TenantContext, input: { blockDisposableEmailDomains?: boolean; terms?: { version: string; url: string | null }; memberChangesNeedApproval?: boolean }) {
    await settingsRepo.upsert(ctx.db, {
      block_disposable_email_domains: input.blockDisposableEmailDomains,
      member_changes_need_approval: input.memberChangesNeedApproval,
      member_terms_version: input.terms?.version,
      member_terms_url: input.terms?.url,
    });
    return signUpSettingsService.get(ctx);
  },

  listDomains: async (ctx: TenantContext) => ({ items: (await blockedDomainsRepo.list(ctx.db)).map(toDomainDto) }),

  async getDomain(ctx: TenantContext, id: string) {
    const row = await blockedDomainsRepo.byId(ctx.db, id);
    if (!row) throw notFound('members.thing.blocked_domain');
    return toDomainDto(row);
  },

  /** A domain already on the list is a conflict (409), from its unique key. */
  addDomain: async (ctx: TenantContext, input: { domain: string }) => toDomainDto(await blockedDomainsRepo.insert(ctx.db, input.domain)),

  async removeDomain(ctx: TenantContext, id: string) {
    if (!(await blockedDomainsRepo.delete(ctx.db, id))) throw notFound('members.thing.blocked_domain');
  },

  /** Refuses an email whose domain (or a parent domain of it) is disposable, when the studio says so, or on its list. */
  async assertEmailAllowed(ctx: TenantContext, email: string) {
    const domain = email.slice(email.lastIndexOf('@') + 1);
    if ((await signUpSettingsService.get(ctx)).blockDisposableEmailDomains && isDisposable(domain)) {
      throw new AppError('email_domain_blocked', text('members.disposable_domain', { domain }), {
        reason: 'disposable_domain',
      });
    }
    const blocked = await blockedDomainsRepo.firstOf(ctx.db, domainAndParents(domain));
    if (blocked) {
      throw new AppError('email_domain_blocked', text('members.blocked_domain', { studio: ctx.tenant.display_name, domain: blocked.domain }), {
        reason: 'blocked_by_studio',
      });
    }
  },
};
