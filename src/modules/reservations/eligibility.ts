import { AppError, notFound, refusal } from '../../platform/errors.js';
import { day, text, type Text } from '../../platform/i18n.js';
import type { Tx } from '../../platform/db/databases.js';
import { addDays, addMonths, localParts, monthOf, todayIn, zonedInstant } from '../../platform/calendar.js';
import { creditsRepo } from '../credits/credits.repo.js';
import { reservationsRepo } from './reservations.repo.js';

export interface BookingLesson {
  id: string;
  lesson_type_id: string;
  lesson_type_name: string;
  location_id: string;
  starts_at: Date;
  ends_at: Date;
}

/**
 * Checks everything about the member that decides whether they may hold a seat now: standing (status, strikes
 * block, overdue invoice), a contract that covers the lesson's day, type and location and is not on leave, the
 * plan's limits, and no overlapping booking. With `limits: false` (joining a waitlist) limits and overlap are
 * left for promotion time. With `refuseBooked`, a member who already holds a seat in the lesson is refused before
 * anything else. Returns the contract to book under and whether it costs a credit, and with limits the member's
 * waitlist entries overlapping the lesson. All of it is read in one statement.
 */
export async function eligibility(db: Tx, memberId: string, lesson: BookingLesson, p: { now: Date; timeZone: string; limits: boolean; refuseBooked: boolean }) {
  const today = todayIn(p.timeZone, p.now);
  const local = localParts(lesson.starts_at, p.timeZone);
  const facts = await reservationsRepo.eligibilityFacts(db, memberId, { lesson, now: p.now, today, day: local.date, bounds: p.limits ? boundsOf(lesson, local.date, p) : null });
  if (!facts) throw notFound('reservations.thing.member');
  if (p.refuseBooked && facts.already_booked) throw new AppError('conflict', text('reservations.already_booked'), { reason: 'already_booked' });
  return { ...judge(facts, lesson, local.date, p.timeZone), waitlist: facts.waitlist };
}

type Facts = NonNullable<Awaited<ReturnType<typeof reservationsRepo.eligibilityFacts>>>;

function judge(standing: Facts, lesson: BookingLesson, date: string, timeZone: string) {
  switch (standing.status) {
    case 'on_leave':
      throw refusal('on_leave', text('reservations.on_leave'));
    case 'cancelled':
      throw refusal('cancelled', text('reservations.cancelled'));
    case 'provisional':
      throw refusal('provisional', text('reservations.provisional'));
    default:
  }
  if (standing.blocked_until) {
    throw refusal('blocked', text('reservations.blocked', { until: day(localParts(new Date(standing.blocked_until), timeZone).date) }), {
      blockedUntil: new Date(standing.blocked_until).toISOString(),
    });
  }
  if (Number(standing.overdue_invoices) > 0) throw refusal('overdue_invoice', text('reservations.overdue_invoice'));

  const contracts = standing.contracts;
  if (contracts.length === 0) throw refusal('no_contract', text('reservations.no_contract', { date: day(date) }));
  const covering = contracts.filter((c) => !c.on_leave);
  // Mid-month, so that the month is the same in every time zone the format may apply.
  if (covering.length === 0) throw refusal('on_leave', text('reservations.on_leave_in', { month: day(`${monthOf(date)}-15`) }));
  const forType = covering.filter((c) => c.type_ok);
  if (forType.length === 0) throw refusal('lesson_type_not_in_plan', text('reservations.lesson_type_not_in_plan', { plans: listOf(covering.map((c) => c.plan_name)), lessonType: lesson.lesson_type_name }));
  const usable = forType.filter((c) => c.location_ok);
  if (usable.length === 0) throw refusal('location_not_in_plan', text('reservations.location_not_in_plan', { plans: listOf(forType.map((c) => c.plan_name)) }));

  // Unlimited plans first: a member with both a monthly plan and a pack spends pack credits only when needed.
  const ordered = [...usable].sort((a, b) => Number(costsCredit(a)) - Number(costsCredit(b)));
  const counts = standing.counts;
  if (!counts) return { contractId: ordered[0]!.contract_id, costsCredit: costsCredit(ordered[0]!) };

  if (counts.overlapping) throw new AppError('conflict', text('reservations.overlapping', { lessonType: counts.overlapping }), { reason: 'overlapping' });
  let firstRefusal: AppError | undefined;
  for (const c of ordered) {
    const over = exceeded(c, counts);
    if (!over) return { contractId: c.contract_id, costsCredit: costsCredit(c) };
    firstRefusal ??= refusal('plan_limit', text('reservations.plan_limit', { plan: c.plan_name, limit: over }));
  }
  throw firstRefusal!;
}

/** Names as a list in the reader's language: "Monthly, Pack" / "月会員、回数券". */
const listOf = (names: string[]): Text | string =>
  names.slice(1).reduce<Text | string>((first, next) => text('reservations.list', { first, next }), names[0] ?? '');

const costsCredit = (c: { kind: string; credit_grant: string }) => c.kind === 'pack' || c.credit_grant !== 'none';

function exceeded(c: { max_upcoming: number | null; max_per_day: number | null; max_per_week: number | null; max_per_month: number | null }, n: { upcoming: number; day: number; week: number; month: number }): Text | null {
  if (c.max_upcoming !== null && n.upcoming >= c.max_upcoming) return text('reservations.limit.upcoming', { count: c.max_upcoming });
  if (c.max_per_day !== null && n.day >= c.max_per_day) return text('reservations.limit.day', { count: c.max_per_day });
  if (c.max_per_week !== null && n.week >= c.max_per_week) return text('reservations.limit.week', { count: c.max_per_week });
  if (c.max_per_month !== null && n.month >= c.max_per_month) return text('reservations.limit.month', { count: c.max_per_month });
  return null;
}

/** The local day, ISO week and month of the lesson, as instants, for counting a plan's limits. */
function boundsOf(lesson: BookingLesson, day: string, p: { now: Date; timeZone: string }) {
  const at = (d: string) => zonedInstant(d, '00:00', p.timeZone);
  const weekStart = addDays(day, 1 - localParts(lesson.starts_at, p.timeZone).weekday);
  const month = monthOf(day);
  return {
    now: p.now,
    dayStart: at(day),
    dayEnd: at(addDays(day, 1)),
    weekStart: at(weekStart),
    weekEnd: at(addDays(weekStart, 7)),
    monthStart: at(`${month}-01`),
    monthEnd: at(`${addMonths(month, 1)}-01`),
    lessonStart: lesson.starts_at,
    lessonEnd: lesson.ends_at,
  };
}

/** Serialises one member's bookings, so that limits and credits are judged on what is committed. */
export const lockMember = (db: Tx, memberId: string) => creditsRepo.lockMember(db, memberId);
