import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform, type TestTenant } from '../../../test/support/platform.js';

/*
 * One month, March 2025 in Tokyo (the test tenant's zone), with every answer worked out by hand below. The app's
 * clock stands at 2025-04-10 12:00 Tokyo, so the figures never depend on the real today.
 *
 * Members (status history; current status last):
 *   m1 active since 2025-02-01                                     → active
 *   m2 active since 2025-02-01, cancelled 2025-03-20               → cancelled
 *   m3 trial 2025-03-05, active 2025-03-15                         → active (new, trial converted)
 *   m4 trial 2025-03-10                                            → trial
 *   m5 active since 2025-01-10, on leave 2025-03-01                → on leave
 *   m6 provisional → active 2025-03-03                             → active (new)
 * On 2025-03-31: active m1 m3 m6 = 3, trial m4 = 1, on leave m5 = 1. New in March: m3, m6 = 2. Cancelled: m2 = 1.
 * Active or on leave on 2025-02-28: m1 m2 m5 = 3, so churn = 1/3. Trials begun: m3 m4 = 2, converted m3: 1/2.
 *
 * Lessons (capacity; reservations):
 *   A 03-10 10:00 Yoga,    Aiko,           Shibuya, 10: m1 attended, m3 attended, m6 no-show, m4 cancelled
 *   B 03-11 10:00 Yoga,    Aiko → Ken sub, Shibuya, 10: m1 attended, m6 booked
 *   C 03-12 19:00 Pilates, Ken,            Shibuya,  5: m3 attended
 *   D 03-13 19:00 Pilates, Ken, cancelled,  Shibuya,  5: m1 released                   (not held: never counts)
 *   E 03-14 19:00 Pilates, Ken,            Ebisu,    5: none
 *   F 04-01 00:30 Yoga,    Aiko,           Shibuya, 10: m1 booked   (03-31 15:30 UTC: April in Tokyo, not counted)
 * Yoga: 2 lessons, capacity 20, booked 3+2 = 5, attended 3, no-shows 1, fill 5/20 = 0.25.
 * Pilates: 2 lessons (C, E), capacity 10, booked 1, attended 1, fill 0.1.
 * Aiko: A only: 1, 10, booked 3, attended 2, no-show 1, fill 0.3. Ken: B C E: 3, 20, booked 3, attended 2, fill 0.15.
 * Total: 4 lessons, capacity 30, booked 6, attended 4, no-shows 1, fill 0.2. Shibuya only: 3, 25, 6 → 0.24.
 * Check-ins: m1 03-10 09:50, m3 03-10 09:55, m1 03-11 09:50, m3 03-12 18:55.
 * 2025-03-10: 1 lesson, 3 bookings, 2 check-ins, 1 no-show.
 *
 * Invoices: Feb m5 10,000 paid, 2,000 refunded. March: m1 10,000 paid; m2 8,000 open due 03-31 (overdue on
 * 04-10); m6 5,000 open due 04-30 (not yet); m4 3,000 due 03-15 written off (invoiced, a loss, never overdue);
 * m3 9,999 draft (not issued: never counts).
 * Feb: invoiced 10,000, paid 8,000, overdue 0. March: invoiced 26,000, paid 10,000, overdue 8,000.
 * MRR on 04-10: m1's monthly contract at 10,000 (its change to 8,000 from 05-01 is not yet) + m3's at 8,000 = 18,000;
 * m2's ended 03-20 and m5 is on leave.
 * At risk on 04-10, 30 days (no check-in since 03-11 12:00): m6 (never), m1 (last 03-11 09:50); not m3 (03-12).
 */

let platform: TestPlatform;
let tenant: TestTenant;
let other: TestTenant;
let admin: pg.Client;
const ids: Record<string, string> = {};

const get = async (url: string, lang = 'en', token = tenant.ownerToken, t = tenant) => {
  const res = await platform.call(t, { method: 'GET', url, token, headers: { 'accept-language': lang } });
  expect(res.statusCode, res.body).toBe(200);
  return res;
};
const tokyo = (local: string) => `${local}+09:00`;

/** Inserts one row for a tenant as the superuser and returns its id. */
async function insert(tenantId: string, table: string, row: Record<string, unknown>): Promise<string> {
  const cols = ['tenant_id', ...Object.keys(row)];
  const values = [tenantId, ...Object.values(row)];
  const { rows } = await admin.query(
    `insert into app.${table} (${cols.join(', ')}) values (${cols.map((_, i) => `$${i + 1}`).join(', ')}) returning *`,
    values,
  );
  return rows[0].id ?? '';
}

