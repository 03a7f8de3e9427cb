import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { AppError, notFound } from '../../platform/errors.js';
import type { Tx } from '../../platform/db/databases.js';
import { tenantToday } from '../../platform/calendar.js';
import { text } from '../../platform/i18n.js';
import type { TenantContext } from '../../platform/tenancy/context.js';
import { actorOf } from '../../platform/tenancy/actor.js';
import { creditsService } from '../credits/credits.service.js';
import { actingMemberId } from '../members/acting-member.js';
import { policyOf, studioBookingRules, studioRulesOf, windowOf, type StudioBookingRules } from './booking-policy.js';
import { eligibility, lockMember } from './eligibility.js';
import { applyPenalty } from './penalties.js';
import { studioWords } from './notify.js';
import { waitlistService } from './waitlist.service.js';
import { assertPastGate, gatesFor, joinWaitingRoom, roomSummary, standingOf } from './waiting-room.service.js';
import { reservationsRepo, waitlistRepo, type Reservation, type WaitlistEntry } from './reservations.repo.js';

type Lesson = NonNullable<Awaited<ReturnType<typeof reservationsRepo.lesson>>>;

export const toReservation = (r: Reservation) => ({
  id: r.id,
  lessonId: r.lesson_id,
  memberId: r.member_id,
  status: r.status,
  spot: r.spot,
  creditsUsed: r.credits_used,
  source: r.source,
  createdAt: r.created_at.toISOString(),
  cancelledAt: r.cancelled_at?.toISOString() ?? null,
  checkedInAt: r.checked_in_at?.toISOString() ?? null,
});

export const toWaitlistEntry = (e: WaitlistEntry, position: number | null) => ({
  id: e.id,
  lessonId: e.lesson_id,
  memberId: e.member_id,
  status: e.status,
  position,
  joinedAt: e.joined_at.toISOString(),
  offerExpiresAt: e.offer_expires_at?.toISOString() ?? null,
  note: e.note,
});

const isUniqueViolation = (error: unknown, index: string) =>
  (error as { code?: string; constraint?: string }).code === '23505' && (error as { constraint?: string }).constraint === index;

/** Refused because every seat is taken: the one refusal a "book or join the waitlist" request recovers from. */
class SeatsGone extends AppError {
  constructor() {
    super('conflict', text('reservations.full'), { reason: 'full', waitlist: true });
  }
}

async function lessonOrThrow(db: Tx, lessonId: string) {
  const lesson = await reservationsRepo.lesson(db, lessonId);
  if (!lesson) throw notFound('schedule.thing.lesson');
  return lesson;
}

function assertScheduled(lesson: Lesson, ctx: TenantContext) {
  if (lesson.status === 'cancelled') throw new AppError('conflict', text('reservations.lesson_cancelled'), { reason: 'lesson_cancelled' });
  if (lesson.starts_at <= ctx.now) throw new AppError('unprocessable', text('reservations.started'), { reason: 'started' });
}

/**
 * A lesson can be booked (or waited for) until it starts, members only inside its booking window and, where the
 * studio has a waiting room for its opening, once the queue has let them in.
 */
async function assertOpen(ctx: TenantContext, lesson: Lesson, studio: StudioBookingRules, memberId: string, byMember: boolean) {
  assertScheduled(lesson, ctx);
  if (!byMember) return;
  const window = windowOf(lesson.starts_at, policyOf(studio, lesson), ctx.tenant.timezone);
  if (ctx.now < window.opensAt) {
    throw new AppError('unprocessable', text('reservations.not_open_yet', { at: window.opensAt }), { reason: 'not_open_yet', opensAt: window.opensAt.toISOString() });
  }
  if (ctx.now >= window.closesAt) throw new AppError('unprocessable', text('reservations.closed'), { reason: 'closed' });
  assertPastGate((await gatesFor(ctx, studio.waitingRoom, memberId, [window.opensAt], { draw: false }))(window.opensAt));
}

async function spotOf(db: Tx, lesson: Lesson, spot: number | undefined) {
  if (spot === undefined) return null;
  const known = await db.selectFrom('app.room_spots').select('spot').where('room_id', '=', lesson.room_id).where('spot', '=', spot).executeTakeFirst();
  if (!known) throw new AppError('unprocessable', text('reservations.no_such_spot', { spot: String(spot) }), { reason: 'no_such_spot' });
  return spot;
}

/**
 * Takes a seat for a member, in the caller's transaction: member locked, eligibility judged, the reservation
 * written, the seat counter moved, the credit consumed through the ledger, and overlapping waitlist entries
 * dropped. Locks go member → lesson → credit lot. `fromHeld` books a seat held for a waitlist promotion rather
 * than a free one.
 */
