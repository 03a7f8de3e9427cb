import { sql, type Insertable, type Selectable } from 'kysely';
import { overdueInvoice } from '../billing/overdue.js';
import type { Tx } from '../../platform/db/databases.js';
import { fixedQuery } from '../../platform/db/fixed-query.js';
import type { AppReservations, AppWaitlistEntries, ReservationStatus } from '../../platform/db/types.js';
import { policyColumns, type StudioSettingsRow } from './booking-policy.js';

export type Reservation = Selectable<AppReservations>;
export type WaitlistEntry = Selectable<AppWaitlistEntries>;

// Waitlist conditions on status are written as literals (sql`status = 'waiting'`): the partial indexes name them,
// and a prepared statement's generic plan can use such an index only if the condition is the index's own
// (docs/architecture.md, on prepared statements).

/** Reservations that hold a seat (or held one, for a lesson that has happened). */
export const ACTIVE: ReservationStatus[] = ['booked', 'attended', 'no_show'];

const lessonColumns = [
  'l.id', 'l.lesson_type_id', 'l.location_id', 'l.room_id', 'l.starts_at', 'l.ends_at', 'l.capacity', 'l.booked', 'l.held', 'l.status',
] as const;

/** Lessons with their type's name and booking-rule overrides. */
const lessonsWithRules = (db: Tx) =>
  db
    .selectFrom('app.lessons as l')
    .innerJoin('app.lesson_types as t', 't.id', 'l.lesson_type_id')
    .select([...lessonColumns, 't.name as lesson_type_name', ...policyColumns.map((c) => `t.${c}` as const)]);

/** Reservations with their lesson's time, place and type (and the type's booking rules, for the cancel deadline). */
const withLessons = (db: Tx) =>
  db
    .selectFrom('app.reservations as r')
    .innerJoin('app.lessons as l', 'l.id', 'r.lesson_id')
    .innerJoin('app.lesson_types as t', 't.id', 'l.lesson_type_id')
    .innerJoin('app.rooms as rm', 'rm.id', 'l.room_id')
    .innerJoin('app.locations as loc', 'loc.id', 'l.location_id')
    .selectAll('r')
    .select(['l.starts_at', 'l.ends_at', 'l.status as lesson_status', 't.name as lesson_type_name', 't.colour', 'rm.name as room_name', 'loc.name as location_name'])
    .select(policyColumns.map((c) => `t.${c}` as const));

/** The bounds a plan's limits count in (the lesson's local day, ISO week and month), and the lesson's own times. */
export interface CountBounds { now: Date; dayStart: Date; dayEnd: Date; weekStart: Date; weekEnd: Date; monthStart: Date; monthEnd: Date; lessonStart: Date; lessonEnd: Date }

/** A contract running on the lesson's day, as eligibility judges it. */
export interface Contract {
  contract_id: string;
  kind: 'monthly' | 'pack';
  plan_name: string;
  credit_grant: string;
  type_ok: boolean;
  location_ok: boolean;
  on_leave: boolean;
  max_upcoming: number | null;
  max_per_day: number | null;
  max_per_week: number | null;
  max_per_month: number | null;
}
export interface Counts { upcoming: number; day: number; week: number; month: number; overlapping: string | null }
export interface OverlappingEntry { id: string; lesson_id: string; status: 'waiting' | 'offered' }

/** What stops a member booking, as a query to which eligibilityFacts adds its columns. */
const standingOf = (db: Tx, memberId: string, now: Date, today: string) =>
  // The payer is worked out in a materialized CTE, so the invoice look-up compares billing_member_id with a plain
  // value and uses its index: compared with coalesce(...) inline, RLS counts the expression as possibly leaky
  // and filters every open invoice of the studio instead (2,000 rows read per booking in the bench).
  db
    .with((w) => w('m').materialized(), (q) =>
      q.selectFrom('app.members').select(['id', 'status', 'family_lead_id', sql<string>`coalesce(family_lead_id, id)`.as('payer')]).where('id', '=', memberId))
    .selectFrom('m')
    .select((eb) => [
      'm.id',
      'm.status',
      'm.family_lead_id',
      eb
        .selectFrom('app.booking_blocks as b')
        .select('b.ends_at')
        .whereRef('b.member_id', '=', 'm.id')
        .where('b.lifted_at', 'is', null)
        .where('b.starts_at', '<=', now)
        .where('b.ends_at', '>', now)
        .orderBy('b.ends_at', 'desc')
        .limit(1)
        .as('blocked_until'),
      eb
        .selectFrom('app.invoices as i')
        .select((x) => x.fn.countAll<string>().as('n'))
        .whereRef('i.billing_member_id', '=', 'm.payer')
        .where(overdueInvoice('i', today))
        .as('overdue_invoices'),
    ]);

