import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runReservationUpkeep } from '../../src/modules/reservations/upkeep.js';
import { killCliWhen } from '../support/cli.js';
import { bookingStudio } from '../support/booking.js';
import { startTestPlatform, type TestPlatform, type TestTenant } from '../support/platform.js';

const LESSONS = 1500;

let platform: TestPlatform;
let tenant: TestTenant;
let admin: pg.Client;

beforeAll(async () => {
  platform = await startTestPlatform();
  tenant = await platform.createTenant();
  admin = await platform.admin();
  const studio = await bookingStudio(platform, tenant);
  // Written as the superuser in bulk (the API would take minutes for this many): lessons days ahead (so
  // promotion is automatic), hourly so none overlap, each with its one seat held for the waitlist after a
  // cancellation; two active members with a pack and credits wait on each.
  await admin.query(
    `with l as (
       insert into app.lessons (tenant_id, lesson_type_id, location_id, room_id, starts_at, ends_at, capacity, held)
       select $1, $2, $3, $4, now() + interval '5 days' + n * interval '1 hour', now() + interval '5 days' + n * interval '1 hour' + interval '45 minutes', 1, 1
         from generate_series(1, $6) n
       returning id, starts_at),
     m as (
       insert into app.members (tenant_id, member_number, family_name)
       select $1, 100000 + n, 'Waiter ' || n from generate_series(1, 2 * $6) n returning id, member_number),
     e as (
       insert into app.member_status_events (tenant_id, member_id, to_status, effective_on, actor_kind)
       select $1, id, 'active', current_date, 'system' from m),
     c as (
       insert into app.contracts (tenant_id, member_id, kind, start_date, end_date)
       select $1, id, 'pack', current_date, current_date + 365 from m returning id, member_id),
     cp as (
       insert into app.contract_plans (tenant_id, contract_id, effective_from, plan_id, plan_version)
       select $1, id, current_date, $5, 1 from c),
     g as (
       insert into app.credit_ledger (tenant_id, member_id, kind, amount, contract_id, expires_on, actor_kind)
       select $1, member_id, 'grant', 10, id, current_date + 365, 'system' from c),
     ln as (select id, row_number() over (order by starts_at) as n from l)
     insert into app.waitlist_entries (tenant_id, lesson_id, member_id, joined_at)
     -- Even member numbers joined a second earlier: first in line.
     select $1, ln.id, m.id, now() + (m.member_number % 2) * interval '1 second'
       from ln join m on (m.member_number - 100001) / 2 + 1 = ln.n`,
    [tenant.id, studio.lessonTypeId, studio.locationId, studio.roomId, studio.packPlanId, LESSONS],
  );
}, 120_000);
afterAll(() => platform?.close());

const count = async (sql: string) => Number((await admin.query(sql, [tenant.id])).rows[0].n);
const promoted = () => count(`select count(*) as n from app.waitlist_entries where tenant_id = $1 and status = 'promoted'`);

/** What must hold after any crash: every promotion whole, nobody promoted twice, no seat oversold. */
async function invariants(expectedPromotions: number) {
  expect(await count(`select count(*) as n from app.reservations where tenant_id = $1 and source = 'waitlist'`)).toBe(expectedPromotions);
  expect(await count(`select count(*) as n from app.lessons where tenant_id = $1 and booked + held > capacity`)).toBe(0);
  expect(await count(`select coalesce(sum(booked), 0) as n from app.lessons where tenant_id = $1`)).toBe(expectedPromotions);
  expect(await count(`select count(distinct reservation_id) as n from app.waitlist_entries where tenant_id = $1 and status = 'promoted'`)).toBe(expectedPromotions);
  expect(await count(`select count(*) as n from app.credit_ledger where tenant_id = $1 and kind = 'consume'`)).toBe(expectedPromotions);
  expect(await count(`select count(*) as n from (select lesson_id from app.reservations where tenant_id = $1 group by lesson_id having count(*) > 1) x`)).toBe(0);
}

describe('waitlist promotion, killed part-way', () => {
  it('promotes exactly one person per freed seat across a SIGKILL and a rerun', async () => {
    const output = await killCliWhen(platform.databaseEnv, ['reservations-upkeep', '--tenant', tenant.id], async () => (await promoted()) >= 20);
    const before = await promoted();
    expect(before, output).toBeGreaterThan(0);
    expect(before, 'the upkeep finished before it could be killed; make the test bigger').toBeLessThan(LESSONS);
    await invariants(before);

    const result = await runReservationUpkeep(platform.runtime, tenant.id, new Date());
    expect(result).toMatchObject({ promoted: LESSONS - before, skipped: 0 });
    await invariants(LESSONS);
    // The first in line got each seat; the second still waits.
    expect(await count(`select count(*) as n from app.waitlist_entries w join app.members m on m.id = w.member_id where w.tenant_id = $1 and w.status = 'promoted' and m.member_number % 2 = 1`)).toBe(0);
    expect(await count(`select count(*) as n from app.waitlist_entries where tenant_id = $1 and status = 'waiting'`)).toBe(LESSONS);
    // A second rerun has nothing left to do.
    expect(await runReservationUpkeep(platform.runtime, tenant.id, new Date())).toMatchObject({ promoted: 0 });
  }, 240_000);
});
