import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTenantTransaction } from '../../src/platform/db/databases.js';
import { queueMail } from '../../src/platform/messaging/outbox.js';
import { newPage, screens, signIn, startBrowserPlatform, type BrowserPlatform } from '../support/browser.js';
import type { TestPlatform, TestTenant } from '../support/platform.js';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp.js';

let smtp: TestSmtpServer;
let web: BrowserPlatform;
let platform: TestPlatform;
let browser: Browser;
let T: TestTenant;
let base: string;

beforeAll(async () => {
  smtp = await startSmtpServer();
  web = await startBrowserPlatform({ SMTP_URL: smtp.url, MAIL_FROM: 'no-reply@mail.studiohive.test' });
  ({ platform, browser, T, base } = web);
});
afterAll(async () => {
  await web?.close();
  await smtp?.close();
});

/** What the worker does when a mail is queued (the suite runs no worker: it would take other tests' jobs too). */
const deliver = () => platform.runtime.messaging.deliver(T.id);

describe('mail, end to end', () => {
  it('shows on a member’s page what was mailed to them and whether it arrived, on a phone and at the desk', async () => {
    const created = await platform.call(T, { method: 'POST', url: '/api/members', token: T.ownerToken, payload: { familyName: '山田', givenName: '花子', email: 'hanako@example.jp' } });
    const member = created.json() as { id: string };
    const { directory } = platform.runtime;
    const queue = async (subject: string) => {
      const db = await directory.dbFor((await directory.byId(T.id))!);
      await inTenantTransaction(db, T.id, (trx) => queueMail(trx, [{ to_address: 'hanako@example.jp', template: 'waitlist_offer', subject, body: 'どうぞ。' }]));
    };
    await queue('空席のご案内');
    await deliver();
    smtp.behave('reject-recipient-550');
    await queue('お支払いについて');
    await deliver();
    smtp.behave('accept');

    for (const device of ['phone', 'desk'] as const) {
      const page = await newPage(browser, device);
      await signIn(page.context(), base, { staff: T.ownerToken });
      await page.goto(`${base}/members/${member.id}?tab=messages`);
      await page.getByRole('heading', { name: 'Messages' }).waitFor();
      const rows = page.locator('h2:has-text("Messages") + table tbody tr');
      await rows.nth(1).waitFor();
      expect(await rows.count()).toBe(2);
      expect(await rows.nth(0).textContent()).toMatch(/お支払いについて.*Failed.*550/);
      expect(await rows.nth(1).textContent()).toMatch(/空席のご案内.*Delivered/);
      await page.screenshot({ path: path.join(screens, `member-messages-${device}.png`), fullPage: true });
      await page.context().close();
    }
  });

  // Last: setting a new password ends the owner's sessions, which the test above signs in with.
  it('mails a staff member who forgot the password a link that works', async () => {
    const page = await newPage(browser, 'phone');
    await page.goto(`${base}/`);
    await page.getByLabel('Email').fill(T.ownerEmail);
    await page.getByRole('button', { name: 'Forgot your password?' }).click();
    await page.getByRole('status').filter({ hasText: 'a reset link is on its way' }).waitFor();

    expect(await deliver()).toMatchObject({ sent: 1 });
    const mail = smtp.received.find((m) => m.to && !Array.isArray(m.to) && m.to.value[0]?.address === T.ownerEmail)!;
    expect(mail.from?.value[0]?.name).toBe(`Studio ${T.slug}`);
    const link = new URL(/https?:\/\/\S+/.exec(mail.text!)![0]);
    await page.goto(`${base}${link.pathname}${link.search}`);
    await page.getByLabel('New password (10 characters or more)').fill('a new password 1');
    await page.getByLabel('The same again').fill('a new password 1');
    await page.getByRole('button', { name: 'Set password' }).click();
    await page.getByText('Your password is set.').waitFor();
    await page.getByRole('button', { name: 'Go to sign in' }).click();
    await page.getByLabel('Email').fill(T.ownerEmail);
    await page.getByLabel('Password').fill('a new password 1');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Members' }).waitFor();
    await page.context().close();
  });
});
