import { z } from 'zod';
import { calendarDate } from '../../platform/dates.schemas.js';

/** A report reads at most about a year and a month: wider is a mistake, and would scan the whole history. */
export const MAX_PERIOD_DAYS = 400;
const daysBetween = (a: string, b: string) => (Date.parse(b) - Date.parse(a)) / 86_400_000;

const locationId = z.uuid().optional().describe('Only this location (lessons and check-ins held there; members whose home it is). Omitted: every location');

export const dayQuery = z
  .object({
    day: calendarDate.optional().describe('A local date in the studio’s time zone; omitted: the studio’s today'),
    locationId,
  })
  .strict();

export const periodQuery = z
  .object({
    from: calendarDate.describe('First local date of the period (studio time zone), inclusive'),
    to: calendarDate.describe('Last local date of the period, inclusive'),
    locationId,
  })
  .strict()
  .refine((q) => q.from <= q.to && daysBetween(q.from, q.to) <= MAX_PERIOD_DAYS, { message: 'reports.period_invalid', path: ['to'] });

export const atRiskQuery = z
  .object({
    days: z.coerce.number().int().min(1).max(365).default(30).describe('N: active members with no check-in in the last N days'),
    locationId,
  })
  .strict();

export const todayReport = z.object({
  day: z.string(),
  lessons: z.int().describe('Lessons (not cancelled) starting that day'),
  bookings: z.int().describe('Reservations on those lessons that hold a seat: booked, attended or no-show'),
  checkIns: z.int().describe('Check-ins at the front desk that day (with or without a reservation)'),
  noShows: z.int().describe('Reservations on those lessons marked no-show'),
});

export const membersReport = z.object({
  from: z.string(),
  to: z.string(),
  active: z.int().describe('Members whose status on the last day of the period was active'),
  trial: z.int().describe('Members whose status on the last day was trial'),
  onLeave: z.int().describe('Members whose status on the last day was on leave'),
  new: z.int().describe('Members who became active in the period from no membership before (provisional, trial or none)'),
  cancelled: z.int().describe('Members who changed to cancelled with an effective date in the period'),
  activeAtStart: z.int().describe('Members active or on leave on the day before the period'),
  churnRate: z.number().nullable().describe('cancelled ÷ activeAtStart (0–1); null when no member was active at the start'),
  trialsStarted: z.int().describe('Members who changed to trial with an effective date in the period'),
  trialsConverted: z.int().describe('Of those, the members who changed to active after the trial began and by the last day of the period'),
  trialConversion: z.number().nullable().describe('trialsConverted ÷ trialsStarted (0–1); null when no trial began in the period'),
});

const attendanceRow = z.object({
  id: z.uuid().nullable(),
  name: z.string().nullable().describe('null: lessons without an instructor'),
  lessons: z.int().describe('Held lessons: not cancelled, starting in the period'),
  capacity: z.int(),
  booked: z.int().describe('Reservations holding a seat: booked, attended or no-show'),
  attended: z.int(),
  noShows: z.int(),
  fillRate: z.number().nullable().describe('booked ÷ capacity (0–1); null without lessons'),
});
export const attendanceReport = z.object({
  from: z.string(),
  to: z.string(),
  total: attendanceRow.omit({ id: true, name: true }),
  byLessonType: z.array(attendanceRow),
  byInstructor: z.array(attendanceRow),
});

export const revenueReport = z.object({
  from: z.string(),
  to: z.string(),
  months: z.array(
    z.object({
      month: z.string().describe('YYYY-MM: the invoices’ billing period'),
      invoiced: z.int().describe('Totals of issued invoices (open, paid or uncollectible; not drafts or voided), yen'),
      paid: z.int().describe('Paid on those invoices, less refunds, yen'),
      overdue: z.int().describe('Unpaid on those invoices that are overdue (open, past their due date as of the studio’s today or escalated; written-off invoices are not), yen'),
    }),
  ),
  mrr: z.int().describe('Monthly recurring revenue: the current monthly price of every monthly contract running on the studio’s today whose member is active, yen'),
});

export const atRiskReport = z.object({
  days: z.int(),
  items: z.array(
    z.object({
      memberId: z.uuid(),
      memberNumber: z.int(),
      name: z.string(),
      lastCheckIn: z.string().nullable().describe('The last check-in ever, or null'),
    }),
  ),
});

export const dashboard = z.object({
  today: todayReport,
  members: membersReport.describe('From the first day of the day’s month to the day'),
  revenue: revenueReport.describe('The last six months up to the day’s month'),
});

export const csv = z.string().describe('text/csv; UTF-8 with a byte-order mark, headers in the reader’s language');
