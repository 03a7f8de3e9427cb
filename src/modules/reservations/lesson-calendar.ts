import type { LessonCalendar } from '../../platform/composition.js';
import { policyOf, policyColumns, studioBookingRules, windowOf, type BookingPolicy } from './booking-policy.js';

const DAY = 86_400_000;

/**
 * One tenant's scheduled lessons that can load the period, for the capacity planner: those starting around it,
 * and those whose booking window opens in it (up to the longest "opens N days before" of the studio and its lesson
 * types, plus a day for the zone).
 */
export const lessonCalendar: LessonCalendar = async (db, range, timeZone) => {
  const studio = await studioBookingRules(db);
  const types = await db.selectFrom('app.lesson_types').select(['id', ...policyColumns]).execute();
  const policies = new Map<string, BookingPolicy>(types.map((t) => [t.id, policyOf(studio, t)]));
  const longest = Math.max(studio.defaults.opensDaysBefore, ...[...policies.values()].map((p) => p.opensDaysBefore));
  const rows = await db
    .selectFrom('app.lessons')
    .select(['starts_at', 'capacity', 'booked', 'lesson_type_id'])
    .where('status', '=', 'scheduled')
    .where('starts_at', '>=', new Date(range.start - range.afterMs))
    .where('starts_at', '<', new Date(Math.max(range.end + range.beforeMs, range.end + (longest + 1) * DAY)))
    .execute();
  return rows.map((r) => ({
    startsAt: r.starts_at.getTime(),
    capacity: r.capacity,
    booked: r.booked,
    opensAt: windowOf(r.starts_at, policies.get(r.lesson_type_id) ?? studio.defaults, timeZone).opensAt.getTime(),
  }));
};