export async function reserve(
  ctx: TenantContext,
  lesson: Lesson,
  memberId: string,
  p: { spot: number | null; source: Reservation['source']; fromHeld?: boolean },
) {
  await lockMember(ctx.db, memberId);
  const allowed = await eligibility(ctx.db, memberId, lesson, { now: ctx.now, timeZone: ctx.tenant.timezone, limits: true, refuseBooked: true });
  const id = randomUUID();
  const actor = actorOf(ctx);
  const row = {
    id, lesson_id: lesson.id, member_id: memberId, spot: p.spot, contract_id: allowed.contractId,
    credits_used: allowed.costsCredit ? 1 : 0, source: p.source, actor_kind: actor.kind, actor_id: actor.id,
    // The app's clock, like every other time a booking is compared with (its lesson's start, its reminder).
    created_at: ctx.now,
  };
  // The seat before the credit: lesson row, then the credit lot's balance row, the order in which cancellations
  // and releases (lesson locked, then refunded) take them too, so the two cannot deadlock. A free seat is taken
  // in the reservation's own statement; a held one was given to this member by a promotion.
  let reservation: Reservation;
  try {
    if (p.fromHeld) {
      reservation = await reservationsRepo.insert(ctx.db, row);
      await reservationsRepo.adjustSeats(ctx.db, lesson.id, { booked: 1, held: -1 });
    } else {
      const taken = await reservationsRepo.insertTakingSeat(ctx.db, row, ctx.now);
      if (!taken.seated) throw new SeatsGone();
      reservation = taken.reservation;
    }
  } catch (error) {
    if (isUniqueViolation(error, 'reservations_one_per_spot_idx')) throw new AppError('conflict', text('reservations.spot_taken', { spot: String(p.spot) }), { reason: 'spot_taken' });
    if (isUniqueViolation(error, 'reservations_one_per_member_idx')) throw new AppError('conflict', text('reservations.already_booked'), { reason: 'already_booked' });
    throw error;
  }
  if (allowed.costsCredit) await creditsService.consumeOne(ctx.db, memberId, { referenceId: id, today: tenantToday(ctx), actor, reason: studioWords(ctx.tenant, text('reservations.credit.booked', { lessonType: lesson.lesson_type_name })) });
  // Waiting for a lesson at the same time makes no sense once booked; a promotion resolves its own entry itself.
  // Read with the eligibility facts, after the member lock. Leaving a waitlist or an offer expiring does not take
  // that lock, so an entry may have changed since; resolving only touches entries still waiting or offered.
  const overlapping = allowed.waitlist.filter((w) => !p.fromHeld || w.lesson_id !== lesson.id);
  if (overlapping.length === 0) return reservation;
  await waitlistRepo.resolve(ctx.db, overlapping.filter((w) => w.lesson_id !== lesson.id).map((w) => w.id), 'dropped', ctx.now, { note: studioWords(ctx.tenant, text('reservations.note.booked_same_time')) });
  await waitlistRepo.resolve(ctx.db, overlapping.filter((w) => w.lesson_id === lesson.id).map((w) => w.id), 'left', ctx.now, { note: studioWords(ctx.tenant, text('reservations.note.booked_free_seat')), reservation_id: id });
  // A dropped offer held a seat of its lesson: give it to the next in line.
  for (const lessonId of new Set(overlapping.filter((w) => w.status === 'offered').map((w) => w.lesson_id))) {
    ctx.queueAfterCommit?.('waitlist_promote', { tenantId: ctx.tenant.id, lessonId });
  }
  return reservation;
}

async function joinWaitlist(ctx: TenantContext, lesson: Lesson, memberId: string) {
  // Judged now too, so nobody waits for a seat they could never take; credits and limits are judged at promotion.
  await eligibility(ctx.db, memberId, lesson, { now: ctx.now, timeZone: ctx.tenant.timezone, limits: false, refuseBooked: true });
  try {
    const { entry, position } = await waitlistRepo.insertWithPosition(ctx.db, { lesson_id: lesson.id, member_id: memberId });
    return { outcome: 'waitlisted' as const, waitlistEntry: toWaitlistEntry(entry, position) };
  } catch (error) {
    if (isUniqueViolation(error, 'waitlist_one_per_member_idx')) throw new AppError('conflict', text('reservations.already_waitlisted'), { reason: 'already_waitlisted' });
    throw error;
  }
}