/**
 * The member's contracts running on a day, each with the plan version it is on then and whether that version
 * covers the lesson type and location, and whether the contract is on leave that month.
 */
const contractsOn = (memberId: string, day: string, lessonTypeId: string, locationId: string) => sql`
  select c.id as contract_id, c.kind, c.start_date, p.name as plan_name, pv.credit_grant,
         pv.all_lesson_types or exists (select 1 from app.plan_version_lesson_types x
           where x.plan_id = pv.plan_id and x.version = pv.version and x.lesson_type_id = ${lessonTypeId}) as type_ok,
         pv.all_locations or exists (select 1 from app.plan_version_locations x
           where x.plan_id = pv.plan_id and x.version = pv.version and x.location_id = ${locationId}) as location_ok,
         exists (select 1 from app.contract_leaves lv where lv.contract_id = c.id and lv.withdrawn_at is null
           and lv.from_month <= ${day}::date and (lv.return_month is null or lv.return_month > ${day}::date)) as on_leave,
         pv.max_upcoming, pv.max_per_day, pv.max_per_week, pv.max_per_month
    from app.contracts c
    join lateral (select cp.plan_id, cp.plan_version from app.contract_plans cp
                   where cp.contract_id = c.id and cp.effective_from <= ${day}::date
                   order by cp.effective_from desc limit 1) cp on true
    join app.plan_versions pv on pv.plan_id = cp.plan_id and pv.version = cp.plan_version
    join app.plans p on p.id = pv.plan_id
   where c.member_id = ${memberId} and c.start_date <= ${day}::date and (c.end_date is null or c.end_date >= ${day}::date)`;

/**
 * The member's seat-holding reservations counted against a plan's limits, and any that overlap the lesson.
 * `since` is the earliest of now and the week's and month's starts (countsSince): only lessons from then count.
 */
function counts(memberId: string, b: CountBounds & { since: Date }) {
  return sql`
    select count(*) filter (where l.starts_at > ${b.now} and r.status = 'booked')::int as upcoming,
           count(*) filter (where l.starts_at >= ${b.dayStart} and l.starts_at < ${b.dayEnd})::int as day,
           count(*) filter (where l.starts_at >= ${b.weekStart} and l.starts_at < ${b.weekEnd})::int as week,
           count(*) filter (where l.starts_at >= ${b.monthStart} and l.starts_at < ${b.monthEnd})::int as month,
           min(t.name) filter (where l.starts_at < ${b.lessonEnd} and l.ends_at > ${b.lessonStart}) as overlapping
      from app.reservations r
      join app.lessons l on l.id = r.lesson_id
      join app.lesson_types t on t.id = l.lesson_type_id
     where r.member_id = ${memberId} and r.status in ('booked', 'attended', 'no_show') and l.starts_at >= ${b.since}`;
}

const countsSince = (b: CountBounds) => new Date(Math.min(b.now.getTime(), b.monthStart.getTime(), b.weekStart.getTime()));

/** The member's waitlist entries (waiting or offered) for lessons overlapping the given times. */
const waitlistOverlapping = (memberId: string, start: Date, end: Date) => sql`
  select w.id, w.lesson_id, w.status
    from app.waitlist_entries w
    join app.lessons l on l.id = w.lesson_id
   where w.member_id = ${memberId} and w.status in ('waiting', 'offered') and l.starts_at < ${end} and l.ends_at > ${start}`;

/** What eligibilityFacts is asked about: the member, the lesson, the studio's now, today and the lesson's day. */
type FactsParams = { memberId: string; lessonId: string; lessonTypeId: string; locationId: string; now: Date; today: string; day: string };

