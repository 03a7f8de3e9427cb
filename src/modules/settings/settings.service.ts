import { AppError } from '../../platform/errors.js';
import type { Tx } from '../../platform/db/databases.js';
import type { TenantContext } from '../../platform/tenancy/context.js';
import type { MembershipRules } from '../contracts/charges.js';
import { settingsRepo } from './settings.repo.js';
import { contractsRepo } from '../contracts/contracts.repo.js';

export const DEFAULT_RULES: MembershipRules = {
  prorationRule: 'daily',
  cutoffDay: 10,
  billingDay: 11,
  currency: 'JPY',
  taxRounding: 'floor',
};

/** The tenant's membership and billing rules; a tenant that never changed them has the defaults. */
export async function membershipRules(db: Tx): Promise<MembershipRules> {
  const row = await settingsRepo.get(db);
  if (!row) return DEFAULT_RULES;
  return {
    prorationRule: row.proration_rule,
    cutoffDay: row.cutoff_day,
    billingDay: row.billing_day,
    currency: row.currency,
    taxRounding: row.tax_rounding,
  };
}

export const settingsService = {
  get: (ctx: TenantContext) => membershipRules(ctx.db),

  async update(ctx: TenantContext, changes: Partial<MembershipRules>) {
    const current = await membershipRules(ctx.db);
    const next = { ...current, ...changes };
    if (next.cutoffDay >= next.billingDay) {
      throw new AppError('unprocessable', `The cut-off day (${next.cutoffDay}) must come before the billing day (${next.billingDay})`);
    }
    if (changes.currency && changes.currency !== current.currency && (await contractsRepo.hasAny(ctx.db))) {
      throw new AppError('unprocessable', 'The currency cannot change once contracts exist: their prices are in the old one');
    }
    await settingsRepo.upsert(ctx.db, {
      proration_rule: next.prorationRule,
      cutoff_day: next.cutoffDay,
      billing_day: next.billingDay,
      currency: next.currency,
      tax_rounding: next.taxRounding,
    });
    return membershipRules(ctx.db);
  },
};
