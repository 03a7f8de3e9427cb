import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform, type TestTenant } from '../../../test/support/platform.js';
import { expectRefused } from '../../../test/support/refused.js';

let platform: TestPlatform;
let tenant: TestTenant;
let admin: pg.Client;

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
/** Staff whose app speaks English (the studio's own language, Japanese, is asserted where it is named). */
const call = (method: Method, url: string, payload?: object, token = tenant.ownerToken, lang = 'en') =>
  platform.call(tenant, { method, url, payload, token, headers: { 'idempotency-key': randomUUID(), 'accept-language': lang } });

async function ok(res: Awaited<ReturnType<typeof call>>, status: number) {
  expect(res.statusCode, res.body).toBe(status);
  return res.json();
}

/** Sends a bad request and proves it is refused as problem+json and changes none of the tenant's rows. */
const refused = (res: Promise<Awaited<ReturnType<typeof call>>>, status: number, detail?: RegExp) => expectRefused(admin, tenant.id, res, status, { detail });

/** Moves the app's clock to a local time in Tokyo (the test tenant's zone). */
const at = (local: string) => platform.runtime.clock.set(new Date(`${local}+09:00`));

type Lesson = { id: string; occurrenceDate: string; startsAt: string; endsAt: string; capacity: number; status: string; detached: boolean; substitute: { id: string } | null };
const lessonsOf = async (seriesId: string, from: string, to: string) =>
  ((await ok(await call('GET', `/api/lessons?from=${from}&to=${to}&includeCancelled=true`), 200)).items as Array<Lesson & { seriesId: string }>)
    .filter((l) => l.seriesId === seriesId);
const byDate = (lessons: Lesson[]) => Object.fromEntries(lessons.map((l) => [l.occurrenceDate, l]));

let location: { id: string };
let yoga: { id: string };
let room: { id: string };
let bikes: { id: string };
let aiko: { id: string };
let ken: { id: string };

beforeAll(async () => {
  platform = await startTestPlatform();
  tenant = await platform.createTenant();
  admin = await platform.admin();
  at('2026-03-02T12:00:00');
  location = await ok(await call('POST', '/api/locations', { name: 'Shibuya' }), 201);
  yoga = await ok(await call('POST', '/api/lesson-types', { name: 'Yoga', durationMinutes: 60 }), 201);
  room = await ok(await call('POST', '/api/rooms', { locationId: location.id, name: 'Studio A', capacity: 10 }), 201);
  bikes = await ok(await call('POST', '/api/rooms', { locationId: location.id, name: 'Bikes', spots: [{ spot: 1, label: 'A1' }, { spot: 2, label: 'A2' }] }), 201);
  aiko = await ok(await call('POST', '/api/instructors', { displayName: 'Aiko' }), 201);
  ken = await ok(await call('POST', '/api/instructors', { displayName: 'Ken', bio: 'Guest' }), 201);
});
afterAll(() => platform.close());

