import { sql, type Insertable } from 'kysely';
import { signingKeys } from '../../platform/auth/signing-keys.js';
import type { Tx } from '../../platform/db/databases.js';
import type { AppCheckIns } from '../../platform/db/types.js';

/** The studio's check-in secret (a per-studio signing key of its own). */
export const signingKeysRepo = {
  ensure: (db: Tx) => signingKeys.ensure(db, 'check_in'),
  find: (db: Tx) => signingKeys.find(db, 'check_in'),
};

/** A reservation a check-in may mark, with its lesson. */
const reservationColumns = [
  'r.id as reservation_id', 'r.status as reservation_status', 'l.id as lesson_id', 'l.location_id', 'l.status as lesson_status', 'l.starts_at', 'l.ends_at',
  't.name as lesson_type_name',
] as const;

function reservationsWithLessons(db: Tx) {
  return db
    .selectFrom('app.reservations as r')
    .innerJoin('app.lessons as l', (j) => j.onRef('l.tenant_id', '=', 'r.tenant_id').onRef('l.id', '=', 'r.lesson_id'))
    .innerJoin('app.lesson_types as t', (j) => j.onRef('t.tenant_id', '=', 'l.tenant_id').onRef('t.id', '=', 'l.lesson_type_id'))
    .select(reservationColumns);
}

export type ReservationForCheckIn = Awaited<ReturnType<ReturnType<typeof reservationsWithLessons>['executeTakeFirstOrThrow']>>;

/** What lists show: the check-in, its member, and the lesson it attended (none for a walk-in). */
function checkInViews(db: Tx) {
  return db
    .selectFrom('app.check_ins as c')
    .innerJoin('app.members as m', (j) => j.onRef('m.tenant_id', '=', 'c.tenant_id').onRef('m.id', '=', 'c.member_id'))
    .leftJoin('app.reservations as r', (j) => j.onRef('r.tenant_id', '=', 'c.tenant_id').onRef('r.id', '=', 'c.reservation_id'))
    .leftJoin('app.lessons as l', (j) => j.onRef('l.tenant_id', '=', 'r.tenant_id').onRef('l.id', '=', 'r.lesson_id'))
    .leftJoin('app.lesson_types as t', (j) => j.onRef('t.tenant_id', '=', 'l.tenant_id').onRef('t.id', '=', 'l.lesson_type_id'))
    .select([
      'c.id', 'c.location_id', 'c.reservation_id', 'c.method', 'c.checked_in_at',
      'm.id as member_id', 'm.member_number', 'm.family_name', 'm.given_name', 'm.status as member_status',
      'l.id as lesson_id', 'l.starts_at', 'l.ends_at', 't.name as lesson_type_name',
    ]);
}

export type CheckInView = Awaited<ReturnType<ReturnType<typeof checkInViews>['executeTakeFirstOrThrow']>>;

