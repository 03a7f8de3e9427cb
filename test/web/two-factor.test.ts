import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { browserSuite, DEVICES, expectAccessible, newContext } from '../support/browser.js';
import { totpAt } from '../support/two-factor.js';

const web = browserSuite();

async function newPage(device: 'phone' | 'desk'): Promise<Page> {
  const context = await newContext(web.browser, DEVICES[device]);
  return context.newPage();
}

async function password(page: Page) {
  await page.goto(`${web.base}/login`);
  await page.getByLabel('Email').fill(web.T.ownerEmail);
  await page.getByLabel('Password').fill(web.T.ownerPassword);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

async function secondStep(page: Page, code: string) {
  const field = page.getByLabel('6-digit code or recovery code');
  await field.fill(code);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Members' }).waitFor();
}

async function signOut(page: Page) {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
}

describe('two-factor sign-in in the staff app', () => {
  it('is set up from the account page, then signing in takes a code or a recovery code', async () => {
    const page = await newPage('desk');
    await password(page);
    await page.getByRole('heading', { name: 'Members' }).waitFor();
    await page.getByRole('link', { name: 'Sign-in security' }).click();
    await page.getByRole('heading', { name: 'Sign-in security', level: 1 }).waitFor();
    await page.getByText('Off', { exact: true }).waitFor();
    await expectAccessible(page, 'account security, off (1366)');

    await page.getByRole('button', { name: 'Set up two-factor sign-in' }).click();
    await page.getByRole('img', { name: 'QR code for your authenticator app' }).waitFor();
    const secret = (await page.getByTestId('totp-secret').textContent())!.replace(/\s/g, '');
    expect(secret).toMatch(/^[A-Z2-7]{16,}$/);
    await expectAccessible(page, 'two-factor set-up (1366)');

    await page.getByLabel('6-digit code', { exact: true }).fill(await totpAt(web.platform, secret));
    await page.getByRole('button', { name: 'Turn on' }).click();
    const codes = page.getByRole('region', { name: 'Your recovery codes' }).locator('li');
    await codes.first().waitFor();
    const recovery = await codes.allTextContents();
    expect(recovery).toHaveLength(10);
    await expectAccessible(page, 'recovery codes (1366)');
    await page.getByRole('button', { name: 'I have saved them' }).click();
    await page.getByText('On', { exact: true }).waitFor();
    await page.getByText('Recovery codes left: 10.', { exact: false }).waitFor();

    // The code the set-up used is spent: the next step's code signs in.
    await signOut(page);
    await password(page);
    await page.getByLabel('6-digit code or recovery code').waitFor();
    await expectAccessible(page, 'sign-in code step (1366)');
    await secondStep(page, await totpAt(web.platform, secret, 1));

    await signOut(page);
    await password(page);
    await secondStep(page, recovery[0]!);

    // The same recovery code does not work twice.
    await signOut(page);
    await password(page);
    await page.getByLabel('6-digit code or recovery code').fill(recovery[0]!);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toContain('wrong or was already used');
    await secondStep(page, recovery[1]!);

    await page.getByRole('link', { name: 'Staff', exact: true }).click();
    await page.getByText('2FA on').waitFor();
    await page.getByText('Two-factor sign-in is optional', { exact: false }).waitFor();
    await expectAccessible(page, 'staff list with two-factor badges (1366)');

    // A phone: the code step and the account page.
    const phone = await newPage('phone');
    await password(phone);
    await phone.getByLabel('6-digit code or recovery code').waitFor();
    await expectAccessible(phone, 'sign-in code step (390)');
    await secondStep(phone, recovery[2]!);
    await phone.goto(`${web.base}/account/security`);
    await phone.getByText('Recovery codes left: 7.', { exact: false }).waitFor();
    await expectAccessible(phone, 'account security, on (390)');
  });
});
