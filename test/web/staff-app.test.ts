import path from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { formatters } from '../../web/src/formatters.js';
import { browserSuite, fillDate, newContext, screens, signIn as signInByCookie } from '../support/browser.js';

const web = browserSuite();

/** Dates as the English screens write them, in the studio's zone. */
const fmt = formatters('en', 'Asia/Tokyo');

async function newPage(): Promise<Page> {
  const context = await newContext(web.browser, { viewport: { width: 1000, height: 720 } });
  return context.newPage();
}

async function signIn(page: Page, email: string, password: string) {
  await page.goto(`${web.base}/`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

describe('staff web app', () => {
  it('signs the owner in at the studio address, lists staff and sends an invitation', async () => {
    const page = await newPage();
    await page.goto(`${web.base}/`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByText(`Staff of Studio ${web.T.slug}`).waitFor();

    await signIn(page, web.T.ownerEmail, 'wrong password');
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toContain('Email or password is wrong');

    await signIn(page, web.T.ownerEmail, web.T.ownerPassword);
    await page.getByRole('heading', { name: 'Members' }).waitFor();
    await page.getByText('Owner (Owner)').waitFor();
    await page.getByRole('link', { name: 'Staff', exact: true }).click();
    await page.getByRole('heading', { name: 'Staff' }).waitFor();
    await page.locator('tbody tr').first().waitFor();
    expect(await page.locator('tbody tr').count()).toBe(1);

    await page.getByLabel('Name').fill('Mika Tanaka');
    await page.getByLabel('Email').fill('mika@example.com');
    await page.getByLabel('Role').selectOption('instructor');
    await page.getByRole('button', { name: 'Invite' }).click();
    await page.getByText('Invitation sent to mika@example.com.').waitFor();
    await page.locator('tbody tr').nth(1).waitFor();
    expect(await page.locator('tbody').textContent()).toContain('Mika Tanaka');
    await page.screenshot({ path: path.join(screens, 'staff-home.png'), fullPage: true });

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  });

  it('lets an invited instructor choose a password from the mailed link and sign in', async () => {
    const invited = await web.platform.call(web.T, {
      method: 'POST', url: '/api/staff', token: web.T.ownerToken, payload: { email: 'ren@example.com', displayName: 'Ren Ito', role: 'instructor' },
    });
    expect(invited.statusCode).toBe(201);
    const admin = await web.platform.admin();
    const mail = await admin.query(`select body from app.outbox where tenant_id = $1 and to_address = 'ren@example.com'`, [web.T.id]);
    const link = /https?:\/\/\S+/.exec(mail.rows[0].body)![0];
    expect(link).toContain(`${web.T.host}`);
    const page = await newPage();
    await page.goto(`${web.base}${new URL(link).pathname}${new URL(link).search}`);
    await page.getByLabel('New password (10 characters or more)').fill('ren password 1');
    await page.getByLabel('The same again').fill('ren password 1');
    await page.getByRole('button', { name: 'Set password' }).click();
    await page.getByText('Your password is set.').waitFor();
    await page.getByRole('button', { name: 'Go to sign in' }).click();
    await signIn(page, 'ren@example.com', 'ren password 1');
    await page.getByRole('heading', { name: 'Members' }).waitFor();
    expect(await page.getByText('Ren Ito (Instructor)').isVisible()).toBe(true);
    expect(await page.getByRole('link', { name: 'Staff', exact: true }).count()).toBe(0);
    await page.screenshot({ path: path.join(screens, 'instructor-home.png') });
    // Plans and the membership rules are for reading only.
    await page.getByRole('link', { name: 'Plans' }).click();
    await page.getByText('Prices are set by managers and owners.').waitFor();
    await page.getByText('cut-off day 10').waitFor();
    expect(await page.getByRole('form').count()).toBe(0);
  });

  it('lets the front desk register a member, find them by kana and open their record', async () => {
    const page = await newPage();
    await signIn(page, web.T.ownerEmail, web.T.ownerPassword);
    await page.getByRole('heading', { name: 'Members' }).waitFor();
    await page.getByLabel('Family name', { exact: true }).fill('高橋');
    await page.getByLabel('Given name', { exact: true }).fill('優');
    await page.getByLabel('Family name (kana)').fill('たかはし');
    await page.getByLabel('Phone').fill('090-5555-6666');
    await page.getByRole('button', { name: 'Register' }).click();
    await page.getByRole('heading', { name: '高橋 優' }).waitFor();
    expect(await page.locator('table').first().textContent()).toContain('タカハシ');

    await page.getByRole('link', { name: '← Members' }).click();
    await page.getByLabel('Search members').fill('たかは');
    await page.locator('tbody tr', { hasText: '高橋' }).first().waitFor();
    expect(await page.locator('tbody tr').count()).toBe(1);
    await page.getByLabel('Search members').fill('zzz-nobody');
    await page.getByText('No members found.').waitFor();
    await page.getByLabel('Search members').fill('0905555');
    await page.locator('tbody tr', { hasText: '高橋' }).first().getByRole('link').click();
    await page.getByRole('heading', { name: '高橋 優' }).waitFor();
    await page.screenshot({ path: path.join(screens, 'member-detail.png'), fullPage: true });
  });

  it('checks the register form with the server\'s own schema before sending, in the user\'s language', async () => {
    const context = await newContext(web.browser, { language: 'ja', viewport: { width: 1000, height: 720 } });
    await signInByCookie(context, web.base, { staff: web.T.ownerToken });
    const page = await context.newPage();
    const admin = await web.platform.admin();
    const members = async () => (await admin.query('select count(*)::int as n from app.members where tenant_id = $1', [web.T.id])).rows[0].n as number;
    const before = await members();
    await page.goto(`${web.base}/`);
    const form = page.getByRole('form', { name: '会員を登録' });
    const field = (label: string) => form.getByLabel(label, { exact: true });
    const errorOf = async (label: string) => {
      const described = await field(label).getAttribute('aria-describedby');
      return described ? page.locator(`[id="${described}"]`).textContent() : null;
    };

    // Nothing typed: the family name is required. Kana in Latin letters, a phone in words and a broken email are
    // refused with the server's words for them, beside each field, and nothing is sent.
    await field('フリガナ(セイ)').fill('takahashi');
    await field('電話番号').fill('でんわ');
    await field('メールアドレス').fill('not-an-email');
    await form.getByRole('button', { name: '登録する' }).click();
    await expect.poll(() => errorOf('姓')).toBe('入力してください');
    expect(await field('姓').getAttribute('aria-invalid')).toBe('true');
    expect(await errorOf('フリガナ(セイ)')).toBe('かな（ひらがな・カタカナ）で入力してください');
    expect(await errorOf('電話番号')).toMatch(/^電話番号は数字で入力してください/);
    expect(await errorOf('メールアドレス')).toBe('name@example.com のような形式で入力してください');
    expect(await errorOf('名')).toBeNull();
    expect(await members()).toBe(before);

    // Put right, it goes through with the values the server keeps (kana in katakana).
    await field('姓').fill('渡辺');
    await field('フリガナ(セイ)').fill('わたなべ');
    await field('電話番号').fill('090-1111-2222');
    await field('メールアドレス').fill('');
    await form.getByRole('button', { name: '登録する' }).click();
    await page.getByRole('heading', { name: '渡辺' }).waitFor();
    expect(await members()).toBe(before + 1);
    const { rows } = await admin.query('select family_name_kana, phone, email from app.members where tenant_id = $1 and family_name = $2', [web.T.id, '渡辺']);
    expect(rows).toEqual([{ family_name_kana: 'ワタナベ', phone: '09011112222', email: null }]);
    await context.close();
  });

  it('takes dates in Japanese: typed as 年月日, or picked from a calendar by keyboard', async () => {
    const created = await web.platform.call(web.T, { method: 'POST', url: '/api/members', token: web.T.ownerToken, payload: { familyName: '日付' } });
    const context = await newContext(web.browser, { language: 'ja', viewport: { width: 1000, height: 720 } });
    await signInByCookie(context, web.base, { staff: web.T.ownerToken });
    const page = await context.newPage();
    await page.goto(`${web.base}/members/${created.json().id}?tab=credits`);
    const field = page.getByRole('group', { name: '有効期限(任意)', exact: true });
    await field.waitFor();
    expect(await field.getByRole('spinbutton').evaluateAll((s) => s.map((e) => e.getAttribute('aria-label')!.replace(/[,\s]+$/, '')))).toEqual(['年', '月', '日']);
    await fillDate(page, '有効期限(任意)', '2027-03-31', 'ja');
    expect(await field.getByRole('spinbutton').allTextContents()).toEqual(['2027', '3', '31']);

    // The calendar: opened from its button (labelled in Japanese), a day chosen with the arrow keys and Enter.
    await field.getByRole('button').click();
    const calendar = page.getByRole('dialog');
    await calendar.getByRole('heading', { name: '2027年3月' }).waitFor();
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('Enter');
    await calendar.waitFor({ state: 'detached' });
    expect(await field.getByRole('spinbutton').allTextContents()).toEqual(['2027', '3', '30']);
    await context.close();
  });

  it('lets the owner create a plan, sell it to a member after a preview, and cancel it after another', async () => {
    // A fixed business day (the 18th, after the default cut-off on the 10th, with daily pro-rating).
    web.platform.runtime.clock.set(new Date('2026-11-18T12:00:00+09:00'));
    try {
      const created = await web.platform.call(web.T, {
        method: 'POST', url: '/api/members', token: web.T.ownerToken, payload: { familyName: '佐藤', givenName: '花子', phone: '090-7777-8888' },
      });
      expect(created.statusCode).toBe(201);
      const memberId = created.json().id as string;
      const page = await newPage();
      await signIn(page, web.T.ownerEmail, web.T.ownerPassword);

      await page.getByRole('link', { name: 'Plans' }).click();
      const add = page.getByRole('form', { name: 'Add a plan' });
      await add.waitFor();
      await add.getByLabel('Plan name').fill('Monthly 4');
      await add.getByLabel('Monthly price').fill('8800');
      await add.getByLabel('Enrollment fee').fill('5500');
      await add.getByLabel('Leave fee (per month)').fill('1100');
      await add.getByLabel('Credits per month').fill('4');
      await add.getByRole('button', { name: 'Create plan' }).click();
      await page.getByText('Monthly 4 created (version 1).').waitFor();
      const planRow = page.locator('tr', { hasText: 'Monthly 4' });
      expect(await planRow.textContent()).toContain('¥8,800 / month incl. tax (10%)');
      expect(await planRow.textContent()).toContain('4 credits/month');
      await page.screenshot({ path: path.join(screens, 'plans.png'), fullPage: true });

      await page.getByRole('link', { name: 'Members', exact: true }).click();
      await page.getByLabel('Search members').fill('0907777');
      await page.locator('tbody tr', { hasText: '佐藤' }).first().getByRole('link').click();
      await page.getByRole('heading', { name: '佐藤 花子' }).waitFor();
      const badge = page.getByLabel('Member status');
      await badge.getByText('Provisional').waitFor();
      // Contracts have their own tab on the member's page.
      await page.getByRole('tab', { name: 'Contracts' }).click();

      const sell = page.getByRole('form', { name: 'Sell a plan' });
      await sell.getByLabel('Plan', { exact: true }).selectOption({ label: 'Monthly 4 (¥8,800 / month)' });
      await fillDate(page, 'Start date (blank: today)', '2026-11-18');
      await sell.getByRole('button', { name: 'Preview' }).click();
      const salePreview = page.getByRole('region', { name: 'Sell a plan: preview' });
      // 18–30 November is 13 of 30 days: ¥8,800 × 13 / 30 = ¥3,813, plus the ¥5,500 enrollment fee.
      await salePreview.getByText('¥9,313').waitFor();
      const saleText = await salePreview.textContent();
      // The lines are the studio's words, as its invoices will print them: in its language (Japanese), whatever the screen's.
      for (const expected of ['入会金（Monthly 4）', '¥5,500', 'Monthly 4（初月分）', '¥3,813', fmt.month('2026-12'), '¥8,800']) {
        expect(saleText).toContain(expected);
      }
      const contractsNow = async () =>
        (await web.platform.call(web.T, { method: 'GET', url: `/api/members/${memberId}/contracts`, token: web.T.ownerToken })).json().items.length;
      expect(await contractsNow()).toBe(0); // a preview writes nothing
      await page.screenshot({ path: path.join(screens, 'sale-preview.png'), fullPage: true });

      // The first invoice is issued at the sale: the enrollment fee, November pro-rated and December (the run has
      // already billed December), due on 1 December.
      await salePreview.getByText(`The first invoice, issued at the sale: ¥18,113 (enrollment fee, first months and options; due ${fmt.date('2026-12-01')})`, { exact: false }).waitFor();

      await salePreview.getByRole('button', { name: 'Confirm sale' }).click();
      const saleDone = page.getByRole('status').filter({ hasText: 'Monthly 4 sold.' });
      await saleDone.getByText(/Invoice INV-\d+ issued: ¥18,113/).waitFor();
      // Collected at the counter: the link opens the invoice, where the desk records the cash.
      await saleDone.getByRole('link', { name: 'Collect ¥18,113 now (card, cash or transfer)' }).click();
      await page.getByRole('button', { name: 'Record cash / bank transfer' }).click();
      await page.getByRole('form', { name: 'Record a payment' }).getByRole('button', { name: 'Record ¥18,113 paid' }).click();
      await page.getByLabel('Invoice status').getByText('Paid').waitFor();
      const sold = (await web.platform.call(web.T, { method: 'GET', url: `/api/invoices?memberId=${memberId}`, token: web.T.ownerToken })).json().items;
      expect(sold.map((i: { period: string; total: number; status: string }) => [i.period, i.total, i.status])).toEqual([['2026-12', 18113, 'paid']]);
      await page.goBack();
      await page.getByRole('tab', { name: 'Contracts' }).click();
      const contract = page.getByRole('article', { name: 'Contract: Monthly 4' });
      await contract.getByText(`Starts on ${fmt.date('2026-11-18')}`).waitFor();
      await badge.getByText('Active').waitFor();
      expect(await contractsNow()).toBe(1);
      await page.getByRole('tab', { name: 'Overview' }).click();
      await page.getByRole('cell', { name: 'Provisional → Active' }).waitFor();
      await page.getByRole('tab', { name: 'Credits' }).click();
      await page.getByText('4 credits available').waitFor();
      await page.getByRole('tab', { name: 'Contracts' }).click();

      // A refusal shows the API's own words.
      await contract.getByRole('button', { name: 'Leave' }).click();
      const leave = page.getByRole('form', { name: 'Leave' });
      await leave.getByLabel('Leave from (month)').fill('2026-12');
      await leave.getByRole('button', { name: 'Preview' }).click();
      await contract.getByRole('alert').getByText('A leave can start from January 2027 at the earliest', { exact: false }).waitFor();
      await leave.getByRole('button', { name: 'Close' }).click();

      await contract.getByRole('button', { name: 'Cancel membership' }).click();
      const cancel = page.getByRole('form', { name: 'Cancel membership' });
      await cancel.getByLabel('Reason for cancelling').fill('Moving away');
      await cancel.getByRole('button', { name: 'Preview' }).click();
      const cancelPreview = page.getByRole('region', { name: 'Cancel membership: preview' });
      // After the cut-off, the membership runs to the end of next month.
      await cancelPreview.getByText(`Ends on ${fmt.date('2026-12-31')}`).waitFor();
      expect(await cancelPreview.textContent()).toContain(fmt.month('2026-12'));
      await cancelPreview.getByRole('button', { name: 'Confirm cancellation' }).click();
      await contract.getByText(`Ends on ${fmt.date('2026-12-31')}`).waitFor();
      await contract.getByText('Ending').waitFor();
      await page.getByRole('tab', { name: 'Overview' }).click();
      await page.getByRole('row', { name: `${fmt.date('2027-01-01')} Cancelled Moving away` }).waitFor();
      await page.screenshot({ path: path.join(screens, 'member-contract.png'), fullPage: true });

      // A new price is a new version of the plan, with its other terms; the contract keeps version 1.
      await page.getByRole('link', { name: 'Plans' }).click();
      await planRow.getByRole('button', { name: 'Edit price' }).click();
      await page.getByRole('form', { name: 'New price for Monthly 4' }).getByLabel('New price').fill('9900');
      await page.getByRole('button', { name: 'Save as version 2' }).click();
      await page.getByText('Monthly 4 is now ¥9,900 (version 2); existing contracts keep their version.').waitFor();
      await planRow.getByText('v2', { exact: true }).waitFor();
      expect(await planRow.textContent()).toMatch(/¥9,900 \/ month.*enrollment ¥5,500, leave ¥1,100\/month, 4 credits\/month.*v2/);

      await page.getByRole('link', { name: 'Members', exact: true }).click();
      await page.getByLabel('Filter by status').selectOption('active');
      await expect.poll(() => page.locator('tbody tr').allTextContents()).toEqual([expect.stringContaining('佐藤')]);
      expect(await page.locator('tbody tr').textContent()).toContain('Active');
      await page.locator('tbody tr', { hasText: '佐藤' }).getByRole('link').click();
      await page.getByRole('tab', { name: 'Contracts' }).click();
      await contract.getByText(`Monthly 4 (v1) from ${fmt.date('2026-11-18')}`).waitFor();
      expect(await contract.textContent()).not.toContain('¥9,900');
      await page.getByRole('link', { name: '← Members' }).click();
      await page.getByLabel('Filter by status').selectOption('trial');
      await page.getByText('No members found.').waitFor();
    } finally {
      web.platform.runtime.clock.set(null);
    }
  });

  it('confirms a new member from the mailed link, and lets them choose a new password from a reset mail', async () => {
    const email = 'aoi@example.com';
    const signUp = await web.platform.call(web.T, {
      method: 'POST', url: '/api/member-auth/sign-up',
      payload: { email, password: 'aoi member password', familyName: '青井', givenName: '葵', acceptedTermsVersion: '2026-04' },
    });
    expect(signUp.statusCode).toBe(202);
    const admin = await web.platform.admin();
    const linkIn = async (template: string) => {
      const mail = await admin.query(`select body from app.outbox where tenant_id = $1 and to_address = $2 and template = $3 order by created_at desc`, [web.T.id, email, template]);
      const link = new URL(/https?:\/\/\S+/.exec(mail.rows[0].body)![0]);
      return `${web.base}${link.pathname}${link.search}`;
    };
    const page = await newPage();
    await page.goto(await linkIn('member_confirm_email'));
    await page.getByText('Thank you, 青井 葵: your email is confirmed').waitFor();
    await page.reload(); // a used link says so
    await page.getByRole('alert').getByText('invalid, already used, or expired', { exact: false }).waitFor();

    expect((await web.platform.call(web.T, { method: 'POST', url: '/api/member-auth/password-reset', payload: { email } })).statusCode).toBe(202);
    const templates = (await admin.query(`select template from app.outbox where tenant_id = $1 and to_address = $2`, [web.T.id, email])).rows.map((r) => r.template);
    const reset = templates.find((t: string) => t.includes('reset'))!;
    await page.goto(await linkIn(reset));
    await page.getByLabel('New password (10 characters or more)').fill('aoi new password 2');
    await page.getByLabel('The same again').fill('aoi new password 2');
    await page.getByRole('button', { name: 'Set password' }).click();
    await page.getByText('Your password is set.').waitFor();
    const login = await web.platform.call(web.T, { method: 'POST', url: '/api/member-auth/login', payload: { email, password: 'aoi new password 2' } });
    expect(login.statusCode).toBe(200);
  });

  it('tells a visitor when no studio lives at the address', async () => {
    const page = await newPage();
    const { port } = web.platform.app.server.address() as { port: number };
    await page.goto(`http://nobody-here.studiohive.test:${port}/`);
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toContain('There is no studio at this address');
  });
});
