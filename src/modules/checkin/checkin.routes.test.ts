import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { populateTenant, type PopulatedTenant } from '../../../test/support/fixtures.js';
import { startTestPlatform, type TestPlatform } from '../../../test/support/platform.js';
import { inTenantTransaction, type Tx } from '../../platform/db/databases.js';

let platform: TestPlatform;
let A: PopulatedTenant;
let B: PopulatedTenant;
let locationId: string;
let otherLocationId: string;
let roomId: string;
let lessonTypeId: string;

const inTenant = async <T>(fn: (db: Tx) => Promise<T>, tenant: PopulatedTenant = A) => {
  const record = (await platform.runtime.directory.byId(tenant.id))!;
  return inTenantTransaction(await platform.runtime.directory.dbFor(record), tenant.id, fn);
};
const call = (method: 'GET' | 'POST', url: string, opts: { token?: string; payload?: object; key?: string; tenant?: PopulatedTenant } = {}) =>
  platform.call(opts.tenant ?? A, {
    method,
    url,
    token: opts.token ?? A.ownerToken,
    ...(opts.payload ? { payload: opts.payload } : {}),
    headers: { 'idempotency-key': opts.key ?? randomUUID() },
  });
const ok = async (p: ReturnType<typeof call>, status = 200) => {
  const res = await p;
  expect(res.statusCode, res.body).toBe(status);
  return res.json();
};
const codeFor = async (tenant: PopulatedTenant = A, memberId?: string) =>
  ok(call('GET', `/api/me/check-in-code${memberId ? `?memberId=${memberId}` : ''}`, { token: tenant.memberToken, tenant }));
const scan = (payload: object, token?: string) => call('POST', '/api/check-ins', { payload: { locationId, ...payload }, token });

/** Tokyo time: every instant below is a local time of the fixture studio. */
const at = (local: string) => new Date(`${local}+09:00`);
const setNow = (local: string) => platform.runtime.clock.set(at(local));

