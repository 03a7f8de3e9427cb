import { AppError } from '../../platform/errors.js';
import { text } from '../../platform/i18n.js';
import type { Tx } from '../../platform/db/databases.js';
import type { TenantContext } from '../../platform/tenancy/context.js';
import type { MembershipRules } from '../contracts/charges.js';
import { settingsRepo, type AppTenantSettingsRow } from './settings.repo.js';
import { contractsRepo } from '../contracts/contracts.repo.js';
import { checkPenaltyFee, columnsOf } from '../schedule/booking-rules.js';
import { DEFAULT_BOOKING_RULES, policyOf, studioBookingRules } from '../reservations/booking-policy.js';
import { lessonTypesRepo } from '../schedule/catalog.repo.js';
import type { z } from 'zod';
import type { bookingSettings as bookingSettingsSchema } from './settings.schemas.js';

export type BookingSettings = z.output<typeof bookingSettingsSchema>;

export const DEFAULT_RULES: MembershipRules = {
  prorationRule: 'daily',
  cutoffDay: 10,
  billingDay: 11,
  currency: 'JPY',
  taxRounding: 'floor',
};

/** The tenant's membership and billing rules; a tenant that never changed them has the defaults. */
export async function membershipRules(db: Tx): Promise<MembershipRules> {
  return rulesOf(await settingsRepo.get(db));
}

export function rulesOf(row: Pick<AppTenantSettingsRow, 'proration_rule' | 'cutoff_day' | 'billing_day' | 'currency' | 'tax_rounding'> | undefined): MembershipRules {
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
      throw new AppError('unprocessable', text('billing.cutoff_before_billing_day', { cutoffDay: next.cutoffDay, billingDay: next.billingDay }));
    }
    if (changes.currency && changes.currency !== current.currency && (await contractsRepo.hasAny(ctx.db))) {
      throw new AppError('unprocessable', text('billing.currency_fixed'));
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

/** The studio's booking rules as the settings API shows them: the defaults beside the strike and waitlist rules. */
async function bookingSettings(db: Tx): Promise<BookingSettings> {
  const { defaults, waitingRoom, ...studio } = await studioBookingRules(db);
  return { ...defaults, ...studio, waitingRoomMinutesBefore: waitingRoom.minutesBefore, waitingRoomOrder: waitingRoom.order };
}

export const bookingSettingsService = {
  get: (ctx: TenantContext) => bookingSettings(ctx.db),

  async update(ctx: TenantContext, changes: Partial<BookingSettings>) {
    const next = { ...(await bookingSettings(ctx.db)), ...changes };
    const { strikeLimit, strikeWindowDays, strikeBlockDays, waitlistAutoUntilHours, waitlistOfferMinutes, quietHours, reminderHoursBefore, waitingRoomMinutesBefore, waitingRoomOrder, ...rules } = next;
    checkPenaltyFee(rules, text('schedule.where.studio_rules'));
    // A lesson type that charges a fee but leaves its amount to the studio must still charge something.
    for (const t of await lessonTypesRepo.list(ctx.db, false)) {
      checkPenaltyFee(policyOf({ ...DEFAULT_BOOKING_RULES, defaults: rules }, t), text('schedule.where.lesson_type', { name: t.name }));
    }
    await settingsRepo.upsert(ctx.db, {
      ...columnsOf(rules),
      strike_limit: strikeLimit,
      strike_window_days: strikeWindowDays,
      strike_block_days: strikeBlockDays,
      waitlist_auto_until_hours: waitlistAutoUntilHours,
      waitlist_offer_minutes: waitlistOfferMinutes,
      quiet_hours_start: quietHours?.start ?? null,
      quiet_hours_end: quietHours?.end ?? null,
      reminder_hours_before: reminderHoursBefore,
      waiting_room_minutes_before: waitingRoomMinutesBefore,
      waiting_room_order: waitingRoomOrder,
    });
    return bookingSettings(ctx.db);
  },
};
