import type { Selectable } from 'kysely';
import { addDays, localParts, tenantToday, weekdayOf, zonedInstant, type IsoDate } from '../../platform/calendar.js';
import { AppError, notFound } from '../../platform/errors.js';
import { day, text, type Text } from '../../platform/i18n.js';
import type { AppLessons, AppLessonSeries } from '../../platform/db/types.js';
import type { TenantContext } from '../../platform/tenancy/context.js';
import { releaseLessons } from '../reservations/release.js';
import { describeLesson, notifyMembers, studioVoice, studioWords } from '../reservations/notify.js';
import { lessonTypesRepo } from './catalog.repo.js';
import { instructorsRepo } from './instructors.repo.js';
import { roomsRepo } from './rooms.repo.js';
import { lessonsRepo, seriesRepo, type LessonView } from './lessons.repo.js';
import { hhmm } from './booking-rules.js';
import { MAX_DAYS_AHEAD, MAX_RANGE_DAYS, MAX_SERIES_DAYS } from './lessons.schemas.js';

const minutes = (n: number) => n * 60_000;
const durationOf = (l: Pick<Selectable<AppLessons>, 'starts_at' | 'ends_at'>) => (l.ends_at.getTime() - l.starts_at.getTime()) / 60_000;
const invalid = (detail: Text) => new AppError('validation_failed', detail);

const toLesson = (l: LessonView) => ({
  id: l.id,
  seriesId: l.series_id,
  occurrenceDate: l.occurrence_date,
  lessonType: { id: l.lesson_type_id, name: l.type_name, colour: l.type_colour },
  room: { id: l.room_id, name: l.room_name },
  location: { id: l.location_id, name: l.location_name },
  instructor: l.instructor_id ? { id: l.instructor_id, displayName: l.instructor_name! } : null,
  substitute: l.substitute_instructor_id ? { id: l.substitute_instructor_id, displayName: l.substitute_name! } : null,
  startsAt: l.starts_at.toISOString(),
  endsAt: l.ends_at.toISOString(),
  capacity: l.capacity,
  booked: l.booked,
  held: l.held,
  waiting: Number(l.waiting ?? 0),
  status: l.status,
  cancelReason: l.cancel_reason,
  detached: l.detached,
  notes: l.notes,
});

/** "ヨガ（3月18日(水) 11:00）": how a refusal names the lesson it is about. */
async function nameOf(ctx: TenantContext, lessonId: string) {
  const l = (await lessonsRepo.view(ctx.db, lessonId))!;
  return describeLesson({ lesson_type_name: l.type_name, starts_at: l.starts_at });
}

/** Seats already taken (booked, or held for a waitlist offer) cannot be taken away by a smaller capacity. */
async function checkCapacity(ctx: TenantContext, lesson: Selectable<AppLessons>, capacity: number) {
  if (capacity < lesson.booked + lesson.held) {
    throw new AppError('conflict', text('schedule.seats_taken', { lesson: await nameOf(ctx, lesson.id), taken: lesson.booked + lesson.held, capacity }), {
      lessonId: lesson.id,
    });
  }
}

// References in a body: a foreign, missing or archived id is the caller's mistake (never a database error).
async function liveLessonType(ctx: TenantContext, id: string) {
  const t = await lessonTypesRepo.byId(ctx.db, id);
  if (!t || t.archived_at) throw invalid(text('schedule.unknown_lesson_type'));
  return t;
}
async function liveRoom(ctx: TenantContext, id: string) {
  const r = await roomsRepo.byId(ctx.db, id);
  if (!r || r.archived_at) throw invalid(text('schedule.unknown_room'));
  return r;
}
async function liveInstructor(ctx: TenantContext, id: string | null | undefined, field: string) {
  if (!id) return null;
  const i = await instructorsRepo.byId(ctx.db, id);
  if (!i || i.archived_at) throw invalid(text('schedule.unknown_instructor', { field }));
  return i.id;
}

function fitsRoom(capacity: number, room: { capacity: number; name: string }) {
  if (capacity > room.capacity) throw new AppError('unprocessable', text('schedule.room_too_small', { room: room.name, roomCapacity: room.capacity, capacity }));
  return capacity;
}

