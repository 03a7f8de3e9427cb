import { sql, type Insertable, type Updateable } from 'kysely';
import type { Tx } from '../../platform/db/databases.js';
import type { AppLessons, AppLessonSeries } from '../../platform/db/types.js';

/** A lesson with the names the timetable shows: type, room, location, instructor and substitute. */
const view = (db: Tx) =>
  db
    .selectFrom('app.lessons as l')
    .innerJoin('app.lesson_types as t', 't.id', 'l.lesson_type_id')
    .innerJoin('app.rooms as r', 'r.id', 'l.room_id')
    .innerJoin('app.locations as loc', 'loc.id', 'l.location_id')
    .leftJoin('app.instructors as i', 'i.id', 'l.instructor_id')
    .leftJoin('app.instructors as sub', 'sub.id', 'l.substitute_instructor_id')
    .selectAll('l')
    .select([
      't.name as type_name', 't.colour as type_colour', 'r.name as room_name', 'loc.name as location_name',
      'i.display_name as instructor_name', 'sub.display_name as substitute_name',
      // Offered entries already hold a seat (counted in held): the waitlist shown is those still queuing.
      (eb) =>
        eb
          .selectFrom('app.waitlist_entries as w')
          .select((w) => w.fn.countAll<string>().as('n'))
          .whereRef('w.lesson_id', '=', 'l.id')
          .where(sql<boolean>`w.status = 'waiting'`)
          .as('waiting'),
    ]);
export type LessonView = Awaited<ReturnType<ReturnType<typeof view>['executeTakeFirstOrThrow']>>;

export const lessonsRepo = {
  view: (db: Tx, id: string) => view(db).where('l.id', '=', id).executeTakeFirst(),

  timetable: (db: Tx, q: { from: Date; to: Date; locationId?: string; instructorId?: string; lessonTypeId?: string; includeCancelled: boolean }) => {
    let query = view(db).where('l.starts_at', '>=', q.from).where('l.starts_at', '<', q.to).orderBy('l.starts_at').orderBy('l.id');
    if (q.locationId) query = query.where('l.location_id', '=', q.locationId);
    if (q.lessonTypeId) query = query.where('l.lesson_type_id', '=', q.lessonTypeId);
    // The one who teaches: the substitute if there is one.
    if (q.instructorId) query = query.where(sql<string>`coalesce(l.substitute_instructor_id, l.instructor_id)`, '=', q.instructorId);
    if (!q.includeCancelled) query = query.where('l.status', '=', 'scheduled');
    return query.execute();
  },

  /** Locks a lesson for an edit; seat counters change under the same lock, so a capacity check holds. */
  forUpdate: (db: Tx, id: string) => db.selectFrom('app.lessons').selectAll().where('id', '=', id).forUpdate().executeTakeFirst(),

  insertMany: (db: Tx, rows: Array<Insertable<AppLessons>>) =>
    rows.length === 0 ? Promise.resolve([]) : db.insertInto('app.lessons').values(rows).returning(['id', 'occurrence_date']).execute(),

  update: (db: Tx, id: string, changes: Updateable<AppLessons>) => db.updateTable('app.lessons').set(changes).where('id', '=', id).execute(),

  /** Gives lessons new times, and the same room, instructor and capacity: a series edit in one statement. */
  reschedule: (db: Tx, rows: Array<{ id: string; starts_at: Date; ends_at: Date }>, common: { room_id: string; location_id: string; instructor_id: string | null; capacity: number; now: Date }) =>
    rows.length === 0
      ? Promise.resolve()
      : sql`
          update app.lessons as l
             set starts_at = v.starts_at, ends_at = v.ends_at, room_id = ${common.room_id}, location_id = ${common.location_id},
                 instructor_id = ${common.instructor_id}, capacity = ${common.capacity}, updated_at = ${common.now}
            from (values ${sql.join(rows.map((r) => sql`(${r.id}::uuid, ${r.starts_at}::timestamptz, ${r.ends_at}::timestamptz)`))}) as v(id, starts_at, ends_at)
           where l.id = v.id`.execute(db).then(() => undefined),

  /** Every occurrence of a series not yet started, locked (in id order, like every lesson lock). */
  futureOfSeries: (db: Tx, seriesId: string, now: Date) =>
    db.selectFrom('app.lessons').selectAll().where('series_id', '=', seriesId).where('starts_at', '>', now).orderBy('id').forUpdate().execute(),

  occurrenceDates: async (db: Tx, seriesId: string) =>
    new Set((await db.selectFrom('app.lessons').select('occurrence_date').where('series_id', '=', seriesId).execute()).map((r) => r.occurrence_date!)),

  /** Spots taken on a lesson: by reservations that hold (or held) a seat. */
  takenSpots: async (db: Tx, lessonId: string) =>
    new Set(
      (
        await db.selectFrom('app.reservations').select('spot').where('lesson_id', '=', lessonId).where('status', 'in', ['booked', 'attended', 'no_show']).where('spot', 'is not', null).execute()
      ).map((r) => r.spot!),
    ),

  bookedMembers: async (db: Tx, lessonId: string) =>
    (await db.selectFrom('app.reservations').select('member_id').where('lesson_id', '=', lessonId).where('status', '=', 'booked').execute()).map((r) => r.member_id),

  /** The lesson's bookings count as not yet reminded. */
  forgetReminders: (db: Tx, lessonId: string) =>
    db.updateTable('app.reservations').set({ reminded_at: null }).where('lesson_id', '=', lessonId).where('status', '=', 'booked').where('reminded_at', 'is not', null).execute(),
};

export const seriesRepo = {
  insert: (db: Tx, row: Insertable<AppLessonSeries>) => db.insertInto('app.lesson_series').values(row).returningAll().executeTakeFirstOrThrow(),
  byId: (db: Tx, id: string) => db.selectFrom('app.lesson_series').selectAll().where('id', '=', id).executeTakeFirst(),
  forUpdate: (db: Tx, id: string) => db.selectFrom('app.lesson_series').selectAll().where('id', '=', id).forUpdate().executeTakeFirst(),
  list: (db: Tx) => db.selectFrom('app.lesson_series').selectAll().orderBy('created_at').orderBy('id').execute(),
  update: (db: Tx, id: string, changes: Updateable<AppLessonSeries>) => db.updateTable('app.lesson_series').set(changes).where('id', '=', id).returningAll().executeTakeFirstOrThrow(),

  /** How each series' occurrences stand, for its summary. */
  summaries: (db: Tx, seriesIds: string[], now: Date) =>
    seriesIds.length === 0
      ? Promise.resolve([])
      : db
          .selectFrom('app.lessons')
          .select((eb) => [
            'series_id',
            eb.fn.countAll<number>().as('total'),
            sql<number>`count(*) filter (where status = 'scheduled')`.as('scheduled'),
            sql<number>`count(*) filter (where status = 'cancelled')`.as('cancelled'),
            sql<number>`count(*) filter (where status = 'scheduled' and starts_at > ${now})`.as('upcoming'),
            sql<number>`count(*) filter (where detached)`.as('detached'),
            sql<Date | null>`min(starts_at) filter (where status = 'scheduled' and starts_at > ${now})`.as('next_starts_at'),
          ])
          .where('series_id', 'in', seriesIds)
          .groupBy('series_id')
          .execute(),
};
