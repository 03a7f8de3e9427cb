import { z } from 'zod';
import { calendarDate } from '../../platform/dates.schemas.js';

const date = calendarDate.meta({ example: '2026-12-01' });
const instant = z.string().meta({ format: 'date-time' });

export const lessonIdParams = z.object({ lessonId: z.uuid() });
export const reservationIdParams = z.object({ reservationId: z.uuid() });
export const entryIdParams = z.object({ entryId: z.uuid() });
export const memberIdParams = z.object({ memberId: z.uuid() });

/** A member acting for a member of the family they lead names them; otherwise they act for themselves. */
const forMember = z.uuid().optional().describe('A member of the family you lead; yourself when absent');

export const memberBookBody = z
  .object({
    lessonId: z.uuid(),
    spot: z.int().min(1).max(1000).optional().describe('A numbered spot of the room’s seat map'),
    joinWaitlist: z.boolean().default(false).describe('When every seat is taken, join the waitlist instead of being refused'),
    memberId: forMember,
  })
  .strict();
export const staffBookBody = z
  .object({ memberId: z.uuid(), spot: z.int().min(1).max(1000).optional(), joinWaitlist: z.boolean().default(false) })
  .strict();
export const memberJoinBody = z.object({ lessonId: z.uuid(), memberId: forMember }).strict();
export const staffCancelBody = z.object({ waivePenalty: z.boolean().default(false).describe('No late-cancellation penalty') }).strict();

export const memberQuery = z.object({ memberId: forMember }).strict();
export const listQuery = z
  .object({
    scope: z.enum(['upcoming', 'past']).default('upcoming')
      .describe('upcoming: bookings that stand, in lessons yet to start; past: the history, lessons that began and every cancelled or released booking'),
    limit: z.coerce.number().int().min(1).max(200).default(50), memberId: forMember })
  .strict();
export const staffListQuery = listQuery.omit({ memberId: true });
export const scheduleQuery = z
  .object({
    from: date.optional().describe('First day (studio time); today when absent'),
    days: z.coerce.number().int().min(1).max(14).default(7),
    locationId: z.uuid().optional(),
    lessonTypeId: z.uuid().optional(),
    instructorId: z.uuid().optional().describe('Lessons this instructor teaches (or stands in for)'),
    memberId: forMember,
  })
  .strict();

export const reservationDto = z.object({
  id: z.uuid(),
  lessonId: z.uuid(),
  memberId: z.uuid(),
  status: z.enum(['booked', 'attended', 'no_show', 'cancelled', 'late_cancelled', 'released']),
  spot: z.int().nullable(),
  creditsUsed: z.int(),
  source: z.enum(['member', 'staff', 'waitlist']),
  createdAt: instant,
  cancelledAt: instant.nullable(),
  checkedInAt: instant.nullable(),
});
export const waitlistEntryDto = z.object({
  id: z.uuid(),
  lessonId: z.uuid(),
  memberId: z.uuid(),
  status: z.enum(['waiting', 'offered', 'promoted', 'declined', 'expired', 'skipped', 'left', 'dropped', 'released']),
  position: z.int().nullable().describe('1 = next in line; null once not waiting'),
  joinedAt: instant,
  offerExpiresAt: instant.nullable(),
  note: z.string(),
});
export const bookingResult = z.object({
  outcome: z.enum(['booked', 'waitlisted']),
  reservation: reservationDto.optional(),
  waitlistEntry: waitlistEntryDto.optional(),
});
export const cancelResult = z.object({
  reservation: reservationDto,
  late: z.boolean().describe('After the cancellation deadline'),
  creditRefunded: z.boolean(),
  penalty: z.object({ kind: z.enum(['none', 'lose_credit', 'fee', 'strike']), amount: z.number().int(), blockedUntil: instant.nullable() }),
});
export const acceptResult = z.object({ reservation: reservationDto, waitlistEntry: waitlistEntryDto });

const lessonSummary = z.object({
  startsAt: instant, endsAt: instant, status: z.enum(['scheduled', 'cancelled']), lessonTypeName: z.string(), colour: z.string(), roomName: z.string(), locationName: z.string(),
});
export const reservationWithLesson = reservationDto.extend({
  lesson: lessonSummary,
  cancelDeadline: instant.nullable().describe('A booking that stands: until when cancelling is free (later, the lesson type\'s late-cancel penalty applies); otherwise null'),
});
export const reservationList = z.object({ items: z.array(reservationWithLesson) });
export const waitlistList = z.object({ items: z.array(waitlistEntryDto.extend({ lesson: z.object({ startsAt: instant, endsAt: instant, lessonTypeName: z.string() }) })) });
export const roster = z.object({
  reservations: z.array(reservationDto.extend({ memberName: z.string(), memberNumber: z.number().int() })),
  waitlist: z.array(waitlistEntryDto.extend({ memberName: z.string(), memberNumber: z.number().int() })),
  waitingRoom: z
    .object({
      opensAt: instant,
      order: z.enum(['arrival', 'lottery']),
      queued: z.int().describe('Members who queued for the opening (every lesson of it)'),
      letIn: z.int().describe('Of them, let in so far'),
      drawnAt: instant.nullable().describe('When the places were given; null before the opening'),
    })
    .nullable()
    .describe('The waiting room of the opening of this lesson\'s booking window; null when nobody queued for it'),
});