/** eligibilityFacts' statement; `bounds` (with countsSince) adds the plan-limit counts and overlapping waitlist entries. */
const factsQuery = (db: Tx, p: FactsParams, bounds: (CountBounds & { since: Date }) | null) =>
  standingOf(db, p.memberId, p.now, p.today).select((eb) => [
    eb
      .exists(eb.selectFrom('app.reservations as r').select('r.id').whereRef('r.member_id', '=', 'm.id').where('r.lesson_id', '=', p.lessonId).where('r.status', 'in', ACTIVE))
      .as('already_booked'),
    sql<Contract[]>`(select coalesce(json_agg(c order by c.start_date), '[]') from (${contractsOn(p.memberId, p.day, p.lessonTypeId, p.locationId)}) c)`.as('contracts'),
    sql<Counts | null>`(select row_to_json(n) from (${bounds ? counts(p.memberId, bounds) : sql`select 1 where false`}) n)`.as('counts'),
    sql<OverlappingEntry[]>`(select coalesce(json_agg(w), '[]') from (${bounds ? waitlistOverlapping(p.memberId, bounds.lessonStart, bounds.lessonEnd) : sql`select 1 where false`}) w)`.as('waitlist'),
  ]);
const factsWithLimits = fixedQuery((db, p: FactsParams & CountBounds & { since: Date }) => factsQuery(db, p, p));
const factsWithoutLimits = fixedQuery((db, p: FactsParams) => factsQuery(db, p, null));

const lessonQuery = fixedQuery((db, p: { id: string }) =>
  lessonsWithRules(db)
    .select(sql<StudioSettingsRow | null>`(select row_to_json(s) from app.tenant_settings s)`.as('studio_settings'))
    .where('l.id', '=', p.id));

/** A reservation as a booking writes it, with the lesson it takes a seat of. */
export interface SeatRow {
  id: string;
  lesson_id: string;
  member_id: string;
  spot: number | null;
  contract_id: string | null;
  credits_used: number;
  source: Reservation['source'];
  actor_kind: Reservation['actor_kind'];
  actor_id: string | null;
  created_at: Date;
}

/** insertTakingSeat's statement (see there). */
const insertTakingSeatQuery = fixedQuery((db, p: SeatRow & { now: Date }) =>
  db
    .with('r', (q) =>
      q
        .insertInto('app.reservations')
        .values({
          id: p.id, lesson_id: p.lesson_id, member_id: p.member_id, spot: p.spot, contract_id: p.contract_id, credits_used: p.credits_used,
          source: p.source, actor_kind: p.actor_kind, actor_id: p.actor_id, created_at: p.created_at,
        })
        .returningAll())
    .with('seat', (q) =>
      q
        .updateTable('app.lessons')
        .set((eb) => ({ booked: eb('booked', '+', 1) }))
        .where('id', '=', p.lesson_id)
        .where('status', '=', 'scheduled')
        .where('starts_at', '>', p.now)
        .where(sql<boolean>`booked + held < capacity`)
        .returning('booked'))
    .selectFrom('r')
    .selectAll('r')
    .select((eb) => eb.exists(eb.selectFrom('seat').select('booked')).as('seated')));