export const reservationsService = {
  /**
   * Books a lesson, or (with joinWaitlist) puts the member on its waitlist when every seat is taken, including
   * when the last seat went to someone else while this request was under way.
   */
  async book(ctx: TenantContext, input: { lessonId: string; memberId: string; spot?: number; joinWaitlist?: boolean }, byMember: boolean) {
    const lesson = await lessonOrThrow(ctx.db, input.lessonId);
    const isFull = lesson.booked + lesson.held >= lesson.capacity;
    // The rush: once the counter says full, "full" is the answer from the lesson's row alone (no settings, spot,
    // eligibility or lock), whether or not its booking window is open yet; joining the waitlist is judged in full.
    if (isFull && !input.joinWaitlist && lesson.status !== 'cancelled' && lesson.starts_at > ctx.now) throw new SeatsGone();
    await assertOpen(ctx, lesson, studioRulesOf(lesson.studio_settings), input.memberId, byMember);
    const spot = await spotOf(ctx.db, lesson, input.spot);
    const full = () => (input.joinWaitlist ? joinWaitlist(ctx, lesson, input.memberId) : Promise.reject(new SeatsGone()));
    if (isFull) return full();
    if (!input.joinWaitlist) return { outcome: 'booked' as const, reservation: toReservation(await reserve(ctx, lesson, input.memberId, { spot, source: byMember ? 'member' : 'staff' })) };
    await sql`savepoint booking`.execute(ctx.db);
    try {
      return { outcome: 'booked' as const, reservation: toReservation(await reserve(ctx, lesson, input.memberId, { spot, source: byMember ? 'member' : 'staff' })) };
    } catch (error) {
      if (!(error instanceof SeatsGone)) throw error;
      await sql`rollback to savepoint booking`.execute(ctx.db);
      return full();
    }
  },

  async join(ctx: TenantContext, input: { lessonId: string; memberId: string }, byMember: boolean) {
    const lesson = await lessonOrThrow(ctx.db, input.lessonId);
    await assertOpen(ctx, lesson, studioRulesOf(lesson.studio_settings), input.memberId, byMember);
    if (lesson.booked + lesson.held < lesson.capacity) {
      throw new AppError('conflict', text('reservations.seats_free'), { reason: 'seats_free' });
    }
    return joinWaitlist(ctx, lesson, input.memberId);
  },

  /**
   * Cancels a booking. Before the lesson type's deadline the credit comes back; later it is a late cancellation
   * with the type's penalty (unless staff waive it). The seat goes to the waitlist when anyone waits, else back
   * on sale. Locks: the member (a penalty may draw a credit), then the lesson, then the reservation — the
   * member → lesson order of bookings, and the lesson → reservation order of releases.
   */
  async cancel(ctx: TenantContext, reservationId: string, p: { byMember: boolean; waivePenalty?: boolean }) {
    const found = await reservationsRepo.byId(ctx.db, reservationId);
    if (!found) throw notFound('reservations.thing.reservation');
    if (p.byMember) await actingMemberId(ctx, found.member_id);
    await lockMember(ctx.db, found.member_id);
    await reservationsRepo.lockLesson(ctx.db, found.lesson_id);
    const r = (await reservationsRepo.byIdForUpdate(ctx.db, reservationId))!;
    if (r.status !== 'booked') throw new AppError('conflict', text('reservations.not_booked', { status: text('reservations.reservation_status', { status: r.status }) }), { reason: 'not_booked' });
    const lesson = await lessonOrThrow(ctx.db, r.lesson_id);
    if (p.byMember && lesson.starts_at <= ctx.now) throw new AppError('unprocessable', text('reservations.started_ask_desk'), { reason: 'started' });
    const studio = studioRulesOf(lesson.studio_settings);
    const policy = policyOf(studio, lesson);
    const late = ctx.now > windowOf(lesson.starts_at, policy, ctx.tenant.timezone).cancelDeadline;
    const [cancelled] = await reservationsRepo.setStatus(ctx.db, [r.id], late ? 'late_cancelled' : 'cancelled', ctx.now);
    const actor = actorOf(ctx);
    const penalty = late && !p.waivePenalty
      ? await applyPenalty(ctx.db, r, 'late_cancel', policy.lateCancelPenalty, { fee: policy.penaltyFee, studio, now: ctx.now, tenant: ctx.tenant, actor })
      : { kind: 'none' as const, amount: 0 };
    if (r.credits_used > 0 && penalty.kind !== 'lose_credit') await creditsService.refund(ctx.db, r.member_id, r.id, { actor, reason: studioWords(ctx.tenant, text(late ? 'reservations.credit.late_cancel_returned' : 'reservations.credit.cancelled')) });
    if (await freeSeat(ctx, lesson.id, lesson.starts_at)) ctx.queueAfterCommit?.('waitlist_promote', { tenantId: ctx.tenant.id, lessonId: lesson.id });
    return {
      reservation: toReservation(cancelled!),
      late,
      creditRefunded: r.credits_used > 0 && penalty.kind !== 'lose_credit',
      penalty: { kind: penalty.kind, amount: penalty.amount, blockedUntil: 'blockedUntil' in penalty ? (penalty.blockedUntil ?? null) : null },
    };
  },

  /** Queues the member for the waiting room of the opening of a lesson's booking window. */
  async queue(ctx: TenantContext, input: { lessonId: string; memberId: string }, admitPerSecond: number) {
    const lesson = await lessonOrThrow(ctx.db, input.lessonId);
    assertScheduled(lesson, ctx);
    const studio = studioRulesOf(lesson.studio_settings);
    const window = windowOf(lesson.starts_at, policyOf(studio, lesson), ctx.tenant.timezone);
    // Judged as for joining a waitlist, so nobody holds a place ahead of others for a seat they could never take.
    await eligibility(ctx.db, input.memberId, lesson, { now: ctx.now, timeZone: ctx.tenant.timezone, limits: false, refuseBooked: false });
    return standingOf(await joinWaitingRoom(ctx, studio.waitingRoom, input.memberId, window, admitPerSecond), window.opensAt);
  },

  async get(ctx: TenantContext, reservationId: string) {
    const r = await reservationsRepo.byId(ctx.db, reservationId);
    if (!r) throw notFound('reservations.thing.reservation');
    return toReservation(r);
  },

  /** Who is booked and who waits (and who queues for its opening), for the instructor and the front desk. */
  async roster(ctx: TenantContext, lessonId: string) {
    const lesson = await lessonOrThrow(ctx.db, lessonId);
    const opensAt = windowOf(lesson.starts_at, policyOf(studioRulesOf(lesson.studio_settings), lesson), ctx.tenant.timezone).opensAt;
    const [rows, waitlist, waitingRoom] = await Promise.all([reservationsRepo.roster(ctx.db, lessonId), waitlistService.forLesson(ctx, lessonId), roomSummary(ctx, opensAt)]);
    return {
      waitingRoom,
      reservations: rows.map((r) => ({ ...toReservation(r), memberName: `${r.family_name} ${r.given_name}`, memberNumber: Number(r.member_number) })),
      waitlist,
    };
  },

  async listForMember(ctx: TenantContext, memberId: string, q: { scope: 'upcoming' | 'past'; limit: number }) {
    const rows = await reservationsRepo.listForMember(ctx.db, memberId, { upcoming: q.scope === 'upcoming', now: ctx.now, limit: q.limit });
    const studio = await studioBookingRules(ctx.db);
    return { items: rows.map((r) => withLessonDto(ctx, studio, r)) };
  },

  /** One of the member's (or their family's) reservations, with its lesson, as in the list. */
  async mine(ctx: TenantContext, reservationId: string) {
    const r = await reservationsRepo.withLesson(ctx.db, reservationId);
    if (!r) throw notFound('reservations.thing.reservation');
    await actingMemberId(ctx, r.member_id);
    return withLessonDto(ctx, await studioBookingRules(ctx.db), r);
  },
};

