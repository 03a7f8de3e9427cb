import ical, { ICalEventStatus } from 'ical-generator';
import { uuidBytes, uuidOf, signingKeys } from '../../platform/auth/signing-keys.js';
import { signToken, verifyToken } from '../../platform/auth/signed-token.js';
import { AppError, notFound } from '../../platform/errors.js';
import { text } from '../../platform/i18n.js';
import type { TenantContext } from '../../platform/tenancy/context.js';
import { actingMemberId } from '../members/acting-member.js';
import { reservationsRepo } from './reservations.repo.js';

/** A feed URL's token: `c1.<member id>.<mac>` (auth/signed-token.ts), signed with the studio's calendar key. */
const FEED_VERSION = 'c1';
/** How far back a feed keeps bookings, so a lesson just taken does not vanish from the member's calendar. */
const FEED_PAST_DAYS = 30;

type Booking = NonNullable<Awaited<ReturnType<typeof reservationsRepo.withLesson>>>;

/**
 * Bookings as iCalendar (RFC 5545), for a phone's calendar: one event per booking, its id the booking's, so a
 * re-import or a feed refresh updates the event rather than adding a second. A booking that no longer stands (it
 * was cancelled, or its lesson was) is sent as cancelled, which calendars show struck through or remove.
 */
function calendarOf(ctx: TenantContext, bookings: Booking[]) {
  // Times in UTC (…Z): every calendar app shows them in the phone's own zone. (Naming the studio's zone without
  // a VTIMEZONE block would make them floating local times, which an app abroad reads wrongly.)
  const calendar = ical({ name: ctx.tenant.display_name, prodId: { company: 'Studiohive', product: 'bookings' } });
  for (const b of bookings) {
    const stands = (b.status === 'booked' || b.status === 'attended') && b.lesson_status === 'scheduled';
    calendar.createEvent({
      id: `${b.id}@${ctx.tenant.slug}.studiohive`,
      start: b.starts_at,
      end: b.ends_at,
      summary: b.lesson_type_name,
      location: `${b.room_name}・${b.location_name}`,
      status: stands ? ICalEventStatus.CONFIRMED : ICalEventStatus.CANCELLED,
      // The calendar sees a change (a cancellation) as newer than what it holds.
      sequence: stands ? 0 : 1,
      stamp: ctx.now,
    });
  }
  return calendar.toString();
}

export const calendarService = {
  /** One booking as an .ics file, to add to the phone's calendar. */
  async booking(ctx: TenantContext, reservationId: string) {
    const booking = await reservationsRepo.withLesson(ctx.db, reservationId);
    if (!booking) throw notFound('reservations.thing.reservation');
    await actingMemberId(ctx, booking.member_id);
    return calendarOf(ctx, [booking]);
  },

  /** The member's private feed address: calendars subscribe to it and follow new bookings and cancellations. */
  async feedUrl(ctx: TenantContext, tenantUrl: string, memberId?: string) {
    const member = await actingMemberId(ctx, memberId);
    const token = signToken(FEED_VERSION, await signingKeys.ensure(ctx.db, 'calendar_feed'), uuidBytes(member));
    return { url: `${tenantUrl}/api/calendar-feeds/${token}` };
  },

  /** The feed itself, for whoever holds its address (a calendar app has no session): bookings from a month ago on. */
  async feed(ctx: TenantContext, token: string) {
    const payload = verifyToken(FEED_VERSION, token, await signingKeys.find(ctx.db, 'calendar_feed'), 16);
    if (!payload || payload.length !== 16) throw new AppError('not_found', text('reservations.calendar_feed_invalid'));
    const since = new Date(ctx.now.getTime() - FEED_PAST_DAYS * 86_400_000);
    return calendarOf(ctx, await reservationsRepo.feedFor(ctx.db, uuidOf(payload), since));
  },
};