/** The month above, for one tenant; `prefix` keeps the other tenant's names apart. */
async function buildMonth(t: string, prefix = '') {
  const loc = await insert(t, 'locations', { name: `${prefix}Shibuya` });
  const loc2 = await insert(t, 'locations', { name: `${prefix}Ebisu` });
  const room = await insert(t, 'rooms', { location_id: loc, name: 'A', capacity: 10 });
  const room2 = await insert(t, 'rooms', { location_id: loc2, name: 'B', capacity: 10 });
  const yoga = await insert(t, 'lesson_types', { name: 'Yoga', duration_minutes: 60 });
  const pilates = await insert(t, 'lesson_types', { name: 'Pilates', duration_minutes: 60 });
  const aiko = await insert(t, 'instructors', { display_name: 'Aiko' });
  const ken = await insert(t, 'instructors', { display_name: 'Ken' });

  const member = async (n: number, status: string, events: Array<[string | null, string, string]>) => {
    const id = await insert(t, 'members', { member_number: n, family_name: `${prefix}会員${n}`, given_name: '花子', status, home_location_id: loc });
    for (const [from, to, on] of events) {
      await insert(t, 'member_status_events', { member_id: id, from_status: from, to_status: to, effective_on: on, actor_kind: 'system' });
    }
    return id;
  };
  const m1 = await member(1, 'active', [[null, 'provisional', '2025-01-20'], ['provisional', 'active', '2025-02-01']]);
  const m2 = await member(2, 'cancelled', [[null, 'active', '2025-02-01'], ['active', 'cancelled', '2025-03-20']]);
  const m3 = await member(3, 'active', [[null, 'trial', '2025-03-05'], ['trial', 'active', '2025-03-15']]);
  const m4 = await member(4, 'trial', [[null, 'trial', '2025-03-10']]);
  const m5 = await member(5, 'on_leave', [[null, 'active', '2025-01-10'], ['active', 'on_leave', '2025-03-01']]);
  const m6 = await member(6, 'active', [[null, 'provisional', '2025-02-25'], ['provisional', 'active', '2025-03-03']]);

  const lesson = (type: string, instructor: string, at: string, capacity: number, extra: Record<string, unknown> = {}) =>
    insert(t, 'lessons', {
      lesson_type_id: type, instructor_id: instructor, location_id: extra.location_id ?? loc, room_id: extra.room_id ?? room,
      starts_at: tokyo(at), ends_at: new Date(Date.parse(tokyo(at)) + 3_600_000), capacity,
      ...Object.fromEntries(Object.entries(extra).filter(([k]) => k !== 'location_id' && k !== 'room_id')),
    });
  const A = await lesson(yoga, aiko, '2025-03-10T10:00:00', 10);
  const B = await lesson(yoga, aiko, '2025-03-11T10:00:00', 10, { substitute_instructor_id: ken });
  const C = await lesson(pilates, ken, '2025-03-12T19:00:00', 5);
  const D = await lesson(pilates, ken, '2025-03-13T19:00:00', 5, { status: 'cancelled', cancelled_at: tokyo('2025-03-12T09:00:00') });
  await lesson(pilates, ken, '2025-03-14T19:00:00', 5, { location_id: loc2, room_id: room2 });
  const F = await lesson(yoga, aiko, '2025-04-01T00:30:00', 10);

  const book = (lesson: string, m: string, status: string) =>
    insert(t, 'reservations', {
      lesson_id: lesson, member_id: m, status, source: 'staff', actor_kind: 'system',
      cancelled_at: ['cancelled', 'released'].includes(status) ? tokyo('2025-03-01T00:00:00') : null,
    });
  const rA1 = await book(A, m1, 'attended');
  const rA3 = await book(A, m3, 'attended');
  await book(A, m6, 'no_show');
  await book(A, m4, 'cancelled');
  const rB1 = await book(B, m1, 'attended');
  await book(B, m6, 'booked');
  const rC3 = await book(C, m3, 'attended');
  await book(D, m1, 'released');
  await book(F, m1, 'booked');
  const checkIn = (m: string, r: string, at: string) =>
    insert(t, 'check_ins', { member_id: m, location_id: loc, reservation_id: r, method: 'manual', actor_kind: 'system', checked_in_at: tokyo(at) });
  await checkIn(m1, rA1, '2025-03-10T09:50:00');
  await checkIn(m3, rA3, '2025-03-10T09:55:00');
  await checkIn(m1, rB1, '2025-03-11T09:50:00');
  await checkIn(m3, rC3, '2025-03-12T18:55:00');

  let number = 0;
  const invoice = (m: string, period: string, status: string, total: number, dueOn: string, paid = 0, refunded = 0) =>
    insert(t, 'invoices', {
      billing_member_id: m, period, status, total, due_on: dueOn, amount_paid: paid, amount_refunded: refunded,
      number: status === 'draft' ? null : ++number, issued_on: status === 'draft' ? null : period,
      paid_at: status === 'paid' ? tokyo(`${period}T10:00:00`) : null,
    });
  await invoice(m5, '2025-02-01', 'paid', 10_000, '2025-02-28', 10_000, 2_000);
  await invoice(m1, '2025-03-01', 'paid', 10_000, '2025-03-31', 10_000);
  await invoice(m2, '2025-03-01', 'open', 8_000, '2025-03-31');
  await invoice(m6, '2025-03-01', 'open', 5_000, '2025-04-30');
  await invoice(m4, '2025-03-01', 'uncollectible', 3_000, '2025-03-15');
  await invoice(m3, '2025-03-01', 'draft', 9_999, '2025-03-31');

  const plan = async (name: string, price: number) => {
    const p = await insert(t, 'plans', { kind: 'monthly', name });
    await insert(t, 'plan_versions', { plan_id: p, version: 1, price, tax_category: 'standard_10' });
    return p;
  };
  const regular = await plan(`${prefix}Regular`, 10_000);
  const light = await plan(`${prefix}Light`, 8_000);
  const contract = async (m: string, start: string, end: string | null, plans: Array<[string, string]>) => {
    const c = await insert(t, 'contracts', { member_id: m, kind: 'monthly', start_date: start, end_date: end });
    for (const [from, p] of plans) await insert(t, 'contract_plans', { contract_id: c, effective_from: from, plan_id: p, plan_version: 1 });
  };
  await contract(m1, '2025-02-01', null, [['2025-02-01', regular], ['2025-05-01', light]]);
  await contract(m2, '2025-02-01', '2025-03-20', [['2025-02-01', regular]]);
  await contract(m3, '2025-03-15', null, [['2025-03-15', light]]);
  await contract(m5, '2025-01-10', null, [['2025-01-10', regular]]);
  return { loc, loc2, m1, m6 };
}

