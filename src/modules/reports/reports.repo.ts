import { sql } from 'kysely';
import type { Tx } from '../../platform/db/databases.js';
import type { IsoDate } from '../../platform/calendar.js';
import { overdueInvoice } from '../billing/overdue.js';

/** Instants bounding a run of local days: [start, end). */
export interface Span { start: Date; end: Date }
type Loc = string | null;

const n = (v: unknown) => Number(v ?? 0);

// Every figure is one statement over the tenant's rows (RLS scopes each table to the tenant of the transaction).
export const reportsRepo = {
  async today(db: Tx, span: Span, loc: Loc) {
    const { rows } = await sql<{ lessons: number; bookings: number; no_shows: number; check_ins: number }>`
      with l as (
        select id from app.lessons
        where status = 'scheduled' and starts_at >= ${span.start} and starts_at < ${span.end}
          and (${loc}::uuid is null or location_id = ${loc}::uuid)
      )
      select
        (select count(*) from l)::int as lessons,
        (select count(*) from app.reservations r where r.lesson_id in (select id from l) and r.status in ('booked', 'attended', 'no_show'))::int as bookings,
        (select count(*) from app.reservations r where r.lesson_id in (select id from l) and r.status = 'no_show')::int as no_shows,
        (select count(*) from app.check_ins c where c.checked_in_at >= ${span.start} and c.checked_in_at < ${span.end}
           and (${loc}::uuid is null or c.location_id = ${loc}::uuid))::int as check_ins`.execute(db);
    return rows[0]!;
  },

  async members(db: Tx, from: string, to: string, loc: Loc) {
    const { rows } = await sql<Record<string, number>>`
      with ev as (
        select e.member_id, e.from_status, e.to_status, e.effective_on, e.recorded_at
        from app.member_status_events e join app.members m on m.id = e.member_id
        where e.effective_on <= ${to}::date and (${loc}::uuid is null or m.home_location_id = ${loc}::uuid)
      ),
      at_end as (
        select distinct on (member_id) member_id, to_status from ev order by member_id, effective_on desc, recorded_at desc
      ),
      at_start as (
        select distinct on (member_id) member_id, to_status from ev where effective_on < ${from}::date
        order by member_id, effective_on desc, recorded_at desc
      ),
      trials as (
        select member_id, min(effective_on) as began from ev
        where to_status = 'trial' and effective_on >= ${from}::date group by member_id
      )
      select
        (select count(*) from at_end where to_status = 'active')::int as active,
        (select count(*) from at_end where to_status = 'trial')::int as trial,
        (select count(*) from at_end where to_status = 'on_leave')::int as on_leave,
        (select count(distinct member_id) from ev where to_status = 'active' and effective_on >= ${from}::date
           and coalesce(from_status, 'provisional') in ('provisional', 'trial'))::int as new,
        (select count(distinct member_id) from ev where to_status = 'cancelled' and effective_on >= ${from}::date)::int as cancelled,
        (select count(*) from at_start where to_status in ('active', 'on_leave'))::int as active_at_start,
        (select count(*) from trials)::int as trials_started,
        (select count(*) from trials t where exists (
           select 1 from ev where ev.member_id = t.member_id and ev.to_status = 'active' and ev.effective_on >= t.began))::int as trials_converted`.execute(db);
    return rows[0]!;
  },

  async attendance(db: Tx, span: Span, loc: Loc) {
    const { rows } = await sql<{ dim: 'type' | 'instructor'; id: string | null; name: string | null; lessons: number; capacity: number; booked: number; attended: number; no_shows: number }>`
      with l as (
        select id, lesson_type_id, coalesce(substitute_instructor_id, instructor_id) as instructor_id, capacity
        from app.lessons
        where status = 'scheduled' and starts_at >= ${span.start} and starts_at < ${span.end}
          and (${loc}::uuid is null or location_id = ${loc}::uuid)
      ),
      r as (
        select lesson_id,
          count(*) filter (where status in ('booked', 'attended', 'no_show')) as booked,
          count(*) filter (where status = 'attended') as attended,
          count(*) filter (where status = 'no_show') as no_shows
        from app.reservations where lesson_id in (select id from l) group by lesson_id
      ),
      x as (
        select l.*, coalesce(r.booked, 0) as booked, coalesce(r.attended, 0) as attended, coalesce(r.no_shows, 0) as no_shows
        from l left join r on r.lesson_id = l.id
      )
      select 'type' as dim, x.lesson_type_id as id, t.name, count(*)::int as lessons, sum(x.capacity)::int as capacity,
        sum(x.booked)::int as booked, sum(x.attended)::int as attended, sum(x.no_shows)::int as no_shows
      from x join app.lesson_types t on t.id = x.lesson_type_id group by x.lesson_type_id, t.name
      union all
      select 'instructor', x.instructor_id, i.display_name, count(*)::int, sum(x.capacity)::int,
        sum(x.booked)::int, sum(x.attended)::int, sum(x.no_shows)::int
      from x left join app.instructors i on i.id = x.instructor_id group by x.instructor_id, i.display_name
      order by 1, 4 desc, 3`.execute(db);
    return rows;
  },

  async revenue(db: Tx, fromMonth: string, toMonth: string, today: string, loc: Loc) {
    const { rows } = await sql<{ month: string; invoiced: string; paid: string; overdue: string }>`
      select to_char(m.period, 'YYYY-MM') as month,
        coalesce(sum(i.total), 0) as invoiced,
        coalesce(sum(i.amount_paid - i.amount_refunded), 0) as paid,
        coalesce(sum(i.total - i.amount_paid) filter (where ${overdueInvoice('i', today as IsoDate)}), 0) as overdue
      from generate_series(${fromMonth}::date, ${toMonth}::date, interval '1 month') as m(period)
      left join app.invoices i on i.period = m.period::date and i.status in ('open', 'paid', 'uncollectible')
        and (${loc}::uuid is null or exists (select 1 from app.members b where b.id = i.billing_member_id and b.home_location_id = ${loc}::uuid))
      group by m.period order by m.period`.execute(db);
    return rows.map((r) => ({ month: r.month, invoiced: n(r.invoiced), paid: n(r.paid), overdue: n(r.overdue) }));
  },

  async mrr(db: Tx, today: string, loc: Loc) {
    const { rows } = await sql<{ mrr: string }>`
      select coalesce(sum(pv.price), 0) as mrr
      from app.contracts c
      join app.members m on m.id = c.member_id and m.status = 'active'
      join lateral (
        select plan_id, plan_version from app.contract_plans cp
        where cp.contract_id = c.id and cp.effective_from <= ${today}::date order by cp.effective_from desc limit 1
      ) cp on true
      join app.plan_versions pv on pv.plan_id = cp.plan_id and pv.version = cp.plan_version
      where c.kind = 'monthly' and c.start_date <= ${today}::date and (c.end_date is null or c.end_date >= ${today}::date)
        and (${loc}::uuid is null or m.home_location_id = ${loc}::uuid)`.execute(db);
    return n(rows[0]?.mrr);
  },

  async atRisk(db: Tx, since: Date, loc: Loc) {
    const { rows } = await sql<{ id: string; member_number: number; family_name: string; given_name: string; last: Date | null }>`
      select m.id, m.member_number, m.family_name, m.given_name, lc.last
      from app.members m
      left join lateral (select max(checked_in_at) as last from app.check_ins ci where ci.member_id = m.id) lc on true
      where m.status = 'active' and (lc.last is null or lc.last < ${since})
        and (${loc}::uuid is null or m.home_location_id = ${loc}::uuid)
      order by lc.last nulls first, m.member_number
      limit 1000`.execute(db);
    return rows;
  },
};
