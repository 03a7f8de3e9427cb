import { sql } from 'kysely';
import { text } from '../../platform/i18n.js';
import type { TenantContext } from '../../platform/tenancy/context.js';
import { actorOf } from '../../platform/tenancy/actor.js';
import { creditsService } from '../credits/credits.service.js';
import { describeLesson, notifyMembers, studioVoice, studioWords } from './notify.js';
import { reservationsRepo, waitlistRepo } from './reservations.repo.js';
import { freeSeat } from './reservations.service.js';

/**
 * Cancels lessons: each one's booked reservations are released with their credits refunded, its waitlist is
 * closed, its seat counters go to zero, and everyone affected is told through the outbox. Lessons are locked
 * first, then their reservations, then the credit lots refunded (bookings take a lesson's seat before drawing on
 * a lot too); refunds never wait on a member lock, so this cannot deadlock with bookings.
 * `reason` is words for the members (staff's own, or already in the studio's language).
 */
export async function releaseLessons(ctx: TenantContext, lessonIds: string[], reason: string) {
  const ids = [...new Set(lessonIds)].sort();
  const lessons = [];
  for (const id of ids) {
    const lesson = await reservationsRepo.lockLesson(ctx.db, id);
    if (lesson && lesson.status === 'scheduled') lessons.push(lesson);
  }
  const live = lessons.map((l) => l.id);
  if (live.length === 0) return { lessons: 0, reservations: 0, credits: 0, waitlist: 0 };
  await ctx.db
    .updateTable('app.lessons')
    .set({ status: 'cancelled', cancelled_at: ctx.now, cancel_reason: reason, booked: 0, held: 0, updated_at: ctx.now })
    .where('id', 'in', live)
    .execute();
  const released = await reservationsRepo.setStatus(ctx.db, (await reservationsRepo.bookedOn(ctx.db, live)).map((r) => r.id), 'released', ctx.now);
  const actor = actorOf(ctx);
  for (const r of released) {
    if (r.credits_used > 0) await creditsService.refund(ctx.db, r.member_id, r.id, { actor, reason: studioWords(ctx.tenant, text('reservations.credit.lesson_cancelled')) });
  }
  const entries = await waitlistRepo.resolve(ctx.db, (await waitlistRepo.openOn(ctx.db, live)).map((e) => e.id), 'released', ctx.now, { note: studioWords(ctx.tenant, text('reservations.note.lesson_cancelled')) });

  const names = new Map(
    (await ctx.db.selectFrom('app.lessons as l').innerJoin('app.lesson_types as t', 't.id', 'l.lesson_type_id').select(['l.id', 'l.starts_at', 't.name as lesson_type_name']).where('l.id', 'in', live).execute()).map((l) => [
      l.id,
      describeLesson(l),
    ]),
  );
  for (const lessonId of live) {
    const affected = [...released.filter((r) => r.lesson_id === lessonId), ...entries.filter((e) => e.lesson_id === lessonId)].map((x) => x.member_id);
    const lesson = names.get(lessonId)!;
    await notifyMembers(
      ctx.db,
      affected,
      'lesson_cancelled',
      { subject: text('reservations.mail.lesson_cancelled.subject', { lesson }), body: (name) => text('reservations.mail.lesson_cancelled.body', { name, lesson, reason }) },
      studioVoice(ctx.tenant, ctx.now),
    );
  }
  const credits = released.reduce((n, r) => n + r.credits_used, 0);
  return { lessons: live.length, reservations: released.length, credits, waitlist: entries.length };
}

/**
 * Releases bookings no longer covered by the contract they were made under: the contract ends before the
 * lesson (a cancellation), or the lesson falls in a leave month. Each lesson is locked before its reservations,
 * as cancellations do; the seat goes to the waitlist or back on sale, credits come back, the member is told.
 * Run by the membership job, so a leave or cancellation frees its seats within the hour.
 */
export async function releaseUncovered(ctx: TenantContext, limit = 500) {
  const rows = await sql<{ id: string; lesson_id: string }>`
    select r.id, r.lesson_id
      from app.reservations r
      join app.lessons l on l.id = r.lesson_id
      join app.contracts c on c.id = r.contract_id
     where r.status = 'booked' and l.starts_at > ${ctx.now}
       and ((c.end_date is not null and c.end_date < (l.starts_at at time zone ${ctx.tenant.timezone})::date)
         or exists (select 1 from app.contract_leaves lv
                     where lv.contract_id = c.id and lv.withdrawn_at is null
                       and lv.from_month <= (l.starts_at at time zone ${ctx.tenant.timezone})::date
                       and (lv.return_month is null or lv.return_month > (l.starts_at at time zone ${ctx.tenant.timezone})::date)))
     order by r.lesson_id
     limit ${limit}`.execute(ctx.db);
  const actor = actorOf(ctx);
  let released = 0;
  for (const lessonId of new Set(rows.rows.map((r) => r.lesson_id))) {
    const lesson = (await reservationsRepo.lockLesson(ctx.db, lessonId))!;
    const ids = rows.rows.filter((r) => r.lesson_id === lessonId).map((r) => r.id);
    const done = await ctx.db.updateTable('app.reservations').set({ status: 'released', cancelled_at: ctx.now }).where('id', 'in', ids).where('status', '=', 'booked').returningAll().execute();
    for (const r of done) {
      if (r.credits_used > 0) await creditsService.refund(ctx.db, r.member_id, r.id, { actor, reason: studioWords(ctx.tenant, text('reservations.credit.membership_paused')) });
      if (await freeSeat(ctx, lessonId, lesson.starts_at)) ctx.queueAfterCommit?.('waitlist_promote', { tenantId: ctx.tenant.id, lessonId });
    }
    const what = describeLesson({ lesson_type_name: (await reservationsRepo.lesson(ctx.db, lessonId))!.lesson_type_name, starts_at: lesson.starts_at });
    await notifyMembers(
      ctx.db,
      done.map((r) => r.member_id),
      'reservation_released',
      { subject: text('reservations.mail.reservation_released.subject', { lesson: what }), body: (name) => text('reservations.mail.reservation_released.body', { name, lesson: what }) },
      studioVoice(ctx.tenant, ctx.now),
    );
    released += done.length;
  }
  return released;
}
