import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform, type TestTenant } from '../../../test/support/platform.js';
import { expectRefused } from '../../../test/support/refused.js';
import { addLesson, bookingStudio, inTenant, memberWithSession, staffApi, type BookingStudio } from '../../../test/support/booking.js';
import { runReservationUpkeep } from './upkeep.js';
import { signingKeys } from '../../platform/auth/signing-keys.js';

let platform: TestPlatform;
let tenant: TestTenant;
let studio: BookingStudio;
let admin: pg.Client;
let staff: ReturnType<typeof staffApi>;

const HOUR = 3_600_000;
/** Tokyo local time to an instant. */
const tokyo = (local: string) => new Date(`${local}+09:00`);
const setNow = (local: string) => platform.runtime.clock.set(tokyo(local));
const upkeep = () => runReservationUpkeep(platform.runtime, tenant.id, platform.runtime.clock.now());
const lessonAt = (local: string, capacity = 1) => addLesson(platform, tenant, studio, { startsAt: tokyo(local), capacity });
const balance = async (memberId: string) => (await staff.ok('GET', `/api/members/${memberId}/credits`)).available as number;
const seats = async (lessonId: string) => (await admin.query(`select booked, held from app.lessons where id = $1`, [lessonId])).rows[0];
const member = () => memberWithSession(platform, tenant, studio);

/** A refusal: problem+json with the reason, and nothing in the tenant's rows changed. */
const refused = (send: Parameters<typeof expectRefused>[2], status: number, reason: string) => expectRefused(admin, tenant.id, send, status, { reason });

beforeAll(async () => {
  platform = await startTestPlatform();
  setNow('2026-12-01T10:00:00');
  tenant = await platform.createTenant();
  admin = await platform.admin();
  staff = staffApi(platform, tenant);
  studio = await bookingStudio(platform, tenant);
});
afterAll(async () => {
  platform.runtime.clock.set(null);
  await platform?.close();
});

