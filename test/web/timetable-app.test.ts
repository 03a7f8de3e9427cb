import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { addDays, formatters, mondayOf } from '../../web/src/formatters.js';
import { browserSuite, expectAccessible, newContext, signIn } from '../support/browser.js';

const web = browserSuite();

async function api<R = { id: string }>(method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object): Promise<R> {
  const res = await web.platform.call(web.T, { method, url, payload, token: web.T.ownerToken, headers: { 'idempotency-key': randomUUID(), 'accept-language': 'en' } });
  expect(res.statusCode, res.body).toBeLessThan(300);
  return res.json() as R;
}

/** The studio's (Tokyo's) today, so the test never depends on the machine's date. */
const tokyoToday = () => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Tokyo' }).format(new Date());

async function ownerPage(): Promise<Page> {
  const context = await newContext(web.browser, { viewport: { width: 1366, height: 800 } });
  await signIn(context, web.base, { staff: web.T.ownerToken });
  return context.newPage();
}

describe('timetable', () => {
  it('shows a full lesson’s waitlist, changes a series lesson on its own, and cancels it after a preview', async () => {
    const location = await api('POST', '/api/locations', { name: 'Shibuya' });
    const yoga = await api('POST', '/api/lesson-types', { name: 'Hatha', durationMinutes: 60 });
    const room = await api('POST', '/api/rooms', { locationId: location.id, name: 'Studio A', capacity: 5 });
    const other = await api('POST', '/api/rooms', { locationId: location.id, name: 'Studio B', capacity: 5 });
    await api('POST', '/api/instructors', { displayName: 'Aiko' });
    await api('POST', '/api/instructors', { displayName: 'Ken' });
    // Two days ahead, so the lesson is still to come whatever the time of day.
    const day = addDays(tokyoToday(), 2);
    const weekday = ((new Date(`${day}T00:00:00Z`).getUTCDay() + 6) % 7) + 1;
    const series = await api('POST', '/api/lesson-series', { lessonTypeId: yoga.id, roomId: room.id, weekdays: [weekday], startTime: '10:00', capacity: 1, startsOn: day, endsOn: addDays(day, 7) });
    const lessons = await api<{ items: Array<{ id: string; seriesId: string; occurrenceDate: string }> }>('GET', `/api/lessons?from=${day}&to=${day}`);
    const lesson = lessons.items.find((l) => l.seriesId === series.id)!;

    const admin = await web.platform.admin();
    const booked = await api('POST', '/api/members', { familyName: 'Sato', givenName: 'Hanako', email: `hanako-${randomUUID().slice(0, 8)}@example.com` });
    const waiting = await api('POST', '/api/members', { familyName: 'Ito', givenName: 'Ren', email: `ren-${randomUUID().slice(0, 8)}@example.com` });
    await admin.query(`insert into app.reservations (tenant_id, lesson_id, member_id, source, actor_kind) values ($1, $2, $3, 'staff', 'system')`, [web.T.id, lesson.id, booked.id]);
    await admin.query(`update app.lessons set booked = 1 where id = $1`, [lesson.id]);
    await admin.query(`insert into app.waitlist_entries (tenant_id, lesson_id, member_id) values ($1, $2, $3)`, [web.T.id, lesson.id, waiting.id]);

    const page = await ownerPage();
    await page.goto(`${web.base}/timetable`);
    await page.getByRole('heading', { name: 'Timetable' }).waitFor();
    if (mondayOf(day) !== mondayOf(tokyoToday())) await page.getByRole('button', { name: 'Next week →' }).click();
    const slot = page.getByRole('link', { name: /Hatha/ });
    await slot.getByText('1/1 · 1 waiting').waitFor();
    await expectAccessible(page, 'timetable week');

    await slot.click();
    await page.getByRole('heading', { name: 'Change this lesson only' }).waitFor();
    const change = page.getByRole('form', { name: 'Change this lesson only' });
    await change.getByLabel('Substitute instructor').selectOption({ label: 'Ken' });
    await change.getByLabel('Room').selectOption({ label: 'Studio B' });
    await change.getByLabel('Capacity').fill('3');
    await change.getByLabel('Start time').fill('11:30');
    await change.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('The lesson is changed.').waitFor();
    await expect.poll(async () => (await api<{ startsAt: string; capacity: number; room: { id: string }; substitute: { displayName: string } | null; detached: boolean }>('GET', `/api/lessons/${lesson.id}`))).toMatchObject({
      capacity: 3, room: { id: other.id }, substitute: { displayName: 'Ken' }, detached: true, startsAt: new Date(`${day}T11:30:00+09:00`).toISOString(),
    });
    await page.getByRole('heading', { name: 'Weekly series' }).waitFor();
    await page.getByRole('button', { name: 'Booking details' }).click();
    await page.getByText('Booked by').waitFor();
    expect(await page.locator('main').textContent()).toContain('Staff');
    await expectAccessible(page, 'lesson page');

    const cancel = page.getByRole('form', { name: 'Cancel this lesson' });
    await cancel.getByLabel('Reason (members are told)').fill('Instructor ill');
    await cancel.getByRole('button', { name: 'Preview' }).click();
    const preview = page.getByRole('region', { name: /Cancel this lesson/ });
    // The booking was made without credits (inserted directly), so none are given back.
    await preview.getByText('1 lesson cancelled: 1 booking released, 1 person taken off the waitlist; 2 members are told.').waitFor();
    // The preview wrote nothing.
    expect((await admin.query(`select status from app.reservations where lesson_id = $1`, [lesson.id])).rows[0].status).toBe('booked');
    await preview.getByRole('button', { name: 'Cancel the lesson' }).click();
    await page.getByText(/^Cancelled\. 1 lesson cancelled/).waitFor();
    expect((await admin.query(`select status from app.reservations where lesson_id = $1`, [lesson.id])).rows[0].status).toBe('released');
    expect((await admin.query(`select status from app.waitlist_entries where lesson_id = $1`, [lesson.id])).rows[0].status).toBe('released');

    // The series' next lesson, dragged onto a neighbouring day of its week, moves once the dialog is confirmed.
    const next = (await api<{ items: Array<{ id: string; seriesId: string }> }>('GET', `/api/lessons?from=${addDays(day, 7)}&to=${addDays(day, 7)}`)).items.find((l) => l.seriesId === series.id)!;
    const target = mondayOf(addDays(day, 8)) === mondayOf(addDays(day, 7)) ? addDays(day, 8) : addDays(day, 6);
    await page.goto(`${web.base}/timetable`);
    await page.getByRole('heading', { name: 'Timetable' }).waitFor();
    for (let w = mondayOf(tokyoToday()); w < mondayOf(addDays(day, 7)); w = addDays(w, 7)) {
      await page.getByRole('button', { name: 'Next week →' }).click();
    }
    const fmt = formatters('en', 'Asia/Tokyo');
    const column = page.locator('.week > div').filter({ has: page.getByRole('heading', { name: fmt.day(target), exact: true }) });
    await page.locator(`a[href="/lessons/${next.id}"]`).dragTo(column);
    const dialog = page.getByRole('alertdialog', { name: 'Move this lesson?' });
    await dialog.waitFor();
    await expectAccessible(page, 'move dialog');
    await dialog.getByRole('button', { name: 'Move the lesson' }).click();
    await page.getByText('The lesson is moved.').waitFor();
    expect(await api<{ startsAt: string; detached: boolean }>('GET', `/api/lessons/${next.id}`)).toMatchObject({ startsAt: new Date(`${target}T10:00:00+09:00`).toISOString(), detached: true });
    await admin.end();
  });

  it('lists a day’s lessons on a phone', async () => {
    const context = await newContext(web.browser, { viewport: { width: 390, height: 844 } });
    await signIn(context, web.base, { staff: web.T.ownerToken });
    const page = await context.newPage();
    await page.goto(`${web.base}/timetable`);
    await page.getByLabel('View').selectOption('day');
    await page.getByRole('button', { name: 'Next day →' }).click();
    await page.getByRole('button', { name: 'Today' }).waitFor();
    await expectAccessible(page, 'timetable day on a phone');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  });
});
