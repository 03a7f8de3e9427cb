import path from 'node:path';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { todayIn, zonedInstant } from '../../src/platform/calendar.js';
import { formatters } from '../../web/src/formatters.js';
import { addLesson, bookingStudio, inTenant, memberWithSession, packMembers, staffApi, type BookingStudio } from '../support/booking.js';
import { browserSuite, expectAccessible, newContext, screens, signIn } from '../support/browser.js';

const web = browserSuite();
let studio: BookingStudio;
let timeZone: string;
let typeName: string;
let packName: string;
/** Made through the API before packMembers writes members directly (past the API's member numbers). */
let prospect: { id: string; memberNumber: number };
let newcomer: { id: string; memberNumber: number };
let member: Awaited<ReturnType<typeof memberWithSession>>;

beforeAll(async () => {
  studio = await bookingStudio(web.platform, web.T);
  timeZone = (await web.platform.call(web.T, { method: 'GET', url: '/api/tenant' })).json().timezone;
  const { ok } = staffApi(web.platform, web.T);
  typeName = (await ok('GET', '/api/lesson-types')).items.find((t: { id: string }) => t.id === studio.lessonTypeId).name;
  packName = (await ok('GET', '/api/plans')).items.find((p: { id: string }) => p.id === studio.packPlanId).name;
  prospect = await ok('POST', '/api/members', { familyName: '高橋', givenName: '健' });
  newcomer = await ok('POST', '/api/members', { familyName: '山田', givenName: '花子' });
  member = await memberWithSession(web.platform, web.T, studio);
});

/** The owner at the front desk of the studio's location, on a screen of the given size. */
async function atDesk(viewport: { width: number; height: number }, language: 'en' | 'ja' = 'en'): Promise<Page> {
  const context = await newContext(web.browser, { viewport, language });
  await signIn(context, web.base, { staff: web.T.ownerToken });
  const page = await context.newPage();
  await page.goto(`${web.base}/front-desk`);
  await page.getByLabel(language === 'ja' ? '受付の店舗' : 'Desk location').selectOption(studio.locationId);
  await page.getByLabel(language === 'ja' ? '読み取ったコード(貼り付けも可)' : 'Scanned or pasted code').waitFor();
  return page;
}

async function find(page: Page, member: { familyName: string; givenName: string; number: number }) {
  await page.getByLabel('Find a member to check in', { exact: true }).fill(member.familyName);
  await page.getByRole('button', { name: new RegExp(`${member.familyName} ${member.givenName} \\(No\\. ${member.number}\\)`) }).click();
  return page.getByRole('region', { name: 'The member at a glance' });
}

const memberNumber = async (id: string) => (await staffApi(web.platform, web.T).ok('GET', `/api/members/${id}`)).memberNumber as number;

