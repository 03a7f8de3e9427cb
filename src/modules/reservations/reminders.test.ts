import { describe, expect, it } from 'vitest';
import { mailPlatformSuite } from '../../../test/support/smtp.js';
import type { TestTenant } from '../../../test/support/platform.js';
import { addLesson, bookingStudio, inTenant, memberWithSession, staffApi, type BookingStudio } from '../../../test/support/booking.js';
import { billingDeps, runBilling } from '../billing/billing-run.js';
import { runReminders } from './reminders.js';
import { runReservationUpkeep } from './upkeep.js';

/*
 * What is sent (issue 18): lesson reminders, the waitlist offer's Accept link, a freed seat, "booking opens soon" for
 * a followed series, and the monthly invoice. Real PostgreSQL, a real SMTP server, the platform's clock.
 */
const suite = mailPlatformSuite();

/** Tokyo local time to an instant. */
const tokyo = (local: string) => new Date(`${local}+09:00`);
const setNow = (local: string) => suite.platform.runtime.clock.set(tokyo(local));

interface Studio {
  tenant: TestTenant;
  booking: BookingStudio;
  staff: ReturnType<typeof staffApi>;
}

async function studio(): Promise<Studio> {
  setNow('2026-12-01T10:00:00');
  const tenant = await suite.platform.createTenant();
  return { tenant, booking: await bookingStudio(suite.platform, tenant), staff: staffApi(suite.platform, tenant) };
}

/** The messages of a kind queued for a member. */
const sent = async (s: Studio, memberId: string, kind: string) =>
  (
    await suite.admin.query(`select channel, subject, body, link, optional, next_attempt_at from app.outbox where tenant_id = $1 and member_id = $2 and template = $3 order by created_at`, [
      s.tenant.id,
      memberId,
      kind,
    ])
  ).rows;

/** Sends the studio's outbox to the SMTP server and returns what arrived for an address with a subject so begun. */
async function delivered(s: Studio, to: string, subject: string) {
  suite.smtp.received.length = 0;
  // Rows are due from the database's own now(), which may be after the test's clock: deliver at the real time.
  const clock = suite.platform.runtime.clock.now();
  suite.platform.runtime.clock.set(null);
  for (let i = 0; i < 20 && (await suite.platform.runtime.messaging.deliver(s.tenant.id)).more; i += 1);
  suite.platform.runtime.clock.set(clock);
  return suite.smtp.received.filter((m) => m.subject?.startsWith(subject) && m.to && !Array.isArray(m.to) && m.to.value.some((v) => v.address === to));
}

const url = (s: Studio, path: string) => `${suite.platform.runtime.tenantUrl(s.tenant)}${path}`;

describe('lesson reminders', () => {
  it('reminds each booked member once, N hours before, and nobody who cancelled', async () => {
    const s = await studio();
    // Off until the studio sets it; then through the same settings API as its screen.
    expect((await s.staff.ok('GET', '/api/settings/booking')).reminderHoursBefore).toBeNull();
    expect((await s.staff.send('PATCH', '/api/settings/booking', { reminderHoursBefore: 0 })).statusCode).toBe(400);
    expect((await s.staff.ok('PATCH', '/api/settings/booking', { reminderHoursBefore: 24 }, 200)).reminderHoursBefore).toBe(24);

    setNow('2026-12-03T12:00:00');
    const lessonId = await addLesson(suite.platform, s.tenant, s.booking, { startsAt: tokyo('2026-12-10T10:00:00'), capacity: 5 });
    const later = await addLesson(suite.platform, s.tenant, s.booking, { startsAt: tokyo('2026-12-10T18:00:00'), capacity: 5 });
    const [a, b] = [await memberWithSession(suite.platform, s.tenant, s.booking), await memberWithSession(suite.platform, s.tenant, s.booking)];
    for (const m of [a, b]) expect((await m.send('POST', '/api/me/reservations', { lessonId })).statusCode).toBe(201);
    expect((await a.send('POST', '/api/me/reservations', { lessonId: later })).statusCode).toBe(201);
    const bSeat = (await b.send('GET', '/api/me/reservations?scope=upcoming')).json().items[0].id;
    expect((await b.send('POST', `/api/me/reservations/${bSeat}/cancel`)).statusCode).toBe(200);

    // 25 hours before: not yet.
    setNow('2026-12-09T09:00:00');
    expect(await runReminders(suite.platform.runtime, s.tenant.id, suite.platform.runtime.clock.now())).toMatchObject({ reminded: 0 });
    // 23 hours before, the job run twice at once and then again: one reminder, for the booking still held.
    setNow('2026-12-09T11:00:00');
    const runs = await Promise.all([1, 2].map(() => runReminders(suite.platform.runtime, s.tenant.id, suite.platform.runtime.clock.now())));
    expect(runs.reduce((n, r) => n + r!.reminded, 0)).toBe(1);
    expect(await runReminders(suite.platform.runtime, s.tenant.id, suite.platform.runtime.clock.now())).toMatchObject({ reminded: 0 });
    const [reminder, ...more] = await sent(s, a.memberId, 'lesson_reminder');
    expect(more).toEqual([]);
    expect(reminder).toMatchObject({ channel: 'mail', optional: true, link: url(s, '/member/bookings') });
    expect(reminder.subject).toContain('ご予約のお知らせ');
    expect(await sent(s, b.memberId, 'lesson_reminder')).toEqual([]);

    const [mail, ...twice] = await delivered(s, a.email, 'ご予約のお知らせ');
    expect(twice).toEqual([]);
    expect(mail!.subject).toMatch(/^ご予約のお知らせ：/);
    expect(mail!.text).toContain('鈴木 一郎 様');
    expect(mail!.text).toContain(url(s, '/member/bookings'));

    // The studio cancels the evening lesson before its reminder time and moves the morning one to the next day:
    // the cancelled one is reminded of never, the moved one again, at its new time.
    await s.staff.ok('POST', `/api/lessons/${later}/cancel`, { reason: 'Instructor ill' }, 200);
    await s.staff.ok('PATCH', `/api/lessons/${lessonId}`, { startsAt: tokyo('2026-12-11T10:00:00').toISOString() }, 200);
    expect(await runReminders(suite.platform.runtime, s.tenant.id, suite.platform.runtime.clock.now())).toMatchObject({ reminded: 0 });
    setNow('2026-12-10T11:00:00');
    expect(await runReminders(suite.platform.runtime, s.tenant.id, suite.platform.runtime.clock.now())).toMatchObject({ reminded: 1 });
    setNow('2026-12-10T12:00:00');
    expect(await runReminders(suite.platform.runtime, s.tenant.id, suite.platform.runtime.clock.now())).toMatchObject({ reminded: 0 });
    const reminders = await sent(s, a.memberId, 'lesson_reminder');
    expect(reminders).toHaveLength(2);
    expect(reminders[1].body).toContain('12月11日');
  });
});

