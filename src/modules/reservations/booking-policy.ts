import type { Selectable } from 'kysely';
import type { Tx } from '../../platform/db/databases.js';
import type { AppLessonTypes, AppTenantSettings, PenaltyRule } from '../../platform/db/types.js';
import { addDays, localParts, minutesOfDay, zonedInstant, DEFAULT_QUIET_HOURS, type QuietHours } from '../../platform/calendar.js';
import { settingsRepo } from '../settings/settings.repo.js';

/** The booking rules of one lesson type: the studio's defaults with the type's own overrides. */
export interface BookingPolicy {
  opensDaysBefore: number;
  opensAt: string;
  closesMinutesBefore: number;
  cancelDeadlineMinutesBefore: number;
  lateCancelPenalty: PenaltyRule;
  noShowPenalty: PenaltyRule;
  penaltyFee: number;
}

/** Studio-wide rules for strikes and the waitlist. */
export interface StudioBookingRules {
  defaults: BookingPolicy;
  strikeLimit: number;
  strikeWindowDays: number;
  strikeBlockDays: number;
  waitlistAutoUntilHours: number;
  waitlistOfferMinutes: number;
  quietHours: QuietHours;
  /** Booked members are reminded this many hours before a lesson; null: no reminders. */
  reminderHoursBefore: number | null;
  waitingRoom: WaitingRoomRules;
}

/** A studio's waiting room for openings: members may queue this many minutes before (null: none), then in this order. */
export interface WaitingRoomRules {
  minutesBefore: number | null;
  order: 'arrival' | 'lottery';
}

/** The column defaults of migration 0008, for a studio that never saved its settings. */
export const DEFAULT_BOOKING_RULES: StudioBookingRules = {
  defaults: {
    opensDaysBefore: 7,
    opensAt: '12:00',
    closesMinutesBefore: 0,
    cancelDeadlineMinutesBefore: 180,
    lateCancelPenalty: 'lose_credit',
    noShowPenalty: 'lose_credit',
    penaltyFee: 0,
  },
  strikeLimit: 3,
  strikeWindowDays: 30,
  strikeBlockDays: 7,
  waitlistAutoUntilHours: 24,
  waitlistOfferMinutes: 30,
  quietHours: DEFAULT_QUIET_HOURS,
  reminderHoursBefore: null,
  waitingRoom: { minutesBefore: null, order: 'arrival' },
};

const hhmm = (t: string) => t.slice(0, 5);

/** The settings the booking rules are made of (reservationsRepo.lesson reads them with the lesson, as JSON). */
export type StudioSettingsRow = Pick<
  Selectable<AppTenantSettings>,
  | 'booking_opens_days_before' | 'booking_opens_at' | 'booking_closes_minutes_before' | 'cancel_deadline_minutes_before' | 'late_cancel_penalty'
  | 'no_show_penalty' | 'penalty_fee' | 'strike_limit' | 'strike_window_days' | 'strike_block_days' | 'waitlist_auto_until_hours'
  | 'waitlist_offer_minutes' | 'quiet_hours_start' | 'quiet_hours_end' | 'reminder_hours_before' | 'waiting_room_minutes_before' | 'waiting_room_order'
>;

export function studioRulesOf(row: StudioSettingsRow | null | undefined): StudioBookingRules {
  if (!row) return DEFAULT_BOOKING_RULES;
  return {
    defaults: {
      opensDaysBefore: row.booking_opens_days_before,
      opensAt: hhmm(row.booking_opens_at),
      closesMinutesBefore: row.booking_closes_minutes_before,
      cancelDeadlineMinutesBefore: row.cancel_deadline_minutes_before,
      lateCancelPenalty: row.late_cancel_penalty,
      noShowPenalty: row.no_show_penalty,
      penaltyFee: Number(row.penalty_fee),
    },
    strikeLimit: row.strike_limit,
    strikeWindowDays: row.strike_window_days,
    strikeBlockDays: row.strike_block_days,
    waitlistAutoUntilHours: row.waitlist_auto_until_hours,
    waitlistOfferMinutes: row.waitlist_offer_minutes,
    quietHours: row.quiet_hours_start && row.quiet_hours_end ? { start: hhmm(row.quiet_hours_start), end: hhmm(row.quiet_hours_end) } : null,
    reminderHoursBefore: row.reminder_hours_before,
    waitingRoom: { minutesBefore: row.waiting_room_minutes_before, order: row.waiting_room_order },
  };
}

export const studioBookingRules = async (db: Tx) => studioRulesOf(await settingsRepo.get(db));

type Overrides = Pick<
  Selectable<AppLessonTypes>,
  'booking_opens_days_before' | 'booking_opens_at' | 'booking_closes_minutes_before' | 'cancel_deadline_minutes_before' | 'late_cancel_penalty' | 'no_show_penalty' | 'penalty_fee'
>;

/** A lesson type's policy: each rule it overrides, the studio's default for the rest. */
export function policyOf(studio: StudioBookingRules, t: Overrides): BookingPolicy {
  const d = studio.defaults;
  return {
    opensDaysBefore: t.booking_opens_days_before ?? d.opensDaysBefore,
    opensAt: t.booking_opens_at ? hhmm(t.booking_opens_at) : d.opensAt,
    closesMinutesBefore: t.booking_closes_minutes_before ?? d.closesMinutesBefore,
    cancelDeadlineMinutesBefore: t.cancel_deadline_minutes_before ?? d.cancelDeadlineMinutesBefore,
    lateCancelPenalty: t.late_cancel_penalty ?? d.lateCancelPenalty,
    noShowPenalty: t.no_show_penalty ?? d.noShowPenalty,
    penaltyFee: t.penalty_fee === null ? d.penaltyFee : Number(t.penalty_fee),
  };
}

export const policyColumns = [
  'booking_opens_days_before',
  'booking_opens_at',
  'booking_closes_minutes_before',
  'cancel_deadline_minutes_before',
  'late_cancel_penalty',
  'no_show_penalty',
  'penalty_fee',
] as const;

const minutes = (n: number) => n * 60_000;

/**
 * When booking a lesson opens and closes, and until when it may be cancelled without penalty. The window
 * opens N days before the lesson's local day at the local opening time ("7 days before at 12:00").
 */
export function windowOf(startsAt: Date, policy: BookingPolicy, timeZone: string) {
  const day = localParts(startsAt, timeZone).date;
  return {
    opensAt: zonedInstant(addDays(day, -policy.opensDaysBefore), policy.opensAt, timeZone),
    closesAt: new Date(startsAt.getTime() - minutes(policy.closesMinutesBefore)),
    cancelDeadline: new Date(startsAt.getTime() - minutes(policy.cancelDeadlineMinutesBefore)),
  };
}