/** A lesson and (unless told otherwise) the member's booked seat on it, written directly: booking has its own module. */
async function lessonWithReservation(memberId: string | null, start: string, opts: { minutes?: number; location?: string } = {}) {
  return inTenant(async (db) => {
    const room = opts.location && opts.location !== locationId
      ? (await db.insertInto('app.rooms').values({ location_id: opts.location, name: `Room ${randomUUID().slice(0, 6)}`, capacity: 10 }).returning('id').executeTakeFirstOrThrow()).id
      : roomId;
    const startsAt = at(start);
    const lesson = await db
      .insertInto('app.lessons')
      .values({ lesson_type_id: lessonTypeId, location_id: opts.location ?? locationId, room_id: room, starts_at: startsAt, ends_at: new Date(startsAt.getTime() + (opts.minutes ?? 60) * 60_000), capacity: 10, booked: memberId ? 1 : 0 })
      .returning('id')
      .executeTakeFirstOrThrow();
    const reservation = memberId
      ? await db.insertInto('app.reservations').values({ lesson_id: lesson.id, member_id: memberId, source: 'staff', actor_kind: 'system' }).returning('id').executeTakeFirstOrThrow()
      : null;
    return { lessonId: lesson.id, reservationId: reservation?.id ?? null };
  });
}
const reservationRow = (id: string) => inTenant((db) => db.selectFrom('app.reservations').select(['status', 'checked_in_at']).where('id', '=', id).executeTakeFirstOrThrow());
const checkInCount = () => inTenant(async (db) => Number((await db.selectFrom('app.check_ins').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n));
const newMember = async (familyName: string) => (await ok(call('POST', '/api/members', { payload: { familyName } }), 201)).id as string;

beforeAll(async () => {
  platform = await startTestPlatform();
  A = await populateTenant(platform, await platform.createTenant());
  B = await populateTenant(platform, await platform.createTenant());
  locationId = (await ok(call('POST', '/api/locations', { payload: { name: 'Desk studio' } }), 201)).id;
  otherLocationId = (await ok(call('POST', '/api/locations', { payload: { name: 'Annex' } }), 201)).id;
  lessonTypeId = (await ok(call('POST', '/api/lesson-types', { payload: { name: 'Pilates', durationMinutes: 60 } }), 201)).id;
  roomId = await inTenant(async (db) => (await db.insertInto('app.rooms').values({ location_id: locationId, name: 'Room 1', capacity: 10 }).returning('id').executeTakeFirstOrThrow()).id);
});
beforeEach(() => setNow('2030-05-10T10:00:00'));
afterAll(() => platform?.close());

describe('the check-in code', () => {
  it('is a fresh signed code each time that the desk accepts, for the member or a family member they lead', async () => {
    const first = await codeFor();
    const second = await codeFor();
    expect(first.token).toMatch(/^v1\.[A-Za-z0-9_-]{64}\.[A-Za-z0-9_-]{43}$/);
    expect(second.token).not.toBe(first.token);
    expect(first).toMatchObject({ memberId: A.memberId, expiresAt: '2030-05-10T01:30:00.000Z' });

    const res = await ok(scan({ token: first.token }));
    expect(res).toMatchObject({ method: 'qr', walkIn: true, lesson: null, alreadyCheckedIn: false, locationId, member: { id: A.memberId, familyName: '佐藤' } });
    expect(res.checkedInAt).toBe('2030-05-10T01:00:00.000Z');

    const me = await ok(call('GET', '/api/me', { token: A.memberToken }));
    const kid = me.family.members[0].id;
    const kidCode = await codeFor(A, kid);
    expect(kidCode.memberId).toBe(kid);
    expect((await ok(scan({ token: kidCode.token }))).member.id).toBe(kid);
    // Anyone outside the family is not found.
    const stranger = await newMember('他人');
    expect((await call('GET', `/api/me/check-in-code?memberId=${stranger}`, { token: A.memberToken })).statusCode).toBe(404);
  });

  it('refuses a tampered, expired, malformed or other studio’s code with a reason, recording nothing', async () => {
    const { token } = await codeFor();
    const before = await checkInCount();
    const [v, payload, mac] = token.split('.');
    const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
    const refusals: Array<[string, string]> = [
      [`${v}.${flip(payload!, 40)}.${mac}`, 'invalid_token'],
      [`${v}.${payload}.${flip(mac!, 5)}`, 'invalid_token'],
      ['not-a-code', 'invalid_token'],
      [(await codeFor(B)).token, 'other_studio'],
    ];
    for (const [bad, reason] of refusals) {
      const res = await scan({ token: bad });
      expect(res.statusCode, bad).toBe(422);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json()).toMatchObject({ code: 'unprocessable', reason });
    }
    // The desk is answered in the studio's language, Japanese.
    expect((await scan({ token: (await codeFor(B)).token })).json().detail).toBe('このチェックインコードは別のスタジオのものです。');
    // B's code rewritten to name A does not verify here: A's key did not sign it.
    const [bv, bPayload, bMac] = (await codeFor(B)).token.split('.');
    const renamed = Buffer.from(bPayload!, 'base64url');
    Buffer.from(A.id.replaceAll('-', ''), 'hex').copy(renamed, 0);
    expect((await scan({ token: `${bv}.${renamed.toString('base64url')}.${bMac}` })).json()).toMatchObject({ reason: 'invalid_token' });

    setNow('2030-05-10T10:30:00');
    const expired = await scan({ token });
    expect(expired.statusCode).toBe(422);
    expect(expired.json()).toMatchObject({ reason: 'expired_token' });
    expect(expired.json().detail).toMatch(/有効期限が切れています。会員の方に新しいコードを表示/);
    expect(await checkInCount()).toBe(before);
  });
});

