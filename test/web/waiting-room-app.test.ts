import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatters } from '../../web/src/formatters.js';
import { addLesson, bookingStudio, memberWithSession, staffApi, type BookingStudio } from '../support/booking.js';
import { browserSuite, DEVICES, expectAccessible, newContext, review, signIn } from '../support/browser.js';

/*
 * The waiting room of an announced opening (issue 17): the owner turns it on in the booking rules (English, at a
 * desk); a member queues on her phone (Japanese, 390 px) before booking opens, sees her place drawn by lot at the
 * opening, and books when her turn comes, without touching the page in between. The phone's clock is installed at
 * the server's time and moved with it.
 */
const web = browserSuite({ WAITING_ROOM_ADMIT_PER_SECOND: '1' });
let studio: BookingStudio;

/** A Tokyo date a day after the real today: the server's clock is set on it, so the time of day is fixed. */
const day = new Date(Date.now() + 86_400_000).toLocaleDateString('sv-SE', { timeZone: 'Asia/Tokyo' });
const lessonDay = new Date(Date.parse(`${day}T00:00:00Z`) + 7 * 86_400_000).toISOString().slice(0, 10);
const tokyo = (date: string, time: string) => new Date(`${date}T${time}+09:00`);
const opening = (time: string) => tokyo(day, time);

beforeAll(async () => {
  studio = await bookingStudio(web.platform, web.T);
  web.platform.runtime.clock.set(opening('11:50:00'));
});
afterAll(() => web.platform?.runtime.clock.set(null));

/** Moves the server's clock, and the phone's to the same moment, firing the timers the phone had set until then. */
async function moveTo(page: Page, at: Date) {
  web.platform.runtime.clock.set(at);
  const phoneNow = await page.evaluate(() => Date.now());
  await page.clock.fastForward(Math.max(0, at.getTime() - phoneNow));
}

/** A member's phone in Japanese, its clock installed at the server's, on the timetable's page of the lesson's day. */
async function phoneAt(token: string) {
  const context = await web.browser.newContext({ locale: 'ja-JP', ...DEVICES.phone });
  await context.clock.install({ time: web.platform.runtime.clock.now() });
  await context.addInitScript(() => localStorage.setItem('studiohive.locale', 'ja'));
  await signIn(context, web.base, { member: token });
  const page = await context.newPage();
  await page.goto(`${web.base}/member`);
  await page.getByRole('heading', { name: '時間割' }).waitFor();
  // The lesson is a week ahead: on the next week's page.
  await page.getByRole('button', { name: '次の週 →' }).click();
  await page.getByRole('tab', { name: formatters('ja', 'Asia/Tokyo').day(lessonDay) }).click();
  return page;
}

