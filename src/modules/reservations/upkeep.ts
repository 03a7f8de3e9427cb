import { sql } from 'kysely';
import { tenantJob } from '../../platform/tenancy/job-context.js';
import type { TenantContext } from '../../platform/tenancy/context.js';
import { policyOf, studioRulesOf } from './booking-policy.js';
import { creditsRepo } from '../credits/credits.repo.js';
import { applyPenalty } from './penalties.js';
import type { ReservationJobDeps } from './notify.js';
import { reservationsRepo } from './reservations.repo.js';
import { waitingRoomRepo } from './waiting-room.repo.js';
import { drawAtOf, drawIfDue } from './waiting-room.service.js';
import { expireOffers, promoteWaitlist } from './waitlist.service.js';

const PAGE = 500;
// A waiting room is kept a week after its opening, for questions about who got in when; then it goes.
const ROOMS_KEPT_MS = 7 * 24 * 3600_000;

/**
 * After a lesson: everyone still 'booked' did not check in, so is a no-show with the type's penalty; then the
 * lesson's attendance is closed. One lesson per transaction, and closed lessons are never visited again, so
 * a rerun after a crash charges nobody twice (penalties are also unique per reservation).
 */
async function closeAttendance(ctx: TenantContext, lessonId: string) {
  // Members first (a penalty may draw a credit), then the lesson: the lock order of bookings and cancellations.
  const members = await ctx.db.selectFrom('app.reservations').select('member_id').distinct().where('lesson_id', '=', lessonId).where('status', '=', 'booked').execute();
  if (members.length > 0) await creditsRepo.lockMembers(ctx.db, members.map((m) => m.member_id));
  const open = await ctx.db.selectFrom('app.lessons').select('id').where('id', '=', lessonId).where('attendance_closed_at', 'is', null).forNoKeyUpdate().executeTakeFirst();
  if (!open) return 0;
  const full = (await reservationsRepo.lesson(ctx.db, lessonId))!;
  const studio = studioRulesOf(full.studio_settings);
  const policy = policyOf(studio, full);
  const noShows = await reservationsRepo.setStatus(ctx.db, (await reservationsRepo.bookedOn(ctx.db, [lessonId])).map((r) => r.id), 'no_show', ctx.now);
  for (const r of noShows) {
    await applyPenalty(ctx.db, r, 'no_show', policy.noShowPenalty, { fee: policy.penaltyFee, studio, now: ctx.now, tenant: ctx.tenant, actor: { kind: 'system', id: null } });
  }
  await ctx.db.updateTable('app.lessons').set({ attendance_closed_at: ctx.now }).where('id', '=', lessonId).execute();
  return noShows.length;
}

/**
 * A tenant's reservation upkeep, run every minute and safe to rerun: lapsed waitlist offers, lessons whose held
 * or freed seats wait for promotion (the sweep behind every promotion kicked after a commit), attendance
 * of lessons that have ended, and waiting rooms of openings a week past.
 */
export async function runReservationUpkeep(deps: ReservationJobDeps, tenantId: string, now: Date) {
  const job = await tenantJob(deps.directory, tenantId, now);
  if (!job) return null;
  const { transaction } = job;
  // Waiting rooms a week past go in the same transaction, so a studio pays no extra transaction for them.
  const lapsed = await transaction(async (ctx) => {
    await waitingRoomRepo.purge(ctx.db, new Date(ctx.now.getTime() - ROOMS_KEPT_MS));
    return expireOffers(ctx);
  });
  const tally = { promoted: 0, offered: 0, skipped: 0, released: 0 };
  const promote = async (lessonId: string) => {
    const t = await promoteWaitlist(transaction, lessonId, deps.tenantUrl);
    for (const k of Object.keys(tally) as Array<keyof typeof tally>) tally[k] += t[k];
  };
  for (const lessonId of lapsed) await promote(lessonId);
  // Lessons with held seats, or with people waiting while a seat is on sale or booking is over: in id order,
  // a page at a time, so a lesson whose offer is still open is visited once per run.
  for (let after = '00000000-0000-0000-0000-000000000000'; ; ) {
    const page = await transaction((ctx) =>
      sql<{ id: string }>`
        select id from (
          select id from app.lessons where status = 'scheduled' and held > 0
          union
          select w.lesson_id from app.waitlist_entries w join app.lessons l on l.id = w.lesson_id
           where w.status = 'waiting' and l.status = 'scheduled' and (l.booked + l.held < l.capacity or l.starts_at <= ${ctx.now})
        ) x where id > ${after}::uuid order by id limit ${PAGE}`.execute(ctx.db),
    );
    for (const { id } of page.rows) await promote(id);
    if (page.rows.length < PAGE) break;
    after = page.rows.at(-1)!.id;
  }
  let noShows = 0;
  for (;;) {
    const ended = await transaction((ctx) =>
      ctx.db.selectFrom('app.lessons').select('id').where('attendance_closed_at', 'is', null).where('status', '=', 'scheduled').where('ends_at', '<=', ctx.now).orderBy('ends_at').limit(100).execute(),
    );
    for (const { id } of ended) noShows += await transaction((ctx) => closeAttendance(ctx, id));
    if (ended.length < 100) break;
  }
  return { tenantId, offersLapsed: lapsed.length, ...tally, noShows };
}

/** The draw of a waiting room, queued for a minute before its opening by its first join (a look after then draws it too). */
export async function runWaitingRoomDraw(deps: ReservationJobDeps, tenantId: string, opensAt: Date, now: Date) {
  const job = await tenantJob(deps.directory, tenantId, now);
  if (!job) return null;
  // The job queue's clock ran ahead of the app's: fail, and graphile-worker runs the job again a moment later.
  if (now < drawAtOf(opensAt)) throw new Error(`waiting room of ${opensAt.toISOString()} not due for its draw at ${now.toISOString()}`);
  const room = await job.transaction((ctx) => drawIfDue(ctx, opensAt));
  return room ? { drawnAt: room.drawn_at, places: room.last_position } : null;
}

/** The promotion job kicked after a cancellation commits. */
export async function runPromotion(deps: ReservationJobDeps, tenantId: string, lessonId: string, now: () => Date) {
  const job = await tenantJob(deps.directory, tenantId, now());
  return job ? promoteWaitlist(job.transaction, lessonId, deps.tenantUrl) : null;
}
