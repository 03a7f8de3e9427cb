import { sql } from 'kysely';
import { text } from '../../platform/i18n.js';
import { tenantJob } from '../../platform/tenancy/job-context.js';
import type { TenantContext } from '../../platform/tenancy/context.js';
import { policyOf, studioBookingRules, windowOf } from './booking-policy.js';
import { describeLesson, notifyMembers, studioVoice, type ReservationJobDeps, type StudioUrl } from './notify.js';
import { reservationsRepo } from './reservations.repo.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** How long before a favourited lesson's booking opens its followers are told. */
export const WINDOW_NOTICE_MS = 10 * 60_000;
const PAGE = 500;

/**
 * Reminds members of their bookings of lessons that start within the studio's `reminder_hours_before`. Each
 * reservation is marked reminded by the statement that picks it, in the transaction that queues its message: a
 * second run, or one running at the same moment (it waits on the row and then finds it marked), reminds nobody
 * again. A booking made after its reminder time needs none: the member has just booked it.
 */
async function remindBatch(ctx: TenantContext, tenantUrl: StudioUrl): Promise<number> {
  const hours = (await studioBookingRules(ctx.db)).reminderHoursBefore;
  if (!hours) return 0;
  const until = new Date(ctx.now.getTime() + hours * HOUR);
  const { rows } = await sql<{ member_id: string; lesson_id: string }>`
    update app.reservations r set reminded_at = ${ctx.now}
     where r.reminded_at is null and r.status = 'booked'
       and r.id in (
         select r2.id from app.reservations r2 join app.lessons l on l.id = r2.lesson_id
          where r2.status = 'booked' and r2.reminded_at is null and l.status = 'scheduled'
            and l.starts_at > ${ctx.now} and l.starts_at <= ${until}
            and r2.created_at < l.starts_at - make_interval(hours => ${hours}::int)
          limit ${PAGE})
    returning r.member_id, r.lesson_id`.execute(ctx.db);
  const byLesson = new Map<string, string[]>();
  for (const r of rows) byLesson.set(r.lesson_id, [...(byLesson.get(r.lesson_id) ?? []), r.member_id]);
  const voice = studioVoice(ctx.tenant, ctx.now);
  for (const [lessonId, reminded] of byLesson) {
    const row = (await reservationsRepo.lesson(ctx.db, lessonId))!;
    const lesson = describeLesson(row);
    await notifyMembers(
      ctx.db,
      reminded,
      'lesson_reminder',
      {
        subject: text('reservations.mail.lesson_reminder.subject', { lesson }),
        body: (name) => text('reservations.mail.lesson_reminder.body', { name, lesson }),
        link: `${tenantUrl(ctx.tenant)}/member/bookings`,
        optional: true,
        until: row.starts_at,
      },
      voice,
    );
  }
  return rows.length;
}

/**
 * Tells the followers of a lesson series that booking one of its lessons opens within the next ten minutes. The
 * notice's key (lesson, member) is written in the transaction that queues the message, so each member hears of
 * each lesson once. A run that comes after the window opened says nothing: "opens soon" would be wrong by then.
 */
async function windowNoticeBatch(ctx: TenantContext, tenantUrl: StudioUrl): Promise<number> {
  const studio = await studioBookingRules(ctx.db);
  const longest = (await ctx.db.selectFrom('app.lesson_types').select((eb) => eb.fn.max('booking_opens_days_before').as('days')).executeTakeFirst())?.days ?? 0;
  // A window opens at most this far ahead of its lesson (days before, then the local opening time).
  const horizon = new Date(ctx.now.getTime() + (Math.max(studio.defaults.opensDaysBefore, longest) + 2) * DAY);
  // Every minute, for every studio: the lessons and their booking rules in one read, not one per lesson.
  const lessons = await reservationsRepo.followedLessons(ctx.db, ctx.now, horizon);
  let told = 0;
  const voice = studioVoice(ctx.tenant, ctx.now);
  for (const lesson of lessons) {
    const { id } = lesson;
    const { opensAt } = windowOf(lesson.starts_at, policyOf(studio, lesson), ctx.tenant.timezone);
    if (opensAt <= ctx.now || opensAt.getTime() - ctx.now.getTime() > WINDOW_NOTICE_MS) continue;
    const { rows } = await sql<{ member_id: string }>`
      insert into app.booking_window_notices (member_id, lesson_id, sent_at)
      select f.member_id, l.id, ${ctx.now} from app.favourites f join app.lessons l on l.series_id = f.series_id
       where l.id = ${id}
      on conflict do nothing
      returning member_id`.execute(ctx.db);
    const named = describeLesson(lesson);
    told += await notifyMembers(
      ctx.db,
      rows.map((r) => r.member_id),
      'booking_window_opens',
      {
        subject: text('reservations.mail.booking_window_opens.subject', { lesson: named }),
        body: (name) => text('reservations.mail.booking_window_opens.body', { name, lesson: named, opensAt }),
        link: `${tenantUrl(ctx.tenant)}/member`,
        optional: true,
        until: opensAt,
      },
      voice,
    );
  }
  return told;
}

/** A studio's reminders and booking-window notices, run every minute and safe to rerun (or to run twice at once). */
export async function runReminders(deps: ReservationJobDeps, tenantId: string, now: Date) {
  const job = await tenantJob(deps.directory, tenantId, now);
  if (!job) return null;
  let reminded = 0;
  for (;;) {
    const n = await job.transaction((ctx) => remindBatch(ctx, deps.tenantUrl));
    reminded += n;
    if (n < PAGE) break;
  }
  const windowNotices = await job.transaction((ctx) => windowNoticeBatch(ctx, deps.tenantUrl));
  return { tenantId, reminded, windowNotices };
}
