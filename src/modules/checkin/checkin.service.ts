import { lockMember } from '../reservations/eligibility.js';
import { notFound, refusal } from '../../platform/errors.js';
import { day, render, text, type Text } from '../../platform/i18n.js';
import { addDays, dateIn, tenantToday, zonedInstant, type IsoDate } from '../../platform/calendar.js';
import type { MemberStatus } from '../../platform/db/types.js';
import { actorOf } from '../../platform/tenancy/actor.js';
import type { TenantContext } from '../../platform/tenancy/context.js';
import { actingMemberId } from '../members/acting-member.js';
import { membersRepo } from '../members/members.repo.js';
import { locationsRepo } from '../schedule/catalog.repo.js';
import { creditsService } from '../credits/credits.service.js';
import { reservationsRepo } from '../reservations/reservations.repo.js';
import { signCheckInToken, verifyCheckInToken } from './check-in-token.js';
import { checkInsRepo, signingKeysRepo, type CheckInView, type ReservationForCheckIn } from './checkin.repo.js';
import type { z } from 'zod';
import type { warningCode } from './checkin.schemas.js';

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

type CheckInInput = { token?: string; memberId?: string; locationId: string; lessonId?: string; acknowledge?: boolean };
type Warning = { code: z.infer<typeof warningCode>; text: Text };

/** The desk's location (open) and the member the request names, by a verified code or by id. */
async function whoAndWhere(ctx: TenantContext, input: CheckInInput) {
  const location = await locationsRepo.byId(ctx.db, input.locationId);
  if (!location) throw notFound('schedule.thing.location');
  if (location.archived_at) throw refusal('location_archived', text('checkin.location_archived'));
  const memberId = input.token
    ? (await verifyCheckInToken(input.token, { tenantId: ctx.tenant.id, now: ctx.now }, () => signingKeysRepo.find(ctx.db))).memberId
    : input.memberId!;
  return { location, memberId };
}

/**
 * Where the member stands at the desk now: the reservation a check-in would mark (none: a walk-in), the check-in
 * it would find instead of recording one, and what the desk must see first. The preview shows it; the check-in
 * acts on it (after locking the member), so the two agree.
 */
async function situation(ctx: TenantContext, memberId: string, locationId: string, lessonId?: string) {
  const member = await membersRepo.byId(ctx.db, memberId);
  if (!member) throw notFound('reservations.thing.member');
  const today = tenantToday(ctx);
  const reservation = await reservationToMark(ctx, member.id, locationId, lessonId);
  const existing = reservation ? await checkInsRepo.byReservation(ctx.db, reservation.reservation_id) : await checkInsRepo.walkInOn(ctx.db, member.id, today);
  const standing = (await reservationsRepo.memberStanding(ctx.db, member.id, ctx.now, today))!;
  const contracts = await checkInsRepo.contractsOn(ctx.db, member.id, today);

  const warnings: Warning[] = [];
  const status = notices[member.status];
  if (status) warnings.push({ code: member.status as Warning['code'], text: status });
  if (member.status !== 'on_leave' && contracts.length > 0 && contracts.every((c) => c.on_leave)) warnings.push({ code: 'on_leave', text: text('checkin.notice.on_leave') });
  const overdue = Number(standing.overdue_invoices);
  if (overdue > 0) warnings.push({ code: 'overdue_invoice', text: text('checkin.warning.overdue_invoice', { count: overdue }) });
  if (standing.blocked_until) {
    warnings.push({ code: 'booking_blocked', text: text('checkin.warning.booking_blocked', { until: day(dateIn(new Date(standing.blocked_until), ctx.tenant.timezone)) }) });
  }
  return { member, today, reservation, existing, contracts, warnings };
}

const say = (ctx: TenantContext, t: Text) => render(t, ctx.request.locale, ctx.tenant.timezone);