type ReservationWithLesson = NonNullable<Awaited<ReturnType<typeof reservationsRepo.withLesson>>>;

function withLessonDto(ctx: TenantContext, studio: Awaited<ReturnType<typeof studioBookingRules>>, r: ReservationWithLesson) {
  const stands = r.status === 'booked' && r.lesson_status === 'scheduled' && r.starts_at > ctx.now;
  return {
    ...toReservation(r),
    // A booking that stands says until when it is cancelled for free, by its lesson type's rules.
    cancelDeadline: stands ? windowOf(r.starts_at, policyOf(studio, r), ctx.tenant.timezone).cancelDeadline.toISOString() : null,
    lesson: {
      startsAt: r.starts_at.toISOString(), endsAt: r.ends_at.toISOString(), status: r.lesson_status,
      lessonTypeName: r.lesson_type_name, colour: r.colour, roomName: r.room_name, locationName: r.location_name,
    },
  };
}

/**
 * A booked seat was given up (the lesson row is locked): it is held for the waitlist when someone waits, so a
 * fresh booker cannot jump the queue, else it goes back on sale. Returns whether promotion has work.
 */
export async function freeSeat(ctx: TenantContext, lessonId: string, startsAt: Date) {
  const waiting = startsAt > ctx.now && (await waitlistRepo.waitingCount(ctx.db, lessonId)) > 0;
  await reservationsRepo.adjustSeats(ctx.db, lessonId, { booked: -1, held: waiting ? 1 : 0 });
  return waiting;
}
