import type { PenaltyRule } from '../../platform/db/types.js';
import { AppError } from '../../platform/errors.js';
import { text, type Text } from '../../platform/i18n.js';
import { hhmm, type BookingRules } from './booking-rules.schemas.js';

export { bookingRuleFields, hhmm, localTime, type BookingRules } from './booking-rules.schemas.js';

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
