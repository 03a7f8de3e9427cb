import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatters } from '../../web/src/formatters.js';
import { bookingStudio, memberWithSession, staffApi, type BookingStudio } from '../support/booking.js';
import { browserSuite, newPage, review, signIn } from '../support/browser.js';
import { startFakeStripe, type FakeStripe } from '../support/fake-stripe.js';
import { useLocalStripe } from '../support/stripe-js.js';
import type { Page } from 'playwright-core';

/**
 * Real card entry for a studio on Stripe: the card is typed into Stripe.js's own fields and sent to Stripe, the
 * bank's 3-D Secure is passed when the card is saved and when a payment asks for it, and our server never sees a
 * card number. The API side is the fake Stripe; Stripe.js is a local stand-in served in place of js.stripe.com.
 */
let fake: FakeStripe;
beforeAll(async () => {
  fake = await startFakeStripe();
});
afterAll(() => fake?.close());

const web = browserSuite(() => ({ STRIPE_API_URL: fake.url }));
const PK = 'pk_test_studiohive_browser';
let studio: BookingStudio;
let timeZone: string;

beforeAll(async () => {
  studio = await bookingStudio(web.platform, web.T);
  timeZone = (await web.platform.call(web.T, { method: 'GET', url: '/api/tenant' })).json().timezone;
  await staffApi(web.platform, web.T).ok('PATCH', '/api/settings/billing', { gateway: 'stripe', stripeSecretKey: 'sk_test_studiohive', stripePublishableKey: PK }, 200);
});

/** A member signed in on a phone in Japanese, with Stripe.js served locally, and every body the page sends us. */
async function signedIn(email: string): Promise<{ page: Page; sentToUs: string[] }> {
  const page = await newPage(web.browser, 'phone', 'ja');
  await useLocalStripe(page, fake);
  const sentToUs: string[] = [];
  page.on('request', (r) => {
    if (r.url().startsWith(web.base)) sentToUs.push(`${r.url()} ${r.postData() ?? ''}`);
  });
  await page.goto(`${web.base}/member/login`);
  await page.getByLabel('メールアドレス').fill(email);
  await page.getByLabel('パスワード').fill('member password 1');
  await page.getByRole('button', { name: 'ログイン' }).click();
  await page.getByRole('heading', { name: '時間割' }).waitFor();
  return { page, sentToUs };
}