export const checkInService = {
  /** A fresh code for the member (or a family member) to show at the desk; the app fetches a new one as it expires. */
  async code(ctx: TenantContext, requestedMemberId?: string) {
    const memberId = await actingMemberId(ctx, requestedMemberId);
    const secret = await signingKeysRepo.ensure(ctx.db);
    const { token, expiresAt } = signCheckInToken(secret, { tenantId: ctx.tenant.id, memberId, now: ctx.now });
    return { token, expiresAt: expiresAt.toISOString(), memberId };
  },

  /**
   * A scan (or a manual check-in) at the desk: marks the member's reservation attended, or records a walk-in (one
   * per member and local day). The member row is locked first, so two scans of one member run one after the other
   * and the second finds the first's check-in instead of writing another. A member with warnings (provisional,
   * on leave, cancelled, overdue, blocked) is refused until the desk acknowledges them.
   */
  async checkIn(ctx: TenantContext, input: CheckInInput) {
    const { location, memberId } = await whoAndWhere(ctx, input);
    // FOR NO KEY UPDATE, as bookings lock members: it must not block the key-share locks that inserting a
    // reservation or a credit row takes on the member.
    await lockMember(ctx.db, memberId);
    const now = await situation(ctx, memberId, location.id, input.lessonId);
    const said = notices[now.member.status];
    const notice = said ? say(ctx, said) : null;
    if (now.existing) return { ...toCheckIn(now.existing), alreadyCheckedIn: true, notice };
    if (now.warnings.length > 0 && !input.acknowledge) {
      const words = now.warnings.map((w) => say(ctx, w.text)).join(ctx.request.locale === 'ja' ? '' : '; ');
      throw refusal('needs_acknowledge', text('checkin.needs_acknowledge', { warnings: words }), { warnings: now.warnings.map((w) => w.code) });
    }

    let reservation = now.reservation;
    // Cancelled or marked a no-show since it was read: the member is here all the same, as a walk-in.
    if (reservation && !(await checkInsRepo.markAttended(ctx.db, reservation.reservation_id, ctx.now))) reservation = undefined;
    const actor = actorOf(ctx);
    const row = {
      member_id: now.member.id,
      location_id: location.id,
      method: input.token ? ('qr' as const) : ('manual' as const),
      actor_kind: actor.kind,
      actor_id: actor.id,
      // The request's time (the runtime clock), so the day lists and the reservation window agree with it.
      checked_in_at: ctx.now,
    };
    if (reservation) {
      const created = await checkInsRepo.insert(ctx.db, { ...row, reservation_id: reservation.reservation_id });
      return { ...toCheckIn(created), alreadyCheckedIn: false, notice };
    }
    const walkIn = await checkInsRepo.insertWalkIn(ctx.db, { ...row, reservation_id: null, walk_in_day: now.today });
    if (walkIn) return { ...toCheckIn(walkIn), alreadyCheckedIn: false, notice };
    return { ...toCheckIn((await checkInsRepo.walkInOn(ctx.db, now.member.id, now.today))!), alreadyCheckedIn: true, notice };
  },

  /** The member at a glance before a check-in, for the same body: nothing is written. */
  async preview(ctx: TenantContext, input: CheckInInput) {
    const { location, memberId } = await whoAndWhere(ctx, input);
    const now = await situation(ctx, memberId, location.id, input.lessonId);
    const { from, to } = dayRange(ctx, now.today);
    const bookings = await checkInsRepo.bookingsOn(ctx.db, { memberId: now.member.id, locationId: location.id, from, to });
    const m = now.member;
    return {
      member: { id: m.id, memberNumber: m.member_number, familyName: m.family_name, givenName: m.given_name, status: m.status },
      contracts: now.contracts.map((c) => ({ id: c.contract_id, kind: c.kind, planName: c.plan_name, onLeave: c.on_leave })),
      creditsAvailable: (await creditsService.balance(ctx.db, m.id, now.today)).available,
      bookingsToday: bookings.map((b) => ({
        reservationId: b.reservation_id, lessonId: b.lesson_id, name: b.lesson_type_name, startsAt: b.starts_at.toISOString(), endsAt: b.ends_at.toISOString(),
        status: b.reservation_status as 'booked' | 'attended',
      })),
      checkInFor: now.reservation
        ? { lessonId: now.reservation.lesson_id, name: now.reservation.lesson_type_name, startsAt: now.reservation.starts_at.toISOString() }
        : null,
      alreadyCheckedIn: now.existing ? toCheckIn(now.existing) : null,
      warnings: now.warnings.map((w) => ({ code: w.code, message: say(ctx, w.text) })),
    };
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