export const reservationsRepo = {
  /**
   * A lesson with its type's booking-rule overrides and the studio's settings (`studio_settings`, for
   * studioRulesOf): what a booking decision reads, in one statement.
   */
  lesson: async (db: Tx, id: string) => (await lessonQuery(db, { id }))[0],

  /** Scheduled lessons starting in (from, until] of a series someone starred, as `lesson` reads one, soonest first. */
  followedLessons: (db: Tx, from: Date, until: Date) =>
    lessonsWithRules(db)
      .where('l.status', '=', 'scheduled')
      .where('l.starts_at', '>', from)
      .where('l.starts_at', '<=', until)
      .where((eb) => eb.exists(eb.selectFrom('app.favourites as f').select('f.member_id').whereRef('f.series_id', '=', 'l.series_id')))
      .orderBy('l.starts_at')
      .execute(),

  /**
   * Locks a lesson's seat counter. Cancellations, releases and promotions lock it before the reservations they
   * change; bookings touch it last, so a lesson is never held for longer than a commit by the rush.
   */
  lockLesson: (db: Tx, id: string) =>
    db.selectFrom('app.lessons as l').select([...lessonColumns]).where('l.id', '=', id).forNoKeyUpdate().executeTakeFirst(),

  /** Moves seats between the counters (the row is locked by the caller). */
  adjustSeats: (db: Tx, lessonId: string, change: { booked?: number; held?: number }) =>
    db
      .updateTable('app.lessons')
      .set((eb) => ({ booked: eb('booked', '+', change.booked ?? 0), held: eb('held', '+', change.held ?? 0) }))
      .where('id', '=', lessonId)
      .returning(['booked', 'held', 'capacity'])
      .executeTakeFirstOrThrow(),

  insert: (db: Tx, row: Insertable<AppReservations>) => db.insertInto('app.reservations').values(row).returningAll().executeTakeFirstOrThrow(),

  /**
   * Writes a reservation and takes its seat in one statement: the main query reads the inserted row, and the seat's
   * update runs as its subquery, so in the insert's order as before. The update succeeds only while a seat is free; the CHECK on booked + held <= capacity backs
   * it. `seated` is false when no seat was free, and the caller rolls the insert back. Concurrent bookers queue on
   * the lesson's row from this statement to their commit.
   */
  insertTakingSeat: async (db: Tx, row: SeatRow, now: Date) => {
    const [found] = await insertTakingSeatQuery(db, { ...row, now });
    const { seated, ...reservation } = found!;
    return { reservation, seated };
  },

  byId: (db: Tx, id: string) => db.selectFrom('app.reservations').selectAll().where('id', '=', id).executeTakeFirst(),
  byIdForUpdate: (db: Tx, id: string) => db.selectFrom('app.reservations').selectAll().where('id', '=', id).forUpdate().executeTakeFirst(),

  setStatus: (db: Tx, ids: string[], status: ReservationStatus, at: Date) =>
    ids.length === 0
      ? Promise.resolve([])
      : db
          .updateTable('app.reservations')
          .set({ status, cancelled_at: ['cancelled', 'late_cancelled', 'released'].includes(status) ? at : null })
          .where('id', 'in', ids)
          .returningAll()
          .execute(),

  /** The booked reservations of lessons, locked (lessons already locked by the caller). */
  bookedOn: (db: Tx, lessonIds: string[]) =>
    lessonIds.length === 0
      ? Promise.resolve([])
      : db.selectFrom('app.reservations').selectAll().where('lesson_id', 'in', lessonIds).where('status', '=', 'booked').forUpdate().execute(),

  /** What stops a member booking: status, an active block, an overdue invoice of the paying family member. */
  memberStanding: (db: Tx, memberId: string, now: Date, today: string) => standingOf(db, memberId, now, today).executeTakeFirst(),

  /**
   * Everything a booking (or a waitlist join) judges about the member, read in one statement once the member is
   * locked: standing, the contracts running on the lesson's day, whether they already hold a seat in it, and, when
   * `bounds` are given, their bookings counted against a plan's limits and their waitlist entries overlapping the
   * lesson. One round trip instead of five: each is a small read, and on the booking path round trips cost more
   * than the reads.
   */
  eligibilityFacts: async (db: Tx, memberId: string, q: { lesson: { id: string; lesson_type_id: string; location_id: string }; now: Date; today: string; day: string; bounds: CountBounds | null }) => {
    const facts: FactsParams = { memberId, lessonId: q.lesson.id, lessonTypeId: q.lesson.lesson_type_id, locationId: q.lesson.location_id, now: q.now, today: q.today, day: q.day };
    const rows = q.bounds ? await factsWithLimits(db, { ...q.bounds, since: countsSince(q.bounds), ...facts }) : await factsWithoutLimits(db, facts);
    return rows[0];
  },

  /**
   * A member's reservations with their lessons. Coming: the bookings that still stand (a seat kept in a lesson yet to
   * start), soonest first. History: everything else, newest lesson first: lessons that began, and bookings
   * cancelled or released, or whose lesson the studio cancelled.
   */
  listForMember: (db: Tx, memberId: string, q: { upcoming: boolean; now: Date; limit: number }) =>
    withLessons(db)
      .where('r.member_id', '=', memberId)
      .where((eb) => {
        const standing = eb.and([eb('l.starts_at', '>=', q.now), eb('r.status', 'in', ['booked', 'attended']), eb('l.status', '=', 'scheduled')]);
        return q.upcoming ? standing : eb.not(standing);
      })
      .orderBy('l.starts_at', q.upcoming ? 'asc' : 'desc')
      .limit(q.limit)
      .execute(),

  /** One reservation with its lesson, as the list gives it. */
  withLesson: (db: Tx, id: string) => withLessons(db).where('r.id', '=', id).executeTakeFirst(),

  /** A member's bookings in lessons from `since` on, for their calendar feed (a year ahead at most is plenty). */
  feedFor: (db: Tx, memberId: string, since: Date) =>
    withLessons(db).where('r.member_id', '=', memberId).where('l.starts_at', '>=', since).orderBy('l.starts_at').limit(500).execute(),

  /** A lesson's roster: every reservation with the member's name. */
  roster: (db: Tx, lessonId: string) =>
    db
      .selectFrom('app.reservations as r')
      .innerJoin('app.members as m', 'm.id', 'r.member_id')
      .selectAll('r')
      .select(['m.family_name', 'm.given_name', 'm.member_number'])
      .where('r.lesson_id', '=', lessonId)
      .orderBy('r.created_at')
      .execute(),
};

