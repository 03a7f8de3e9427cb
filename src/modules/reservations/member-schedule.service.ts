import { sql } from 'kysely';
import { addDays, tenantToday, zonedInstant } from '../../platform/calendar.js';
import type { TenantContext } from '../../platform/tenancy/context.js';
import { policyColumns, policyOf, studioBookingRules, windowOf } from './booking-policy.js';
import { favouritesRepo, scheduleChoices } from './reservations.repo.js';
import { roomsRepo } from '../schedule/rooms.repo.js';
import { lessonsRepo } from '../schedule/lessons.repo.js';
import { notFound } from '../../platform/errors.js';
import { gatesFor, queueOpensAt, queueStateOf } from './waiting-room.service.js';

/**
 * The member's timetable: a span of days with each lesson's seats left and the member's own state, and what it
 * can be narrowed to. It reads the seat counters rather than counting reservations, and makes five indexed
 * queries (and three reads of the small catalog tables, and two of the waiting rooms of openings near now where
 * the studio has them) whatever the span holds, so it stays fast while bookings pour in.
 */
export async function memberSchedule(ctx: TenantContext, memberId: string, q: { from?: string; days: number; locationId?: string; lessonTypeId?: string; instructorId?: string }) {
  const tz = ctx.tenant.timezone;
  const from = q.from ?? tenantToday(ctx);
  let query = ctx.db
    .selectFrom('app.lessons as l')
    .innerJoin('app.lesson_types as t', 't.id', 'l.lesson_type_id')
    .innerJoin('app.rooms as r', 'r.id', 'l.room_id')
    .innerJoin('app.locations as loc', 'loc.id', 'l.location_id')
    .leftJoin('app.instructors as i', (j) => j.on(sql<boolean>`i.id = coalesce(l.substitute_instructor_id, l.instructor_id)`))
    .select([
      'l.id', 'l.series_id', 'l.starts_at', 'l.ends_at', 'l.capacity', 'l.booked', 'l.held', 'l.status', 'l.substitute_instructor_id',
      'l.lesson_type_id', 't.name as lesson_type_name', 't.colour', 'l.location_id', 'loc.name as location_name', 'l.room_id', 'r.name as room_name',
      'i.id as instructor_id', 'i.display_name as instructor_name', ...policyColumns.map((c) => `t.${c}` as const),
    ])
    .where('l.starts_at', '>=', zonedInstant(from, '00:00', tz))
    .where('l.starts_at', '<', zonedInstant(addDays(from, q.days), '00:00', tz))
    .orderBy('l.starts_at')
    .orderBy('l.id');
  if (q.locationId) query = query.where('l.location_id', '=', q.locationId);
  if (q.lessonTypeId) query = query.where('l.lesson_type_id', '=', q.lessonTypeId);
  if (q.instructorId) query = query.where(sql<boolean>`coalesce(l.substitute_instructor_id, l.instructor_id) = ${q.instructorId}`);
  const [lessons, choices] = await Promise.all([query.execute(), scheduleChoices(ctx.db)]);
  const ids = lessons.map((l) => l.id);
  const seriesIds = [...new Set(lessons.flatMap((l) => (l.series_id ? [l.series_id] : [])))];
  const roomIds = [...new Set(lessons.map((l) => l.room_id))];
  const [studio, mine, entries, waiting, favourites, seatMaps] = await Promise.all([
    studioBookingRules(ctx.db),
    ids.length === 0 ? [] : ctx.db.selectFrom('app.reservations').select(['id', 'lesson_id', 'spot']).where('member_id', '=', memberId).where('lesson_id', 'in', ids).where('status', '=', 'booked').execute(),
    ids.length === 0
      ? []
      : ctx.db
          .selectFrom('app.waitlist_entries as w')
          .select([
            'w.id', 'w.lesson_id', 'w.status', 'w.offer_expires_at',
            sql<number>`(select count(*)::int from app.waitlist_entries o where o.lesson_id = w.lesson_id and o.status = 'waiting' and (o.joined_at, o.id) < (w.joined_at, w.id)) + 1`.as('position'),
          ])
          .where('w.member_id', '=', memberId)
          .where('w.lesson_id', 'in', ids)
          .where(sql<boolean>`w.status in ('waiting', 'offered')`)
          .execute(),
    ids.length === 0
      ? []
      : ctx.db.selectFrom('app.waitlist_entries').select(['lesson_id', sql<number>`count(*)::int`.as('n')]).where('lesson_id', 'in', ids).where(sql<boolean>`status = 'waiting'`).groupBy('lesson_id').execute(),
    favouritesRepo.among(ctx.db, memberId, seriesIds),
    roomsRepo.withSeatMaps(ctx.db, roomIds),
  ]);
  const windows = new Map(lessons.map((l) => [l.id, windowOf(l.starts_at, policyOf(studio, l), tz)]));
  const gateOf = await gatesFor(ctx, studio.waitingRoom, memberId, [...windows.values()].map((w) => w.opensAt), { draw: true });
  const booked = new Map(mine.map((r) => [r.lesson_id, r]));
  const entered = new Map(entries.map((e) => [e.lesson_id, e]));
  const waitingCount = new Map(waiting.map((w) => [w.lesson_id, w.n]));

  // As far ahead as any lesson type's booking opens: later lessons could only say when booking opens.
  const horizonDays = Math.max(studio.defaults.opensDaysBefore, ...choices.lessonTypes.map((t) => t.booking_opens_days_before ?? 0));
  return {
    from,
    days: q.days,
    serverTime: ctx.now.toISOString(),
    lastBookableDay: addDays(tenantToday(ctx), horizonDays),
    choices: {
      locations: choices.locations,
      lessonTypes: choices.lessonTypes.map((t) => ({ id: t.id, name: t.name })),
      instructors: choices.instructors,
    },
    lessons: lessons.map((l) => {
      const window = windows.get(l.id)!;
      const queueOpens = queueOpensAt(studio.waitingRoom, window.opensAt);
      const seatsLeft = l.status === 'scheduled' ? Math.max(0, l.capacity - l.booked - l.held) : 0;
      const reservation = booked.get(l.id);
      const entry = entered.get(l.id);
      const me = l.status === 'cancelled'
        ? { state: 'cancelled' as const }
        : reservation
          ? { state: 'booked' as const, reservationId: reservation.id, spot: reservation.spot, cancelDeadline: window.cancelDeadline.toISOString() }
          : entry?.status === 'offered'
            ? { state: 'offered' as const, waitlistEntryId: entry.id, offerExpiresAt: entry.offer_expires_at!.toISOString() }
            : entry
              ? { state: 'waitlisted' as const, waitlistEntryId: entry.id, position: entry.position }
              : ctx.now >= window.closesAt
                ? { state: 'closed' as const }
                : (queueStateOf(gateOf(window.opensAt), ctx.now) ??
                  (ctx.now < window.opensAt
                    ? { state: 'opens' as const, opensAt: window.opensAt.toISOString(), queueOpensAt: queueOpens && ctx.now < queueOpens ? queueOpens.toISOString() : null }
                    : seatsLeft === 0
                      ? { state: 'full' as const }
                      : { state: 'bookable' as const }));
      return {
        id: l.id,
        startsAt: l.starts_at.toISOString(),
        endsAt: l.ends_at.toISOString(),
        status: l.status,
        lessonType: { id: l.lesson_type_id, name: l.lesson_type_name, colour: l.colour },
        series: l.series_id ? { id: l.series_id, favourite: favourites.has(l.series_id) } : null,
        location: { id: l.location_id, name: l.location_name },
        room: { id: l.room_id, name: l.room_name, seatMap: seatMaps.has(l.room_id) },
        instructor: l.instructor_id ? { id: l.instructor_id, name: l.instructor_name!, substitute: l.substitute_instructor_id !== null } : null,
        capacity: l.capacity,
        seatsLeft,
        waitlistCount: waitingCount.get(l.id) ?? 0,
        me,
      };
    }),
  };
}

/** A lesson's seat map as a member picks from it: each spot, and whether someone has it (read again while picking). */
export async function lessonSpots(ctx: TenantContext, lessonId: string) {
  const lesson = await ctx.db.selectFrom('app.lessons').select(['room_id']).where('id', '=', lessonId).executeTakeFirst();
  if (!lesson) throw notFound('schedule.thing.lesson');
  const spots = await roomsRepo.spotsOf(ctx.db, [lesson.room_id]);
  const taken = spots.length > 0 ? await lessonsRepo.takenSpots(ctx.db, lessonId) : new Set<number>();
  return { spots: spots.map((s) => ({ spot: s.spot, label: s.label, taken: taken.has(s.spot) })) };
}