describe('a waiting room for an announced opening', () => {
  it('is turned on by the owner, queues a member before the opening, draws her place and lets her book at her turn', async () => {
    const desk = await newContext(web.browser, { language: 'en', ...DEVICES.desk });
    await signIn(desk, web.base, { staff: web.T.ownerToken });
    const settings = await desk.newPage();
    await settings.goto(`${web.base}/setup/booking`);
    await settings.getByText('For popular openings: members can queue').waitFor();
    await settings.getByLabel('Open a waiting room (minutes before booking opens)').fill('15');
    await settings.getByLabel('Order at the opening').selectOption({ label: 'Lottery' });
    await expectAccessible(settings, 'the booking rules with the waiting room');
    await settings.getByRole('button', { name: 'Save booking rules' }).click();
    await settings.getByText('Booking rules saved.').waitFor();
    expect(await staffApi(web.platform, web.T).ok('GET', '/api/settings/booking')).toMatchObject({ waitingRoomMinutesBefore: 15, waitingRoomOrder: 'lottery' });

    const lessonId = await addLesson(web.platform, web.T, studio, { startsAt: tokyo(lessonDay, '10:00:00'), capacity: 10 });
    const member = await memberWithSession(web.platform, web.T, studio);
    const others = [await memberWithSession(web.platform, web.T, studio), await memberWithSession(web.platform, web.T, studio), await memberWithSession(web.platform, web.T, studio)];

    // Her phone, at the server's 11:50 (the waiting room opens at 11:45).
    const page = await phoneAt(member.token);
    const fmt = formatters('ja', 'Asia/Tokyo');
    const typeName = (await staffApi(web.platform, web.T).ok('GET', '/api/lesson-types')).items.find((t: { id: string }) => t.id === studio.lessonTypeId).name;
    const cardOn = (p: Page) => p.getByRole('article', { name: `10:00の${typeName}` });
    const card = cardOn(page);
    await card.getByText('今から順番待ちに並べます。予約受付は12:00に始まります。').waitFor();
    for (const m of others.slice(0, 2)) expect((await m.send('POST', '/api/me/waiting-room', { lessonId })).statusCode).toBe(200);
    await card.getByRole('button', { name: '順番待ちに並ぶ' }).click();
    await card.getByText('順番待ち中です。11:59に抽選で順番が決まり、受付開始までにここに表示されます。').waitFor();
    expect((await others[2]!.send('POST', '/api/me/waiting-room', { lessonId })).json()).toMatchObject({ state: 'queued', position: null });
    await expectAccessible(page, 'a member waiting for the draw');

    // The draw, a minute before the opening: the phone asks again by itself at its own moment after it, and shows
    // the place the lot gave her and the moment of her turn, before booking opens.
    await moveTo(page, opening('11:59:50'));
    await page.clock.runFor(4000);
    const standing = async () => (await member.send('GET', `/api/me/schedule?from=${lessonDay}&days=1`)).json().lessons.find((l: { id: string }) => l.id === lessonId).me;
    const { position, turnAt } = await standing();
    expect(position).toBeGreaterThanOrEqual(1);
    await card.getByText(`順番待ち ${position}番目`).waitFor();
    await card.getByText(`${fmt.clockSeconds(turnAt)}に順番が来ます。この画面のままお待ちください。`).waitFor();

    // A member who comes after the draw queues behind the four drawn: fifth, her turn at 12:00:04.
    const latecomer = await memberWithSession(web.platform, web.T, studio);
    const latePage = await phoneAt(latecomer.token);
    const lateCard = cardOn(latePage);
    await lateCard.getByRole('button', { name: '順番待ちに並ぶ' }).click();
    await lateCard.getByText('順番待ち 5番目').waitFor();
    await lateCard.getByText('12:00:04に順番が来ます。この画面のままお待ちください。').waitFor();
    await review(latePage, 'member-waiting-room-ja-phone');

    // Her turn: the phone asks again at the moment it was told, and the Book button is there.
    await moveTo(page, new Date(Date.parse(turnAt) + 100));
    await page.clock.runFor(4000);
    await card.getByRole('button', { name: '予約する' }).waitFor();
    await card.getByRole('button', { name: '予約する' }).click();
    await card.getByText('予約済み').waitFor();
    const mine = (await member.send('GET', '/api/me/reservations')).json().items;
    expect(mine.map((r: { lessonId: string; status: string }) => [r.lessonId, r.status])).toEqual([[lessonId, 'booked']]);

    // The latecomer's phone, left alone, shows Book at 12:00:04 and not before.
    const askedEarly = latePage.waitForResponse((r) => r.url().includes('/api/me/schedule'));
    await moveTo(latePage, opening('12:00:03.900'));
    await latePage.clock.runFor(2000);
    await askedEarly;
    await lateCard.getByText('順番待ち 5番目').waitFor();
    expect(await lateCard.getByRole('button', { name: '予約する' }).count()).toBe(0);
    await moveTo(latePage, opening('12:00:04.100'));
    await latePage.clock.runFor(4000);
    await latePage.getByRole('status').filter({ hasText: '順番が来ました。' }).waitFor({ state: 'attached' });
    await lateCard.getByRole('button', { name: '予約する' }).click();
    await lateCard.getByText('予約済み').waitFor();

    // The desk's page of the lesson: the opening's queue, five queued and all let in.
    await settings.goto(`${web.base}/lessons/${lessonId}`);
    await settings.getByText(/Waiting room for the opening at .*: 5 queued, 5 let in so far \(Lottery\)/).waitFor();
    await expectAccessible(settings, 'the lesson page with its waiting room');
  });
});
