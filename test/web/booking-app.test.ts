import path from 'node:path';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatters } from '../../web/src/formatters.js';
import { addLesson, bookingStudio, memberWithSession, staffApi, type BookingStudio } from '../support/booking.js';
import { browserSuite, newPage as openPage, screens } from '../support/browser.js';

const web = browserSuite();
let studio: BookingStudio;
let timeZone: string;
let typeName: string;

beforeAll(async () => {
  studio = await bookingStudio(web.platform, web.T);
  timeZone = (await web.platform.call(web.T, { method: 'GET', url: '/api/tenant' })).json().timezone;
  const types = await web.platform.call(web.T, { method: 'GET', url: '/api/lesson-types', token: web.T.ownerToken });
  typeName = types.json().items.find((t: { id: string }) => t.id === studio.lessonTypeId).name;
});

/** A phone for members, a desk-sized window for staff. */
const newPage = (device: 'phone' | 'desk') => openPage(web.browser, device);

async function memberSignIn(page: Page, email: string) {
  await page.goto(`${web.base}/member/login`);
  await page.getByText('Members of').waitFor();
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('member password 1');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Timetable' }).waitFor();
}

/** The owner, signed in to the staff app at a desk. */
async function ownerAtDesk() {
  const page = await newPage('desk');
  await page.goto(`${web.base}/`);
  await page.getByLabel('Email').fill(web.T.ownerEmail);
  await page.getByLabel('Password').fill(web.T.ownerPassword);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Members' }).waitFor();
  return page;
}

/** A lesson two days from now (on the hour, `hourOffset` later), and its card on the member's timetable. */
async function lessonInTwoDays(hourOffset: number, capacity: number) {
  const startsAt = new Date(Math.ceil((Date.now() + 2 * 86_400_000) / 3_600_000) * 3_600_000 + hourOffset * 3_600_000);
  const id = await addLesson(web.platform, web.T, studio, { startsAt, capacity });
  const fmt = formatters('en', timeZone);
  const card = (page: Page) => page.getByRole('article', { name: `${typeName} at ${fmt.clock(startsAt)}` });
  const openDay = (page: Page) => page.getByRole('tab', { name: fmt.day(fmt.dayOf(startsAt)) }).click();
  return { id, startsAt, card, openDay };
}

