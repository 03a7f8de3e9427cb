import { z } from 'zod';
import type { PenaltyRule } from '../../platform/db/types.js';
import { AppError } from '../../platform/errors.js';
import { text, type Text } from '../../platform/i18n.js';

/** A local wall-clock time in the studio's zone. */
export const localTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'use a local time such as 09:30');
/** PostgreSQL answers a time as 'HH:MM:SS'; the API speaks 'HH:MM'. */
export const hhmm = (time: string) => time.slice(0, 5);

const penalty = z.enum(['none', 'lose_credit', 'fee', 'strike']);

/** The booking rules a lesson type may override; the studio's settings hold the defaults. */
export const bookingRuleFields = {
  opensDaysBefore: z.int().min(0).max(90).describe('Booking opens this many days before the lesson’s day …'),
  opensAt: localTime.describe('… at this local time'),
  closesMinutesBefore: z.int().min(0).max(10080).describe('Booking closes this many minutes before the start'),
  cancelDeadlineMinutesBefore: z.int().min(0).max(10080).describe('Cancelling later than this is a late cancellation'),
  lateCancelPenalty: penalty,
  noShowPenalty: penalty,
  penaltyFee: z.int().min(0).max(100_000_000).describe("What a 'fee' penalty charges (minor units, tax included)"),
};
export type BookingRules = { [K in keyof typeof bookingRuleFields]: z.output<(typeof bookingRuleFields)[K]> };

/** The same fields as columns; a lesson type's NULL means "the studio's default". */
const columns = {
  opensDaysBefore: 'booking_opens_days_before',
  opensAt: 'booking_opens_at',
  closesMinutesBefore: 'booking_closes_minutes_before',
  cancelDeadlineMinutesBefore: 'cancel_deadline_minutes_before',
  lateCancelPenalty: 'late_cancel_penalty',
  noShowPenalty: 'no_show_penalty',
  penaltyFee: 'penalty_fee',
} as const satisfies Record<keyof BookingRules, string>;
type Nullable<T> = { [K in keyof T]: T[K] | null };
type RuleColumns = { [K in keyof BookingRules as (typeof columns)[K]]: BookingRules[K] | null };

/** Rule columns of a row (settings or lesson type) in API form; a lesson type's null stays null. */
export function rulesOf(row: RuleColumns): Nullable<BookingRules> {
  const out = Object.fromEntries(Object.entries(columns).map(([key, column]) => [key, row[column]])) as Nullable<BookingRules>;
  return { ...out, opensAt: out.opensAt === null ? null : hhmm(out.opensAt) };
}

export type RuleOverrides = Partial<Nullable<BookingRules>>;

/** Every rule left to the studio: what a lesson type without overrides has. */
export const emptyOverrides: Nullable<BookingRules> = Object.fromEntries(Object.keys(columns).map((k) => [k, null])) as Nullable<BookingRules>;

/** API rule fields to column changes; undefined fields are left out, so they keep their value. */
export function columnsOf<R extends Partial<Nullable<BookingRules>>>(rules: R): { [K in keyof R & keyof BookingRules as (typeof columns)[K]]?: Exclude<R[K], undefined> } {
  return Object.fromEntries(
    Object.entries(rules)
      .filter(([, v]) => v !== undefined)
      .map(([key, v]) => [columns[key as keyof BookingRules], v]),
  ) as never;
}

/**
 * A 'fee' penalty with no fee would charge nothing and look like a bug to the member; refuse it. `where` names the
 * rules: `text('schedule.where.studio_rules')` or `text('schedule.where.lesson_type', { name })`.
 */
export function checkPenaltyFee(rules: Pick<BookingRules, 'lateCancelPenalty' | 'noShowPenalty' | 'penaltyFee'>, where: Text) {
  const fee = (p: PenaltyRule) => p === 'fee';
  if ((fee(rules.lateCancelPenalty) || fee(rules.noShowPenalty)) && rules.penaltyFee <= 0) {
    throw new AppError('unprocessable', text('schedule.fee_needs_amount', { where }));
  }
}