beforeAll(async () => {
  platform = await startTestPlatform();
  tenant = await platform.createTenant();
  other = await platform.createTenant();
  admin = await platform.admin();
  platform.runtime.clock.set(new Date(tokyo('2025-04-10T12:00:00')));
  Object.assign(ids, await buildMonth(tenant.id));
  // The same month again, for another studio: none of it may count for the first.
  await buildMonth(other.id, 'other-');
}, 120_000);
afterAll(() => platform.close());

const march = 'from=2025-03-01&to=2025-03-31';

describe('reports over a month with known answers', () => {
  it('counts a day’s lessons, bookings, check-ins and no-shows', async () => {
    expect((await get('/api/reports/today?day=2025-03-10')).json()).toEqual({ day: '2025-03-10', lessons: 1, bookings: 3, checkIns: 2, noShows: 1 });
    expect((await get(`/api/reports/today?day=2025-03-10&locationId=${ids.loc2}`)).json()).toMatchObject({ lessons: 0, checkIns: 0 });
  });

  it('counts members by status, new, cancelled, churn and trial conversion', async () => {
    expect((await get(`/api/reports/members?${march}`)).json()).toEqual({
      from: '2025-03-01', to: '2025-03-31', active: 3, trial: 1, onLeave: 1, new: 2, cancelled: 1,
      activeAtStart: 3, churnRate: 1 / 3, trialsStarted: 2, trialsConverted: 1, trialConversion: 0.5,
    });
  });

  it('gives attendance and fill rate per lesson type and instructor, held lessons of the local month only', async () => {
    const r = (await get(`/api/reports/attendance?${march}`)).json();
    expect(r.total).toEqual({ lessons: 4, capacity: 30, booked: 6, attended: 4, noShows: 1, fillRate: 0.2 });
    const byName = (rows: Array<{ name: string }>) => Object.fromEntries(rows.map(({ name, ...x }) => [name, x]));
    expect(byName(r.byLessonType)).toMatchObject({
      Yoga: { lessons: 2, capacity: 20, booked: 5, attended: 3, noShows: 1, fillRate: 0.25 },
      Pilates: { lessons: 2, capacity: 10, booked: 1, attended: 1, noShows: 0, fillRate: 0.1 },
    });
    expect(byName(r.byInstructor)).toMatchObject({
      Aiko: { lessons: 1, capacity: 10, booked: 3, attended: 2, noShows: 1, fillRate: 0.3 },
      Ken: { lessons: 3, capacity: 20, booked: 3, attended: 2, noShows: 0, fillRate: 0.15 },
    });
    const shibuya = (await get(`/api/reports/attendance?${march}&locationId=${ids.loc}`)).json();
    expect(shibuya.total).toEqual({ lessons: 3, capacity: 25, booked: 6, attended: 4, noShows: 1, fillRate: 0.24 });
  });

  it('gives revenue by month and monthly recurring revenue', async () => {
    expect((await get('/api/reports/revenue?from=2025-02-01&to=2025-03-31')).json()).toEqual({
      from: '2025-02-01', to: '2025-03-31',
      months: [
        { month: '2025-02', invoiced: 10_000, paid: 8_000, overdue: 0 },
        { month: '2025-03', invoiced: 26_000, paid: 10_000, overdue: 8_000 },
      ],
      mrr: 18_000,
    });
  });

  it('lists active members with no check-in in N days', async () => {
    const r = (await get('/api/reports/at-risk?days=30')).json();
    expect(r.items.map((m: { memberId: string }) => m.memberId)).toEqual([ids.m6, ids.m1]);
    expect(r.items[1]).toMatchObject({ memberNumber: 1, name: '会員1 花子', lastCheckIn: new Date(tokyo('2025-03-11T09:50:00')).toISOString() });
    expect((await get('/api/reports/at-risk?days=60')).json().items).toEqual([expect.objectContaining({ memberId: ids.m6 })]);
  });

  it('gives the dashboard: the day, its month’s members and six months of revenue', async () => {
    const d = (await get('/api/reports/dashboard?day=2025-03-31')).json();
    expect(d.today).toEqual({ day: '2025-03-31', lessons: 0, bookings: 0, checkIns: 0, noShows: 0 });
    expect(d.members).toMatchObject({ from: '2025-03-01', to: '2025-03-31', active: 3, new: 2, cancelled: 1 });
    expect(d.revenue.months.map((m: { month: string }) => m.month)).toEqual(['2024-10', '2024-11', '2024-12', '2025-01', '2025-02', '2025-03']);
    expect(d.revenue.mrr).toBe(18_000);
  });

  it('exports each report as CSV with a byte-order mark and headers in the reader’s language', async () => {
    const ja = await get(`/api/reports/members/export?${march}`, 'ja');
    expect(ja.headers['content-type']).toMatch(/^text\/csv; charset=utf-8/);
    expect(ja.rawPayload.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(ja.body).toBe(
      '\uFEFF開始日,終了日,在籍,体験,休会,新規入会,退会,期首の在籍数,退会率(%),体験開始数,入会に至った体験数,体験からの入会率(%)\r\n' +
        '2025-03-01,2025-03-31,3,1,1,2,1,3,33.33,2,1,50.00\r\n',
    );
    expect((await get('/api/reports/revenue/export?from=2025-02-01&to=2025-03-31', 'en')).body).toBe(
      '\uFEFFMonth,Invoiced (JPY),Paid (JPY),Overdue (JPY)\r\n2025-02,10000,8000,0\r\n2025-03,26000,10000,8000\r\n',
    );
    expect((await get('/api/reports/today/export?day=2025-03-10', 'en')).body).toBe('\uFEFFDate,Lessons,Bookings,Check-ins,No-shows\r\n2025-03-10,1,3,2,1\r\n');
    const att = (await get(`/api/reports/attendance/export?${march}`, 'ja')).body.split('\r\n');
    expect(att[0]).toBe('\uFEFF集計軸,名前,レッスン数,定員,予約数,出席数,無断欠席数,予約率(%)');
    expect(att).toContain('レッスン種別,Yoga,2,20,5,3,1,25.00');
    expect(att).toContain('インストラクター,Ken,3,20,3,2,0,15.00');
    expect((await get('/api/reports/at-risk/export?days=30', 'ja')).body.split('\r\n').slice(0, 2)).toEqual(['\uFEFF会員番号,名前,最終チェックイン', '6,会員6 花子,']);
  });

  it('counts the other studio’s month for that studio alone', async () => {
    const r = (await get(`/api/reports/members?${march}`, 'en', other.ownerToken, other)).json();
    expect(r).toMatchObject({ active: 3, new: 2, cancelled: 1 });
  });

  it('refuses a period that ends before it starts', async () => {
    const res = await platform.call(tenant, { method: 'GET', url: '/api/reports/members?from=2025-03-31&to=2025-03-01', token: tenant.ownerToken });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/problem\+json/);
  });
});
