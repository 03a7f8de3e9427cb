import type { TenantRouter } from '../../platform/http/tenant-route.js';
import { ALL_STAFF } from '../../platform/http/tenant-route.js';
import { membersRepo } from '../members/members.repo.js';
import { notFound } from '../../platform/errors.js';
import type { TenantContext } from '../../platform/tenancy/context.js';
import { actingMemberId } from '../members/acting-member.js';
import { favouritesService } from './favourites.service.js';
import { lessonSpots, memberSchedule } from './member-schedule.service.js';
import { penaltiesService } from './penalties.js';
import * as s from './reservations.schemas.js';
import { reservationsService } from './reservations.service.js';
import { waitlistService } from './waitlist.service.js';
import { calendarService } from './calendar.service.js';
import type { Runtime } from '../../platform/runtime.js';
import { z } from 'zod';

const calendar = z.any().describe('text/calendar (iCalendar, RFC 5545)');

const DESK = ['owner', 'manager', 'front_desk'] as const;
const MANAGERS = ['owner', 'manager'] as const;

async function existingMember(ctx: TenantContext, memberId: string) {
  if (!(await membersRepo.byId(ctx.db, memberId))) throw notFound('reservations.thing.member');
  return memberId;
}

/** Members book from their phones: the timetable with their own state, bookings, and the waitlist. */
export function memberReservationRoutes({ route }: TenantRouter, { auth, config }: Runtime) {
  const tags = ['reservations (member)'];
  route({
    method: 'GET', url: '/api/me/schedule', summary: 'The timetable with seats left and my own state on each lesson', tags, access: 'member',
    schema: { querystring: s.scheduleQuery, response: s.memberSchedule },
    handler: async (ctx, { query }) => memberSchedule(ctx, await actingMemberId(ctx, query.memberId), query),
  });
  route({
    method: 'GET', url: '/api/me/lessons/:lessonId/spots', summary: 'A lesson\'s seat map: each spot and whether it is taken, to pick one when booking', tags, access: 'member',
    schema: { params: s.lessonIdParams, response: s.lessonSpots },
    handler: (ctx, { params }) => lessonSpots(ctx, params.lessonId),
  });
  route({
    method: 'GET', url: '/api/me/reservations', summary: 'My reservations, upcoming or past', tags, access: 'member',
    schema: { querystring: s.listQuery, response: s.reservationList },
    handler: async (ctx, { query }) => reservationsService.listForMember(ctx, await actingMemberId(ctx, query.memberId), query),
  });
  route({
    method: 'POST', url: '/api/me/reservations', summary: 'Book a lesson (or join its waitlist when full)', tags, access: 'member', status: 201, idempotent: true,
    schema: { body: s.memberBookBody, response: s.bookingResult },
    handler: async (ctx, { body }) => reservationsService.book(ctx, { ...body, memberId: await actingMemberId(ctx, body.memberId) }, true),
  });
  route({
    method: 'POST', url: '/api/me/waiting-room', summary: 'Queue in the waiting room of the opening of a lesson\'s booking window (where the studio has one)', tags,
    access: 'member', idempotent: true,
    schema: { body: s.memberJoinBody, response: s.waitingRoomStanding },
    handler: async (ctx, { body }) => reservationsService.queue(ctx, { ...body, memberId: await actingMemberId(ctx, body.memberId) }, config.WAITING_ROOM_ADMIT_PER_SECOND),
  });
  route({
    method: 'GET', url: '/api/me/reservations/:reservationId', summary: 'One of my reservations, with its lesson', tags, access: 'member',
    schema: { params: s.reservationIdParams, response: s.reservationWithLesson },
    handler: (ctx, { params }) => reservationsService.mine(ctx, params.reservationId),
  });
  route({
    method: 'GET', url: '/api/me/reservations/:reservationId/calendar', summary: 'One of my bookings as an .ics file, to add to my calendar', tags,
    access: 'member', produces: 'text/calendar; charset=utf-8',
    schema: { params: s.reservationIdParams, response: calendar },
    handler: (ctx, { params }) => calendarService.booking(ctx, params.reservationId),
  });
  route({
    method: 'GET', url: '/api/me/calendar-feed', summary: 'The private address of my bookings\' calendar feed (a family lead may pass memberId)', tags,
    access: 'member',
    schema: { querystring: s.memberQuery, response: s.calendarFeed },
    handler: (ctx, { query }) => calendarService.feedUrl(ctx, auth.tenantUrl(ctx.tenant), query.memberId),
  });
  route({
    method: 'GET', url: '/api/calendar-feeds/:token', summary: 'A member\'s bookings as a calendar feed (the address is the key: calendar apps have no session)', tags,
    access: 'public', produces: 'text/calendar; charset=utf-8',
    schema: { params: s.calendarFeedParams, response: calendar },
    handler: (ctx, { params }) => calendarService.feed(ctx, params.token),
  });
  route({
    method: 'POST', url: '/api/me/reservations/:reservationId/cancel', summary: 'Cancel my reservation (late cancellations carry the studio’s penalty)', tags, access: 'member', idempotent: true,
    schema: { params: s.reservationIdParams, response: s.cancelResult },
    handler: (ctx, { params }) => reservationsService.cancel(ctx, params.reservationId, { byMember: true }),
  });
  route({
    method: 'GET', url: '/api/me/waitlist', summary: 'The waitlists I am on, with my position', tags, access: 'member',
    schema: { querystring: s.memberQuery, response: s.waitlistList },
    handler: async (ctx, { query }) => waitlistService.listForMember(ctx, await actingMemberId(ctx, query.memberId)),
  });
  route({
    method: 'POST', url: '/api/me/waitlist', summary: 'Join the waitlist of a full lesson', tags, access: 'member', status: 201, idempotent: true,
    schema: { body: s.memberJoinBody, response: s.bookingResult },
    handler: async (ctx, { body }) => reservationsService.join(ctx, { lessonId: body.lessonId, memberId: await actingMemberId(ctx, body.memberId) }, true),
  });
  route({
    method: 'GET', url: '/api/me/waitlist/:entryId', summary: 'One of my waitlist entries, with my position', tags, access: 'member',
    schema: { params: s.entryIdParams, response: s.waitlistEntryDto },
    handler: (ctx, { params }) => waitlistService.get(ctx, params.entryId),
  });
  route({
    method: 'POST', url: '/api/me/waitlist/:entryId/accept', summary: 'Take the seat I was offered', tags, access: 'member', idempotent: true,
    schema: { params: s.entryIdParams, response: s.acceptResult },
    handler: (ctx, { params }) => waitlistService.accept(ctx, params.entryId),
  });
  route({
    method: 'POST', url: '/api/me/waitlist/:entryId/leave', summary: 'Leave the waitlist (or turn down an offered seat)', tags, access: 'member', idempotent: true,
    schema: { params: s.entryIdParams, response: s.waitlistEntryDto },
    handler: (ctx, { params }) => waitlistService.leave(ctx, params.entryId),
  });
  route({
    method: 'PUT', url: '/api/me/favourites/:seriesId', summary: 'Follow a lesson series: I am told when booking each of its lessons opens', tags, access: 'member',
    schema: { params: s.seriesIdParams, querystring: s.memberQuery, response: s.favouriteDto },
    handler: async (ctx, { params, query }) => favouritesService.set(ctx, await actingMemberId(ctx, query.memberId), params.seriesId, true),
  });
  route({
    method: 'DELETE', url: '/api/me/favourites/:seriesId', summary: 'Stop following a lesson series', tags, access: 'member',
    schema: { params: s.seriesIdParams, querystring: s.memberQuery, response: s.favouriteDto },
    handler: async (ctx, { params, query }) => favouritesService.set(ctx, await actingMemberId(ctx, query.memberId), params.seriesId, false),
  });
}

