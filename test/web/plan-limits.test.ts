import path from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { refreshQuotaUsage } from '../../src/platform/limits/quota-usage.js';
import { browserSuite, newPage, screens } from '../support/browser.js';

const web = browserSuite();

async function signIn(page: Page) {
  await page.goto(`${web.base}/`);
  await page.getByLabel('Email').fill(web.T.ownerEmail);
  await page.getByLabel('Password').fill(web.T.ownerPassword);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Members' }).waitFor();
}

const quota = (page: Page, key: string) => page.locator(`[data-quota="${key}"]`);

async function register(page: Page, familyName: string) {
  await page.getByLabel('Family name', { exact: true }).fill(familyName);
  await page.getByRole('button', { name: 'Register' }).click();
}

describe('Settings → Plan and limits', () => {
  it('shows the owner each quota, warns near the limit, and the member book shows the refusal at the limit', async () => {
    const { platform, T } = web;
    for (const name of ['一', '二', '三', '四']) {
      const res = await platform.call(T, { method: 'POST', url: '/api/members', token: T.ownerToken, payload: { familyName: name } });
      expect(res.statusCode).toBe(201);
    }
    await refreshQuotaUsage(platform.runtime, T.id);
    const admin = await platform.admin();
    await admin.query(`update platform.tenants set limits = (limits || '{"members": 5}'::jsonb) - 'staff' where id = $1`, [T.id]);
    platform.runtime.directory.forget(T);

    const page = await newPage(web.browser, 'desk');
    await signIn(page);
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('heading', { name: 'Plan and limits' }).waitFor();
    expect(await page.getByText('Studiohive plan:').textContent()).toBe('Studiohive plan: Standard');
    expect(await quota(page, 'members').locator('.row').textContent()).toBe('Members4 of 5 members');
    expect(await page.getByRole('progressbar', { name: 'Members' }).getAttribute('aria-valuenow')).toBe('80');
    expect(await quota(page, 'members').getAttribute('class')).toBe('quota warning');
    expect(await quota(page, 'members').getByRole('note').textContent()).toBe('Getting close to the limit. Contact Studiohive to move to a larger plan.');
    expect(await quota(page, 'locations').locator('.row').textContent()).toBe('Locations0 of 5 locations');
    expect(await quota(page, 'locations').getByRole('note').count()).toBe(0);
    expect(await quota(page, 'staff').locator('.row').textContent()).toBe('Staff accounts1 active staff account, unlimited');
    expect(await page.getByRole('progressbar', { name: 'Staff accounts' }).count()).toBe(0);
    expect(await quota(page, 'storageBytes').locator('.row').textContent()).toMatch(/^Stored data\d+(\.\d)? (KiB|MiB) of 10 GiB$/);
    expect(await quota(page, 'storageBytes').textContent()).toContain('Measured ');
    expect(await quota(page, 'apiRequestsPerMinute').locator('.row').textContent()).toBe('API requestsUp to 3,000 per minute');
    await page.screenshot({ path: path.join(screens, 'plan-limits.png'), fullPage: true });

    // The fifth member fits; the sixth is refused, and the member book says why in the API's own words.
    await page.getByRole('link', { name: 'Members', exact: true }).click();
    await register(page, '五');
    await page.getByRole('heading', { name: /^五/ }).waitFor();
    await page.getByRole('link', { name: '← Members' }).click();
    await register(page, '六');
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toBe("This studio's plan allows 5 members and 5 are in use (limit tenant.members); archive or end some, or move to a larger plan");
    const { rows } = await admin.query(`select count(*)::int as n from app.members where tenant_id = $1`, [T.id]);
    expect(rows[0].n).toBe(5);

    await page.getByRole('link', { name: 'Settings' }).click();
    await quota(page, 'members').getByText('5 of 5 members').waitFor();
    expect(await quota(page, 'members').getAttribute('class')).toBe('quota critical');
    expect(await quota(page, 'members').getByRole('note').textContent()).toBe('At or very near the limit: new members will be refused. Contact Studiohive to move to a larger plan.');
    await page.screenshot({ path: path.join(screens, 'plan-limits-full.png'), fullPage: true });
  });
});