describe('rooms, instructors and booking rules', () => {
  it('sets a seat-mapped room’s capacity from its map and refuses one that disagrees', async () => {
    expect(bikes).toMatchObject({ capacity: 2, spots: [{ spot: 1, label: 'A1' }, { spot: 2, label: 'A2' }] });
    await refused(call('POST', '/api/rooms', { locationId: location.id, name: 'Mats', capacity: 5, spots: [{ spot: 1, label: 'M1' }] }), 422, /1 spots/);
    await refused(call('POST', '/api/rooms', { locationId: location.id, name: 'Mats', spots: [{ spot: 1, label: 'M1' }, { spot: 1, label: 'M2' }] }), 400);
    await refused(call('POST', '/api/rooms', { locationId: location.id, name: 'Mats' }), 400);
    await refused(call('POST', '/api/rooms', { locationId: randomUUID(), name: 'Mats', capacity: 3 }), 400);
    await refused(call('PATCH', `/api/rooms/${bikes.id}`, { capacity: 5 }), 422);
    await refused(call('POST', '/api/rooms', { locationId: location.id, name: 'Studio A', capacity: 3 }), 409);
    const list = await ok(await call('GET', `/api/rooms?locationId=${location.id}`), 200);
    expect(list.items.map((r: { name: string }) => r.name)).toEqual(['Bikes', 'Studio A']);
  });

  it('keeps one instructor per staff account', async () => {
    const staff = (await ok(await call('GET', '/api/staff'), 200)).items[0];
    await ok(await call('PATCH', `/api/instructors/${aiko.id}`, { staffId: staff.id }), 200);
    await refused(call('PATCH', `/api/instructors/${ken.id}`, { staffId: staff.id }), 409);
    await refused(call('POST', '/api/instructors', { displayName: 'X', staffId: randomUUID() }), 400);
  });

  it('keeps studio booking rules and lesson-type overrides, refusing a fee penalty without a fee', async () => {
    expect(await ok(await call('GET', '/api/settings/booking'), 200)).toMatchObject({ opensDaysBefore: 7, opensAt: '12:00', quietHours: { start: '22:00', end: '08:00' } });
    await refused(call('PATCH', '/api/settings/booking', { noShowPenalty: 'fee' }), 422, /penaltyFee/);
    await refused(call('PATCH', '/api/settings/booking', { opensAt: '25:00' }), 400);
    const rules = await ok(await call('PATCH', '/api/settings/booking', { penaltyFee: 1000, quietHours: null }), 200);
    expect(rules).toMatchObject({ penaltyFee: 1000, quietHours: null });
    const t = await ok(await call('PATCH', `/api/lesson-types/${yoga.id}`, { bookingRules: { noShowPenalty: 'fee', opensAt: '09:30' } }), 200);
    expect(t.bookingRules).toMatchObject({ noShowPenalty: 'fee', opensAt: '09:30', penaltyFee: null, opensDaysBefore: null });
    // The type's fee now comes from the studio: taking the studio's fee away would leave it charging nothing.
    await refused(call('PATCH', '/api/settings/booking', { penaltyFee: 0 }), 422, /Yoga/);
    await refused(call('PATCH', `/api/lesson-types/${yoga.id}`, { bookingRules: { penaltyFee: 0 } }), 422);
    const cleared = await ok(await call('PATCH', `/api/lesson-types/${yoga.id}`, { bookingRules: { noShowPenalty: null } }), 200);
    expect(cleared.bookingRules).toMatchObject({ noShowPenalty: null, opensAt: '09:30' });
  });

  it('lets only managers and owners write; front desk and instructors read', async () => {
    const key = async (role: string) => (await ok(await call('POST', '/api/api-keys', { name: role, role }), 201)).key as string;
    const desk = await key('front_desk');
    const teacher = await key('instructor');
    const lesson = { lessonTypeId: yoga.id, roomId: room.id, date: '2026-03-20', startTime: '10:00' };
    await refused(call('POST', '/api/lessons', lesson, desk), 403);
    await refused(call('POST', '/api/rooms', { locationId: location.id, name: 'Desk room', capacity: 3 }, desk), 403);
    await refused(call('POST', '/api/instructors', { displayName: 'Desk' }, teacher), 403);
    await refused(call('PATCH', '/api/settings/booking', { opensDaysBefore: 3 }, desk), 403);
    await ok(await call('GET', '/api/lessons', undefined, teacher), 200);
    await ok(await call('GET', '/api/rooms', undefined, desk), 200);
  });
});

