import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform, type TestTenant } from '../../../test/support/platform.js';
import { expectRefused } from '../../../test/support/refused.js';
import { addLesson, bookingStudio, memberWithSession, staffApi, type BookingStudio } from '../../../test/support/booking.js';
import { runReservationUpkeep, runWaitingRoomDraw } from './upkeep.js';

let platform: TestPlatform;
let tenant: TestTenant;
let studio: BookingStudio;
let admin: pg.Client;
let staff: ReturnType<typeof staffApi>;

const tokyo = (local: string) => new Date(`${local}+09:00`);
const setNow = (local: string) => platform.runtime.clock.set(tokyo(local));
const lessonAt = (local: string, capacity = 30) => addLesson(platform, tenant, studio, { startsAt: tokyo(local), capacity });
const refused = (send: Parameters<typeof expectRefused>[2], status: number, reason: string) => expectRefused(admin, tenant.id, send, status, { reason });
type Member = Awaited<ReturnType<typeof memberWithSession>>;
const members = async (n: number) => {
  const out: Member[] = [];
  for (let i = 0; i < n; i++) out.push(await memberWithSession(platform, tenant, studio));
  return out;
};
const stateOf = async (m: Member, lessonId: string, from: string) =>
  (await m.send('GET', `/api/me/schedule?from=${from}&days=1`)).json().lessons.find((l: { id: string }) => l.id === lessonId).me;
const queue = (m: Member, lessonId: string) => m.send('POST', '/api/me/waiting-room', { lessonId });
const book = (m: Member, lessonId: string) => m.send('POST', '/api/me/reservations', { lessonId });

beforeAll(async () => {
  // Two places a second: small enough to see the batches with the test's clock.
  platform = await startTestPlatform({ WAITING_ROOM_ADMIT_PER_SECOND: '2' });
  setNow('2026-12-01T10:00:00');
  tenant = await platform.createTenant();
  admin = await platform.admin();
  staff = staffApi(platform, tenant);
  studio = await bookingStudio(platform, tenant);
}, 120_000);
afterAll(async () => {
  platform.runtime.clock.set(null);
  await admin?.end();
  await platform?.close();
});

describe('a studio without a waiting room', () => {
  it('has members book as before, and refuses to queue them', async () => {
    setNow('2026-12-02T11:55:00');
    const lessonId = await lessonAt('2026-12-09T08:00:00');
    const [m] = await members(1);
    expect(await stateOf(m!, lessonId, '2026-12-09')).toEqual({ state: 'opens', opensAt: tokyo('2026-12-02T12:00:00').toISOString(), queueOpensAt: null });
    await refused(() => queue(m!, lessonId), 409, 'no_waiting_room');
    expect((await staff.ok('GET', `/api/lessons/${lessonId}/reservations`)).waitingRoom).toBeNull();
    setNow('2026-12-02T12:00:00');
    expect((await book(m!, lessonId)).statusCode).toBe(201);
  });
});