/** insertWithPosition's statement (see there): every join of a rush's waitlist runs it. */
const joinWaitlistQuery = fixedQuery((db, p: { lesson_id: string; member_id: string }) =>
  db
    .with('e', (q) => q.insertInto('app.waitlist_entries').values({ lesson_id: p.lesson_id, member_id: p.member_id }).returningAll())
    .selectFrom('e')
    .selectAll('e')
    .select(
      sql<string>`(select count(*) from app.waitlist_entries w
                    where w.lesson_id = e.lesson_id and w.status = 'waiting' and (w.joined_at, w.id) < (e.joined_at, e.id))`.as('ahead'),
    ));

export const waitlistRepo = {
  /**
   * Puts a member on a lesson's waitlist and counts their place in the same statement (a join in a rush is one
   * round trip fewer). The count cannot see the new row; it counts those ahead of it.
   */
  insertWithPosition: async (db: Tx, row: { lesson_id: string; member_id: string }) => {
    const [joined] = await joinWaitlistQuery(db, row);
    const { ahead, ...entry } = joined!;
    return { entry, position: 1 + Number(ahead) };
  },
  byId: (db: Tx, id: string) => db.selectFrom('app.waitlist_entries').selectAll().where('id', '=', id).executeTakeFirst(),
  byIdForUpdate: (db: Tx, id: string) => db.selectFrom('app.waitlist_entries').selectAll().where('id', '=', id).forUpdate().executeTakeFirst(),

  /** 1 for the first in line; counts only those still waiting ahead (offers are out of the queue). */
  position: async (db: Tx, entry: Pick<WaitlistEntry, 'lesson_id' | 'joined_at' | 'id'>) =>
    1 +
    Number(
      (
        await db
          .selectFrom('app.waitlist_entries')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where('lesson_id', '=', entry.lesson_id)
          .where(sql<boolean>`status = 'waiting'`)
          .where(sql<boolean>`(joined_at, id) < (${entry.joined_at}, ${entry.id}::uuid)`)
          .executeTakeFirstOrThrow()
      ).n,
    ),

  waitingCount: async (db: Tx, lessonId: string) =>
    Number((await db.selectFrom('app.waitlist_entries').select((eb) => eb.fn.countAll<string>().as('n')).where('lesson_id', '=', lessonId).where(sql<boolean>`status = 'waiting'`).executeTakeFirstOrThrow()).n),

  /** The next in line, first come first served. */
  next: (db: Tx, lessonId: string) =>
    db.selectFrom('app.waitlist_entries').selectAll().where('lesson_id', '=', lessonId).where(sql<boolean>`status = 'waiting'`).orderBy('joined_at').orderBy('id').limit(1).executeTakeFirst(),

  openOffers: async (db: Tx, lessonId: string) =>
    Number((await db.selectFrom('app.waitlist_entries').select((eb) => eb.fn.countAll<string>().as('n')).where('lesson_id', '=', lessonId).where(sql<boolean>`status = 'offered'`).executeTakeFirstOrThrow()).n),

  resolve: (db: Tx, ids: string[], status: 'promoted' | 'declined' | 'expired' | 'skipped' | 'left' | 'dropped' | 'released', at: Date, extra: { note?: string; reservation_id?: string } = {}) =>
    ids.length === 0
      ? Promise.resolve([])
      : db
          .updateTable('app.waitlist_entries')
          .set({ status, resolved_at: at, offer_expires_at: null, ...extra })
          .where('id', 'in', ids)
          .where(sql<boolean>`status in ('waiting', 'offered')`)
          .returningAll()
          .execute(),

  offer: (db: Tx, id: string, at: Date, expiresAt: Date) =>
    db.updateTable('app.waitlist_entries').set({ status: 'offered', offered_at: at, offer_expires_at: expiresAt }).where('id', '=', id).where(sql<boolean>`status = 'waiting'`).returningAll().executeTakeFirst(),

  /** Open entries of lessons, locked (to release them with the lesson). */
  openOn: (db: Tx, lessonIds: string[]) =>
    lessonIds.length === 0
      ? Promise.resolve([])
      : db.selectFrom('app.waitlist_entries').selectAll().where('lesson_id', 'in', lessonIds).where(sql<boolean>`status in ('waiting', 'offered')`).forUpdate().execute(),

  /** The member's open entries (waiting or offered), soonest lesson first. */
  listForMember: (db: Tx, memberId: string) =>
    db
      .selectFrom('app.waitlist_entries as w')
      .innerJoin('app.lessons as l', 'l.id', 'w.lesson_id')
      .innerJoin('app.lesson_types as t', 't.id', 'l.lesson_type_id')
      .selectAll('w')
      .select(['l.starts_at', 'l.ends_at', 't.name as lesson_type_name'])
      .where('w.member_id', '=', memberId)
      .where(sql<boolean>`w.status in ('waiting', 'offered')`)
      .orderBy('l.starts_at')
      .execute(),

  forLesson: (db: Tx, lessonId: string) =>
    db
      .selectFrom('app.waitlist_entries as w')
      .innerJoin('app.members as m', 'm.id', 'w.member_id')
      .selectAll('w')
      .select(['m.family_name', 'm.given_name', 'm.member_number'])
      .where('w.lesson_id', '=', lessonId)
      .orderBy('w.joined_at')
      .orderBy('w.id')
      .execute(),
};