describe('scanning at the desk', () => {
  it('marks the booked lesson open for check-in attended, once, however often the code is scanned', async () => {
    const member = await newMember('出席');
    const later = await lessonWithReservation(member, '2030-05-10T12:00:00');
    const now = await lessonWithReservation(member, '2030-05-10T10:30:00');
    const key = randomUUID();
    const first = await ok(call('POST', '/api/check-ins', { payload: { memberId: member, locationId }, key }));
    expect(first).toMatchObject({ method: 'manual', walkIn: false, alreadyCheckedIn: false, lesson: { id: now.lessonId, reservationId: now.reservationId, name: 'Pilates', startsAt: '2030-05-10T01:30:00.000Z' } });
    expect(await reservationRow(now.reservationId!)).toEqual({ status: 'attended', checked_in_at: at('2030-05-10T10:00:00') });
    expect((await reservationRow(later.reservationId!)).status).toBe('booked');

    // A retry with the same key is the same answer; a second scan finds the first check-in.
    const retry = await call('POST', '/api/check-ins', { payload: { memberId: member, locationId }, key });
    expect(retry.headers['idempotent-replayed']).toBe('true');
    setNow('2030-05-10T10:05:00');
    const again = await ok(scan({ memberId: member }));
    expect(again).toMatchObject({ id: first.id, alreadyCheckedIn: true, checkedInAt: first.checkedInAt });
    const parallel = await Promise.all([scan({ memberId: member }), scan({ memberId: member })]);
    expect(parallel.map((r) => r.json().id)).toEqual([first.id, first.id]);
    const rows = await inTenant((db) => db.selectFrom('app.check_ins').select('id').where('reservation_id', '=', now.reservationId).execute());
    expect(rows).toHaveLength(1);

    // Between the two lessons (the first still open), the next scan is for the next booked one.
    setNow('2030-05-10T11:15:00');
    expect((await ok(scan({ memberId: member }))).lesson.id).toBe(later.lessonId);
  });

  it('records a walk-in when no booked lesson here is open for check-in, and leaves reservations alone', async () => {
    const member = await newMember('歩入');
    const tooEarly = await lessonWithReservation(member, '2030-05-10T11:30:00');
    const over = await lessonWithReservation(member, '2030-05-10T08:00:00');
    const elsewhere = await lessonWithReservation(member, '2030-05-10T10:15:00', { location: otherLocationId });
    const tomorrow = await lessonWithReservation(member, '2030-05-11T10:00:00');
    const res = await ok(scan({ memberId: member }));
    expect(res).toMatchObject({ walkIn: true, lesson: null, alreadyCheckedIn: false });
    for (const r of [tooEarly, over, elsewhere, tomorrow]) expect((await reservationRow(r.reservationId!)).status).toBe('booked');
    // Walk-ins are not deduplicated: each arrival is recorded.
    const second = await ok(scan({ memberId: member }));
    expect(second.id).not.toBe(res.id);
    // The window opens 60 minutes before the start.
    setNow('2030-05-10T10:30:00');
    expect((await ok(scan({ memberId: member }))).lesson.id).toBe(tooEarly.lessonId);
  });

  it('checks in for a named lesson outside its window, and refuses one the member has not booked', async () => {
    const member = await newMember('指定');
    const evening = await lessonWithReservation(member, '2030-05-10T19:00:00');
    const unbooked = await lessonWithReservation(null, '2030-05-10T10:30:00');
    const before = await checkInCount();
    const refused = await scan({ memberId: member, lessonId: unbooked.lessonId });
    expect(refused.statusCode).toBe(422);
    expect(refused.json()).toMatchObject({ reason: 'no_reservation' });
    const wrongDesk = await scan({ memberId: member, lessonId: evening.lessonId, locationId: otherLocationId });
    expect(wrongDesk.json()).toMatchObject({ reason: 'other_location' });
    expect(await checkInCount()).toBe(before);
    expect((await scan({ memberId: member, lessonId: randomUUID() })).statusCode).toBe(404);
    expect((await ok(scan({ memberId: member, lessonId: evening.lessonId }))).lesson.id).toBe(evening.lessonId);
    expect((await reservationRow(evening.reservationId!)).status).toBe('attended');
  });

  it('records a cancelled member and tells the desk; an unknown member or location is 404', async () => {
    const member = await newMember('退会');
    await inTenant((db) =>
      db.insertInto('app.member_status_events').values({ member_id: member, from_status: 'provisional', to_status: 'cancelled', effective_on: '2030-05-01', actor_kind: 'system' }).execute(),
    );
    const res = await ok(scan({ memberId: member }));
    expect(res.member.status).toBe('cancelled');
    expect(res.notice).toBe('この会員は退会済みです。');
    expect((await scan({ memberId: randomUUID() })).statusCode).toBe(404);
    expect((await scan({ memberId: member, locationId: randomUUID() })).statusCode).toBe(404);
  });

  it('refuses B’s ids: member, location and lesson', async () => {
    const bMember = await inTenant((db) => db.selectFrom('app.members').select('id').executeTakeFirstOrThrow(), B);
    const bLocation = await inTenant((db) => db.selectFrom('app.locations').select('id').executeTakeFirstOrThrow(), B);
    const before = await checkInCount();
    expect((await scan({ memberId: bMember.id })).statusCode).toBe(404);
    expect((await scan({ memberId: A.memberId, locationId: bLocation.id })).statusCode).toBe(404);
    expect((await call('GET', `/api/members/${bMember.id}/check-ins`)).statusCode).toBe(404);
    expect(await checkInCount()).toBe(before);
  });

  it('is for the desk: instructors, members and unsigned callers are refused; bad input is problem+json and changes nothing', async () => {
    const key = async (role: string) => (await ok(call('POST', '/api/api-keys', { payload: { name: `k-${role}`, role } }), 201)).key as string;
    const instructor = await key('instructor');
    const desk = await key('front_desk');
    const before = await checkInCount();
    expect((await scan({ memberId: A.memberId }, instructor)).statusCode).toBe(403);
    expect((await scan({ memberId: A.memberId }, A.memberToken)).statusCode).toBe(403);
    expect((await call('GET', '/api/check-ins', { token: A.memberToken })).statusCode).toBe(403);
    expect((await call('GET', '/api/me/check-in-code', { token: A.ownerToken })).statusCode).toBe(403);
    expect((await platform.call(A, { method: 'POST', url: '/api/check-ins', payload: { memberId: A.memberId, locationId } })).statusCode).toBe(401);

    const invalid: object[] = [{ memberId: A.memberId, token: 'v1.x.y' }, {}, { memberId: 'nope' }, { memberId: A.memberId, extra: 1 }];
    for (const payload of invalid) {
      const res = await scan(payload, desk);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json().code).toBe('validation_failed');
    }
    const noLocation = await call('POST', '/api/check-ins', { payload: { memberId: A.memberId }, token: desk });
    expect(noLocation.json().errors[0]).toMatchObject({ path: 'locationId' });
    const noKey = await platform.call(A, { method: 'POST', url: '/api/check-ins', token: desk, payload: { memberId: A.memberId, locationId } });
    expect(noKey.statusCode).toBe(400);
    expect(await checkInCount()).toBe(before);
    expect((await ok(scan({ memberId: A.memberId }, desk))).method).toBe('manual');
    expect((await ok(call('GET', `/api/members/${A.memberId}/check-ins`, { token: instructor }))).items.length).toBeGreaterThan(0);
  });
});

