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

/** Which email domains may sign up as members at a studio. */
export const signUpSettingsService = {
  async get(ctx: TenantContext) {
    const row = await settingsRepo.get(ctx.db);
    return { blockDisposableEmailDomains: row?.block_disposable_email_domains ?? DEFAULT_BLOCK_DISPOSABLE };
  },

  async update(ctx: TenantContext, input: { blockDisposableEmailDomains: boolean }) {
    const row = await settingsRepo.upsert(ctx.db, { block_disposable_email_domains: input.blockDisposableEmailDomains });
    return { blockDisposableEmailDomains: row.block_disposable_email_domains };
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