describe('a member on a studio that takes cards through Stripe', () => {
  it('saves a card in Stripe’s fields through 3-D Secure, buys a pack passing 3-D Secure again, and pays an invoice after a failed challenge', async () => {
    const staff = staffApi(web.platform, web.T);
    const member = await memberWithSession(web.platform, web.T, studio);
    const pack = await staff.ok('POST', '/api/plans', {
      kind: 'pack', name: `回数券3回 ${randomUUID().slice(0, 4)}`, soldOnline: true, terms: { price: 5500, taxCategory: 'standard_10', packCredits: 3, packValidityDays: 30 },
    });
    const fmt = formatters('ja', timeZone);
    const { page, sentToUs } = await signedIn(member.email);
    const nav = (name: string) => page.getByRole('navigation', { name: '会員メニュー' }).getByRole('link', { name }).click();
    // A card that asks for 3-D Secure when it is saved and on every payment the member makes in the app.
    const number = '4000002760003184';

    await nav('マイページ');
    await page.getByRole('link', { name: 'お支払いカード' }).click();
    await page.getByRole('button', { name: 'カードを入力する' }).click();
    const form = page.getByRole('form', { name: 'カードの登録' });
    await form.getByLabel('カード番号').fill('4000 0027 6000 3184');
    await form.getByLabel('有効期限（月/年）').fill('12 / 31');
    await form.getByLabel('セキュリティコード').fill('123');
    await review(page, 'member-card-stripe-ja-phone');
    await form.getByRole('button', { name: 'カードを登録' }).click();
    const challenge = page.getByRole('dialog', { name: '3Dセキュア認証（テスト）' });
    await challenge.getByRole('button', { name: '認証を完了する' }).click();
    await page.getByText('カードを登録しました。', { exact: false }).waitFor();
    await expect.poll(() => page.getByLabel('登録済みのカード').textContent()).toContain('•••• 3184');

    // Buying a pack: the first invoice's charge asks for 3-D Secure, passed here, and the pack is paid.
    await nav('マイページ');
    const offer = page.getByRole('article', { name: pack.name });
    await offer.getByRole('button', { name: 'プレビュー' }).click();
    await offer.getByRole('button', { name: '購入して支払う' }).click();
    await challenge.getByRole('button', { name: '認証を完了する' }).click();
    await page.getByText(`${pack.name}を購入しました。ありがとうございます。`).waitFor();
    const bought = (await member.send('GET', '/api/me/invoices')).json().items;
    expect(bought).toMatchObject([{ status: 'paid', total: 5500 }]);

    // The desk sells another pack with an invoice to pay; the member fails the challenge once, then passes it.
    await staff.ok('POST', '/api/contracts', { memberId: member.memberId, planId: studio.packPlanId });
    await nav('請求');
    await page.getByRole('listitem').filter({ hasText: fmt.money(11000) }).getByRole('link').click();
    const pay = page.getByRole('button', { name: `今すぐ支払う（${fmt.money(11000)}）` });
    await pay.click();
    await challenge.getByRole('button', { name: '認証を失敗させる' }).click();
    await page.getByRole('alert').filter({ hasText: 'お支払いができませんでした：お支払い方法を認証できませんでした' }).waitFor();
    await review(page, 'member-pay-3ds-failed-ja-phone');
    await pay.click();
    await challenge.getByRole('button', { name: '認証を完了する' }).click();
    await page.getByText(`${fmt.money(11000)}のお支払いが完了しました。ありがとうございます。`).waitFor();
    expect((await member.send('GET', '/api/me/invoices')).json().items.map((i: { status: string }) => i.status)).toEqual(['paid', 'paid']);

    // The number went from the page to Stripe only: never in anything the page sent us, nor anything we sent Stripe.
    expect(sentToUs.filter((s) => s.replace(/\s/g, '').includes(number))).toEqual([]);
    expect(fake.cardNumbersSeen.filter((c) => c.number === number).map((c) => c.endpoint)).toEqual(['POST /v1/setup_intents/:id/confirm']);
    await page.context().close();
  });

  it('lets the desk enter a member’s card in Stripe’s fields, in English on a desk screen, once the owner has set the publishable key', async () => {
    const staff = staffApi(web.platform, web.T);
    const member = await staff.ok('POST', '/api/members', { familyName: '山田', givenName: '花子' });
    const page = await newPage(web.browser, 'desk', 'en');
    await useLocalStripe(page, fake);
    await signIn(page.context(), web.base, { staff: web.T.ownerToken });
    await page.goto(`${web.base}/`);
    await page.getByRole('link', { name: 'Settings' }).click();
    const settings = page.getByRole('form', { name: 'Billing settings' });
    const key = settings.getByLabel('Stripe publishable key (for the card fields)');
    await expect.poll(() => key.inputValue()).toBe(PK);
    await key.fill('sk_test_not_a_publishable_key');
    await settings.getByRole('button', { name: 'Save billing settings' }).click();
    await page.getByText('A publishable key starts with pk_test_ or pk_live_').first().waitFor();
    await key.fill(PK);
    await settings.getByRole('button', { name: 'Save billing settings' }).click();
    await page.getByText('Billing settings saved.').waitFor();

    await page.goto(`${web.base}/members/${member.id}?tab=billing`);
    await page.getByRole('heading', { name: '山田 花子' }).waitFor();
    await page.getByRole('button', { name: 'Enter a card' }).click();
    const form = page.getByRole('form', { name: 'Save a card' });
    await form.getByLabel('Card number').fill('4242 4242 4242 4242');
    await review(page, 'desk-card-stripe-en');
    await form.getByRole('button', { name: 'Save card' }).click();
    await page.getByLabel('Saved card').getByText('Visa •••• 4242').waitFor();
    expect((await staff.ok('GET', `/api/members/${member.id}/card`)).card).toMatchObject({ gateway: 'stripe', last4: '4242' });
    await page.context().close();
  });
});