describe('the waitlist', () => {
  it('offers a seat with a link to accept it', async () => {
    const s = await studio();
    setNow('2026-12-05T09:00:00');
    const lessonId = await addLesson(suite.platform, s.tenant, s.booking, { startsAt: tokyo('2026-12-05T18:00:00'), capacity: 1 });
    const [a, b] = [await memberWithSession(suite.platform, s.tenant, s.booking), await memberWithSession(suite.platform, s.tenant, s.booking)];
    const seat = (await a.send('POST', '/api/me/reservations', { lessonId })).json().reservation.id;
    const entry = (await b.send('POST', '/api/me/waitlist', { lessonId })).json().waitlistEntry.id;
    await a.send('POST', `/api/me/reservations/${seat}/cancel`);
    // Less than a day ahead the seat is offered, not given.
    expect(await runReservationUpkeep(suite.platform.runtime, s.tenant.id, suite.platform.runtime.clock.now())).toMatchObject({ offered: 1 });
    const accept = url(s, `/member/bookings?offer=${entry}`);
    expect(await sent(s, b.memberId, 'waitlist_offer')).toMatchObject([{ link: accept, optional: false }]);
    const [mail] = await delivered(s, b.email, '空席のご案内');
    expect(mail!.text).toContain(accept);
    expect(mail!.html).toContain(`<a href="${accept}">`);
  });

  it('tells members it passed over that their seat is on sale, and not the member it promoted', async () => {
    const s = await studio();
    setNow('2026-12-02T12:00:00');
    const busy = await addLesson(suite.platform, s.tenant, s.booking, { startsAt: tokyo('2026-12-07T19:00:00'), capacity: 1 });
    const quiet = await addLesson(suite.platform, s.tenant, s.booking, { startsAt: tokyo('2026-12-08T19:00:00'), capacity: 1 });
    const [a, b, c] = [await memberWithSession(suite.platform, s.tenant, s.booking), await memberWithSession(suite.platform, s.tenant, s.booking), await memberWithSession(suite.platform, s.tenant, s.booking)];
    const seats = [];
    for (const lessonId of [busy, quiet]) seats.push((await a.send('POST', '/api/me/reservations', { lessonId })).json().reservation.id);
    for (const lessonId of [busy, quiet]) expect((await b.send('POST', '/api/me/waitlist', { lessonId })).statusCode).toBe(201);
    expect((await c.send('POST', '/api/me/waitlist', { lessonId: busy })).statusCode).toBe(201);
    // B may not book for now (a block after strikes): promotion passes them over.
    await inTenant(suite.platform, s.tenant, (db) =>
      db.insertInto('app.booking_blocks').values({ member_id: b.memberId, starts_at: suite.platform.runtime.clock.now(), ends_at: tokyo('2026-12-03T00:00:00'), reason: 'Three no-shows' }).execute(),
    );

    // The busy lesson: B is passed over and C gets the seat, so there is no seat for anyone to book.
    await a.send('POST', `/api/me/reservations/${seats[0]}/cancel`);
    expect(await runReservationUpkeep(suite.platform.runtime, s.tenant.id, suite.platform.runtime.clock.now())).toMatchObject({ skipped: 1, promoted: 1 });
    expect(await sent(s, c.memberId, 'waitlist_promoted')).toHaveLength(1);
    expect([...(await sent(s, b.memberId, 'seat_freed')), ...(await sent(s, c.memberId, 'seat_freed'))]).toEqual([]);

    // The quiet lesson: B is passed over and nobody else waits, so the seat goes on sale and B hears of it.
    await a.send('POST', `/api/me/reservations/${seats[1]}/cancel`);
    expect(await runReservationUpkeep(suite.platform.runtime, s.tenant.id, suite.platform.runtime.clock.now())).toMatchObject({ skipped: 1, promoted: 0 });
    expect(await sent(s, b.memberId, 'seat_freed')).toMatchObject([{ link: url(s, '/member'), optional: true }]);
    expect(await sent(s, a.memberId, 'seat_freed')).toEqual([]);
    const [mail] = await delivered(s, b.email, '空席が出ました');
    expect(mail!.text).toContain('どなたでもご予約いただけます');
  });
});