/** A lesson may be planned or moved only to a time still ahead. */
/** The last local date a lesson or series may start on, from the studio's today. */
const lastPlannableDay = (ctx: TenantContext) => addDays(tenantToday(ctx), MAX_DAYS_AHEAD);

function ahead(ctx: TenantContext, startsAt: Date) {
  if (startsAt <= ctx.now) throw new AppError('unprocessable', text('schedule.in_the_past'));
  const last = lastPlannableDay(ctx);
  if (startsAt >= zonedInstant(addDays(last, 1), '00:00', ctx.tenant.timezone)) {
    throw invalid(text('schedule.too_far_ahead', { last: day(last), max: MAX_DAYS_AHEAD }));
  }
  return startsAt;
}

/** The local dates a weekly rule falls on, both ends included. */
function ruleDates(startsOn: IsoDate, endsOn: IsoDate, weekdays: number[]): IsoDate[] {
  const out: IsoDate[] = [];
  for (let d = startsOn; d <= endsOn; d = addDays(d, 1)) if (weekdays.includes(weekdayOf(d))) out.push(d);
  return out;
}

/** An occurrence's times: its local date at the series' local start time, whatever the zone's offset that day. */
function occurrenceTimes(series: Pick<AppLessonSeries, 'start_time' | 'duration_minutes'>, date: IsoDate, timeZone: string) {
  const starts_at = zonedInstant(date, series.start_time, timeZone);
  return { starts_at, ends_at: new Date(starts_at.getTime() + minutes(series.duration_minutes)) };
}

async function seriesDto(ctx: TenantContext, series: Array<Selectable<AppLessonSeries>>) {
  const summaries = new Map((await seriesRepo.summaries(ctx.db, series.map((s) => s.id), ctx.now)).map((s) => [s.series_id, s]));
  return series.map((s) => {
    const o = summaries.get(s.id);
    return {
      id: s.id,
      lessonTypeId: s.lesson_type_id,
      locationId: s.location_id,
      roomId: s.room_id,
      instructorId: s.instructor_id,
      weekdays: [...s.weekdays].sort(),
      startTime: hhmm(s.start_time),
      durationMinutes: s.duration_minutes,
      capacity: s.capacity,
      startsOn: s.starts_on,
      endsOn: s.ends_on,
      occurrences: {
        total: Number(o?.total ?? 0),
        scheduled: Number(o?.scheduled ?? 0),
        cancelled: Number(o?.cancelled ?? 0),
        upcoming: Number(o?.upcoming ?? 0),
        detached: Number(o?.detached ?? 0),
        nextStartsAt: o?.next_starts_at ? new Date(o.next_starts_at).toISOString() : null,
      },
    };
  });
}

interface Placement {
  lessonTypeId: string;
  roomId: string;
  instructorId?: string | null;
  durationMinutes?: number;
  capacity?: number;
}

/** What a new lesson or series takes from its type and room when not told otherwise, checked. */
async function placementOf(ctx: TenantContext, input: Placement) {
  const type = await liveLessonType(ctx, input.lessonTypeId);
  const room = await liveRoom(ctx, input.roomId);
  return {
    lesson_type_id: type.id,
    room_id: room.id,
    location_id: room.location_id,
    instructor_id: await liveInstructor(ctx, input.instructorId, 'instructorId'),
    duration_minutes: input.durationMinutes ?? type.duration_minutes,
    capacity: fitsRoom(input.capacity ?? room.capacity, room),
  };
}

