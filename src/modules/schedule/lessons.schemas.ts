import { z } from 'zod';
import { calendarDate, calendarInstant } from '../../platform/dates.schemas.js';
import { localTime } from './booking-rules.schemas.js';

const isoDate = calendarDate;
const capacity = z.int().min(1).max(1000);
const duration = z.int().min(5).max(600);
const reason = z.string().trim().min(1).max(500);
const atLeastOne = (v: object) => Object.values(v).some((x) => x !== undefined);
/** A series is written out as lessons when it is made, so it must end: within two years of its start (the number is in schedule.series_too_long too). */
export const MAX_SERIES_DAYS = 731;
/** Lessons are planned at most two years ahead: a later start is a typo, and would be booked against no plan. */
export const MAX_DAYS_AHEAD = 731;
/** The timetable is read a week or a month at a time; a wider range is a mistake or a scrape. */
export const MAX_RANGE_DAYS = 62;
const daysBetween = (a: string, b: string) => (Date.parse(b) - Date.parse(a)) / 86_400_000;

export const lessonIdParams = z.object({ lessonId: z.uuid() });
export const seriesIdParams = z.object({ seriesId: z.uuid() });

/** When a lesson starts: a local date and time in the studio's zone, or an exact instant. */
const when = {
  date: isoDate.optional().describe('Local date in the studio’s time zone (with startTime)'),
  startTime: localTime.optional().describe('Local start time, HH:MM'),
  startsAt: calendarInstant.optional().describe('Or the exact start instant'),
};

export const createLessonBody = z
  .object({
    lessonTypeId: z.uuid(),
    roomId: z.uuid(),
    instructorId: z.uuid().nullable().optional(),
    ...when,
    durationMinutes: duration.optional().describe('Defaults to the lesson type’s'),
    capacity: capacity.optional().describe('Defaults to the room’s, and may not exceed it'),
    notes: z.string().trim().max(2000).optional(),
  })
  .strict()
  .refine((v) => (v.startsAt !== undefined ? v.date === undefined && v.startTime === undefined : v.date !== undefined && v.startTime !== undefined), {
    message: 'schedule.give_date_or_starts_at',
  })
  .meta({ example: { lessonTypeId: '00000000-0000-4000-8000-000000000000', roomId: '00000000-0000-4000-8000-000000000000', date: '2028-01-10', startTime: '10:00' } });

const weekdays = z
  .array(z.int().min(1).max(7))
  .min(1)
  .max(7)
  .refine((d) => new Set(d).size === d.length, 'schedule.each_weekday_once')
  .describe('ISO weekdays, 1 = Monday');

export const createSeriesBody = z
  .object({
    lessonTypeId: z.uuid(),
    roomId: z.uuid(),
    instructorId: z.uuid().nullable().optional(),
    weekdays,
    startTime: localTime,
    durationMinutes: duration.optional(),
    capacity: capacity.optional(),
    startsOn: isoDate,
    endsOn: isoDate.describe(`Inclusive; at most ${MAX_SERIES_DAYS} days after startsOn`),
  })
  .strict()
  .refine((v) => v.endsOn >= v.startsOn, { message: 'schedule.ends_before_start', path: ['endsOn'] })
  .refine((v) => daysBetween(v.startsOn, v.endsOn) <= MAX_SERIES_DAYS, { message: 'schedule.series_too_long', path: ['endsOn'] })
  .meta({
    example: {
      lessonTypeId: '00000000-0000-4000-8000-000000000000', roomId: '00000000-0000-4000-8000-000000000000',
      weekdays: [1, 3], startTime: '10:00', startsOn: '2028-01-10', endsOn: '2028-03-31',
    },
  });

export const updateSeriesBody = z
  .object({
    startTime: localTime.optional(),
    durationMinutes: duration.optional(),
    roomId: z.uuid().optional(),
    instructorId: z.uuid().nullable().optional(),
    capacity: capacity.optional(),
    weekdays: weekdays.optional(),
    endsOn: isoDate.optional(),
    from: isoDate.optional().describe('First local date the change applies to; today if left out. Earlier lessons stay as they are'),
  })
  .strict()
  .refine(({ from: _from, ...change }) => atLeastOne(change), 'validation.at_least_one_change')
  .meta({ example: { startTime: '10:30', from: '2028-02-01' } });