describe('booking from the phone', () => {
  it('lists the bookings that stand as coming, with their free-cancel deadline, and the rest as history', async () => {
    setNow('2026-12-02T12:00:00');
    const m = await member();
    const [kept, dropped, called] = [await lessonAt('2026-12-09T09:00:00', 5), await lessonAt('2026-12-09T11:00:00', 5), await lessonAt('2026-12-09T13:00:00', 5)];
    const ids: Record<string, string> = {};
    for (const lessonId of [kept, dropped, called]) ids[lessonId] = (await m.send('POST', '/api/me/reservations', { lessonId })).json().reservation.id;
    expect((await m.send('POST', `/api/me/reservations/${ids[dropped]}/cancel`)).statusCode).toBe(200);
    await staff.ok('POST', `/api/lessons/${called}/cancel`, { reason: 'Instructor ill' }, 200);
    const coming = (await m.send('GET', '/api/me/reservations?scope=upcoming')).json().items;
    // The studio's default: free until 180 minutes before.
    expect(coming.map((r: { lessonId: string; cancelDeadline: string }) => [r.lessonId, r.cancelDeadline])).toEqual([[kept, tokyo('2026-12-09T06:00:00').toISOString()]]);
    const history = (await m.send('GET', '/api/me/reservations?scope=past')).json().items;
    expect(history.map((r: { lessonId: string; status: string; cancelDeadline: null }) => [r.lessonId, r.status, r.cancelDeadline]).sort()).toEqual(
      [[dropped, 'cancelled', null], [called, 'released', null]].sort(), // a lesson the studio cancelled releases its bookings
    );
  });

  it('gives a booking as an .ics file, and a private calendar feed that follows bookings and cancellations', async () => {
    setNow('2026-12-02T12:00:00');
    const m = await member();
    const lessonId = await lessonAt('2026-12-09T18:30:00', 5);
    const booking = (await m.send('POST', '/api/me/reservations', { lessonId })).json().reservation;
    const ics = await m.send('GET', `/api/me/reservations/${booking.id}/calendar`);
    expect(ics.statusCode).toBe(200);
    expect(ics.headers['content-type']).toBe('text/calendar; charset=utf-8');
    expect(ics.body).toContain(`UID:${booking.id}@${tenant.slug}.studiohive`);
    expect(ics.body).toContain('DTSTART:20261209T093000Z');
    expect(ics.body).toContain('STATUS:CONFIRMED');
    // Another member's booking is not theirs to download.
    expect((await (await member()).send('GET', `/api/me/reservations/${booking.id}/calendar`)).statusCode).toBe(404);

    const { url } = (await m.send('GET', '/api/me/calendar-feed')).json();
    expect(url).toMatch(new RegExp(`^http://${tenant.slug}\\.studiohive\\.test(:\\d+)?/api/calendar-feeds/c1\\.`));
    const feedPath = new URL(url).pathname;
    const feed = () => platform.call(tenant, { method: 'GET', url: feedPath });
    expect((await feed()).body).toMatch(new RegExp(`UID:${booking.id}@[^]*STATUS:CONFIRMED`));
    expect((await m.send('POST', `/api/me/reservations/${booking.id}/cancel`)).statusCode).toBe(200);
    expect((await feed()).body).toMatch(new RegExp(`UID:${booking.id}@[^]*STATUS:CANCELLED`));
    // The address is the key: changed, or taken to another studio, it opens nothing.
    const token = feedPath.split('/').pop()!;
    const forged = `${token.slice(0, -2)}${token.at(-2) === 'A' ? 'B' : 'A'}${token.at(-1)}`;
    expect((await platform.call(tenant, { method: 'GET', url: `/api/calendar-feeds/${forged}` })).statusCode).toBe(404);
    // The other studio has a calendar key of its own (made when one of its members asked for an address).
    const other = await platform.createTenant();
    await inTenant(platform, other, (db) => signingKeys.ensure(db, 'calendar_feed'));
    expect((await platform.call(other, { method: 'GET', url: feedPath })).statusCode).toBe(404);
  });

  it('narrows the timetable by instructor, offers the studio\'s choices, and says how far ahead bookings go', async () => {
    setNow('2026-12-02T12:00:00');
    const m = await member();
    const [taught, other] = [await lessonAt('2026-12-10T09:00:00', 5), await lessonAt('2026-12-10T10:00:00', 5)];
    const instructorId = await inTenant(platform, tenant, async (db) => {
      const { id } = await db.insertInto('app.instructors').values({ display_name: '田中 先生' }).returning('id').executeTakeFirstOrThrow();
      await db.updateTable('app.lessons').set({ instructor_id: id }).where('id', '=', taught).execute();
      return id;
    });
    const day = (query = '') => m.send('GET', `/api/me/schedule?from=2026-12-10&days=1${query}`);
    const all = (await day()).json();
    expect(all.lessons.map((l: { id: string }) => l.id)).toEqual(expect.arrayContaining([taught, other]));
    expect(all.choices.instructors).toContainEqual({ id: instructorId, name: '田中 先生' });
    expect(all.choices.lessonTypes.map((t: { id: string }) => t.id)).toContain(studio.lessonTypeId);
    // Booking opens 7 days ahead by default: the timetable pages up to 2026-12-09 (Tokyo's today is the 2nd).
    expect(all.lastBookableDay).toBe('2026-12-09');
    expect((await day(`&instructorId=${instructorId}`)).json().lessons.map((l: { id: string }) => l.id)).toEqual([taught]);
    expect((await day('&instructorId=not-a-uuid')).statusCode).toBe(400);
  });

  it('gives the credits back when the studio cancels the lesson, and its preview counts them first', async () => {
    setNow('2026-12-01T12:00:00');
    const [a, b] = [await member(), await member()];
    const lessonId = await lessonAt('2026-12-08T10:00:00', 5);
    for (const m of [a, b]) expect((await m.send('POST', '/api/me/reservations', { lessonId })).statusCode).toBe(201);
    expect([await balance(a.memberId), await balance(b.memberId)]).toEqual([9, 9]);
    const preview = await staff.ok('POST', `/api/lessons/${lessonId}/cancel/preview`, { reason: 'Instructor ill' }, 200);
    expect(preview.released).toEqual({ lessons: 1, reservations: 2, credits: 2, waitlist: 0 });
    expect([await balance(a.memberId), await balance(b.memberId)]).toEqual([9, 9]);
    const cancelled = await staff.ok('POST', `/api/lessons/${lessonId}/cancel`, { reason: 'Instructor ill' }, 200);
    expect(cancelled.released).toEqual(preview.released);
    expect([await balance(a.memberId), await balance(b.memberId)]).toEqual([10, 10]);
  });

  it('opens at the window, books with a credit, cancels in time with the credit back, late with it kept', async () => {
    setNow('2026-12-01T10:00:00');
    const m = await member();
    const lessonId = await lessonAt('2026-12-08T10:00:00', 5);
    // Booking opens 7 days before at 12:00: 2026-12-01 12:00.
    const schedule = (await m.send('GET', '/api/me/schedule?from=2026-12-08&days=1')).json();
    expect(schedule.lessons.find((l: { id: string }) => l.id === lessonId).me).toEqual({ state: 'opens', opensAt: tokyo('2026-12-01T12:00:00').toISOString(), queueOpensAt: null });
    await refused(() => m.send('POST', '/api/me/reservations', { lessonId }), 422, 'not_open_yet');

    setNow('2026-12-01T12:00:00');
    const booked = await m.send('POST', '/api/me/reservations', { lessonId });
    expect(booked.statusCode, booked.body).toBe(201);
    expect(booked.json()).toMatchObject({ outcome: 'booked', reservation: { status: 'booked', creditsUsed: 1 } });
    expect(await balance(m.memberId)).toBe(9);
    await refused(() => m.send('POST', '/api/me/reservations', { lessonId }), 409, 'already_booked');
    const mine = (await m.send('GET', '/api/me/schedule?from=2026-12-08&days=1')).json().lessons.find((l: { id: string }) => l.id === lessonId);
    expect(mine).toMatchObject({ seatsLeft: 4, me: { state: 'booked', reservationId: booked.json().reservation.id } });

    const cancelled = (await m.send('POST', `/api/me/reservations/${booked.json().reservation.id}/cancel`)).json();
    expect(cancelled).toMatchObject({ late: false, creditRefunded: true, penalty: { kind: 'none' } });
    expect(await balance(m.memberId)).toBe(10);
    expect(await seats(lessonId)).toEqual({ booked: 0, held: 0 });

    // The deadline is 3 hours before: at 08:00 on the day, a cancellation is late and the credit is kept.
    const again = (await m.send('POST', '/api/me/reservations', { lessonId })).json();
    setNow('2026-12-08T08:00:00');
    const late = (await m.send('POST', `/api/me/reservations/${again.reservation.id}/cancel`)).json();
    expect(late).toMatchObject({ late: true, creditRefunded: false, penalty: { kind: 'lose_credit', amount: 1 } });
    expect(await balance(m.memberId)).toBe(9);
    expect((await staff.ok('GET', `/api/members/${m.memberId}/penalties`)).items).toHaveLength(1);
    // A manager waives it: the credit comes back.
    const penaltyId = (await staff.ok('GET', `/api/members/${m.memberId}/penalties`)).items[0].id;
    expect((await staff.ok('POST', `/api/members/${m.memberId}/penalty-waivers`, { penaltyId }, 200)).items[0].waived).toBe(true);
    expect(await balance(m.memberId)).toBe(10);
  });

  it('says why a member may not book, and changes nothing', async () => {
    setNow('2026-12-02T12:00:00');
    const m = await member();
    const lessonId = await lessonAt('2026-12-05T18:00:00', 5);
    // No credit plan covers a lesson after the pack runs out… here: a member with no contract at all.
    const bare = await staff.ok('POST', '/api/members', { familyName: 'No', givenName: 'Plan' });
    await refused(() => staff.send('POST', `/api/lessons/${lessonId}/reservations`, { memberId: bare.id }), 422, 'provisional');
    // An overdue invoice of the member blocks booking.
    const invoice = await inTenant(platform, tenant, (db) =>
      db.insertInto('app.invoices').values({ billing_member_id: m.memberId, period: '2026-11-01', status: 'open', total: 1100, due_on: '2026-11-27', number: 9001, issued_on: '2026-11-01' }).returning('id').executeTakeFirstOrThrow(),
    );
    await refused(() => m.send('POST', '/api/me/reservations', { lessonId }), 422, 'overdue_invoice');
    await inTenant(platform, tenant, (db) => db.updateTable('app.invoices').set({ status: 'paid', amount_paid: 1100 }).where('id', '=', invoice.id).execute());
    // A block after strikes.
    await inTenant(platform, tenant, (db) => db.insertInto('app.booking_blocks').values({ member_id: m.memberId, starts_at: platform.runtime.clock.now(), ends_at: tokyo('2026-12-04T00:00:00'), reason: 'Three no-shows' }).execute());
    // Said in the studio's language (Japanese), with the block's last day as a local date.
    const blocked = await refused(() => m.send('POST', '/api/me/reservations', { lessonId }), 422, 'blocked');
    expect(blocked.detail).toBe('直前キャンセルや無断欠席が続いたため、2026年12月4日(金)まで予約できません。');
    await staff.ok('POST', `/api/members/${m.memberId}/booking-blocks/lift`, undefined, 200);
    // Bad input is a 400 problem, a foreign spot a 422.
    for (const body of [{ lessonId: 'nope' }, { lessonId, extra: 1 }, { lessonId, spot: 0 }]) {
      const bad = await m.send('POST', '/api/me/reservations', body);
      expect(bad.statusCode, bad.body).toBe(400);
      expect(bad.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
    await refused(() => m.send('POST', '/api/me/reservations', { lessonId, spot: 3 }), 422, 'no_such_spot');
    // A lesson at the same time as one already booked.
    const other = await lessonAt('2026-12-05T18:30:00', 5);
    expect((await m.send('POST', '/api/me/reservations', { lessonId })).statusCode).toBe(201);
    await refused(() => m.send('POST', '/api/me/reservations', { lessonId: other }), 409, 'overlapping');
  });
});

describe('the waitlist', () => {
  it('promotes exactly one person, first come first served, when a seat frees days ahead', async () => {
    setNow('2026-12-03T12:00:00');
    const [a, b, c] = [await member(), await member(), await member()];
    const lessonId = await lessonAt('2026-12-07T19:00:00');
    const seat = (await a.send('POST', '/api/me/reservations', { lessonId })).json();
    await refused(() => b.send('POST', '/api/me/reservations', { lessonId }), 409, 'full');
    const bEntry = (await b.send('POST', '/api/me/reservations', { lessonId, joinWaitlist: true })).json();
    expect(bEntry).toMatchObject({ outcome: 'waitlisted', waitlistEntry: { position: 1 } });
    const cEntry = (await c.send('POST', '/api/me/waitlist', { lessonId })).json();
    expect(cEntry.waitlistEntry.position).toBe(2);
    expect((await c.send('GET', '/api/me/schedule?from=2026-12-07&days=1')).json().lessons[0].me).toMatchObject({ state: 'waitlisted', position: 2 });

    await a.send('POST', `/api/me/reservations/${seat.reservation.id}/cancel`);
    // The seat is held for the line: a fresh booker cannot take it.
    expect(await seats(lessonId)).toEqual({ booked: 0, held: 1 });
    const d = await member();
    await refused(() => d.send('POST', '/api/me/reservations', { lessonId }), 409, 'full');

    expect(await upkeep()).toMatchObject({ promoted: 1 });
    expect(await seats(lessonId)).toEqual({ booked: 1, held: 0 });
    expect((await b.send('GET', `/api/me/waitlist/${bEntry.waitlistEntry.id}`)).json()).toMatchObject({ status: 'promoted', position: null });
    expect((await b.send('GET', '/api/me/reservations')).json().items.map((r: { lessonId: string }) => r.lessonId)).toContain(lessonId);
    expect(await balance(b.memberId)).toBe(9);
    expect((await c.send('GET', `/api/me/waitlist/${cEntry.waitlistEntry.id}`)).json()).toMatchObject({ status: 'waiting', position: 1 });
    expect(await upkeep()).toMatchObject({ promoted: 0 });
  });

  it('offers the seat close to the start, pauses offers in quiet hours, and passes a lapsed offer on', async () => {
    setNow('2026-12-10T21:00:00');
    const [a, b, c] = [await member(), await member(), await member()];
    const lessonId = await lessonAt('2026-12-11T10:00:00');
    const seat = (await a.send('POST', '/api/me/reservations', { lessonId })).json();
    const bEntry = (await b.send('POST', '/api/me/reservations', { lessonId, joinWaitlist: true })).json().waitlistEntry;
    const cEntry = (await c.send('POST', '/api/me/reservations', { lessonId, joinWaitlist: true })).json().waitlistEntry;
    setNow('2026-12-10T23:00:00');
    await a.send('POST', `/api/me/reservations/${seat.reservation.id}/cancel`);
    // 11 hours before the start (under 24): an offer, but not at 23:00 — quiet hours until 08:00.
    expect(await upkeep()).toMatchObject({ offered: 0, promoted: 0 });
    setNow('2026-12-11T08:00:00');
    expect(await upkeep()).toMatchObject({ offered: 1 });
    const offer = (await b.send('GET', `/api/me/waitlist/${bEntry.id}`)).json();
    expect(offer).toMatchObject({ status: 'offered', offerExpiresAt: tokyo('2026-12-11T08:30:00').toISOString() });
    expect((await b.send('GET', '/api/me/schedule?from=2026-12-11&days=1')).json().lessons[0].me.state).toBe('offered');
    // Nobody accepts within 30 minutes: the offer lapses and goes to the next in line, who accepts.
    setNow('2026-12-11T08:31:00');
    expect(await upkeep()).toMatchObject({ offersLapsed: 1, offered: 1 });
    await refused(() => b.send('POST', `/api/me/waitlist/${bEntry.id}/accept`), 409, 'no_offer');
    const accepted = await c.send('POST', `/api/me/waitlist/${cEntry.id}/accept`);
    expect(accepted.statusCode, accepted.body).toBe(200);
    expect(accepted.json()).toMatchObject({ reservation: { status: 'booked', source: 'waitlist' }, waitlistEntry: { status: 'promoted' } });
    expect(await seats(lessonId)).toEqual({ booked: 1, held: 0 });
  });

  it('skips someone no longer eligible, and drops an entry when the member books a lesson at the same time', async () => {
    setNow('2026-12-14T12:00:00');
    const [a, b, c] = [await member(), await member(), await member()];
    const lessonId = await lessonAt('2026-12-18T19:00:00');
    const sameTime = await lessonAt('2026-12-18T19:00:00', 5);
    const seat = (await a.send('POST', '/api/me/reservations', { lessonId })).json();
    const bEntry = (await b.send('POST', '/api/me/waitlist', { lessonId })).json().waitlistEntry;
    const cEntry = (await c.send('POST', '/api/me/waitlist', { lessonId })).json().waitlistEntry;
    // b books the other lesson at that time: the waitlist entry is dropped.
    expect((await b.send('POST', '/api/me/reservations', { lessonId: sameTime })).statusCode).toBe(201);
    expect((await b.send('GET', `/api/me/waitlist/${bEntry.id}`)).json().status).toBe('dropped');
    // c spends every credit, so when the seat comes free c is skipped and the seat goes back on sale.
    await staff.ok('POST', `/api/members/${c.memberId}/credits/adjustments`, { amount: -10, reason: 'Test' });
    await a.send('POST', `/api/me/reservations/${seat.reservation.id}/cancel`);
    expect(await upkeep()).toMatchObject({ promoted: 0, skipped: 1 });
    expect((await c.send('GET', `/api/me/waitlist/${cEntry.id}`)).json()).toMatchObject({ status: 'skipped', note: expect.stringMatching(/クレジット/) });
    expect(await seats(lessonId)).toEqual({ booked: 0, held: 0 });
  });
});

describe('after the lesson', () => {
  it('marks no-shows with strikes, and blocks booking after three', async () => {
    setNow('2026-12-20T09:00:00');
    await inTenant(platform, tenant, (db) => db.insertInto('app.tenant_settings').values({ no_show_penalty: 'strike' }).onConflict((oc) => oc.column('tenant_id').doUpdateSet({ no_show_penalty: 'strike' })).execute());
    const m = await member();
    for (const hour of [10, 12, 14]) {
      const lessonId = await lessonAt(`2026-12-20T${hour}:00:00`, 3);
      expect((await staff.send('POST', `/api/lessons/${lessonId}/reservations`, { memberId: m.memberId })).statusCode).toBe(201);
    }
    platform.runtime.clock.set(new Date(tokyo('2026-12-20T15:00:00').getTime()));
    await upkeep();
    const noShows = await admin.query(`select count(*)::int as n from app.reservations where member_id = $1 and status = 'no_show'`, [m.memberId]);
    expect(noShows.rows[0].n).toBe(3);
    const penalties = await staff.ok('GET', `/api/members/${m.memberId}/penalties`);
    expect(penalties.items.map((p: { kind: string }) => p.kind)).toEqual(['strike', 'strike', 'strike']);
    expect(penalties.blockedUntil).toBe(new Date(tokyo('2026-12-20T15:00:00').getTime() + 7 * 24 * HOUR).toISOString());
    expect(await upkeep()).toMatchObject({ noShows: 0 });
    expect((await staff.ok('GET', `/api/members/${m.memberId}/penalties`)).items).toHaveLength(3);
    const next = await lessonAt('2026-12-22T10:00:00', 3);
    await refused(() => m.send('POST', '/api/me/reservations', { lessonId: next }), 422, 'blocked');
    // The member is told, in the studio's language.
    const mail = (await admin.query(`select subject, body from app.outbox where tenant_id = $1 and template = 'booking_blocked'`, [tenant.id])).rows;
    expect(mail).toHaveLength(1);
    expect(mail[0].subject).toBe('ご予約停止のお知らせ');
    expect(mail[0].body).toMatch(/直前キャンセルまたは無断欠席が3回となったため、2026年12月27日\(日\)までご予約を停止しております。/);
  });
});