describe('check-in lists', () => {
  it('shows a day at a location, a member’s history and my own', async () => {
    setNow('2030-06-02T09:00:00');
    const member = await newMember('一覧');
    const lesson = await lessonWithReservation(member, '2030-06-02T09:30:00');
    await ok(scan({ memberId: member }));
    setNow('2030-06-02T23:30:00');
    await ok(scan({ memberId: member }));
    await ok(call('POST', '/api/check-ins', { payload: { memberId: member, locationId: otherLocationId } }));
    setNow('2030-06-03T00:10:00');
    await ok(scan({ memberId: member }));

    const day = await ok(call('GET', `/api/check-ins?date=2030-06-02&locationId=${locationId}`));
    expect(day.items.map((c: { walkIn: boolean; lesson: { id: string } | null }) => (c.walkIn ? 'walk-in' : c.lesson!.id))).toEqual([lesson.lessonId, 'walk-in']);
    expect((await ok(call('GET', '/api/check-ins?date=2030-06-02'))).items).toHaveLength(3);
    // Today (the studio's) when no date is given.
    expect((await ok(call('GET', '/api/check-ins'))).items).toHaveLength(1);
    const history = await ok(call('GET', `/api/members/${member}/check-ins`));
    expect(history.items.map((c: { checkedInAt: string }) => c.checkedInAt)).toEqual([
      '2030-06-02T15:10:00.000Z', '2030-06-02T14:30:00.000Z', '2030-06-02T14:30:00.000Z', '2030-06-02T00:00:00.000Z',
    ]);
    const mine = await ok(call('GET', '/api/me/check-ins', { token: A.memberToken }));
    expect(mine.items.length).toBeGreaterThan(0);
    expect(mine.items.every((c: { member: { id: string } }) => c.member.id === A.memberId)).toBe(true);
    const bad = await call('GET', '/api/check-ins?date=2030-02-30');
    expect(bad.statusCode).toBe(400);
  });
});