describe('weekly series', () => {
  let series: { id: string };

  it('writes out every occurrence in Tokyo time, end date included, from now on', async () => {
    at('2026-03-02T12:00:00'); // a Monday noon: that morning's lesson is already past
    series = await ok(
      await call('POST', '/api/lesson-series', { lessonTypeId: yoga.id, roomId: room.id, instructorId: aiko.id, weekdays: [3, 1], startTime: '10:00', startsOn: '2026-03-02', endsOn: '2026-03-16' }),
      201,
    );
    expect(series).toMatchObject({ weekdays: [1, 3], startTime: '10:00', durationMinutes: 60, capacity: 10, occurrences: { total: 4, upcoming: 4, nextStartsAt: '2026-03-04T01:00:00.000Z' } });
    const lessons = await lessonsOf(series.id, '2026-03-01', '2026-03-31');
    expect(lessons.map((l) => [l.occurrenceDate, l.startsAt, l.endsAt])).toEqual([
      ['2026-03-04', '2026-03-04T01:00:00.000Z', '2026-03-04T02:00:00.000Z'],
      ['2026-03-09', '2026-03-09T01:00:00.000Z', '2026-03-09T02:00:00.000Z'],
      ['2026-03-11', '2026-03-11T01:00:00.000Z', '2026-03-11T02:00:00.000Z'],
      ['2026-03-16', '2026-03-16T01:00:00.000Z', '2026-03-16T02:00:00.000Z'],
    ]);
    // The timetable's days are Tokyo days (the 4th from 00:00 JST, 15:00 UTC the day before).
    expect((await ok(await call('GET', '/api/lessons?from=2026-03-04&to=2026-03-04'), 200)).items).toHaveLength(1);
    expect(await ok(await call('GET', `/api/lesson-series/${series.id}`), 200)).toMatchObject({ id: series.id, endsOn: '2026-03-16' });
  });

  it('refuses bad series and changes nothing', async () => {
    const base = { lessonTypeId: yoga.id, roomId: room.id, weekdays: [1], startTime: '10:00', startsOn: '2026-03-09', endsOn: '2026-03-30' };
    await refused(call('POST', '/api/lesson-series', { ...base, endsOn: '2028-03-10' }), 400, /731/);
    await refused(call('POST', '/api/lesson-series', { ...base, weekdays: [8] }), 400);
    await refused(call('POST', '/api/lesson-series', { ...base, startTime: '7pm' }), 400);
    await refused(call('POST', '/api/lesson-series', { ...base, capacity: 11 }), 422, /holds 10/);
    await refused(call('POST', '/api/lesson-series', { ...base, capacity: 11 }, tenant.ownerToken, 'ja'), 422, /の定員は10名のため、定員を11名にはできません/);
    await refused(call('POST', '/api/lesson-series', { ...base, startsOn: '2026-02-02' }), 422);
    await refused(call('POST', '/api/lesson-series', { ...base, instructorId: randomUUID() }), 400);
    await refused(call('GET', '/api/lessons?from=2026-03-01&to=2026-06-01'), 400);
  });

  it('plans lessons and series at most two years ahead of the studio’s today, and says so', async () => {
    // Today is 2026-03-02 in Tokyo: the last day a lesson or series may start on is 2028-03-02.
    const series = { lessonTypeId: yoga.id, roomId: room.id, weekdays: [1, 2, 3, 4, 5, 6, 7], startTime: '10:00' };
    await refused(call('POST', '/api/lesson-series', { ...series, startsOn: '9997-12-31', endsOn: '9999-12-31' }), 400, /between 2000-01-01 and 2099-12-31/);
    await refused(call('POST', '/api/lesson-series', { ...series, startsOn: '2028-03-03', endsOn: '2028-03-10' }), 400, /between Mon, March 2, 2026 and Thu, March 2, 2028 \(at most 731 days ahead\)/);
    const lesson = { lessonTypeId: yoga.id, roomId: room.id, startTime: '10:00' };
    await refused(call('POST', '/api/lessons', { ...lesson, date: '9999-12-31' }), 400, /between 2000-01-01 and 2099-12-31/);
    await refused(call('POST', '/api/lessons', { lessonTypeId: yoga.id, roomId: room.id, startsAt: '9999-12-31T10:00:00+09:00' }), 400, /between 2000-01-01 and 2099-12-31/);
    await refused(call('POST', '/api/lessons', { ...lesson, date: '2028-03-03' }), 400, /between now and Thu, March 2, 2028/);
    const last = await ok(await call('POST', '/api/lessons', { ...lesson, startTime: '23:00', date: '2028-03-02' }), 201);
    await refused(call('PATCH', `/api/lessons/${last.id}`, { date: '2028-03-03' }), 400, /between now and Thu, March 2, 2028/);
    const lastSeries = await ok(await call('POST', '/api/lesson-series', { ...series, startsOn: '2028-03-02', endsOn: '2028-03-02' }), 201);
    await ok(await call('POST', `/api/lesson-series/${lastSeries.id}/cancel`, { reason: 'test' }), 200);
    await ok(await call('POST', `/api/lessons/${last.id}/cancel`, { reason: 'test' }), 200);
  });

  it('edits only future occurrences not edited on their own; a moved or substituted one keeps its edit', async () => {
    at('2026-03-09T12:00:00'); // the 4th and the 9th are past now
    const before = byDate(await lessonsOf(series.id, '2026-03-01', '2026-03-31'));
    const moved = await ok(await call('PATCH', `/api/lessons/${before['2026-03-11']!.id}`, { startTime: '18:00' }), 200);
    expect(moved).toMatchObject({ startsAt: '2026-03-11T09:00:00.000Z', detached: true });
    const sub = await ok(await call('PATCH', `/api/lessons/${before['2026-03-16']!.id}`, { substituteInstructorId: ken.id }), 200);
    expect(sub).toMatchObject({ substitute: { id: ken.id, displayName: 'Ken' }, instructor: { id: aiko.id }, detached: true });
    await refused(call('PATCH', `/api/lessons/${before['2026-03-09']!.id}`, { notes: 'too late' }), 409, /started or is over/);

    const edited = await ok(await call('PATCH', `/api/lesson-series/${series.id}`, { startTime: '11:00', capacity: 8, weekdays: [1, 3, 5], endsOn: '2026-03-23' }), 200);
    expect(edited).toMatchObject({ startTime: '11:00', capacity: 8, weekdays: [1, 3, 5], endsOn: '2026-03-23' });
    const after = byDate(await lessonsOf(series.id, '2026-03-01', '2026-03-31'));
    // Past lessons never change.
    expect(after['2026-03-04']).toEqual(before['2026-03-04']);
    expect(after['2026-03-09']).toEqual(before['2026-03-09']);
    // Detached ones keep their own edit.
    expect(after['2026-03-11']).toMatchObject({ startsAt: '2026-03-11T09:00:00.000Z', capacity: 10 });
    expect(after['2026-03-16']).toMatchObject({ startsAt: '2026-03-16T01:00:00.000Z', capacity: 10, substitute: { id: ken.id } });
    // New rule dates are written out at the new time.
    expect(Object.keys(after).sort()).toEqual(['2026-03-04', '2026-03-09', '2026-03-11', '2026-03-13', '2026-03-16', '2026-03-18', '2026-03-20', '2026-03-23']);
    expect(after['2026-03-13']).toMatchObject({ startsAt: '2026-03-13T02:00:00.000Z', capacity: 8, status: 'scheduled' });

    // Dropping Friday and ending earlier cancels the occurrences no longer in the rule.
    await ok(await call('PATCH', `/api/lesson-series/${series.id}`, { weekdays: [1, 3], endsOn: '2026-03-18' }), 200);
    const shorter = byDate(await lessonsOf(series.id, '2026-03-01', '2026-03-31'));
    expect(shorter['2026-03-13']!.status).toBe('cancelled');
    expect(shorter['2026-03-20']!.status).toBe('cancelled');
    expect(shorter['2026-03-23']!.status).toBe('cancelled');
    expect(shorter['2026-03-18']).toMatchObject({ status: 'scheduled', startsAt: '2026-03-18T02:00:00.000Z' });
  });

  it('refuses a capacity below the seats taken, naming the lesson', async () => {
    const lessons = byDate(await lessonsOf(series.id, '2026-03-01', '2026-03-31'));
    await admin.query(`update app.lessons set booked = 5, held = 1 where id = $1`, [lessons['2026-03-18']!.id]);
    await refused(call('PATCH', `/api/lesson-series/${series.id}`, { capacity: 5 }), 409, /Yoga, Wed, Mar 18, 11:00 has 6 seats taken/);
    await refused(call('PATCH', `/api/lessons/${lessons['2026-03-18']!.id}`, { capacity: 4 }), 409, /6 seats taken/);
    await refused(call('PATCH', `/api/lessons/${lessons['2026-03-18']!.id}`, { capacity: 11 }), 422);
    await admin.query(`update app.lessons set booked = 0, held = 0 where id = $1`, [lessons['2026-03-18']!.id]);
  });

  it('edits a series from a date on, leaving the lessons before it as they are', async () => {
    const other = await ok(
      await call('POST', '/api/lesson-series', { lessonTypeId: yoga.id, roomId: room.id, weekdays: [2], startTime: '09:00', startsOn: '2026-03-10', endsOn: '2026-03-31' }),
      201,
    );
    await ok(await call('PATCH', `/api/lesson-series/${other.id}`, { startTime: '19:00', from: '2026-03-24' }), 200);
    const after = byDate(await lessonsOf(other.id, '2026-03-01', '2026-03-31'));
    expect(Object.fromEntries(Object.entries(after).map(([d, l]) => [d, l.startsAt]))).toEqual({
      '2026-03-10': '2026-03-10T00:00:00.000Z',
      '2026-03-17': '2026-03-17T00:00:00.000Z',
      '2026-03-24': '2026-03-24T10:00:00.000Z',
      '2026-03-31': '2026-03-31T10:00:00.000Z',
    });
    await refused(call('PATCH', `/api/lesson-series/${other.id}`, { from: '2026-03-24' }), 400);
    const preview = await ok(await call('POST', `/api/lesson-series/${other.id}/cancel/preview`, { reason: 'test' }), 200);
    expect(preview.released).toEqual({ lessons: 4, reservations: 0, credits: 0, waitlist: 0 });
    expect((await lessonsOf(other.id, '2026-03-01', '2026-03-31')).every((l) => l.status === 'scheduled')).toBe(true);
    await ok(await call('POST', `/api/lesson-series/${other.id}/cancel`, { reason: 'test' }), 200);
  });

  it('cancels the rest of a series', async () => {
    const result = await ok(await call('POST', `/api/lesson-series/${series.id}/cancel`, { reason: 'Teacher moving away', from: '2026-03-16' }), 200);
    expect(result.released.lessons).toBe(2);
    expect(result.series).toMatchObject({ endsOn: '2026-03-15' });
    const after = byDate(await lessonsOf(series.id, '2026-03-01', '2026-03-31'));
    expect(after['2026-03-11']!.status).toBe('scheduled');
    expect(after['2026-03-16']!.status).toBe('cancelled');
  });
});