describe('front desk', () => {
  it('shows a member at a glance, checks them in for the lesson open now, and says so when they come again', async () => {
    const [id] = await packMembers(web.platform, web.T, studio, 1);
    const number = await memberNumber(id!);
    // A lesson open for check-in now: started a few minutes ago (never before the studio's day began).
    const dayStart = zonedInstant(todayIn(timeZone), '00:00', timeZone);
    const startsAt = new Date(Math.max(dayStart.getTime(), Date.now() - 10 * 60_000));
    const lessonId = await addLesson(web.platform, web.T, studio, { startsAt, capacity: 5 });
    await inTenant(web.platform, web.T, (db) => db.insertInto('app.reservations').values({ lesson_id: lessonId, member_id: id!, source: 'staff', actor_kind: 'system' }).execute());
    const fmt = formatters('en', timeZone);
    const who = { familyName: 'Rider', givenName: (await staffApi(web.platform, web.T).ok('GET', `/api/members/${id}`)).givenName as string, number };

    const page = await atDesk({ width: 1366, height: 800 });
    const card = await find(page, who);
    await card.getByText('Active', { exact: true }).waitFor();
    const facts = await card.locator('table.facts').textContent();
    expect(facts).toContain(packName);
    expect(facts).toContain('10 credits');
    expect(facts).toContain(`${typeName} ${fmt.clock(startsAt)} Booked`);
    expect(await card.locator('tr', { hasText: 'This check-in' }).textContent()).toContain(`${typeName} ${fmt.clock(startsAt)}`);
    expect(await card.locator('.desk-warning').count()).toBe(0);
    await expectAccessible(page, 'front desk: the member at a glance');

    await card.getByRole('button', { name: 'Check in', exact: true }).click();
    const done = page.locator('.desk-result.done');
    await done.waitFor();
    expect(await done.textContent()).toBe(`Rider ${who.givenName} checked in for ${typeName} at ${fmt.clock(startsAt)}`);
    await page.locator('tbody tr', { hasText: `Rider ${who.givenName}` }).getByText('By hand').waitFor();
    const row = await inTenant(web.platform, web.T, (db) => db.selectFrom('app.reservations').select('status').where('lesson_id', '=', lessonId).executeTakeFirstOrThrow());
    expect(row.status).toBe('attended');

    // The same member again: the card says when they checked in, and offers no second check-in.
    const again = await find(page, who);
    const checkIns = (await staffApi(web.platform, web.T).ok('GET', `/api/members/${id}/check-ins`)).items;
    await again.getByText(`Rider ${who.givenName} was already checked in at ${fmt.clock(checkIns[0].checkedInAt)} for ${typeName} at ${fmt.clock(startsAt)}`).waitFor();
    expect(await again.getByRole('button', { name: 'Check in', exact: true }).count()).toBe(0);
  });

  it('warns before checking in a member without a contract, and checks them in once the desk confirms', async () => {
    const { ok } = staffApi(web.platform, web.T);
    const page = await atDesk({ width: 1366, height: 800 });
    const card = await find(page, { familyName: '高橋', givenName: '健', number: prospect.memberNumber });
    const warning = card.locator('.desk-warning');
    await warning.waitFor();
    expect(await warning.getByRole('heading').textContent()).toBe('Check before checking in');
    expect(await warning.textContent()).toContain('Registration is not complete (provisional)');
    expect(await card.locator('tr', { hasText: 'Plan' }).textContent()).toContain('No contract');
    await expectAccessible(page, 'front desk: a warning');

    await card.getByRole('button', { name: 'Check in anyway' }).click();
    const dialog = page.getByRole('alertdialog');
    await dialog.getByText('高橋 健 has the warnings shown. Check them in anyway?').waitFor();
    await expectAccessible(page, 'front desk: confirming a warning');
    await dialog.getByRole('button', { name: 'Check in anyway' }).click();
    await page.locator('.desk-result.done', { hasText: '高橋 健 checked in (walk-in)' }).waitFor();
    const checkIns = (await ok('GET', `/api/members/${prospect.id}/check-ins`)).items;
    expect(checkIns).toHaveLength(1);
  });

  it('on a tablet: a scanned code of a member already in shows when they came, beside today’s list, with large touch targets', async () => {
    const { ok } = staffApi(web.platform, web.T);
    const first = await ok('POST', '/api/check-ins', { memberId: member.memberId, locationId: studio.locationId }, 200);
    const code = (await member.send('GET', '/api/me/check-in-code')).json().token as string;
    const fmt = formatters('en', timeZone);

    const page = await atDesk({ width: 820, height: 1180 });
    await page.getByLabel('Scanned or pasted code').fill(code);
    await page.getByRole('button', { name: 'Show member' }).click();
    const card = page.getByRole('region', { name: 'The member at a glance' });
    await card.getByText(`鈴木 一郎 was already checked in at ${fmt.clock(first.checkedInAt)} (walk-in)`).waitFor();
    await page.locator('tbody tr', { hasText: '鈴木 一郎' }).waitFor();

    // The card and today's check-ins side by side.
    const main = (await page.locator('.desk-main').boundingBox())!;
    const list = (await page.locator('.desk-list').boundingBox())!;
    expect(list.x).toBeGreaterThanOrEqual(main.x + main.width);
    expect(Math.abs(list.y - main.y)).toBeLessThan(40);
    for (const button of await page.locator('.desk button').all()) {
      if (await button.isVisible()) expect((await button.boundingBox())!.height).toBeGreaterThanOrEqual(44);
    }
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(820);
    await expectAccessible(page, 'front desk on a tablet');
    await page.screenshot({ path: path.join(screens, 'front-desk-tablet.png'), fullPage: true });
  });

  it('on a phone: one column, nothing wider than the screen', async () => {
    const [id] = await packMembers(web.platform, web.T, studio, 1);
    const detail = await staffApi(web.platform, web.T).ok('GET', `/api/members/${id}`);
    const page = await atDesk({ width: 390, height: 844 });
    await find(page, { familyName: 'Rider', givenName: detail.givenName, number: detail.memberNumber });
    await page.getByRole('region', { name: 'The member at a glance' }).getByRole('button', { name: 'Check in', exact: true }).waitFor();
    const main = (await page.locator('.desk-main').boundingBox())!;
    const list = (await page.locator('.desk-list').boundingBox())!;
    expect(list.y).toBeGreaterThanOrEqual(main.y + main.height);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await expectAccessible(page, 'front desk on a phone');
    await page.screenshot({ path: path.join(screens, 'front-desk-phone.png'), fullPage: true });
  });

  it('in Japanese on a tablet: the warning stands apart, and its confirmation asks in Japanese', async () => {
    const page = await atDesk({ width: 820, height: 1180 }, 'ja');
    await page.getByLabel('チェックインする会員を検索', { exact: true }).fill('山田');
    await page.getByRole('button', { name: `山田 花子(会員番号${newcomer.memberNumber})` }).click();
    const card = page.getByRole('region', { name: '会員の概要' });
    const warning = card.locator('.desk-warning');
    await warning.getByRole('heading', { name: 'チェックイン前にご確認ください' }).waitFor();
    expect(await warning.textContent()).toContain('入会手続きが完了していません（仮登録）。');
    expect(await card.locator('tr', { hasText: 'プラン' }).textContent()).toContain('契約なし');
    await expectAccessible(page, 'front desk in Japanese: a warning on a tablet');
    await page.screenshot({ path: path.join(screens, 'front-desk-tablet-ja.png'), fullPage: true });
    await card.getByRole('button', { name: '確認してチェックイン' }).click();
    await page.getByRole('alertdialog').getByText('山田 花子さんには表示の注意事項があります。このままチェックインしますか？').waitFor();
    await page.getByRole('alertdialog').getByRole('button', { name: 'やめる' }).click();
    expect((await staffApi(web.platform, web.T).ok('GET', `/api/members/${newcomer.id}/check-ins`)).items).toHaveLength(0);
  });
});
