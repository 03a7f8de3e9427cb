import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { formatters } from '../../web/src/formatters.js';
import { addLesson, bookingStudio, staffApi } from '../support/booking.js';
import { browserSuite, newPage, review } from '../support/browser.js';
import { latestMail, tokenInMail } from '../support/fixtures.js';

const web = browserSuite();

describe('a new member on their phone, in Japanese', () => {
  it('signs up, confirms, saves a card, buys a pack, books a bike, cancels, and pays an invoice', async () => {
    const studio = await bookingStudio(web.platform, web.T);
    const staff = staffApi(web.platform, web.T);
    const timeZone = (await web.platform.call(web.T, { method: 'GET', url: '/api/tenant' })).json().timezone;
    // The bike room: six numbered bikes; a lesson in it two days from now, bike 2 already taken.
    await staff.ok('PATCH', `/api/rooms/${studio.roomId}`, { spots: [1, 2, 3, 4, 5, 6].map((n) => ({ spot: n, label: String(n) })) }, 200);
    const startsAt = new Date(Math.ceil((Date.now() + 2 * 86_400_000) / 3_600_000) * 3_600_000);
    const lessonId = await addLesson(web.platform, web.T, studio, { startsAt, capacity: 6 });
    const rider = await staff.ok('POST', '/api/members', { familyName: '先客', givenName: '一人' });
    await staff.ok('POST', '/api/contracts', { memberId: rider.id, planId: studio.packPlanId, firstInvoice: 'next_run' });
    await staff.ok('POST', `/api/lessons/${lessonId}/reservations`, { memberId: rider.id, spot: 2 });
    const pack = await staff.ok('POST', '/api/plans', {
      kind: 'pack', name: `回数券5回 ${randomUUID().slice(0, 4)}`, soldOnline: true, terms: { price: 7700, taxCategory: 'standard_10', packCredits: 5, packValidityDays: 60 },
    });
    const email = `new-${randomUUID().slice(0, 8)}@example.com`;
    const fmt = formatters('ja', timeZone);
    const page = await newPage(web.browser, 'phone', 'ja');
    const nav = (name: string) => page.getByRole('navigation', { name: '会員メニュー' }).getByRole('link', { name }).click();

    // Sign up, and confirm from the mailed link.
    await page.goto(`${web.base}/member/login`);
    await page.getByRole('link', { name: '新規会員登録' }).click();
    const form = page.getByRole('form', { name: '新規会員登録' });
    await form.getByLabel('姓', { exact: true }).fill('高橋');
    await form.getByLabel('名', { exact: true }).fill('みなみ');
    await form.getByLabel('メールアドレス').fill(email);
    await form.getByLabel('パスワード（10文字以上）').fill('a new password 9');
    await form.getByRole('checkbox').check();
    await form.getByRole('button', { name: '登録して確認メールを受け取る' }).click();
    await page.getByRole('heading', { name: 'メールをご確認ください' }).waitFor();
    const token = tokenInMail(await latestMail(web.platform, web.T, email, 'member_confirm_email'));
    await page.goto(`${web.base}/member/confirm?token=${encodeURIComponent(token)}`);
    await page.getByRole('link', { name: '会員アプリを開く' }).click();
    await page.getByRole('heading', { name: '時間割' }).waitFor();

    // My page: nothing to buy with until a card is saved; then the pack, previewed, bought and paid.
    await nav('マイページ');
    await page.getByText('ご契約中のプランはありません。').waitFor();
    const offer = page.getByRole('article', { name: pack.name });
    await offer.waitFor();
    await page.getByRole('link', { name: 'カードを登録' }).click();
    await page.getByLabel('カード番号').fill('4242424242424242');
    await page.getByRole('button', { name: 'カードを登録' }).click();
    await page.getByText('カードを登録しました。', { exact: false }).waitFor();
    await nav('マイページ');
    await offer.getByRole('button', { name: 'プレビュー' }).click();
    const preview = offer.getByRole('region', { name: `${pack.name}を購入:プレビュー` });
    await preview.getByText(`今回のお支払い: ${fmt.money(7700)}（登録カード）`).waitFor();
    await review(page, 'member-buy-preview-ja-phone');
    await preview.getByRole('button', { name: '購入して支払う' }).click();
    await page.getByText(`${pack.name}を購入しました。ありがとうございます。`).waitFor();
    await page.getByRole('article', { name: new RegExp(pack.name) }).first().getByText('有効').waitFor();
    const credits = page.getByRole('region', { name: 'クレジット' });
    await credits.getByText('利用できるクレジット：5').waitFor();
    await credits.getByText(/^5回分（.+まで有効）$/).waitFor();
    await credits.getByRole('list', { name: 'クレジットの履歴' }).getByText('付与 +5').waitFor();

    // Book bike 4 on the seat map: bike 2 shows as taken.
    await nav('時間割');
    await page.getByRole('tab', { name: fmt.day(fmt.dayOf(startsAt.toISOString())) }).click();
    const card = page.getByRole('article', { name: new RegExp(`^${fmt.clock(startsAt.toISOString())}の`) });
    await card.getByRole('button', { name: '予約する' }).click();
    const picker = card.getByRole('group', { name: 'スポットを選ぶ' });
    expect(await picker.getByRole('button', { name: 'スポット2（予約済み）' }).isDisabled()).toBe(true);
    await picker.getByRole('button', { name: 'スポット4（空き）' }).click();
    await review(page, 'member-seat-map-ja-phone');
    await picker.getByRole('button', { name: 'スポット4で予約する' }).click();
    await card.getByText('予約済み・4番').waitFor();
    const roster = await staff.ok('GET', `/api/lessons/${lessonId}/reservations`, undefined, 200);
    expect(roster.reservations.map((r: { spot: number; status: string }) => [r.spot, r.status]).sort()).toEqual([[2, 'booked'], [4, 'booked']]);

    // Cancel it from My bookings, in time: the credit comes back.
    await nav('予約');
    const coming = page.getByRole('list', { name: '予約' }).getByRole('listitem').first();
    await coming.getByRole('button', { name: 'キャンセル', exact: true }).click();
    await coming.getByRole('group', { name: 'この予約をキャンセルしますか？' }).getByRole('button', { name: 'キャンセルする' }).click();
    await page.getByText('今後の予約はありません。').waitFor();

    // The desk sells a second pack with its invoice to collect; the member pays it in the app.
    const me = (await staff.ok('GET', `/api/members?q=${encodeURIComponent(email)}`, undefined, 200)).items[0];
    const sale = await staff.ok('POST', '/api/contracts', { memberId: me.id, planId: studio.packPlanId });
    expect(sale.firstInvoice).toMatchObject({ status: 'open', total: 11000 });
    await nav('請求');
    await page.getByRole('listitem').filter({ hasText: fmt.money(11000) }).getByRole('link').click();
    await page.getByRole('button', { name: `今すぐ支払う（${fmt.money(11000)}）` }).click();
    await page.getByText(`${fmt.money(11000)}のお支払いが完了しました。ありがとうございます。`).waitFor();
    expect((await staff.ok('GET', `/api/members/${me.id}/credits`, undefined, 200)).available).toBe(15);
    await page.context().close();
  });
});