describe('one-off lessons', () => {
  it('plans, shows the seat map, moves with bookings (mailing members or their family lead) and cancels', async () => {
    at('2026-03-09T12:00:00');
    await refused(call('POST', '/api/lessons', { lessonTypeId: yoga.id, roomId: bikes.id, date: '2026-03-08', startTime: '10:00' }), 422, /past/);
    await refused(call('POST', '/api/lessons', { lessonTypeId: yoga.id, roomId: bikes.id, date: '2026-03-20' }), 400);
    await refused(call('POST', '/api/lessons', { lessonTypeId: yoga.id, roomId: bikes.id, date: '2026-03-20', startTime: '10:00', capacity: 3 }), 422);
    const lesson = await ok(await call('POST', '/api/lessons', { lessonTypeId: yoga.id, roomId: bikes.id, instructorId: ken.id, date: '2026-03-20', startTime: '07:30', durationMinutes: 45 }), 201);
    expect(lesson).toMatchObject({ startsAt: '2026-03-19T22:30:00.000Z', endsAt: '2026-03-19T23:15:00.000Z', capacity: 2, seriesId: null, location: { id: location.id } });

    const email = `hanako-${randomUUID().slice(0, 8)}@example.com`;
    const lead = await ok(await call('POST', '/api/members', { familyName: '佐藤', givenName: '花子', email }), 201);
    const child = await ok(await call('POST', '/api/members', { familyName: '佐藤', givenName: '小花' }), 201);
    await ok(await call('PUT', `/api/members/${child.id}/family-lead`, { leadId: lead.id }), 200);
    await admin.query(`insert into app.reservations (tenant_id, lesson_id, member_id, spot, source, actor_kind) values ($1, $2, $3, 2, 'staff', 'system')`, [tenant.id, lesson.id, child.id]);
    await admin.query(`update app.lessons set booked = 1 where id = $1`, [lesson.id]);
    const shown = await ok(await call('GET', `/api/lessons/${lesson.id}`), 200);
    expect(shown.spots).toEqual([{ spot: 1, label: 'A1', taken: false }, { spot: 2, label: 'A2', taken: true }]);

    const moved = await ok(await call('PATCH', `/api/lessons/${lesson.id}`, { date: '2026-03-21' }), 200);
    expect(moved).toMatchObject({ startsAt: '2026-03-20T22:30:00.000Z', booked: 1, detached: true });
    const mails = (await admin.query(`select subject, body from app.outbox where tenant_id = $1 and to_address = $2 and template = 'lesson_moved'`, [tenant.id, email])).rows;
    expect(mails).toHaveLength(1);
    // Mail to members is in the studio's language (Japanese), whatever language the staff member's app speaks.
    expect(mails[0].subject).toMatch(/^日時変更のお知らせ：.*（3月21日\(土\) 07:30）$/);
    expect(mails[0].body).toMatch(/^佐藤 小花 様\n\n.*（3月20日\(金\) 07:30）は、スタジオの都合により.*（3月21日\(土\) 07:30）に変更となりました。/);

    await admin.query(`insert into app.waitlist_entries (tenant_id, lesson_id, member_id) values ($1, $2, $3)`, [tenant.id, lesson.id, lead.id]);
    expect(await ok(await call('GET', `/api/lessons/${lesson.id}`), 200)).toMatchObject({ booked: 1, waiting: 1 });
    // The preview says who the cancellation reaches and writes nothing.
    const preview = await ok(await call('POST', `/api/lessons/${lesson.id}/cancel/preview`, { reason: 'Bikes broken' }), 200);
    expect(preview).toMatchObject({ status: 'cancelled', released: { lessons: 1, reservations: 1, credits: 0, waitlist: 1 } });
    expect(await ok(await call('GET', `/api/lessons/${lesson.id}`), 200)).toMatchObject({ status: 'scheduled', booked: 1, waiting: 1 });
    expect((await admin.query(`select status from app.reservations where lesson_id = $1`, [lesson.id])).rows[0].status).toBe('booked');

    const cancelled = await ok(await call('POST', `/api/lessons/${lesson.id}/cancel`, { reason: 'Bikes broken' }), 200);
    expect(cancelled).toMatchObject({ status: 'cancelled', cancelReason: 'Bikes broken', booked: 0, waiting: 0, released: { reservations: 1, waitlist: 1 } });
    expect((await admin.query(`select status from app.reservations where lesson_id = $1`, [lesson.id])).rows[0].status).toBe('released');
    await refused(call('PATCH', `/api/lessons/${lesson.id}`, { notes: 'x' }), 409, /cancelled/);
    const timetable = await ok(await call('GET', '/api/lessons?from=2026-03-21&to=2026-03-21'), 200);
    expect(timetable.items.map((l: { id: string }) => l.id)).not.toContain(lesson.id);
  });
});