export const updateLessonBody = z
  .object({
    ...when,
    durationMinutes: duration.optional(),
    roomId: z.uuid().optional(),
    substituteInstructorId: z.uuid().nullable().optional().describe('Who teaches this lesson only; null clears it'),
    capacity: capacity.optional(),
    notes: z.string().trim().max(2000).optional(),
  })
  .strict()
  .refine(atLeastOne, 'validation.at_least_one_change')
  .refine((v) => v.startsAt === undefined || (v.date === undefined && v.startTime === undefined), 'schedule.date_or_starts_at_not_both')
  .meta({ example: { notes: 'Bring a towel' } });

export const cancelLessonBody = z.object({ reason: reason.meta({ example: 'Instructor ill' }) }).strict();
export const cancelSeriesBody = z
  .object({ reason: reason.meta({ example: 'Class discontinued' }), from: isoDate.optional().describe('First local date to cancel; today if left out') })
  .strict();

export const listLessonsQuery = z
  .object({
    from: isoDate.optional().describe('First local date; today if left out'),
    to: isoDate.optional().describe(`Last local date (inclusive); a week after from if left out; at most ${MAX_RANGE_DAYS} days`),
    locationId: z.uuid().optional(),
    instructorId: z.uuid().optional().describe('Lessons this instructor teaches (including as a substitute)'),
    lessonTypeId: z.uuid().optional(),
    includeCancelled: z.stringbool().default(false),
  })
  .strict();

const named = z.object({ id: z.uuid(), name: z.string() });
const person = z.object({ id: z.uuid(), displayName: z.string() });

export const lessonDto = z.object({
  id: z.uuid(),
  seriesId: z.uuid().nullable(),
  occurrenceDate: z.string().nullable().describe('Which occurrence of its series, even after a move'),
  lessonType: named.extend({ colour: z.string() }),
  room: named,
  location: named,
  instructor: person.nullable().describe('The regular instructor'),
  substitute: person.nullable().describe('Who teaches this lesson instead, if anyone'),
  startsAt: z.iso.datetime(),
  endsAt: z.iso.datetime(),
  capacity: z.int(),
  booked: z.int(),
  held: z.int().describe('Seats held for a waitlist offer'),
  waiting: z.int().describe('Members on the waitlist, still queuing'),
  status: z.enum(['scheduled', 'cancelled']),
  cancelReason: z.string().nullable(),
  detached: z.boolean().describe('Edited on its own: series edits leave it alone'),
  notes: z.string(),
});
export const lessonList = z.object({ items: z.array(lessonDto) });
export const lessonDetail = lessonDto.extend({
  spots: z.array(z.object({ spot: z.int(), label: z.string(), taken: z.boolean() })).nullable().describe('The room’s seat map with the spots booked, or null'),
});

export const seriesDto = z.object({
  id: z.uuid(),
  lessonTypeId: z.uuid(),
  locationId: z.uuid(),
  roomId: z.uuid(),
  instructorId: z.uuid().nullable(),
  weekdays: z.array(z.int()),
  startTime: z.string(),
  durationMinutes: z.int(),
  capacity: z.int(),
  startsOn: z.string(),
  endsOn: z.string(),
  occurrences: z.object({
    total: z.int(),
    scheduled: z.int(),
    cancelled: z.int(),
    upcoming: z.int().describe('Scheduled and not yet started'),
    detached: z.int(),
    nextStartsAt: z.iso.datetime().nullable(),
  }),
});
export const seriesList = z.object({ items: z.array(seriesDto) });
export const releasedDto = z.object({ lessons: z.int(), reservations: z.int(), credits: z.int().describe('Credits given back to the members whose bookings were released'), waitlist: z.int() });
/** A cancelled lesson and what its cancellation released (for a preview: would release). */
export const cancelLessonResult = lessonDetail.extend({ released: releasedDto });
export const cancelSeriesResult = z.object({ series: seriesDto, released: releasedDto });
