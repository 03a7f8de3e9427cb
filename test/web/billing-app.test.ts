import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { billingDeps, runBilling } from '../../src/modules/billing/billing-run.js';
import { bookingStudio, memberWithSession, staffApi, type BookingStudio } from '../support/booking.js';
import { browserSuite, expectAccessible, newPage as openPage, screens } from '../support/browser.js';

const web = browserSuite();
let studio: BookingStudio;

beforeAll(async () => {
  studio = await bookingStudio(web.platform, web.T);
});

const newPage = (device: 'phone' | 'desk') => openPage(web.browser, device);

/** The monthly run, in-process, as the hourly job would do it now. */
const runBillingNow = () => runBilling(billingDeps(web.platform.runtime), web.T.id, new Date());

describe('billing', () => {
  it('lets the owner set the registration number and save a card; the run’s invoice is paid, and part of it refunded', async () => {
    const { ok } = staffApi(web.platform, web.T);
    const member = await ok('POST', '/api/members', { familyName: '山田', givenName: '花子', phone: '090-2222-1111' });
    // Left to the monthly run, which charges the card saved below.
    await ok('POST', '/api/contracts', { memberId: member.id, planId: studio.packPlanId, firstInvoice: 'next_run' });

    const page = await newPage('desk');
    await page.goto(`${web.base}/`);
    await page.getByLabel('Email').fill(web.T.ownerEmail);
    await page.getByLabel('Password').fill(web.T.ownerPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'Settings' }).click();
    const settings = page.getByRole('form', { name: 'Billing settings' });
    await settings.getByLabel('Registration number').fill('T12345');
    await settings.getByRole('button', { name: 'Save billing settings' }).click();
    await page.getByRole('alert').getByText('T followed by 13 digits', { exact: false }).waitFor();
    await settings.getByLabel('Registration number').fill('T1234567890123');
    await settings.getByRole('button', { name: 'Save billing settings' }).click();
    await page.getByText('Billing settings saved.').waitFor();
    await expect.poll(() => settings.getByLabel('Registration number').inputValue()).toBe('T1234567890123');
    await page.screenshot({ path: path.join(screens, 'billing-settings.png'), fullPage: true });

    await page.goto(`${web.base}/members/${member.id}?tab=billing`);
    await page.getByRole('heading', { name: '山田 花子' }).waitFor();
    const saveCard = page.getByRole('form', { name: 'Save a card' });
    await saveCard.getByLabel('Card number or token').fill('4242424242424242');
    await saveCard.getByRole('button', { name: 'Save card' }).click();
    await page.getByLabel('Saved card').getByText('Visa •••• 4242').waitFor();

    expect((await runBillingNow())?.invoicesCreated).toBeGreaterThanOrEqual(1);
    const invoice = (await ok('GET', `/api/invoices?memberId=${member.id}`)).items[0];
    expect(invoice).toMatchObject({ status: 'paid', currency: 'JPY' });
    const money = (n: number) => `¥${n.toLocaleString('en-US')}`;

    await page.getByRole('link', { name: 'Invoices' }).click();
    const row = page.locator('tbody tr', { hasText: '山田 花子' });
    await row.getByText('Paid').waitFor();
    expect(await row.textContent()).toContain(money(invoice.total));
    await page.screenshot({ path: path.join(screens, 'invoices.png'), fullPage: true });
    await row.getByRole('link').first().click();
    await page.getByRole('heading', { name: `Invoice ${invoice.number}` }).waitFor();
    await page.getByText('T1234567890123', { exact: false }).waitFor();
    await page.locator('table.payments tr', { hasText: 'Succeeded' }).waitFor();

    await page.getByRole('button', { name: 'Refund' }).click();
    const refund = page.getByRole('form', { name: 'Refund' });
    await refund.getByText(`Up to ${money(invoice.total)} can be refunded`).waitFor();
    await refund.getByLabel('Amount to refund').fill('1000');
    await refund.getByLabel('Reason for the refund').fill('Studio closed for a week');
    // The refund previews its credit note (tax per rate, as the refund computes it); nothing is written until confirmed.
    await refund.getByRole('button', { name: 'Preview' }).click();
    const preview = page.getByRole('region', { name: 'Refund: preview' });
    await preview.getByText(`${money(1000)} goes back to`, { exact: false }).waitFor();
    await preview.getByRole('row', { name: /^Credit note issued/ }).getByText(money(1000)).waitFor();
    await expectAccessible(page, 'refund preview');
    await page.screenshot({ path: path.join(screens, 'invoice-refund-preview.png') });
    expect(await page.locator('table.refunds tr', { hasText: 'Studio closed for a week' }).count()).toBe(0);
    await preview.getByRole('button', { name: 'Confirm refund' }).click();
    const refunded = page.locator('table.refunds tr', { hasText: 'Studio closed for a week' });
    await refunded.getByText('Succeeded').waitFor();
    expect(await refunded.textContent()).toContain(money(1000));
    await refunded.getByRole('button', { name: 'Download credit note' }).waitFor();
    await page.getByRole('row', { name: `Refunded ${money(1000)}` }).waitFor();
    await page.screenshot({ path: path.join(screens, 'invoice-refunded.png'), fullPage: true });
  });

  it('shows a member whose card was declined the overdue banner; they save another card, pay, and get the receipt', async () => {
    // No retries: the first declined charge makes the invoice overdue.
    await staffApi(web.platform, web.T).ok('PATCH', '/api/settings/billing', { retryDays: [] }, 200);
    const member = await memberWithSession(web.platform, web.T, studio);
    expect((await member.send('PUT', '/api/me/card', { token: '4000000000000002' })).statusCode).toBe(200);
    expect((await runBillingNow())?.charged.failed).toBe(1);

    const page = await newPage('phone');
    await page.goto(`${web.base}/member/login`);
    await page.getByLabel('Email').fill(member.email);
    await page.getByLabel('Password').fill('member password 1');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Timetable' }).waitFor();
    await page.getByRole('link', { name: 'Invoices' }).click();
    const banner = page.getByRole('region', { name: /^Overdue/ });
    await banner.getByText('Bookings are paused until this is paid').waitFor();
    await banner.getByRole('button', { name: /^Pay now/ }).click();
    await page.getByRole('alert').getByText('The payment did not go through: The card was declined.', { exact: false }).waitFor();
    await page.screenshot({ path: path.join(screens, 'member-invoice-overdue.png'), fullPage: true });

    await page.getByRole('link', { name: 'My page', exact: true }).click();
    await page.getByRole('link', { name: 'Card', exact: true }).click();
    await page.getByLabel('Saved card').getByText('Visa •••• 0002').waitFor();
    await page.getByLabel('New card number').fill('4242424242424242');
    await page.getByRole('button', { name: 'Replace card' }).click();
    await page.getByLabel('Saved card').getByText('Visa •••• 4242').waitFor();

    await page.getByRole('link', { name: 'Invoices', exact: true }).click();
    await banner.getByRole('button', { name: /^Pay now/ }).click();
    await page.getByRole('status').getByText('Thank you', { exact: false }).waitFor();
    // The invoices reload after the payment's answer: wait for the banner to go rather than read it mid-render.
    await banner.waitFor({ state: 'detached' });
    expect(await banner.count()).toBe(0);
    const item = page.getByRole('list', { name: 'Invoices' }).getByRole('listitem').first();
    await item.getByText('Paid', { exact: true }).waitFor();

    await item.getByRole('link').first().click();
    await page.getByLabel('Invoice status').getByText('Paid').waitFor();
    const [receipt] = await Promise.all([page.waitForEvent('popup'), page.getByRole('button', { name: 'Download receipt' }).click()]);
    expect(receipt.url()).toMatch(/^blob:/);
    const mine = (await member.send('GET', '/api/me/invoices')).json().items;
    expect(mine.map((i: { status: string; overdue: boolean }) => [i.status, i.overdue])).toEqual([['paid', false]]);
  });
  it('lets the desk take part of an invoice in cash and the rest by transfer', async () => {
    const { ok } = staffApi(web.platform, web.T);
    const member = await ok('POST', '/api/members', { familyName: '佐藤', givenName: '次郎', phone: '090-3333-4444' });
    await ok('POST', '/api/contracts', { memberId: member.id, planId: studio.packPlanId });
    await runBillingNow();
    const invoice = (await ok('GET', `/api/invoices?memberId=${member.id}`)).items[0];
    expect(invoice).toMatchObject({ status: 'open' });
    const money = (n: number) => `¥${n.toLocaleString('en-US')}`;

    const page = await newPage('phone');
    await page.goto(`${web.base}/`);
    await page.getByLabel('Email').fill(web.T.ownerEmail);
    await page.getByLabel('Password').fill(web.T.ownerPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'Invoices' }).first().waitFor();
    await page.goto(`${web.base}/invoices/${invoice.id}`);
    await page.getByRole('heading', { name: `Invoice ${invoice.number}` }).waitFor();
    // No card saved: no charge offered.
    expect(await page.getByRole('button', { name: 'Charge card now' }).count()).toBe(0);
    await ok('PUT', `/api/members/${member.id}/card`, { token: '4242424242424242' }, 200);
    await page.reload();
    // Charging a card asks first, naming the amount and the card; "Not now" charges nothing.
    await page.getByRole('button', { name: 'Charge card now' }).click();
    const ask = page.getByRole('alertdialog', { name: 'Charge card now: confirm' });
    await ask.getByText(`Charge ${money(invoice.total)} now to 佐藤 次郎's card Visa •••• 4242?`).waitFor();
    await expectAccessible(page, 'charge confirmation');
    await ask.getByRole('button', { name: 'Not now' }).click();
    await ask.waitFor({ state: 'detached' });
    expect(await ok('GET', `/api/invoices/${invoice.id}`)).toMatchObject({ status: 'open', payments: [] });

    await page.getByRole('button', { name: 'Record cash / bank transfer' }).click();
    const record = page.getByRole('form', { name: 'Record a payment' });
    await record.getByLabel('Amount received').fill('1000');
    await expectAccessible(page, 'partial payment');
    await record.getByRole('button', { name: `Record ${money(1000)} paid` }).click();
    await page.getByText(`The payment was recorded. ${money(invoice.total - 1000)} is still due.`).waitFor();
    expect(await ok('GET', `/api/invoices/${invoice.id}`)).toMatchObject({ status: 'open', amountPaid: 1000, amountDue: invoice.total - 1000 });

    await page.getByRole('button', { name: 'Record cash / bank transfer' }).click();
    await record.getByLabel('Paid by').selectOption('bank_transfer');
    await record.getByRole('button', { name: `Record ${money(invoice.total - 1000)} paid` }).click();
    await page.getByText('The payment was recorded.', { exact: true }).waitFor();
    expect(await ok('GET', `/api/invoices/${invoice.id}`)).toMatchObject({ status: 'paid', amountDue: 0 });
    await page.screenshot({ path: path.join(screens, 'invoice-paid-in-parts.png'), fullPage: true });
  });
});
