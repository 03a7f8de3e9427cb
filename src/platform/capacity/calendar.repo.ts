import type { LessonCalendar } from '../composition.js';
import type { TenantDirectory } from '../tenancy/directory.js';
import { tenantJob } from '../tenancy/job-context.js';
import type { CalendarLesson } from './planner.js';

export interface TenantCalendar {
  tenantId: string;
  timeZone: string;
  lessons: CalendarLesson[];
}

/**
 * One tenant's lessons that can load the period (which ones, and when their booking opens, is the booking
 * policy's to say: `lessonCalendar`, from the reservations module). Read in the tenant's own transaction under RLS,
 * like any job; null for a tenant that is not active (a suspended studio's members cannot book, so it brings no load).
 */
export async function readTenantCalendar(
  directory: TenantDirectory,
  lessonCalendar: LessonCalendar,
  tenantId: string,
  range: { start: number; end: number; beforeMs: number; afterMs: number },
  now: Date,
): Promise<TenantCalendar | null> {
  const job = await tenantJob(directory, tenantId, now);
  if (!job || job.tenant.status !== 'active') return null;
  const timeZone = job.tenant.timezone;
  const lessons = await job.transaction(({ db }) => lessonCalendar(db, range, timeZone));
  return { tenantId, timeZone, lessons };
}
