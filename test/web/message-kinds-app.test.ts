import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runReservationUpkeep } from '../../src/modules/reservations/upkeep.js';
import { addLesson, bookingStudio, memberWithSession, staffApi, type BookingStudio } from '../support/booking.js';
import { browserSuite, DEVICES, expectAccessible, newContext, signIn } from '../support/browser.js';

/*
 * The member app opened from a message (issue 18): a waitlist offer's link brings the offer and its Accept button
 * into view, in Japanese on a 390 px phone; and the star on the timetable follows a lesson series.
 */
const web = browserSuite();
let studio: BookingStudio;

/** A Tokyo date three days after the real today: the app's clock is set to it, so the time of day is fixed. */
const day = new Date(Date.now() + 3 * 86_400_000).toLocaleDateString('sv-SE', { timeZone: 'Asia/Tokyo' });
const tokyo = (time: string) => new Date(`${day}T${time}+09:00`);

beforeAll(async () => {
  studio = await bookingStudio(web.platform, web.T);
  // 10:00 in Tokyo, outside the studio's quiet hours: an offer goes at once.
  web.platform.runtime.clock.set(tokyo('10:00:00'));
});
afterAll(async () => {
  web.platform?.runtime.clock.set(null);
});

async function phone(token: string) {
  const context = await newContext(web.browser, { language: 'ja', ...DEVICES.phone });
  await signIn(context, web.base, { member: token });
  return context.newPage();
}

describe('a waitlist offer opened from its message', () => {
  it('shows the offer with Accept focused, and takes the seat', async () => {
    const lessonId = await addLesson(web.platform, web.T, studio, { startsAt: tokyo('15:00:00'), capacity: 1 });
    const [a, b] = [await memberWithSession(web.platform, web.T, studio), await memberWithSession(web.platform, web.T, studio)];
    const seat = (await a.send('POST', '/api/me/reservations', { lessonId })).json().reservation.id;
    const entryId = (await b.send('POST', '/api/me/waitlist', { lessonId })).json().waitlistEntry.id;
    await a.send('POST', `/api/me/reservations/${seat}/cancel`);
    expect(await runReservationUpkeep(web.platform.runtime, web.T.id, web.platform.runtime.clock.now())).toMatchObject({ offered: 1 });

    const admin = await web.platform.admin();
    const { rows } = await admin.query(`select link from app.outbox where tenant_id = $1 and member_id = $2 and template = 'waitlist_offer'`, [web.T.id, b.memberId]);
    const link = new URL(rows[0].link);
    expect(link.hostname).toBe(web.T.host);
    expect(`${link.pathname}${link.search}`).toBe(`/member/bookings?offer=${entryId}`);

    const page = await phone(b.token);
    await page.goto(`${web.base}${link.pathname}${link.search}`);
    const accept = page.getByRole('button', { name: '予約を確定する' });
    await accept.waitFor();
    await expect.poll(() => accept.evaluate((el) => el === document.activeElement)).toBe(true);
    await page.locator('li[aria-current="true"]').getByText('まで席を確保しています').waitFor();
    await expectAccessible(page, 'the offer opened from its message');

    await accept.click();
    await page.getByText('この席はご予約済みです').waitFor();
    const mine = (await b.send('GET', '/api/me/reservations?scope=upcoming')).json().items;
    expect(mine.map((r: { lessonId: string; status: string }) => [r.lessonId, r.status])).toEqual([[lessonId, 'booked']]);

    // Opened again, the link says what became of the offer rather than showing nothing.
    await page.reload();
    await page.getByText('この席はご予約済みです').waitFor();
    await page.getByRole('list', { name: '予約' }).getByRole('listitem').first().waitFor();
    const other = await phone(a.token);
    await other.goto(`${web.base}${link.pathname}${link.search}`);
    await other.getByText('このご案内は終了しました').waitFor();
    await expectAccessible(other, 'an offer that is over');
  });
});

describe('favourite lesson series', () => {
  it('stars a series on the timetable, and unstars it', async () => {
    const staff = staffApi(web.platform, web.T);
    const weekday = ((tokyo('12:00:00').getUTCDay() + 6) % 7) + 1;
    const series = await staff.ok('POST', '/api/lesson-series', {
      lessonTypeId: studio.lessonTypeId, roomId: studio.roomId, weekdays: [weekday], startTime: '18:00', startsOn: day, endsOn: day, capacity: 5,
    });
    const m = await memberWithSession(web.platform, web.T, studio);
    const page = await phone(m.token);
    await page.goto(`${web.base}/member`);
    await page.getByRole('heading', { name: '時間割' }).waitFor();
    const star = page.getByRole('button', { name: /^お気に入り：/ });
    await star.waitFor();
    expect(await star.getAttribute('aria-pressed')).toBe('false');
    await star.focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => star.getAttribute('aria-pressed')).toBe('true');
    await page.getByText('予約受付開始の10分前にお知らせします').waitFor();
    await expectAccessible(page, 'the timetable with a starred series');
    const followed = (await m.send('GET', `/api/me/schedule?from=${day}&days=1`)).json().lessons.find((l: { series: { id: string } | null }) => l.series?.id === series.id);
    expect(followed.series.favourite).toBe(true);

    await star.click();
    await expect.poll(() => star.getAttribute('aria-pressed')).toBe('false');
  });
});

describe('the studio’s reminders', () => {
  it('are set in the booking rules, at a desk and on a phone', async () => {
    for (const [device, hours] of [['desk', '24'], ['phone', '']] as const) {
      const context = await newContext(web.browser, { language: 'ja', ...DEVICES[device] });
      await signIn(context, web.base, { staff: web.T.ownerToken });
      const page = await context.newPage();
      await page.goto(`${web.base}/setup/booking`);
      const field = page.getByLabel('レッスン前のリマインダー(時間前)');
      await field.waitFor();
      await page.getByText('予約済みの会員に、レッスン開始のこの時間前にお知らせを送ります').waitFor();
      await expectAccessible(page, `the booking rules with reminders (${device})`);
      await field.fill(hours);
      await page.getByRole('button', { name: '予約ルールを保存' }).click();
      await page.getByText('予約ルールを保存しました。').waitFor();
      const rules = await staffApi(web.platform, web.T).ok('GET', '/api/settings/booking');
      expect(rules.reminderHoursBefore).toBe(hours === '' ? null : Number(hours));
      await context.close();
    }
  });
});