describe('a waiting room in arrival order', () => {
  it('queues members before the opening, lets them in two a second in the order they came, and queues latecomers behind', async () => {
    await staff.ok('PATCH', '/api/settings/booking', { waitingRoomMinutesBefore: 10, waitingRoomOrder: 'arrival' }, 200);
    expect(await staff.ok('GET', '/api/settings/booking')).toMatchObject({ waitingRoomMinutesBefore: 10, waitingRoomOrder: 'arrival' });
    // Lessons of 12-10 open on 12-03 at 12:00 (7 days before, the studio's default): one queue for the opening.
    const [early, late] = [await lessonAt('2026-12-10T07:00:00'), await lessonAt('2026-12-10T09:00:00')];
    const opensAt = tokyo('2026-12-03T12:00:00').toISOString();
    const q = await members(7);

    setNow('2026-12-03T11:45:00');
    expect(await stateOf(q[0]!, early, '2026-12-10')).toEqual({ state: 'opens', opensAt, queueOpensAt: tokyo('2026-12-03T11:50:00').toISOString() });
    await refused(() => queue(q[0]!, early), 422, 'queue_not_open');

    setNow('2026-12-03T11:55:00');
    expect(await stateOf(q[0]!, early, '2026-12-10')).toEqual({ state: 'queue', opensAt, opened: false });
    const turn = (s: string) => tokyo(`2026-12-03T12:00:0${s}`).toISOString();
    const joined: unknown[] = [];
    for (const [i, m] of q.slice(0, 5).entries()) {
      setNow(`2026-12-03T11:55:0${i}`);
      joined.push((await queue(m, m === q[1] ? late : early)).json());
    }
    const drawAt = tokyo('2026-12-03T11:59:00').toISOString();
    const queued = (position: number, turnAt: string) => ({ state: 'queued', opensAt, order: 'arrival', position, turnAt, drawAt, checkAt: turnAt });
    expect(joined).toEqual([1, 2, 3, 4, 5].map((position, i) => queued(position, turn(String(Math.floor(i / 2))))));
    // Asking again (a new request, not a replay) finds the same place; either lesson of the opening shows it.
    expect((await queue(q[2]!, late)).json()).toMatchObject({ position: 3 });
    expect(await stateOf(q[2]!, late, '2026-12-10')).toEqual(queued(3, turn('1')));
    // Booking has not opened yet, queue or not.
    await refused(() => book(q[0]!, early), 422, 'not_open_yet');

    // The opening: before its draw nobody is let in (a booking never draws); the job queued for it draws.
    setNow('2026-12-03T12:00:00');
    await refused(() => book(q[0]!, early), 409, 'waiting_room_turn');
    expect(await runWaitingRoomDraw(platform.runtime, tenant.id, new Date(opensAt), platform.runtime.clock.now())).toMatchObject({ places: 5 });
    setNow('2026-12-03T12:00:00.500');
    expect((await book(q[0]!, early)).statusCode).toBe(201);
    expect((await book(q[1]!, early)).statusCode).toBe(201);
    const wait = await refused(() => book(q[2]!, early), 409, 'waiting_room_turn');
    expect(wait).toMatchObject({ position: 3, turnAt: turn('1') });
    expect(wait.detail).toContain('12:00:01');
    // One who never queued joins behind the queue; nobody jumps it by booking straight away.
    expect(await stateOf(q[5]!, early, '2026-12-10')).toEqual({ state: 'queue', opensAt, opened: true });
    await refused(() => book(q[5]!, early), 409, 'waiting_room');
    expect((await queue(q[5]!, early)).json()).toEqual(queued(6, turn('2')));
    // The desk books whoever it likes: the queue is for members' own bookings.
    expect((await staff.send('POST', `/api/lessons/${early}/reservations`, { memberId: q[6]!.memberId })).statusCode).toBe(201);

    setNow('2026-12-03T12:00:01.100');
    // The desk sees the opening's queue on each of its lessons.
    for (const lessonId of [early, late]) {
      expect((await staff.ok('GET', `/api/lessons/${lessonId}/reservations`)).waitingRoom).toEqual({
        opensAt, order: 'arrival', queued: 6, letIn: 4, drawnAt: tokyo('2026-12-03T12:00:00').toISOString(),
      });
    }
    expect(await stateOf(q[2]!, early, '2026-12-10')).toEqual({ state: 'bookable' });
    expect((await book(q[2]!, early)).statusCode).toBe(201);
    await refused(() => book(q[5]!, early), 409, 'waiting_room_turn');

    // By 12:00:03 all six places are in: the queue is over, and a newcomer books at once.
    setNow('2026-12-03T12:00:03');
    const newcomer = (await members(1))[0]!;
    expect(await stateOf(newcomer, early, '2026-12-10')).toEqual({ state: 'bookable' });
    expect((await queue(newcomer, early)).json()).toEqual({ state: 'admitted', opensAt });
    expect((await book(newcomer, early)).statusCode).toBe(201);
    expect((await book(q[5]!, early)).statusCode).toBe(201);

    const room = (await admin.query(`select admission_order, admit_per_second, last_position from app.waiting_rooms where tenant_id = $1 and opens_at = $2`, [tenant.id, opensAt])).rows;
    expect(room).toEqual([{ admission_order: 'arrival', admit_per_second: 2, last_position: 6 }]);

    // A week after the opening the room and who queued in it are gone.
    platform.runtime.clock.set(new Date(tokyo('2026-12-03T12:00:00').getTime() + 8 * 24 * 3600_000));
    await runReservationUpkeep(platform.runtime, tenant.id, platform.runtime.clock.now());
    expect((await admin.query(`select count(*)::int as n from app.waiting_rooms where tenant_id = $1 and opens_at = $2`, [tenant.id, opensAt])).rows[0].n).toBe(0);
    expect((await admin.query(`select count(*)::int as n from app.waiting_room_entries where tenant_id = $1 and opens_at = $2`, [tenant.id, opensAt])).rows[0].n).toBe(0);
  });

  it('gives each of many members joining at once a place of their own, kept by the draw', async () => {
    setNow('2026-12-04T11:58:00');
    const lessonId = await lessonAt('2026-12-11T07:00:00');
    const q = await members(12);
    // Joins before the opening only insert their rows, so none waits on another's.
    expect((await Promise.all(q.map((m) => queue(m, lessonId)))).map((r) => r.json().state)).toEqual(Array(12).fill('queued'));
    const shown = async () => Promise.all(q.map(async (m) => ((await stateOf(m, lessonId, '2026-12-11')) as { position: number }).position));
    const before = await shown();
    expect([...before].sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    // The draw gives each the place shown before it.
    setNow('2026-12-04T12:00:00');
    await runWaitingRoomDraw(platform.runtime, tenant.id, tokyo('2026-12-04T12:00:00'), platform.runtime.clock.now());
    const drawn = (await admin.query(`select member_id, position from app.waiting_room_entries where tenant_id = $1 and opens_at = $2`, [tenant.id, tokyo('2026-12-04T12:00:00')])).rows;
    expect(q.map((m) => drawn.find((e) => e.member_id === m.memberId)!.position)).toEqual(before);
  });
});

describe('a waiting room by lottery', () => {
  it('draws the places at the opening (its job, or the first to look), lets nobody past before, and queues latecomers behind', async () => {
    await staff.ok('PATCH', '/api/settings/booking', { waitingRoomMinutesBefore: 30, waitingRoomOrder: 'lottery' }, 200);
    const lessonId = await lessonAt('2026-12-12T07:00:00');
    const opensAt = tokyo('2026-12-05T12:00:00').toISOString();
    setNow('2026-12-05T11:40:00');
    const q = await members(10);
    const drawAt = tokyo('2026-12-05T11:59:00');
    for (const m of q) {
      const standing = (await queue(m, lessonId)).json();
      expect(standing).toMatchObject({ state: 'queued', opensAt, order: 'lottery', position: null, turnAt: null, drawAt: drawAt.toISOString() });
      // Each phone asks for its place at a moment of its own in the 45 s after the draw, not all at the opening.
      expect(Date.parse(standing.checkAt) - drawAt.getTime()).toBeGreaterThanOrEqual(0);
      expect(Date.parse(standing.checkAt) - drawAt.getTime()).toBeLessThanOrEqual(45_000);
    }
    expect(await stateOf(q[0]!, lessonId, '2026-12-12')).toMatchObject({ state: 'queued', position: null });
    // The studio changing its mind during a queue changes nothing for that queue.
    await staff.ok('PATCH', '/api/settings/booking', { waitingRoomOrder: 'arrival' }, 200);

    setNow('2026-12-05T12:00:00.200');
    // Before the draw nobody is let in, and nobody walks past the queue; a refused booking draws nothing (its
    // rollback would undo the draw), so the places cannot change between two looks.
    expect(await refused(() => book(q[0]!, lessonId), 409, 'waiting_room_turn')).toMatchObject({ position: null, turnAt: null });
    const walkIn = (await members(1))[0]!;
    await refused(() => book(walkIn, lessonId), 409, 'waiting_room');
    // The job queued for the opening draws the places, whoever looks first.
    expect(await runWaitingRoomDraw(platform.runtime, tenant.id, new Date(opensAt), platform.runtime.clock.now())).toMatchObject({ places: 10 });
    const seen: unknown[] = [];
    for (const m of q) seen.push(await stateOf(m, lessonId, '2026-12-12'));
    const drawn = (await admin.query(`select member_id, position from app.waiting_room_entries where tenant_id = $1 and opens_at = $2 order by joined_at, member_id`, [tenant.id, opensAt])).rows;
    expect(drawn.map((e) => e.position).sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    // Drawn, not kept in arrival order (the chance of a draw of ten keeping it is 1 in 3,628,800).
    expect(drawn.map((e) => e.position)).not.toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    const placeOf = new Map(drawn.map((e) => [e.member_id, e.position as number]));
    q.forEach((m, i) => {
      const position = placeOf.get(m.memberId)!;
      // Turns count from the draw, at 12:00:00.200.
      const turnAt = new Date(Date.parse(opensAt) + 200 + Math.floor((position - 1) / 2) * 1000).toISOString();
      expect(seen[i]).toEqual(position <= 2 ? { state: 'bookable' } : { state: 'queued', opensAt, order: 'lottery', position, turnAt, drawAt: drawAt.toISOString(), checkAt: turnAt });
    });
    const winner = q.find((m) => placeOf.get(m.memberId) === 1)!;
    const last = q.find((m) => placeOf.get(m.memberId) === 10)!;
    expect((await book(winner, lessonId)).statusCode).toBe(201);
    await refused(() => book(last, lessonId), 409, 'waiting_room_turn');
    expect((await queue(walkIn, lessonId)).json()).toMatchObject({ order: 'lottery', position: 11 });
    const jobs = await admin.query(`select count(*)::int as n from graphile_worker.jobs where task_identifier = 'waiting_room_draw' and key = $1`, [`waiting_room_draw:${tenant.id}:${opensAt}`]);
    expect(jobs.rows[0].n).toBe(1);
  });

  it('draws a minute before the opening, so places are known in advance, and queues a last-minute joiner behind', async () => {
    await staff.ok('PATCH', '/api/settings/booking', { waitingRoomOrder: 'lottery' }, 200);
    const lessonId = await lessonAt('2026-12-15T07:00:00');
    setNow('2026-12-08T11:50:00');
    const q = await members(4);
    for (const m of q.slice(0, 3)) await queue(m, lessonId);
    setNow('2026-12-08T11:59:10');
    const places: number[] = [];
    for (const m of q.slice(0, 3)) places.push(((await stateOf(m, lessonId, '2026-12-15')) as { position: number }).position);
    expect([...places].sort()).toEqual([1, 2, 3]);
    setNow('2026-12-08T11:59:30');
    expect((await queue(q[3]!, lessonId)).json()).toMatchObject({ position: 4, turnAt: tokyo('2026-12-08T12:00:01').toISOString() });
    // Still not open: the draw lets nobody book early.
    await refused(() => book(q[places.indexOf(1)]!, lessonId), 422, 'not_open_yet');
    // Turns count from the opening, not from the draw.
    setNow('2026-12-08T12:00:00');
    expect((await book(q[places.indexOf(2)]!, lessonId)).statusCode).toBe(201);
    await refused(() => book(q[places.indexOf(3)]!, lessonId), 409, 'waiting_room_turn');
  });

  it('has no queue at an opening nobody queued for', async () => {
    setNow('2026-12-06T12:00:00');
    const lessonId = await lessonAt('2026-12-13T07:00:00');
    const [m] = await members(1);
    expect(await stateOf(m!, lessonId, '2026-12-13')).toEqual({ state: 'bookable' });
    expect((await book(m!, lessonId)).statusCode).toBe(201);
  });
});

describe('the waiting room in the member\'s language', () => {
  it('says in Japanese when the turn comes', async () => {
    await staff.ok('PATCH', '/api/settings/booking', { waitingRoomOrder: 'arrival' }, 200);
    const lessonId = await lessonAt('2026-12-14T07:00:00');
    const q = await members(3);
    for (const [i, m] of q.entries()) {
      setNow(`2026-12-07T11:50:0${i}`);
      await queue(m, lessonId);
    }
    setNow('2026-12-07T12:00:00');
    const res = await q[2]!.send('POST', '/api/me/reservations', { lessonId }, { 'accept-language': 'ja' });
    expect(res.statusCode).toBe(409);
    expect(res.json().detail).toBe('順番待ち3番目です。12:00:01に順番が来ます。');
  });
});
