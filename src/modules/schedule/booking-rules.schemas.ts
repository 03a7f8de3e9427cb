import { z } from 'zod';

/*
 * The booking rules' fields apart from the code that enforces them: the web app's forms import these schemas,
 * and with them would otherwise bundle the server's errors and message catalogs.
 */

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

