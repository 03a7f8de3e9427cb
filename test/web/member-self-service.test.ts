import { beforeAll, describe, expect, it } from 'vitest';
import { formatters } from '../../web/src/formatters.js';
import { addLesson, bookingStudio, memberWithSession, staffApi, type BookingStudio } from '../support/booking.js';
import { browserSuite, newPage, review, signIn } from '../support/browser.js';
import type { Page } from 'playwright-core';

const web = browserSuite();
let studio: BookingStudio;
let timeZone: string;

beforeAll(async () => {
  studio = await bookingStudio(web.platform, web.T);
  timeZone = (await web.platform.call(web.T, { method: 'GET', url: '/api/tenant' })).json().timezone;
});

/** A member signed in on a phone, in Japanese. */
async function signedIn(email: string): Promise<Page> {
  const page = await newPage(web.browser, 'phone', 'ja');
  await page.goto(`${web.base}/member/login`);
  await page.getByLabel('メールアドレス').fill(email);
  await page.getByLabel('パスワード').fill('member password 1');
  await page.getByRole('button', { name: 'ログイン' }).click();
  await page.getByRole('heading', { name: '時間割' }).waitFor();
  return page;
}

/** The calendar month `n` months after the studio's current one, as YYYY-MM. */
function monthsAhead(n: number): string {
  const [y, m] = formatters('en', timeZone).dayOf(new Date().toISOString()).split('-').map(Number) as [number, number];
  const index = y * 12 + (m - 1) + n;
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`;
}

describe('member self-service on the phone', () => {
  it('lets a family lead book a lesson for a child, and see and edit the child on My page', async () => {
    const staff = staffApi(web.platform, web.T);
    const lead = await memberWithSession(web.platform, web.T, studio);
    const child = await staff.ok('POST', '/api/members', { familyName: '佐藤', givenName: 'こども' });
    await staff.ok('PUT', `/api/members/${child.id}/family-lead`, { leadId: lead.memberId }, 200);
    await staff.ok('POST', '/api/contracts', { memberId: child.id, planId: studio.packPlanId, firstInvoice: 'next_run' });
    const startsAt = new Date(Math.ceil((Date.now() + 2 * 86_400_000) / 3_600_000) * 3_600_000);
    const lessonId = await addLesson(web.platform, web.T, studio, { startsAt, capacity: 6 });
    const fmt = formatters('ja', timeZone);

    const page = await signedIn(lead.email);
    const whom = page.getByLabel('予約・手続きをする人');
    await whom.selectOption({ label: '佐藤 こども' });
    await page.getByRole('tab', { name: fmt.day(fmt.dayOf(startsAt.toISOString())) }).click();
    const card = page.getByRole('article', { name: new RegExp(`^${fmt.clock(startsAt.toISOString())}の`) });
    await card.getByRole('button', { name: '予約する' }).click();
    await card.getByText('予約済み').waitFor();
    await review(page, 'member-family-booking-ja-phone');
    const childBookings = await web.platform.call(web.T, { method: 'GET', url: `/api/members/${child.id}/reservations`, token: web.T.ownerToken });
    expect(childBookings.json().items.map((r: { lessonId: string; status: string }) => [r.lessonId, r.status])).toEqual([[lessonId, 'booked']]);
    expect((await lead.send('GET', '/api/me/reservations')).json().items).toEqual([]);

    // The choice holds across screens: My bookings and My page show the child's.
    await page.getByRole('navigation', { name: '会員メニュー' }).getByRole('link', { name: '予約' }).click();
    await page.getByRole('list', { name: '予約' }).getByRole('listitem').first().getByText('予約済み').waitFor();
    await page.getByRole('navigation', { name: '会員メニュー' }).getByRole('link', { name: 'マイページ' }).click();
    await page.getByText('佐藤 こどもさんの会員情報を表示しています。').waitFor();
    const profile = page.getByRole('form', { name: 'プロフィール' });
    await profile.getByLabel('電話番号').fill('090-3333-4444');
    await profile.getByRole('button', { name: 'プロフィールを保存' }).click();
    await page.getByText('プロフィールを保存しました。').waitFor();
    expect((await staff.ok('GET', `/api/members/${child.id}`, undefined, 200)).phone).toBe('09033334444');
    await whom.selectOption({ index: 0 });
    await expect.poll(async () => profile.getByLabel('姓').inputValue()).toBe('鈴木');
    await page.context().close();
  });

  it('pages the timetable a week ahead, up to the booking window, and narrows it by lesson', async () => {
    const staff = staffApi(web.platform, web.T);
    const member = await memberWithSession(web.platform, web.T, studio);
    await staff.ok('POST', '/api/lesson-types', { name: 'ヨガ', durationMinutes: 60 });
    // A week from now, on the hour: the first day of the next page, whose booking has opened or opens today.
    const startsAt = new Date(Math.ceil((Date.now() + 7 * 86_400_000) / 3_600_000) * 3_600_000);
    await addLesson(web.platform, web.T, studio, { startsAt, capacity: 4 });
    const fmt = formatters('ja', timeZone);

    const page = await signedIn(member.email);
    const earlier = page.getByRole('button', { name: '← 前の週' });
    expect(await earlier.isDisabled()).toBe(true);
    await page.getByRole('button', { name: '次の週 →' }).click();
    await page.getByRole('tab', { name: fmt.day(fmt.dayOf(startsAt.toISOString())) }).click();
    const card = page.getByRole('article', { name: new RegExp(`^${fmt.clock(startsAt.toISOString())}の`) });
    await card.waitFor();
    // A week later than the window allows is not offered.
    expect(await page.getByRole('button', { name: '次の週 →' }).isDisabled()).toBe(true);
    await review(page, 'member-timetable-next-week-ja-phone');
    await page.getByLabel('レッスン', { exact: true }).selectOption({ label: 'ヨガ' });
    await card.waitFor({ state: 'detached' });
    await page.getByLabel('レッスン', { exact: true }).selectOption({ index: 0 });
    await card.waitFor();
    await earlier.click();
    expect(await earlier.isDisabled()).toBe(true);
    await page.context().close();
  });

  it('opens a booking from My bookings, adds it to the calendar, and gives the private calendar address', async () => {
    const member = await memberWithSession(web.platform, web.T, studio);
    const startsAt = new Date(Math.ceil((Date.now() + 3 * 86_400_000) / 3_600_000) * 3_600_000);
    const lessonId = await addLesson(web.platform, web.T, studio, { startsAt, capacity: 4 });
    const booking = (await member.send('POST', '/api/me/reservations', { lessonId })).json().reservation;

    const page = await signedIn(member.email);
    await page.getByRole('navigation', { name: '会員メニュー' }).getByRole('link', { name: '予約' }).click();
    await page.getByRole('list', { name: '予約' }).getByRole('link').first().click();
    await page.getByRole('table').getByText('予約済み').waitFor();
    const add = page.getByRole('link', { name: 'カレンダーに追加（.ics）' });
    const href = await add.getAttribute('href');
    expect(href).toBe(`/api/me/reservations/${booking.id}/calendar`);
    // The link works with the browser's session cookie, as a phone opening it would.
    const ics = await page.evaluate(async (path) => { const r = await fetch(path); return { type: r.headers.get('content-type'), body: await r.text() }; }, href!);
    expect(ics.type).toBe('text/calendar; charset=utf-8');
    expect(ics.body).toContain(`UID:${booking.id}@`);
    await review(page, 'member-booking-ja-phone');

    await page.getByRole('navigation', { name: '会員メニュー' }).getByRole('link', { name: 'マイページ' }).click();
    await page.getByRole('button', { name: '同期用のアドレスを表示' }).click();
    const address = await page.getByLabel('同期用のアドレス').inputValue();
    expect(address).toMatch(/\/api\/calendar-feeds\/c1\./);
    expect(await page.getByRole('link', { name: 'カレンダーアプリで開く' }).getAttribute('href')).toBe(address.replace(/^http:/, 'webcal:'));
    const feed = await web.platform.call(web.T, { method: 'GET', url: new URL(address).pathname });
    expect(feed.body).toContain(`UID:${booking.id}@`);
    await page.context().close();
  });

  it('lets a member ask for a leave on My page, see its preview first, and confirm it', async () => {
    const staff = staffApi(web.platform, web.T);
    const member = await memberWithSession(web.platform, web.T, studio);
    const monthly = await staff.ok('POST', '/api/plans', { kind: 'monthly', name: '月4回', terms: { price: 8800, taxCategory: 'standard_10', leaveFee: 1100 } });
    await staff.ok('POST', '/api/contracts', { memberId: member.memberId, planId: monthly.id });
    const from = monthsAhead(2);
    const fmt = formatters('ja', timeZone);

    const page = await signedIn(member.email);
    await page.getByRole('navigation', { name: '会員メニュー' }).getByRole('link', { name: 'マイページ' }).click();
    const contract = page.getByRole('article', { name: /月4回/ });
    await contract.getByRole('button', { name: '休会を申し込む' }).click();
    const form = contract.getByRole('form', { name: '休会を申し込む' });
    await form.getByLabel('休会を始める月').fill(from);
    await form.getByRole('button', { name: 'プレビュー' }).click();
    const preview = contract.getByRole('region', { name: '休会を申し込む:プレビュー' });
    await preview.getByText(fmt.month(from), { exact: false }).first().waitFor();
    await review(page, 'member-leave-preview-ja-phone');
    // Nothing is written by the preview.
    const before = (await member.send('GET', '/api/me/contracts')).json().items.find((c: { kind: string }) => c.kind === 'monthly');
    expect(before.leaves).toEqual([]);
    await preview.getByRole('button', { name: 'この内容で休会する' }).click();
    await page.getByText('休会を受け付けました。').waitFor();
    const after = (await member.send('GET', '/api/me/contracts')).json().items.find((c: { kind: string }) => c.kind === 'monthly');
    expect(after.leaves.map((l: { fromMonth: string; withdrawn: boolean }) => [l.fromMonth, l.withdrawn])).toEqual([[from, false]]);
    await contract.getByRole('button', { name: '復帰の月を決める' }).waitFor();
    await page.context().close();
  });

  it('lets a member add an option the studio sells online to their monthly contract, previewed first', async () => {
    const staff = staffApi(web.platform, web.T);
    const member = await memberWithSession(web.platform, web.T, studio);
    const monthly = await staff.ok('POST', '/api/plans', { kind: 'monthly', name: '月2回', terms: { price: 6600, taxCategory: 'standard_10' } });
    await staff.ok('POST', '/api/contracts', { memberId: member.memberId, planId: monthly.id });
    const towel = await staff.ok('POST', '/api/plans', { kind: 'option', name: 'タオルセット', soldOnline: true, terms: { price: 550, taxCategory: 'standard_10' } });
    const fmt = formatters('ja', timeZone);

    const page = await signedIn(member.email);
    await page.getByRole('navigation', { name: '会員メニュー' }).getByRole('link', { name: 'マイページ' }).click();
    const contract = page.getByRole('article', { name: /月2回/ });
    await contract.getByRole('button', { name: 'オプションを追加する' }).click();
    const form = contract.getByRole('form', { name: 'オプションを追加する' });
    await form.getByLabel('オプション').selectOption({ label: `タオルセット（月額${fmt.money(550)}）` });
    await form.getByRole('button', { name: 'プレビュー' }).click();
    const preview = contract.getByRole('region', { name: 'オプションを追加する:プレビュー' });
    await preview.getByText('タオルセット', { exact: false }).first().waitFor();
    await review(page, 'member-option-preview-ja-phone');
    await preview.getByRole('button', { name: 'このオプションを追加する' }).click();
    await page.getByText('オプションを追加しました。').waitFor();
    const after = (await member.send('GET', '/api/me/contracts')).json().items.find((c: { kind: string }) => c.kind === 'monthly');
    expect(after.options.map((o: { planId: string }) => o.planId)).toEqual([towel.id]);
    // Already on the contract, it is offered no more; the plans to buy never list options.
    await contract.getByRole('button', { name: 'オプションを追加する' }).waitFor({ state: 'detached' });
    expect(await page.getByRole('region', { name: 'プランを購入' }).getByText('タオルセット').count()).toBe(0);
    await page.context().close();
  });

  it('sends a leave as a request where staff approve them; the desk approves it on Leave requests and the member sees it approved', async () => {
    const staff = staffApi(web.platform, web.T);
    const member = await memberWithSession(web.platform, web.T, studio);
    const monthly = await staff.ok('POST', '/api/plans', { kind: 'monthly', name: '月8回', terms: { price: 13200, taxCategory: 'standard_10', leaveFee: 1100 } });
    await staff.ok('POST', '/api/contracts', { memberId: member.memberId, planId: monthly.id });
    await staff.ok('PUT', '/api/settings/member-sign-up', { memberChangesNeedApproval: true }, 200);
    try {
      const from = monthsAhead(2);
      const fmt = formatters('ja', timeZone);
      const page = await signedIn(member.email);
      await page.getByRole('navigation', { name: '会員メニュー' }).getByRole('link', { name: 'マイページ' }).click();
      const contract = page.getByRole('article', { name: /月8回/ });
      await contract.getByRole('button', { name: '休会を申し込む' }).click();
      const form = contract.getByRole('form', { name: '休会を申し込む' });
      await form.getByLabel('休会を始める月').fill(from);
      await form.getByRole('button', { name: 'プレビュー' }).click();
      const preview = contract.getByRole('region', { name: '休会を申し込む:プレビュー' });
      await preview.getByText('この内容はスタッフの承認後に反映されます。').waitFor();
      await preview.getByRole('button', { name: '休会を申請する' }).click();
      await page.getByText('申請を送りました。スタッフが確認します。').waitFor();
      const requests = contract.getByRole('list', { name: '申請' });
      await requests.getByText(`${fmt.month(from)}からの休会`).waitFor();
      await requests.getByText('確認待ち').waitFor();
      await review(page, 'member-leave-requested-ja-phone');
      expect((await member.send('GET', '/api/me/contracts')).json().items.find((c: { kind: string }) => c.kind === 'monthly').leaves).toEqual([]);

      // The desk, on a desk screen in Japanese: Leave requests, approve.
      const desk = await newPage(web.browser, 'desk', 'ja');
      await signIn(desk.context(), web.base, { staff: web.T.ownerToken });
      await desk.goto(`${web.base}/`);
      await desk.getByRole('link', { name: '休会・退会の申請' }).click();
      const asked = desk.getByRole('article', { name: '鈴木 一郎さんの申請' }).filter({ hasText: '確認待ち' });
      await asked.getByText(`${fmt.month(from)}からの休会`).waitFor();
      await review(desk, 'desk-membership-requests-ja');
      await asked.getByRole('button', { name: '承認する' }).click();
      await desk.getByText('申請を承認しました。').waitFor();
      await desk.context().close();

      await page.reload();
      await page.getByRole('list', { name: '申請' }).getByText('承認済み').waitFor();
      const after = (await member.send('GET', '/api/me/contracts')).json().items.find((c: { kind: string }) => c.kind === 'monthly');
      expect(after.leaves.map((l: { fromMonth: string }) => l.fromMonth)).toEqual([from]);
      await page.context().close();
    } finally {
      await staff.ok('PUT', '/api/settings/member-sign-up', { memberChangesNeedApproval: false }, 200);
    }
  });
});