/** Mail to members about their bookings: to the member's address, or to the family lead who books for them. */
export const notifyRepo = {
  recipients: (db: Tx, memberIds: string[]) =>
    memberIds.length === 0
      ? Promise.resolve([])
      : db
          .selectFrom('app.members as m')
          .leftJoin('app.members as lead', 'lead.id', 'm.family_lead_id')
          .select(['m.id', 'm.given_name', 'm.family_name', sql<string | null>`coalesce(m.email, lead.email)`.as('email')])
          .where('m.id', 'in', memberIds)
          .execute(),
};

/** The lesson series members follow (starred on their timetable). */
export const favouritesRepo = {
  /** Which of these series the member follows. */
  among: async (db: Tx, memberId: string, seriesIds: string[]) =>
    new Set(
      seriesIds.length === 0
        ? []
        : (await db.selectFrom('app.favourites').select('series_id').where('member_id', '=', memberId).where('series_id', 'in', seriesIds).execute()).map((f) => f.series_id),
    ),
  seriesExists: async (db: Tx, seriesId: string) => (await db.selectFrom('app.lesson_series').select('id').where('id', '=', seriesId).executeTakeFirst()) !== undefined,
  add: (db: Tx, memberId: string, seriesId: string) =>
    db.insertInto('app.favourites').values({ member_id: memberId, series_id: seriesId }).onConflict((oc) => oc.doNothing()).execute(),
  remove: (db: Tx, memberId: string, seriesId: string) => db.deleteFrom('app.favourites').where('member_id', '=', memberId).where('series_id', '=', seriesId).execute(),
};

/** What a member's timetable can be narrowed to: the studio's live locations, lesson types and instructors. */
export const scheduleChoices = async (db: Tx) => {
  const [locations, lessonTypes, instructors] = await Promise.all([
    db.selectFrom('app.locations').select(['id', 'name']).where('archived_at', 'is', null).orderBy('name').execute(),
    db.selectFrom('app.lesson_types').select(['id', 'name', 'booking_opens_days_before']).where('archived_at', 'is', null).orderBy('name').execute(),
    db.selectFrom('app.instructors').select(['id', 'display_name as name']).where('archived_at', 'is', null).orderBy('display_name').execute(),
  ]);
  return { locations, lessonTypes, instructors };
};
