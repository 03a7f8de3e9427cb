import { lockMember } from '../reservations/eligibility.js';
import { notFound, refusal } from '../../platform/errors.js';
import { render, text, type Text } from '../../platform/i18n.js';
import { addDays, tenantToday, zonedInstant, type IsoDate } from '../../platform/calendar.js';
import type { MemberStatus } from '../../platform/db/types.js';
import { actorOf } from '../../platform/tenancy/actor.js';
import type { TenantContext } from '../../platform/tenancy/context.js';
import { actingMemberId } from '../members/acting-member.js';
import { membersRepo } from '../members/members.repo.js';
import { locationsRepo } from '../schedule/catalog.repo.js';
import { signCheckInToken, verifyCheckInToken } from './check-in-token.js';
import { checkInsRepo, signingKeysRepo, type CheckInView, type ReservationForCheckIn } from './checkin.repo.js';

/** Check-in opens this long before a lesson starts, and stays open until it ends. */
const CHECK_IN_OPENS_MINUTES_BEFORE = 60;
const HISTORY_LIMIT = 50;

const toCheckIn = (c: CheckInView) => ({
  id: c.id,
  checkedInAt: c.checked_in_at.toISOString(),
  method: c.method,
  locationId: c.location_id,
  member: { id: c.member_id, memberNumber: c.member_number, familyName: c.family_name, givenName: c.given_name, status: c.member_status },
  lesson:
    c.lesson_id && c.reservation_id && c.starts_at && c.ends_at
      ? { id: c.lesson_id, reservationId: c.reservation_id, name: c.lesson_type_name ?? '', startsAt: c.starts_at.toISOString(), endsAt: c.ends_at.toISOString() }
      : null,
  walkIn: c.reservation_id === null,
});

/**
 * The desk records everyone who arrives; a membership that is not running is shown for staff to act on, in the
 * language of the person at the desk.
 */
const notices: Partial<Record<MemberStatus, Text>> = {
  provisional: text('checkin.notice.provisional'),
  on_leave: text('checkin.notice.on_leave'),
  cancelled: text('checkin.notice.cancelled'),
};

/** The instants a local day of the studio spans. */
const dayRange = (ctx: TenantContext, date: IsoDate) => ({
  from: zonedInstant(date, '00:00', ctx.tenant.timezone),
  to: zonedInstant(addDays(date, 1), '00:00', ctx.tenant.timezone),
});

/** Which reservation this check-in is for: the named lesson's, or the one open for check-in now; none is a walk-in. */
async function reservationToMark(ctx: TenantContext, memberId: string, locationId: string, lessonId?: string): Promise<ReservationForCheckIn | undefined> {
  if (!lessonId) {
    const { from, to } = dayRange(ctx, tenantToday(ctx));
    return checkInsRepo.reservationInWindow(ctx.db, { memberId, locationId, dayStart: from, dayEnd: to, now: ctx.now, leadMinutes: CHECK_IN_OPENS_MINUTES_BEFORE });
  }
  // Staff naming the lesson overrides the time window, not the facts: it must be here, running, and booked.
  const lesson = await checkInsRepo.lesson(ctx.db, lessonId);
  if (!lesson) throw notFound('schedule.thing.lesson');
  if (lesson.location_id !== locationId) throw refusal('other_location', text('checkin.other_location'));
  if (lesson.status !== 'scheduled') throw refusal('lesson_cancelled', text('checkin.lesson_cancelled'));
  const reservation = await checkInsRepo.reservationForLesson(ctx.db, memberId, lessonId);
  if (!reservation) throw refusal('no_reservation', text('checkin.no_reservation'));
  if (reservation.reservation_status === 'no_show') throw refusal('no_show_marked', text('checkin.no_show_marked'));
  return reservation;
}

export const checkInService = {
  /** A fresh code for the member (or a family member) to show at the desk; the app fetches a new one as it expires. */
  async code(ctx: TenantContext, requestedMemberId?: string) {
    const memberId = await actingMemberId(ctx, requestedMemberId);
    const secret = await signingKeysRepo.ensure(ctx.db);
    const { token, expiresAt } = signCheckInToken(secret, { tenantId: ctx.tenant.id, memberId, now: ctx.now });
    return { token, expiresAt: expiresAt.toISOString(), memberId };
  },

  /**
   * A scan (or a manual check-in) at the desk: marks the member's reservation attended, or records a walk-in.
   * The member row is locked first, so two scans of one member run one after the other and the second finds
   * the first's check-in instead of writing another.
   */
  async checkIn(ctx: TenantContext, input: { token?: string; memberId?: string; locationId: string; lessonId?: string }) {
    const location = await locationsRepo.byId(ctx.db, input.locationId);
    if (!location) throw notFound('schedule.thing.location');
    if (location.archived_at) throw refusal('location_archived', text('checkin.location_archived'));
    const memberId = input.token
      ? (await verifyCheckInToken(input.token, { tenantId: ctx.tenant.id, now: ctx.now }, () => signingKeysRepo.find(ctx.db))).memberId
      : input.memberId!;
    // FOR NO KEY UPDATE, as bookings lock members: it must not block the key-share locks that inserting a
    // reservation or a credit row takes on the member.
    await lockMember(ctx.db, memberId);
    const member = await membersRepo.byId(ctx.db, memberId);
    if (!member) throw notFound('reservations.thing.member');
    const said = notices[member.status];
    const notice = said ? render(said, ctx.request.locale, ctx.tenant.timezone) : null;

    let reservation = await reservationToMark(ctx, member.id, location.id, input.lessonId);
    if (reservation) {
      const existing = await checkInsRepo.byReservation(ctx.db, reservation.reservation_id);
      if (existing) return { ...toCheckIn(existing), alreadyCheckedIn: true, notice };
      // Cancelled or marked a no-show since it was read: the member is here all the same, as a walk-in.
      if (!(await checkInsRepo.markAttended(ctx.db, reservation.reservation_id, ctx.now))) reservation = undefined;
    }
    const actor = actorOf(ctx);
    const created = await checkInsRepo.insert(ctx.db, {
      member_id: member.id,
      location_id: location.id,
      reservation_id: reservation?.reservation_id ?? null,
      method: input.token ? 'qr' : 'manual',
      actor_kind: actor.kind,
      actor_id: actor.id,
      // The request's time (the runtime clock), so the day lists and the reservation window agree with it.
      checked_in_at: ctx.now,
    });
    return { ...toCheckIn(created), alreadyCheckedIn: false, notice };
  },

  async day(ctx: TenantContext, q: { date?: IsoDate; locationId?: string }) {
    const { from, to } = dayRange(ctx, q.date ?? tenantToday(ctx));
    return { items: (await checkInsRepo.between(ctx.db, { from, to, locationId: q.locationId })).map(toCheckIn) };
  },

  async ofMember(ctx: TenantContext, memberId: string) {
    if (!(await membersRepo.byId(ctx.db, memberId))) throw notFound('reservations.thing.member');
    return { items: (await checkInsRepo.ofMember(ctx.db, memberId, HISTORY_LIMIT)).map(toCheckIn) };
  },

  async mine(ctx: TenantContext, requestedMemberId?: string) {
    const memberId = await actingMemberId(ctx, requestedMemberId);
    return { items: (await checkInsRepo.ofMember(ctx.db, memberId, HISTORY_LIMIT)).map(toCheckIn) };
  },
};
