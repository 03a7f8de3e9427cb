import { AppError } from '../../platform/errors.js';
import type { Tx } from '../../platform/db/databases.js';
import type { TenantContext } from '../../platform/tenancy/context.js';
import type { MembershipRules } from '../contracts/charges.js';
import { settingsRepo } from './settings.repo.js';
import { contractsRepo } from '../contracts/contracts.repo.js';
import { checkPenaltyFee, columnsOf, effectiveRules, hhmm, rulesOf, type BookingRules } from '../schedule/booking-rules.js';
import { lessonTypesRepo } from '../schedule/catalog.repo.js';
import type { z } from 'zod';
import type { bookingSettings } from './settings.schemas.js';

export type BookingSettings = z.output<typeof bookingSettings>;

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

/** The migration's column defaults (0008), for a studio that never saved its settings. */
export const DEFAULT_BOOKING: BookingSettings = {
  opensDaysBefore: 7,
  opensAt: '12:00',
  closesMinutesBefore: 0,
  cancelDeadlineMinutesBefore: 180,
  lateCancelPenalty: 'lose_credit',
  noShowPenalty: 'lose_credit',
  penaltyFee: 0,
  strikeLimit: 3,
  strikeWindowDays: 30,
  strikeBlockDays: 7,
  waitlistAutoUntilHours: 24,
  waitlistOfferMinutes: 30,
  quietHours: { start: '22:00', end: '08:00' },
};

/** The studio's booking rules: the defaults every lesson type uses unless it overrides them. */
export async function studioBookingRules(db: Tx): Promise<BookingSettings> {
  const row = await settingsRepo.get(db);
  if (!row) return DEFAULT_BOOKING;
  return {
    ...(rulesOf(row) as BookingRules),
    strikeLimit: row.strike_limit,
    strikeWindowDays: row.strike_window_days,
    strikeBlockDays: row.strike_block_days,
    waitlistAutoUntilHours: row.waitlist_auto_until_hours,
    waitlistOfferMinutes: row.waitlist_offer_minutes,
    quietHours: row.quiet_hours_start === null || row.quiet_hours_end === null ? null : { start: hhmm(row.quiet_hours_start), end: hhmm(row.quiet_hours_end) },
  };
}

export const bookingSettingsService = {
  get: (ctx: TenantContext) => studioBookingRules(ctx.db),

  async update(ctx: TenantContext, changes: Partial<BookingSettings>) {
    const next = { ...(await studioBookingRules(ctx.db)), ...changes };
    checkPenaltyFee(next, 'The studio’s booking rules');
    // A lesson type that charges a fee but leaves its amount to the studio must still charge something.
    for (const t of await lessonTypesRepo.list(ctx.db, false)) checkPenaltyFee(effectiveRules(next, rulesOf(t)), `Lesson type “${t.name}”`);
    const { strikeLimit, strikeWindowDays, strikeBlockDays, waitlistAutoUntilHours, waitlistOfferMinutes, quietHours, ...rules } = next;
    await settingsRepo.upsert(ctx.db, {
      ...columnsOf(rules),
      strike_limit: strikeLimit,
      strike_window_days: strikeWindowDays,
      strike_block_days: strikeBlockDays,
      waitlist_auto_until_hours: waitlistAutoUntilHours,
      waitlist_offer_minutes: waitlistOfferMinutes,
      quiet_hours_start: quietHours?.start ?? null,
      quiet_hours_end: quietHours?.end ?? null,
    });
    return studioBookingRules(ctx.db);
  },
};
