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
let packPlanId: string;

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
/** A provisional member: registered, no contract yet (the desk is warned). */
const newProspect = async (familyName: string) => (await ok(call('POST', '/api/members', { payload: { familyName } }), 201)).id as string;
/** A member in good standing: a pack bought today, so the desk has nothing to warn about. */
async function newMember(familyName: string) {
  const id = await newProspect(familyName);
  await ok(call('POST', '/api/contracts', { payload: { memberId: id, planId: packPlanId } }), 201);
  return id;
}

beforeAll(async () => {
  platform = await startTestPlatform();
  A = await populateTenant(platform, await platform.createTenant());
  B = await populateTenant(platform, await platform.createTenant());
  locationId = (await ok(call('POST', '/api/locations', { payload: { name: 'Desk studio' } }), 201)).id;
  otherLocationId = (await ok(call('POST', '/api/locations', { payload: { name: 'Annex' } }), 201)).id;
  lessonTypeId = (await ok(call('POST', '/api/lesson-types', { payload: { name: 'Pilates', durationMinutes: 60 } }), 201)).id;
  packPlanId = (await ok(call('GET', '/api/plans'))).items.find((p: { kind: string }) => p.kind === 'pack').id;
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
    // The child has no contract (provisional): the desk sees why before checking them in anyway.
    const unacknowledged = await scan({ token: kidCode.token });
    expect(unacknowledged.statusCode).toBe(422);
    expect(unacknowledged.json()).toMatchObject({ reason: 'needs_acknowledge', warnings: ['provisional'] });
    expect((await ok(scan({ token: kidCode.token, acknowledge: true }))).member.id).toBe(kid);
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
    // One walk-in a day: a second arrival finds the first.
    const second = await ok(scan({ memberId: member }));
    expect(second).toMatchObject({ id: res.id, alreadyCheckedIn: true, checkedInAt: res.checkedInAt });
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
    const before = await checkInCount();
    const refused = await scan({ memberId: member });
    expect(refused.statusCode).toBe(422);
    expect(refused.json()).toMatchObject({ reason: 'needs_acknowledge', warnings: ['cancelled'] });
    expect(refused.json().detail).toContain('この会員は退会済みです。');
    expect(await checkInCount()).toBe(before);
    const res = await ok(scan({ memberId: member, acknowledge: true }));
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
    expect((await ok(scan({ memberId: await newMember('受付') }, desk))).method).toBe('manual');
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
    const walkIn = await ok(scan({ memberId: member }));
    // The same local day at another location: the member's walk-in of the day is already recorded.
    const elsewhere = await ok(call('POST', '/api/check-ins', { payload: { memberId: member, locationId: otherLocationId } }));
    expect(elsewhere).toMatchObject({ id: walkIn.id, alreadyCheckedIn: true, locationId });
    setNow('2030-06-03T00:10:00');
    await ok(scan({ memberId: member }));

    const day = await ok(call('GET', `/api/check-ins?date=2030-06-02&locationId=${locationId}`));
    expect(day.items.map((c: { walkIn: boolean; lesson: { id: string } | null }) => (c.walkIn ? 'walk-in' : c.lesson!.id))).toEqual([lesson.lessonId, 'walk-in']);
    expect((await ok(call('GET', '/api/check-ins?date=2030-06-02'))).items).toHaveLength(2);
    // Today (the studio's) when no date is given.
    expect((await ok(call('GET', '/api/check-ins'))).items).toHaveLength(1);
    const history = await ok(call('GET', `/api/members/${member}/check-ins`));
    expect(history.items.map((c: { checkedInAt: string }) => c.checkedInAt)).toEqual([
      '2030-06-02T15:10:00.000Z', '2030-06-02T14:30:00.000Z', '2030-06-02T00:00:00.000Z',
    ]);
    const mine = await ok(call('GET', '/api/me/check-ins', { token: A.memberToken }));
    expect(mine.items.length).toBeGreaterThan(0);
    expect(mine.items.every((c: { member: { id: string } }) => c.member.id === A.memberId)).toBe(true);
    const bad = await call('GET', '/api/check-ins?date=2030-02-30');
    expect(bad.statusCode).toBe(400);
  });
});

describe('walk-ins', () => {
  it('records one per member and local day of the studio, even from two desks at once, and the database holds to it', async () => {
    const member = await newMember('同時');
    const both = await Promise.all([scan({ memberId: member }), scan({ memberId: member }), call('POST', '/api/check-ins', { payload: { memberId: member, locationId: otherLocationId } })]);
    const answers = both.map((r) => r.json());
    expect(both.map((r) => r.statusCode)).toEqual([200, 200, 200]);
    expect(new Set(answers.map((a) => a.id)).size).toBe(1);
    expect(answers.filter((a) => !a.alreadyCheckedIn)).toHaveLength(1);
    const rows = () => inTenant((db) => db.selectFrom('app.check_ins').select(['id', 'walk_in_day']).where('member_id', '=', member).execute());
    expect(await rows()).toEqual([{ id: answers[0].id, walk_in_day: '2030-05-10' }]);

    // Without the service's lock, the unique index still refuses a second walk-in of that day.
    const copy = inTenant((db) =>
      db.insertInto('app.check_ins').values({ member_id: member, location_id: locationId, method: 'manual', actor_kind: 'system', walk_in_day: '2030-05-10' }).execute(),
    );
    await expect(copy).rejects.toMatchObject({ code: '23505' });

    // Tokyo's next day starts at 15:00 UTC: 00:05 local is a new day, and a new walk-in.
    setNow('2030-05-11T00:05:00');
    const next = await ok(scan({ memberId: member }));
    expect(next).toMatchObject({ alreadyCheckedIn: false, walkIn: true });
    expect((await rows()).map((r) => r.walk_in_day).sort()).toEqual(['2030-05-10', '2030-05-11']);
  });
});

