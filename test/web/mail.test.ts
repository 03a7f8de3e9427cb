import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTenantTransaction } from '../../src/platform/db/databases.js';
import { queueMail } from '../../src/platform/messaging/outbox.js';
import { browserSuite, newPage, screens, signIn } from '../support/browser.js';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp.js';

let smtp: TestSmtpServer;
beforeAll(async () => {
  smtp = await startSmtpServer();
});
afterAll(() => smtp?.close());
const web = browserSuite(() => ({ SMTP_URL: smtp.url, MAIL_FROM: 'no-reply@mail.studiohive.test' }));

/** What the worker does when a mail is queued (the suite runs no worker: it would take other tests' jobs too). */
const deliver = () => web.platform.runtime.messaging.deliver(web.T.id);

describe('mail, end to end', () => {
  it('shows on a member’s page what was mailed to them and whether it arrived, on a phone and at the desk', async () => {
    const created = await web.platform.call(web.T, { method: 'POST', url: '/api/members', token: web.T.ownerToken, payload: { familyName: '山田', givenName: '花子', email: 'hanako@example.jp' } });
    const member = created.json() as { id: string };
    const { directory } = web.platform.runtime;
    const queue = async (subject: string) => {
      const db = await directory.dbFor((await directory.byId(web.T.id))!);
      await inTenantTransaction(db, web.T.id, (trx) => queueMail(trx, [{ to_address: 'hanako@example.jp', template: 'waitlist_offer', subject, body: 'どうぞ。' }]));
    };
    await queue('空席のご案内');
    await deliver();
    smtp.behave('reject-recipient-550');
    await queue('お支払いについて');
    await deliver();
    smtp.behave('accept');

    for (const device of ['phone', 'desk'] as const) {
      const page = await newPage(web.browser, device);
      await signIn(page.context(), web.base, { staff: web.T.ownerToken });
      await page.goto(`${web.base}/members/${member.id}?tab=messages`);
      await page.getByRole('heading', { name: 'Messages' }).waitFor();
      const rows = page.locator('h2:has-text("Messages") + table tbody tr');
      await rows.nth(1).waitFor();
      expect(await rows.count()).toBe(2);
      // Why, in the reader's language; the server's own words (550 …) for whoever hovers.
      expect(await rows.nth(0).textContent()).toMatch(/お支払いについて.*Failed.*The receiving mail server refused the address/);
      expect(await rows.nth(0).getByText('The receiving mail server refused the address').getAttribute('title')).toMatch(/550/);
      expect(await rows.nth(1).textContent()).toMatch(/空席のご案内.*Delivered/);
      await page.screenshot({ path: path.join(screens, `member-messages-${device}.png`), fullPage: true });
      await page.context().close();
    }
  });

  // Last: setting a new password ends the owner's sessions, which the test above signs in with.
  it('mails a staff member who forgot the password a link that works', async () => {
    const page = await newPage(web.browser, 'phone');
    await page.goto(`${web.base}/`);
    await page.getByLabel('Email').fill(web.T.ownerEmail);
    await page.getByRole('button', { name: 'Forgot your password?' }).click();
    await page.getByRole('status').filter({ hasText: 'a reset link is on its way' }).waitFor();

    expect(await deliver()).toMatchObject({ sent: 1 });
    const mail = smtp.received.find((m) => m.to && !Array.isArray(m.to) && m.to.value[0]?.address === web.T.ownerEmail)!;
    expect(mail.from?.value[0]?.name).toBe(`Studio ${web.T.slug}`);
    const link = new URL(/https?:\/\/\S+/.exec(mail.text!)![0]);
    await page.goto(`${web.base}${link.pathname}${link.search}`);
    await page.getByLabel('New password (10 characters or more)').fill('a new password 1');
    await page.getByLabel('The same again').fill('a new password 1');
    await page.getByRole('button', { name: 'Set password' }).click();
    await page.getByText('Your password is set.').waitFor();
    await page.getByRole('button', { name: 'Go to sign in' }).click();
    await page.getByLabel('Email').fill(web.T.ownerEmail);
    await page.getByLabel('Password').fill('a new password 1');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Members' }).waitFor();
    await page.context().close();
  });
});
