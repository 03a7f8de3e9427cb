import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform, type TestTenant } from '../support/platform.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const screens = path.join(os.tmpdir(), 'studiohive-screens');

let platform: TestPlatform;
let browser: Browser;
let T: TestTenant;
let base: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`No Chromium at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`);
  platform = await startTestPlatform();
  await platform.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = platform.app.server.address() as { port: number };
  T = await platform.createTenant();
  base = `http://${T.host}:${port}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync',
      // Studio addresses are {slug}.studiohive.test in tests; send them all to this server.
      '--host-resolver-rules=MAP *.studiohive.test 127.0.0.1',
    ],
  });
});
afterAll(async () => {
  await browser?.close();
  await platform?.close();
});

async function newPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1000, height: 720 } });
  return context.newPage();
}

async function signIn(page: Page, email: string, password: string) {
  await page.goto(`${base}/`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

describe('staff web app', () => {
  it('signs the owner in at the studio address, lists staff and sends an invitation', async () => {
    const page = await newPage();
    await page.goto(`${base}/`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await page.locator('.brand').textContent()).toBe(`Studio ${T.slug}`);

    await signIn(page, T.ownerEmail, 'wrong password');
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toContain('Email or password is wrong');

    await signIn(page, T.ownerEmail, T.ownerPassword);
    await page.getByRole('heading', { name: 'Hello, Owner' }).waitFor();
    await page.getByRole('button', { name: 'Staff' }).click();
    await page.getByRole('heading', { name: 'Staff' }).waitFor();
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
    const invited = await platform.call(T, {
      method: 'POST', url: '/api/staff', token: T.ownerToken, payload: { email: 'ren@example.com', displayName: 'Ren Ito', role: 'instructor' },
    });
    expect(invited.statusCode).toBe(201);
    const admin = await platform.admin();
    const mail = await admin.query(`select body from app.mail_outbox where tenant_id = $1 and to_address = 'ren@example.com'`, [T.id]);
    const link = /https?:\/\/\S+/.exec(mail.rows[0].body)![0];
    expect(link).toContain(`${T.host}`);
    const page = await newPage();
    await page.goto(`${base}${new URL(link).pathname}${new URL(link).search}`);
    await page.getByLabel('New password (10 characters or more)').fill('ren password 1');
    await page.getByLabel('The same again').fill('ren password 1');
    await page.getByRole('button', { name: 'Set password' }).click();
    await page.getByText('Your password is set.').waitFor();
    await page.getByRole('button', { name: 'Go to sign in' }).click();
    await signIn(page, 'ren@example.com', 'ren password 1');
    await page.getByRole('heading', { name: 'Hello, Ren Ito' }).waitFor();
    expect(await page.getByText('Instructor at').isVisible()).toBe(true);
    expect(await page.getByRole('heading', { name: 'Staff' }).count()).toBe(0);
    await page.screenshot({ path: path.join(screens, 'instructor-home.png') });
  });

  it('lets the front desk register a member, find them by kana and open their record', async () => {
    const page = await newPage();
    await signIn(page, T.ownerEmail, T.ownerPassword);
    await page.getByRole('heading', { name: 'Members' }).waitFor();
    await page.getByLabel('Family name', { exact: true }).fill('高橋');
    await page.getByLabel('Given name', { exact: true }).fill('優');
    await page.getByLabel('Family name (kana)').fill('たかはし');
    await page.getByLabel('Phone').fill('090-5555-6666');
    await page.getByRole('button', { name: 'Register' }).click();
    await page.getByRole('heading', { name: '高橋 優' }).waitFor();
    expect(await page.locator('table').first().textContent()).toContain('タカハシ');

    await page.getByRole('button', { name: '← Members' }).click();
    await page.getByLabel('Search members').fill('たかは');
    await page.locator('tbody tr', { hasText: '高橋' }).first().waitFor();
    expect(await page.locator('tbody tr').count()).toBe(1);
    await page.getByLabel('Search members').fill('zzz-nobody');
    await page.getByText('No members found.').waitFor();
    await page.getByLabel('Search members').fill('0905555');
    await page.locator('tbody tr', { hasText: '高橋' }).first().click();
    await page.getByRole('heading', { name: '高橋 優' }).waitFor();
    await page.screenshot({ path: path.join(screens, 'member-detail.png'), fullPage: true });
  });

  it('tells a visitor when no studio lives at the address', async () => {
    const page = await newPage();
    const { port } = platform.app.server.address() as { port: number };
    await page.goto(`http://nobody-here.studiohive.test:${port}/`);
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toContain('No studio is registered at this address');
  });
});