/** Staff book for members, cancel, see rosters, and handle penalties. */
export function staffReservationRoutes({ route }: TenantRouter) {
  const tags = ['reservations'];
  route({
    method: 'GET', url: '/api/lessons/:lessonId/reservations', summary: 'A lesson’s roster and waitlist', tags, access: ALL_STAFF,
    schema: { params: s.lessonIdParams, response: s.roster },
    handler: (ctx, { params }) => reservationsService.roster(ctx, params.lessonId),
  });
  route({
    method: 'POST', url: '/api/lessons/:lessonId/reservations', summary: 'Book a member onto a lesson (outside the booking window too)', tags, access: DESK, status: 201, idempotent: true,
    schema: { params: s.lessonIdParams, body: s.staffBookBody, response: s.bookingResult },
    handler: async (ctx, { params, body }) => reservationsService.book(ctx, { ...body, lessonId: params.lessonId, memberId: await existingMember(ctx, body.memberId) }, false),
  });
  route({
    method: 'GET', url: '/api/reservations/:reservationId', summary: 'One reservation', tags, access: ALL_STAFF,
    schema: { params: s.reservationIdParams, response: s.reservationDto },
    handler: (ctx, { params }) => reservationsService.get(ctx, params.reservationId),
  });
  route({
    method: 'POST', url: '/api/reservations/:reservationId/cancel', summary: 'Cancel a reservation for a member (optionally waiving a late penalty)', tags, access: DESK, idempotent: true,
    schema: { params: s.reservationIdParams, body: s.staffCancelBody, response: s.cancelResult },
    handler: (ctx, { params, body }) => reservationsService.cancel(ctx, params.reservationId, { byMember: false, waivePenalty: body.waivePenalty }),
  });
  route({
    method: 'GET', url: '/api/members/:memberId/reservations', summary: 'A member’s reservations, upcoming or past', tags, access: ALL_STAFF,
    schema: { params: s.memberIdParams, querystring: s.staffListQuery, response: s.reservationList },
    handler: async (ctx, { params, query }) => reservationsService.listForMember(ctx, await existingMember(ctx, params.memberId), query),
  });
  route({
    method: 'GET', url: '/api/members/:memberId/penalties', summary: 'A member’s late-cancellation and no-show penalties, and any booking block', tags, access: ALL_STAFF,
    schema: { params: s.memberIdParams, response: s.penaltyList },
    handler: (ctx, { params }) => penaltiesService.forMember(ctx, params.memberId),
  });
  route({
    method: 'POST', url: '/api/members/:memberId/penalty-waivers', summary: 'Waive a penalty (a kept credit comes back, a fee is not billed, a strike stops counting)', tags, access: MANAGERS, idempotent: true,
    schema: { params: s.memberIdParams, body: s.waiveBody, response: s.penaltyList },
    handler: (ctx, { params, body }) => penaltiesService.waive(ctx, params.memberId, body.penaltyId),
  });
  route({
    method: 'POST', url: '/api/members/:memberId/booking-blocks/lift', summary: 'Let a blocked member book again now', tags, access: MANAGERS,
    schema: { params: s.memberIdParams, response: s.penaltyList },
    handler: (ctx, { params }) => penaltiesService.liftBlocks(ctx, params.memberId),
  });
}