describe('favourite lesson series', () => {
  it('stars a series from the timetable and says once, ten minutes ahead, that booking opens', async () => {
    const s = await studio();
    const series = await s.staff.ok('POST', '/api/lesson-series', {
      lessonTypeId: s.booking.lessonTypeId, roomId: s.booking.roomId, weekdays: [4], startTime: '10:00', startsOn: '2026-12-01', endsOn: '2026-12-31', capacity: 5,
    });
    const [fan, other] = [await memberWithSession(suite.platform, s.tenant, s.booking), await memberWithSession(suite.platform, s.tenant, s.booking)];
    const starred = await fan.send('PUT', `/api/me/favourites/${series.id}`);
    expect(starred.statusCode, starred.body).toBe(200);
    expect(starred.json()).toEqual({ seriesId: series.id, favourite: true });
    // Twice is the same; an unknown series is a 404 problem; unstarring and starring again work.
    expect((await fan.send('PUT', `/api/me/favourites/${series.id}`)).statusCode).toBe(200);
    const unknown = await fan.send('PUT', '/api/me/favourites/00000000-0000-4000-8000-000000000000');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect((await other.send('PUT', `/api/me/favourites/${series.id}`)).statusCode).toBe(200);
    expect((await other.send('DELETE', `/api/me/favourites/${series.id}`)).json()).toEqual({ seriesId: series.id, favourite: false });
    const day = (await fan.send('GET', '/api/me/schedule?from=2026-12-10&days=1')).json().lessons;
    expect(day).toMatchObject([{ series: { id: series.id, favourite: true } }]);
    expect((await other.send('GET', '/api/me/schedule?from=2026-12-10&days=1')).json().lessons[0].series.favourite).toBe(false);

    // Thursday 10 December's lesson opens for booking seven days before, at 12:00 on the 3rd.
    const run = () => runReminders(suite.platform.runtime, s.tenant.id, suite.platform.runtime.clock.now());
    setNow('2026-12-03T11:45:00');
    expect(await run()).toMatchObject({ windowNotices: 0 });
    setNow('2026-12-03T11:52:00');
    expect(await run()).toMatchObject({ windowNotices: 1 });
    setNow('2026-12-03T11:55:00');
    expect(await run()).toMatchObject({ windowNotices: 0 });
    const [notice, ...more] = await sent(s, fan.memberId, 'booking_window_opens');
    expect(more).toEqual([]);
    expect(notice).toMatchObject({ optional: true, link: url(s, '/member') });
    expect(notice.body).toContain('12:00');
    expect(await sent(s, other.memberId, 'booking_window_opens')).toEqual([]);
    const [mail] = await delivered(s, fan.email, 'まもなく予約受付開始');
    expect(mail!.subject).toMatch(/^まもなく予約受付開始：/);
  });
});

describe('the monthly invoice', () => {
  it('tells each account of its invoice, with the amount, the due date and a link to it, once', async () => {
    const s = await studio();
    const m = await memberWithSession(suite.platform, s.tenant, s.booking);
    setNow('2026-12-11T09:00:00');
    const result = await runBilling(billingDeps(suite.platform.runtime), s.tenant.id, suite.platform.runtime.clock.now());
    expect(result!.invoicesCreated).toBe(1);
    const invoice = (await s.staff.ok('GET', `/api/invoices?memberId=${m.memberId}`)).items[0];
    const link = url(s, `/member/invoices/${invoice.id}`);
    const [message] = await sent(s, m.memberId, 'monthly_invoice');
    expect(message).toMatchObject({ link, optional: false });
    expect(message.body).toContain('11,000');
    // A second run issues nothing, and says nothing.
    expect((await runBilling(billingDeps(suite.platform.runtime), s.tenant.id, suite.platform.runtime.clock.now()))!.invoicesCreated).toBe(0);
    expect(await sent(s, m.memberId, 'monthly_invoice')).toHaveLength(1);
    const [mail] = await delivered(s, m.email, 'ご請求のお知らせ');
    expect(mail!.text).toContain(link);
    expect(mail!.text).toContain('お支払い期限');
  });
});
