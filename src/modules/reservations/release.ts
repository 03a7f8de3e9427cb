import type { TenantContext } from '../../platform/tenancy/context.js';
import { actorOf } from '../../platform/tenancy/actor.js';
import { creditsService } from '../credits/credits.service.js';
import { describeLesson, notifyMembers } from './notify.js';
import { reservationsRepo, waitlistRepo } from './reservations.repo.js';

/**
 * Cancels lessons: each one's booked reservations are released with their credits refunded, its waitlist is
 * closed, its seat counters go to zero, and everyone affected is told through the outbox. Lessons are locked
 * first, then their reservations; refunds never wait on a member lock, so this cannot deadlock with bookings.
 */
export async function releaseLessons(ctx: TenantContext, lessonIds: string[], reason: string) {
  const ids = [...new Set(lessonIds)].sort();
  const lessons = [];
  for (const id of ids) {
    const lesson = await reservationsRepo.lockLesson(ctx.db, id);
    if (lesson && lesson.status === 'scheduled') lessons.push(lesson);
  }
  const live = lessons.map((l) => l.id);
  if (live.length === 0) return { lessons: 0, reservations: 0, waitlist: 0 };
  await ctx.db
    .updateTable('app.lessons')
    .set({ status: 'cancelled', cancelled_at: ctx.now, cancel_reason: reason, booked: 0, held: 0, updated_at: ctx.now })
    .where('id', 'in', live)
    .execute();
  const released = await reservationsRepo.setStatus(ctx.db, (await reservationsRepo.bookedOn(ctx.db, live)).map((r) => r.id), 'released', ctx.now);
  const actor = actorOf(ctx);
  for (const r of released) {
    if (r.credits_used > 0) await creditsService.refund(ctx.db, r.member_id, r.id, { actor, reason: 'Lesson cancelled' });
  }
  const entries = await waitlistRepo.resolve(ctx.db, (await waitlistRepo.openOn(ctx.db, live)).map((e) => e.id), 'released', ctx.now, { note: 'Lesson cancelled' });

  const names = new Map(
    (await ctx.db.selectFrom('app.lessons as l').innerJoin('app.lesson_types as t', 't.id', 'l.lesson_type_id').select(['l.id', 'l.starts_at', 't.name as lesson_type_name']).where('l.id', 'in', live).execute()).map((l) => [
      l.id,
      describeLesson(l, ctx.tenant.timezone),
    ]),
  );
  for (const lessonId of live) {
    const affected = [...released.filter((r) => r.lesson_id === lessonId), ...entries.filter((e) => e.lesson_id === lessonId)].map((x) => x.member_id);
    await notifyMembers(ctx.db, affected, 'lesson_cancelled', `Cancelled: ${names.get(lessonId)}`, (name) =>
      `${name} 様\n\n${names.get(lessonId)} has been cancelled by the studio (${reason}).\nAny credit used for your booking has been returned.\n`,
    );
  }
  return { lessons: live.length, reservations: released.length, waitlist: entries.length };
}