describe('before the check-in', () => {
  it('shows the member at a glance: status, plan, credits, today’s lessons here and what the check-in would record', async () => {
    const member = await newMember('一目');
    const now = await lessonWithReservation(member, '2030-05-10T10:30:00');
    const evening = await lessonWithReservation(member, '2030-05-10T19:00:00');
    await lessonWithReservation(member, '2030-05-10T11:00:00', { location: otherLocationId });
    const before = await checkInCount();
    const glance = await ok(call('POST', '/api/check-ins/preview', { payload: { memberId: member, locationId } }));
    expect(glance).toMatchObject({
      member: { id: member, familyName: '一目', status: 'active' },
      contracts: [{ kind: 'pack', planName: '5 lessons', onLeave: false }],
      creditsAvailable: 5,
      checkInFor: { lessonId: now.lessonId, name: 'Pilates', startsAt: '2030-05-10T01:30:00.000Z' },
      alreadyCheckedIn: null,
      warnings: [],
    });
    expect(glance.bookingsToday.map((b: { lessonId: string; status: string }) => [b.lessonId, b.status])).toEqual([[now.lessonId, 'booked'], [evening.lessonId, 'booked']]);
    expect(await checkInCount()).toBe(before);

    const done = await ok(scan({ memberId: member }));
    const after = await ok(call('POST', '/api/check-ins/preview', { payload: { memberId: member, locationId } }));
    expect(after.alreadyCheckedIn).toMatchObject({ id: done.id, checkedInAt: '2030-05-10T01:00:00.000Z' });
    expect(after.bookingsToday[0].status).toBe('attended');
    // With a scanned code, as the desk does it.
    const code = await codeFor();
    expect((await ok(call('POST', '/api/check-ins/preview', { payload: { token: code.token, locationId } }))).member.id).toBe(A.memberId);
  });

  it('names every warning, and a check-in of a warned member needs the desk’s acknowledgement', async () => {
    const member = await newMember('警告');
    await inTenant(async (db) => {
      await db.insertInto('app.booking_blocks').values({ member_id: member, starts_at: at('2030-05-09T12:00:00'), ends_at: at('2030-05-20T12:00:00'), reason: 'Two no-shows' }).execute();
      // Last month's fee, open past its due day.
      await db.insertInto('app.invoices').values({ billing_member_id: member, period: '2030-04-01', status: 'open', number: 990_001, issued_on: '2030-04-01', subtotal_excluding_tax: 8000, tax_total: 800, total: 8800, due_on: '2030-04-27' }).execute();
    });
    const glance = await ok(call('POST', '/api/check-ins/preview', { payload: { memberId: member, locationId } }));
    expect(glance.warnings.map((w: { code: string }) => w.code)).toEqual(['overdue_invoice', 'booking_blocked']);
    expect(glance.warnings[1].message).toBe('2030年5月20日(月)まで予約が停止されています。');

    const before = await checkInCount();
    const refused = await call('POST', '/api/check-ins', { payload: { memberId: member, locationId }, key: randomUUID() });
    expect(refused.statusCode).toBe(422);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.json()).toMatchObject({ code: 'unprocessable', reason: 'needs_acknowledge', warnings: ['overdue_invoice', 'booking_blocked'] });
    expect(refused.json().detail).toContain('支払期限を過ぎた請求が1件あります。');
    const english = await platform.call(A, { method: 'POST', url: '/api/check-ins', token: A.ownerToken, payload: { memberId: member, locationId }, headers: { 'idempotency-key': randomUUID(), 'accept-language': 'en' } });
    expect(english.json().detail).toMatch(/^Check before checking in: An invoice is overdue: ask the member to pay; Booking is blocked until/);
    expect((await scan({ memberId: member, acknowledge: false })).statusCode).toBe(422);
    expect(await checkInCount()).toBe(before);

    const done = await ok(scan({ memberId: member, acknowledge: true }));
    expect(done).toMatchObject({ alreadyCheckedIn: false, walkIn: true });
    // Already recorded: the answer says so without asking again.
    expect(await ok(scan({ memberId: member }))).toMatchObject({ id: done.id, alreadyCheckedIn: true });
  });

  it('warns of a member on leave, by status or by a leave of every running contract', async () => {
    const byStatus = await newMember('休会');
    await inTenant((db) =>
      db.insertInto('app.member_status_events').values({ member_id: byStatus, from_status: 'active', to_status: 'on_leave', effective_on: '2030-05-01', actor_kind: 'system' }).execute(),
    );
    const glance = await ok(call('POST', '/api/check-ins/preview', { payload: { memberId: byStatus, locationId } }));
    expect(glance.member.status).toBe('on_leave');
    expect(glance.warnings).toEqual([{ code: 'on_leave', message: 'この会員は休会中です。' }]);

    const byLeave = await newMember('休会中');
    await inTenant(async (db) => {
      const contract = await db.selectFrom('app.contracts').select('id').where('member_id', '=', byLeave).executeTakeFirstOrThrow();
      await db.insertInto('app.contract_leaves').values({ contract_id: contract.id, from_month: '2030-05-01', reason: 'Travel' }).execute();
    });
    const leave = await ok(call('POST', '/api/check-ins/preview', { payload: { memberId: byLeave, locationId } }));
    expect(leave.contracts).toMatchObject([{ onLeave: true }]);
    expect(leave.warnings.map((w: { code: string }) => w.code)).toEqual(['on_leave']);
    expect((await scan({ memberId: byLeave })).json()).toMatchObject({ reason: 'needs_acknowledge', warnings: ['on_leave'] });
  });
});