export const checkInsRepo = {
  lesson: (db: Tx, id: string) => db.selectFrom('app.lessons').select(['id', 'location_id', 'status']).where('id', '=', id).executeTakeFirst(),

  /** The member's reservation (booked, attended or no-show: at most one, by a unique index) for a lesson. */
  reservationForLesson: (db: Tx, memberId: string, lessonId: string) =>
    reservationsWithLessons(db)
      .where('r.member_id', '=', memberId)
      .where('r.lesson_id', '=', lessonId)
      .where('r.status', 'in', ['booked', 'attended', 'no_show'])
      .executeTakeFirst(),

  /**
   * The reservation a scan without a lesson is for: the member's, on a scheduled lesson at this location that
   * starts within [dayStart, dayEnd) and whose check-in window [start − lead, end] contains now. A booked one
   * first (the soonest), so a member between two lessons is checked into the next; else an attended one, so a
   * second scan finds the first.
   */
  reservationInWindow: (db: Tx, q: { memberId: string; locationId: string; dayStart: Date; dayEnd: Date; now: Date; leadMinutes: number }) =>
    reservationsWithLessons(db)
      .where('r.member_id', '=', q.memberId)
      .where('r.status', 'in', ['booked', 'attended'])
      .where('l.status', '=', 'scheduled')
      .where('l.location_id', '=', q.locationId)
      .where('l.starts_at', '>=', q.dayStart)
      .where('l.starts_at', '<', q.dayEnd)
      .where('l.starts_at', '<=', new Date(q.now.getTime() + q.leadMinutes * 60_000))
      .where('l.ends_at', '>=', q.now)
      .orderBy((eb) => eb('r.status', '=', 'booked'), 'desc')
      .orderBy('l.starts_at')
      .limit(1)
      .executeTakeFirst(),

  /** Marks a booked reservation attended; an attended one keeps its first time. */
  markAttended: (db: Tx, reservationId: string, at: Date) =>
    db
      .updateTable('app.reservations')
      .set({ status: 'attended', checked_in_at: at })
      .where('id', '=', reservationId)
      .where('status', '=', 'booked')
      .returning('id')
      .executeTakeFirst()
      .then((row) => row !== undefined),

  byReservation: (db: Tx, reservationId: string) => checkInViews(db).where('c.reservation_id', '=', reservationId).executeTakeFirst(),

  insert: async (db: Tx, row: Insertable<AppCheckIns>) => {
    const { id } = await db.insertInto('app.check_ins').values(row).returning('id').executeTakeFirstOrThrow();
    return checkInViews(db).where('c.id', '=', id).executeTakeFirstOrThrow();
  },

  /** The member's walk-in on a local day of the studio, if one was recorded. */
  walkInOn: (db: Tx, memberId: string, day: string) =>
    checkInViews(db).where('c.member_id', '=', memberId).where('c.walk_in_day', '=', day).executeTakeFirst(),

  /**
   * Records a walk-in unless the member has one that day: the unique index decides, so two desks at once record
   * one (the second waits for the first's commit, then inserts nothing). Undefined when one was there.
   */
  insertWalkIn: async (db: Tx, row: Insertable<AppCheckIns> & { walk_in_day: string }) => {
    const inserted = await db
      .insertInto('app.check_ins')
      .values(row)
      .onConflict((oc) => oc.columns(['tenant_id', 'member_id', 'walk_in_day']).where('walk_in_day', 'is not', null).doNothing())
      .returning('id')
      .executeTakeFirst();
    return inserted && checkInViews(db).where('c.id', '=', inserted.id).executeTakeFirstOrThrow();
  },

  /** The member's reservations (booked or attended) on lessons at a location that start within a local day. */
  bookingsOn: (db: Tx, q: { memberId: string; locationId: string; from: Date; to: Date }) =>
    reservationsWithLessons(db)
      .where('r.member_id', '=', q.memberId)
      .where('r.status', 'in', ['booked', 'attended'])
      .where('l.location_id', '=', q.locationId)
      .where('l.starts_at', '>=', q.from)
      .where('l.starts_at', '<', q.to)
      .orderBy('l.starts_at')
      .execute(),

  /** The member's contracts running on a day: the plan each is on then, and whether it is on leave that month. */
  contractsOn: (db: Tx, memberId: string, day: string) =>
    sql<{ contract_id: string; kind: 'monthly' | 'pack'; plan_name: string; on_leave: boolean }>`
      select c.id as contract_id, c.kind, p.name as plan_name,
             exists (select 1 from app.contract_leaves lv where lv.contract_id = c.id and lv.withdrawn_at is null
               and lv.from_month <= ${day}::date and (lv.return_month is null or lv.return_month > ${day}::date)) as on_leave
        from app.contracts c
        join lateral (select cp.plan_id from app.contract_plans cp
                       where cp.contract_id = c.id and cp.effective_from <= ${day}::date
                       order by cp.effective_from desc limit 1) cp on true
        join app.plans p on p.id = cp.plan_id
       where c.member_id = ${memberId} and c.start_date <= ${day}::date and (c.end_date is null or c.end_date >= ${day}::date)
       order by c.start_date`
      .execute(db)
      .then((r) => r.rows),

  /** A day's check-ins (an instant range), optionally at one location, in the order they came. */
  between: (db: Tx, q: { from: Date; to: Date; locationId?: string }) => {
    let query = checkInViews(db).where('c.checked_in_at', '>=', q.from).where('c.checked_in_at', '<', q.to);
    if (q.locationId) query = query.where('c.location_id', '=', q.locationId);
    return query.orderBy('c.checked_in_at').orderBy('c.id').execute();
  },

  /** A member's most recent check-ins, newest first. */
  ofMember: (db: Tx, memberId: string, limit: number) =>
    checkInViews(db).where('c.member_id', '=', memberId).orderBy('c.checked_in_at', 'desc').orderBy('c.id', 'desc').limit(limit).execute(),
};