describe('member app', () => {
  it('lets a member sign in on their phone, book a lesson, see it booked and in their bookings, and cancel it', async () => {
    const member = await memberWithSession(web.platform, web.T, studio);
    const lesson = await lessonInTwoDays(0, 5);
    const page = await newPage('phone');
    await memberSignIn(page, member.email);
    await lesson.openDay(page);
    const card = lesson.card(page);
    await card.getByText('5 seats left').waitFor();
    await card.getByRole('button', { name: 'Book' }).click();
    await card.getByText('Booked').waitFor();
    await card.getByText('Free cancellation until').waitFor();
    await card.getByText('4 seats left').waitFor();
    await page.screenshot({ path: path.join(screens, 'member-timetable.png'), fullPage: true });
    const mine = await member.send('GET', '/api/me/reservations');
    expect(mine.json().items.map((r: { lessonId: string; status: string }) => [r.lessonId, r.status])).toEqual([[lesson.id, 'booked']]);

    await page.getByRole('link', { name: 'My bookings' }).click();
    await page.getByRole('list', { name: 'Bookings' }).getByText(typeName).waitFor();
    await page.getByRole('link', { name: 'Timetable' }).click();
    await lesson.openDay(page);

    await card.getByRole('button', { name: 'Cancel' }).click();
    const confirm = card.getByRole('group', { name: 'Cancel this booking?' });
    await confirm.getByText('The credit comes back.').waitFor();
    await confirm.getByRole('button', { name: 'Yes, cancel' }).click();
    await card.getByRole('button', { name: 'Book' }).waitFor();
    const after = await member.send('GET', '/api/me/reservations?scope=past');
    expect(after.json().items.map((r: { lessonId: string; status: string }) => [r.lessonId, r.status])).toEqual([[lesson.id, 'cancelled']]);
  });

  it('offers the waitlist on a full lesson and shows the place in line; refusals show the API’s words', async () => {
    const first = await memberWithSession(web.platform, web.T, studio);
    const second = await memberWithSession(web.platform, web.T, studio);
    const lesson = await lessonInTwoDays(2, 1);
    expect((await first.send('POST', '/api/me/reservations', { lessonId: lesson.id })).statusCode).toBe(201);

    const page = await newPage('phone');
    await memberSignIn(page, second.email);
    await lesson.openDay(page);
    const card = lesson.card(page);
    await card.getByText('Full · 0 waiting').waitFor();
    await card.getByRole('button', { name: 'Join waitlist' }).click();
    await card.getByText('Waitlist #1').waitFor();
    await card.getByText('Full · 1 waiting').waitFor();
    await page.screenshot({ path: path.join(screens, 'member-waitlist.png'), fullPage: true });

    await card.getByRole('button', { name: 'Leave waitlist' }).click();
    await card.getByRole('button', { name: 'Join waitlist' }).waitFor();
    expect((await second.send('GET', '/api/me/waitlist')).json().items.some((w: { status: string }) => w.status === 'waiting')).toBe(false);

    // A page gone stale (the member joined meanwhile, from another phone) is refused, in the API's own words.
    const joined = await second.send('POST', '/api/me/reservations', { lessonId: lesson.id, joinWaitlist: true });
    expect(joined.statusCode).toBe(201);
    // In the language of the page (English here), as the app asks for it.
    const again = await second.send('POST', '/api/me/reservations', { lessonId: lesson.id, joinWaitlist: true }, { 'accept-language': 'en' });
    expect(again.statusCode).toBeGreaterThanOrEqual(400);
    await card.getByRole('button', { name: 'Join waitlist' }).click();
    await card.getByRole('alert').getByText(again.json().detail).waitFor();
  });

  it('shows the member’s check-in code as a QR code, and the front desk checks them in with it', async () => {
    const member = await memberWithSession(web.platform, web.T, studio);
    const phone = await newPage('phone');
    await memberSignIn(phone, member.email);
    await phone.getByRole('link', { name: 'Check-in' }).click();
    const qr = phone.getByAltText('Check-in QR code');
    await qr.waitFor();
    expect(await qr.getAttribute('src')).toMatch(/^data:image\/png;base64,/);
    const token = (await qr.getAttribute('data-token'))!;
    expect(token.length).toBeGreaterThan(10);
    await phone.getByText('Valid until').waitFor();
    await phone.screenshot({ path: path.join(screens, 'member-check-in-code.png'), fullPage: true });

    const desk = await ownerAtDesk();
    await desk.getByRole('link', { name: 'Front desk' }).click();
    await desk.getByLabel('Desk location').selectOption(studio.locationId);
    await desk.getByLabel('Scanned or pasted code').fill(token);
    await desk.getByRole('button', { name: 'Show member' }).click();
    await desk.getByRole('region', { name: 'The member at a glance' }).getByRole('button', { name: 'Check in', exact: true }).click();
    // The check-in's own words (the card's fresh read may say "already checked in" for a moment before it goes).
    await desk.getByRole('status').filter({ hasText: '鈴木 一郎 checked in (walk-in)' }).waitFor();
    await desk.locator('tbody tr', { hasText: '鈴木 一郎' }).getByText('Code').waitFor();
    await desk.screenshot({ path: path.join(screens, 'front-desk.png'), fullPage: true });
    const today = await web.platform.call(web.T, { method: 'GET', url: `/api/check-ins?locationId=${studio.locationId}`, token: web.T.ownerToken });
    expect(today.json().items.map((c: { member: { id: string } }) => c.member.id)).toContain(member.memberId);
  });
});

describe('staff lesson page', () => {
  it('lists the roster, books a member found by search, and cancels for them waiving the penalty', async () => {
    const booked = await memberWithSession(web.platform, web.T, studio);
    const lesson = await lessonInTwoDays(4, 10);
    expect((await booked.send('POST', '/api/me/reservations', { lessonId: lesson.id })).statusCode).toBe(201);
    const { ok } = staffApi(web.platform, web.T);
    const walkUpId = (await ok('POST', '/api/members', { familyName: '松本', givenName: '潤', phone: '090-3333-4444' })).id as string;
    await ok('POST', '/api/contracts', { memberId: walkUpId, planId: studio.packPlanId });

    const page = await ownerAtDesk();
    await page.goto(`${web.base}/lessons/${lesson.id}`);
    await page.getByRole('heading', { name: 'Roster' }).waitFor();
    await page.locator('tbody tr', { hasText: '鈴木 一郎' }).getByText('Booked').waitFor();

    await page.getByLabel('Find a member to book').fill('0903333');
    await page.getByRole('button', { name: /松本 潤/ }).click();
    await page.getByRole('button', { name: 'Book', exact: true }).click();
    const row = page.locator('tbody tr', { hasText: '松本 潤' });
    await row.getByText('Booked').waitFor();
    await page.screenshot({ path: path.join(screens, 'lesson-roster.png'), fullPage: true });

    await row.getByRole('button', { name: 'Cancel…' }).click();
    const cancel = page.getByRole('group', { name: 'Cancel for 松本 潤' });
    await cancel.getByLabel('Waive penalty').check();
    await cancel.getByRole('button', { name: 'Cancel booking' }).click();
    await page.getByText('Cancelled: 松本 潤 (Cancelled)').waitFor();
    const mine = await web.platform.call(web.T, { method: 'GET', url: `/api/members/${walkUpId}/reservations?scope=past`, token: web.T.ownerToken });
    expect(mine.json().items.map((r: { status: string }) => r.status)).toEqual(['cancelled']);
  });
});
