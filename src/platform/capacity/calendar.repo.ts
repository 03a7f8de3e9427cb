import { policyOf, policyColumns, studioBookingRules, windowOf, type BookingPolicy } from '../../modules/reservations/booking-policy.js';
import type { TenantDirectory } from '../tenancy/directory.js';
import { tenantJob } from '../tenancy/job-context.js';
import type { CalendarLesson } from './planner.js';

const DAY = 86_400_000;

export interface TenantCalendar {
  tenantId: string;
  timeZone: string;
  lessons: CalendarLesson[];
}

/**
 * One tenant's scheduled lessons that can load the period: those starting around it, and those whose booking
 * window opens in it (up to the longest "opens N days before" of the studio and its lesson types, plus a day for
 * the zone). Read in the tenant's own transaction under RLS, like any job; null for a tenant that is not active
 * (a suspended studio's members cannot book, so it brings no load).
 */
export async function readTenantCalendar(directory: TenantDirectory, tenantId: string, range: { start: number; end: number; beforeMs: number; afterMs: number }, now: Date): Promise<TenantCalendar | null> {
  const job = await tenantJob(directory, tenantId, now);
  if (!job || job.tenant.status !== 'active') return null;
  const timeZone = job.tenant.timezone;
  const lessons = await job.transaction(async ({ db }) => {
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
  });
  return { tenantId, timeZone, lessons };
}