export const lessonsService = {
  async timetable(ctx: TenantContext, q: { from?: IsoDate; to?: IsoDate; locationId?: string; instructorId?: string; lessonTypeId?: string; includeCancelled: boolean }) {
    const from = q.from ?? tenantToday(ctx);
    const to = q.to ?? addDays(from, 6);
    if (to < from) throw invalid(text('schedule.to_before_from'));
    if (to > addDays(from, MAX_RANGE_DAYS - 1)) throw invalid(text('schedule.range_too_wide', { max: MAX_RANGE_DAYS }));
    const tz = ctx.tenant.timezone;
    const rows = await lessonsRepo.timetable(ctx.db, { ...q, from: zonedInstant(from, '00:00', tz), to: zonedInstant(addDays(to, 1), '00:00', tz) });
    return { items: rows.map(toLesson) };
  },

  async get(ctx: TenantContext, id: string) {
    const l = await lessonsRepo.view(ctx.db, id);
    if (!l) throw notFound('schedule.thing.lesson');
    const spots = await roomsRepo.spotsOf(ctx.db, [l.room_id]);
    const taken = spots.length > 0 ? await lessonsRepo.takenSpots(ctx.db, id) : new Set<number>();
    return { ...toLesson(l), spots: spots.length > 0 ? spots.map((s) => ({ spot: s.spot, label: s.label, taken: taken.has(s.spot) })) : null };
  },

  async create(ctx: TenantContext, input: Placement & { date?: IsoDate; startTime?: string; startsAt?: string; notes?: string }) {
    const { duration_minutes, ...placement } = await placementOf(ctx, input);
    const startsAt = ahead(ctx, input.startsAt ? new Date(input.startsAt) : zonedInstant(input.date!, input.startTime!, ctx.tenant.timezone));
    const [row] = await lessonsRepo.insertMany(ctx.db, [
      { ...placement, starts_at: startsAt, ends_at: new Date(startsAt.getTime() + minutes(duration_minutes)), notes: input.notes },
    ]);
    return lessonsService.get(ctx, row!.id);
  },

  async update(
    ctx: TenantContext,
    id: string,
    input: { date?: IsoDate; startTime?: string; startsAt?: string; durationMinutes?: number; roomId?: string; substituteInstructorId?: string | null; capacity?: number; notes?: string },
  ) {
    const lesson = await lessonsRepo.forUpdate(ctx.db, id);
    if (!lesson) throw notFound('schedule.thing.lesson');
    if (lesson.status === 'cancelled') throw new AppError('conflict', text('schedule.lesson_cancelled_no_change'));
    if (lesson.starts_at <= ctx.now) throw new AppError('conflict', text('schedule.lesson_over_no_change'));
    const tz = ctx.tenant.timezone;
    const local = localParts(lesson.starts_at, tz);
    const moved = input.startsAt !== undefined || input.date !== undefined || input.startTime !== undefined;
    const startsAt = !moved ? lesson.starts_at : ahead(ctx, input.startsAt ? new Date(input.startsAt) : zonedInstant(input.date ?? local.date, input.startTime ?? local.time, tz));
    const endsAt = new Date(startsAt.getTime() + minutes(input.durationMinutes ?? durationOf(lesson)));
    const room = input.roomId ? await liveRoom(ctx, input.roomId) : await roomsRepo.byId(ctx.db, lesson.room_id);
    const capacity = input.capacity ?? lesson.capacity;
    if (input.roomId || input.capacity !== undefined) fitsRoom(capacity, room!);
    await checkCapacity(ctx, lesson, capacity);
    const substitute = input.substituteInstructorId === undefined ? undefined : await liveInstructor(ctx, input.substituteInstructorId, 'substituteInstructorId');
    // Anything but a note makes the lesson its own: later edits of its series leave it alone.
    const detached = lesson.detached || Object.entries(input).some(([k, v]) => k !== 'notes' && v !== undefined);
    await lessonsRepo.update(ctx.db, id, {
      starts_at: startsAt,
      ends_at: endsAt,
      room_id: room!.id,
      location_id: room!.location_id,
      capacity,
      substitute_instructor_id: substitute,
      notes: input.notes,
      detached,
      updated_at: ctx.now,
    });
    if (startsAt.getTime() !== lesson.starts_at.getTime()) {
      // Bookings move with the lesson; the members hear of it (or their family lead does).
      const typeName = (await lessonsRepo.view(ctx.db, id))!.type_name;
      const [from, to] = [lesson.starts_at, startsAt].map((at) => describeLesson({ lesson_type_name: typeName, starts_at: at }));
      await notifyMembers(
        ctx.db,
        await lessonsRepo.bookedMembers(ctx.db, id),
        'lesson_moved',
        { subject: text('schedule.mail.lesson_moved.subject', { lesson: to! }), body: (name) => text('schedule.mail.lesson_moved.body', { name, from: from!, to: to! }) },
        studioVoice(ctx.tenant, ctx.now),
      );
      // A reminder sent named the old time: the new time is reminded of in its turn.
      await lessonsRepo.forgetReminders(ctx.db, id);
    }
    return lessonsService.get(ctx, id);
  },

  async cancel(ctx: TenantContext, id: string, input: { reason: string }) {
    const lesson = await lessonsRepo.forUpdate(ctx.db, id);
    if (!lesson) throw notFound('schedule.thing.lesson');
    if (lesson.status === 'scheduled' && lesson.starts_at <= ctx.now) throw new AppError('conflict', text('schedule.lesson_over_no_cancel'));
    const released = await releaseLessons(ctx, [id], input.reason);
    return { ...(await lessonsService.get(ctx, id)), released };
  },

  listSeries: async (ctx: TenantContext) => ({ items: await seriesDto(ctx, await seriesRepo.list(ctx.db)) }),

  async getSeries(ctx: TenantContext, id: string) {
    const s = await seriesRepo.byId(ctx.db, id);
    if (!s) throw notFound('schedule.thing.lesson_series');
    return (await seriesDto(ctx, [s]))[0]!;
  },

  /** Writes the series and every occurrence as a lesson row: the timetable, seat counters and locks are rows. */
  async createSeries(ctx: TenantContext, input: Placement & { weekdays: number[]; startTime: string; startsOn: IsoDate; endsOn: IsoDate }) {
    if (input.startsOn < tenantToday(ctx)) throw new AppError('unprocessable', text('schedule.series_before_today'));
    if (input.startsOn > lastPlannableDay(ctx)) {
      throw invalid(text('schedule.series_start_range', { today: day(tenantToday(ctx)), last: day(lastPlannableDay(ctx)), max: MAX_DAYS_AHEAD }));
    }
    const placement = await placementOf(ctx, input);
    const series = await seriesRepo.insert(ctx.db, {
      ...placement,
      weekdays: input.weekdays,
      start_time: input.startTime,
      starts_on: input.startsOn,
      ends_on: input.endsOn,
    });
    if ((await materialise(ctx, series, ruleDates(series.starts_on, series.ends_on, series.weekdays))) === 0) {
      throw new AppError('unprocessable', text('schedule.series_empty'));
    }
    return lessonsService.getSeries(ctx, series.id);
  },

  /**
   * Changes what is still ahead: occurrences not yet started and not edited on their own. Past lessons are
   * history; detached ones keep their own edit. New rule dates are added, dates dropped from the rule cancelled.
   */
  async updateSeries(
    ctx: TenantContext,
    id: string,
    input: { startTime?: string; durationMinutes?: number; roomId?: string; instructorId?: string | null; capacity?: number; weekdays?: number[]; endsOn?: IsoDate; from?: IsoDate },
  ) {
    const current = await seriesRepo.forUpdate(ctx.db, id);
    if (!current) throw notFound('schedule.thing.lesson_series');
    const endsOn = input.endsOn ?? current.ends_on;
    if (endsOn < current.starts_on || endsOn > addDays(current.starts_on, MAX_SERIES_DAYS)) {
      throw invalid(text('schedule.series_end_range', { from: day(current.starts_on), to: day(addDays(current.starts_on, MAX_SERIES_DAYS)) }));
    }
    const room = input.roomId ? await liveRoom(ctx, input.roomId) : (await roomsRepo.byId(ctx.db, current.room_id))!;
    const capacity = input.capacity ?? current.capacity;
    if (input.roomId || input.capacity !== undefined) fitsRoom(capacity, room);
    const next = {
      ...current,
      start_time: input.startTime ?? current.start_time,
      duration_minutes: input.durationMinutes ?? current.duration_minutes,
      room_id: room.id,
      location_id: room.location_id,
      instructor_id: input.instructorId === undefined ? current.instructor_id : await liveInstructor(ctx, input.instructorId, 'instructorId'),
      capacity,
      weekdays: input.weekdays ?? current.weekdays,
      ends_on: endsOn,
    };
    const tz = ctx.tenant.timezone;
    const inRule = new Set(ruleDates(next.starts_on, next.ends_on, next.weekdays));
    // "From this date on": occurrences before it keep the times and places they were booked under.
    const from = input.from ?? tenantToday(ctx);
    const future = (await lessonsRepo.futureOfSeries(ctx.db, id, ctx.now)).filter((l) => l.status === 'scheduled' && !l.detached && l.occurrence_date! >= from);
    // An occurrence the new time would put in the past (today's, moved earlier) stays as it was: its bookings
    // must not turn into no-shows.
    const kept = future
      .filter((l) => inRule.has(l.occurrence_date!))
      .map((l) => ({ lesson: l, times: occurrenceTimes(next, l.occurrence_date!, tz) }))
      .filter((k) => k.times.starts_at > ctx.now);
    for (const { lesson } of kept) await checkCapacity(ctx, lesson, capacity);
    await lessonsRepo.reschedule(
      ctx.db,
      kept.map((k) => ({ id: k.lesson.id, ...k.times })),
      { room_id: next.room_id, location_id: next.location_id, instructor_id: next.instructor_id, capacity, now: ctx.now },
    );
    const dropped = future.filter((l) => !inRule.has(l.occurrence_date!)).map((l) => l.id);
    if (dropped.length > 0) await releaseLessons(ctx, dropped, studioWords(ctx.tenant, text('schedule.dropped_from_series')));
    const updated = await seriesRepo.update(ctx.db, id, {
      start_time: next.start_time,
      duration_minutes: next.duration_minutes,
      room_id: next.room_id,
      location_id: next.location_id,
      instructor_id: next.instructor_id,
      capacity,
      weekdays: next.weekdays,
      ends_on: next.ends_on,
      updated_at: ctx.now,
    });
    const existing = await lessonsRepo.occurrenceDates(ctx.db, id);
    await materialise(ctx, updated, [...inRule].filter((d) => d >= from && !existing.has(d)));
    return lessonsService.getSeries(ctx, id);
  },

  /** Cancels what is left of a series from a date on (today if not given), and ends the rule there. */
  async cancelSeries(ctx: TenantContext, id: string, input: { reason: string; from?: IsoDate }) {
    const series = await seriesRepo.forUpdate(ctx.db, id);
    if (!series) throw notFound('schedule.thing.lesson_series');
    const from = input.from ?? tenantToday(ctx);
    const doomed = (await lessonsRepo.futureOfSeries(ctx.db, id, ctx.now)).filter((l) => l.status === 'scheduled' && l.occurrence_date! >= from).map((l) => l.id);
    const released = await releaseLessons(ctx, doomed, input.reason);
    const lastDay = addDays(from, -1);
    if (lastDay >= series.starts_on && lastDay < series.ends_on) await seriesRepo.update(ctx.db, id, { ends_on: lastDay, updated_at: ctx.now });
    return { series: await lessonsService.getSeries(ctx, id), released };
  },
};

/** Writes occurrences of a series as lessons, for those dates still ahead; says how many. */
async function materialise(ctx: TenantContext, series: Selectable<AppLessonSeries>, dates: IsoDate[]) {
  const rows = dates
    .map((date) => ({ date, ...occurrenceTimes(series, date, ctx.tenant.timezone) }))
    .filter((o) => o.starts_at > ctx.now)
    .map((o) => ({
      series_id: series.id,
      occurrence_date: o.date,
      lesson_type_id: series.lesson_type_id,
      location_id: series.location_id,
      room_id: series.room_id,
      instructor_id: series.instructor_id,
      starts_at: o.starts_at,
      ends_at: o.ends_at,
      capacity: series.capacity,
    }));
  return (await lessonsRepo.insertMany(ctx.db, rows)).length;
}