const queuedState = z.object({
  state: z.literal('queued').describe('In the waiting room, not let in yet'),
  opensAt: instant,
  order: z.enum(['arrival', 'lottery']),
  position: z.int().nullable().describe('My place in the queue; null until a lottery is drawn at the opening'),
  turnAt: instant.nullable().describe('When my place is let in; null until my place is known'),
  drawAt: instant.describe('When the places are drawn (a minute before the opening): whoever joins later queues behind'),
  checkAt: instant.describe('When to ask again: my turn, or my own moment after the draw to learn my place'),
});

/** Where I stand in an opening's waiting room: queued, or let in (free to book). */
export const waitingRoomStanding = z.discriminatedUnion('state', [
  queuedState,
  z.object({ state: z.literal('admitted').describe('Let in, or no queue stands in the way: book now'), opensAt: instant }),
]);

const myState = z.discriminatedUnion('state', [
  z.object({ state: z.literal('booked'), reservationId: z.uuid(), spot: z.int().nullable(), cancelDeadline: instant }),
  z.object({ state: z.literal('waitlisted'), waitlistEntryId: z.uuid(), position: z.int() }),
  z.object({ state: z.literal('offered'), waitlistEntryId: z.uuid(), offerExpiresAt: instant }),
  z.object({
    state: z.literal('opens'),
    opensAt: instant.describe('When booking opens'),
    queueOpensAt: instant.nullable().describe('When the studio\'s waiting room for that opening opens; null: it has none'),
  }),
  z.object({
    state: z.literal('queue').describe('The opening has a waiting room: join it (POST /api/me/waiting-room) to book'),
    opensAt: instant,
    opened: z.boolean().describe('Booking has opened: whoever joins now queues behind those still waiting'),
  }),
  queuedState,
  z.object({ state: z.literal('bookable') }),
  z.object({ state: z.literal('full').describe('Every seat taken: the waitlist is open') }),
  z.object({ state: z.literal('closed') }),
  z.object({ state: z.literal('cancelled') }),
]);
const choice = z.object({ id: z.uuid(), name: z.string() });

export const memberSchedule = z.object({
  from: date,
  serverTime: instant.describe('The server\'s clock when it answered: a phone times a waiting room\'s turn by it, not by its own clock'),
  days: z.int(),
  lastBookableDay: date.describe('The furthest day whose lessons can be booked once their booking opens: the timetable pages up to it'),
  choices: z.object({ locations: z.array(choice), lessonTypes: z.array(choice), instructors: z.array(choice) }).describe('What the timetable can be narrowed to'),
  lessons: z.array(
    z.object({
      id: z.uuid(),
      startsAt: instant,
      endsAt: instant,
      status: z.enum(['scheduled', 'cancelled']),
      lessonType: z.object({ id: z.uuid(), name: z.string(), colour: z.string() }),
      series: z
        .object({ id: z.uuid(), favourite: z.boolean().describe('I follow it: told when booking its lessons opens') })
        .nullable()
        .describe('The weekly series the lesson belongs to; null for a one-off'),
      location: z.object({ id: z.uuid(), name: z.string() }),
      room: z.object({ id: z.uuid(), name: z.string(), seatMap: z.boolean().describe('Its spots are numbered: a booking may pick one (GET /api/me/lessons/{id}/spots)') }),
      instructor: z.object({ id: z.uuid(), name: z.string(), substitute: z.boolean() }).nullable(),
      capacity: z.int(),
      seatsLeft: z.int(),
      waitlistCount: z.int(),
      me: myState,
    }),
  ),
});

export const penaltyList = z.object({
  items: z.array(
    z.object({
      id: z.uuid(), reservationId: z.uuid(), reason: z.enum(['late_cancel', 'no_show']), kind: z.enum(['lose_credit', 'fee', 'strike']),
      amount: z.number().int(), waived: z.boolean(), billed: z.boolean(), createdAt: instant,
    }),
  ),
  blockedUntil: instant.nullable(),
});
export const waiveBody = z.object({ penaltyId: z.uuid() }).strict();

export const seriesIdParams = z.object({ seriesId: z.uuid() });
export const favouriteDto = z.object({ seriesId: z.uuid(), favourite: z.boolean() }).meta({ id: 'Favourite' });

export const calendarFeed = z.object({ url: z.string().describe('Subscribe to it in a calendar app; it names me, so keep it private') });
export const calendarFeedParams = z.object({ token: z.string().min(10).max(200) });

export const lessonSpots = z.object({
  spots: z.array(z.object({ spot: z.int(), label: z.string(), taken: z.boolean() })).describe('Empty when the room has no seat map'),
});
