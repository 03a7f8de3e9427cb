import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { browserSuite, expectAccessible, newPage, signIn } from '../support/browser.js';

const web = browserSuite();

const call = (method: 'POST' | 'PATCH', url: string, payload: object) =>
  web.platform.call(web.T, { method, url, payload, token: web.T.ownerToken, headers: { 'idempotency-key': randomUUID() } });

beforeAll(async () => {
  const member = (await call('POST', '/api/members', { familyName: '山田', givenName: '花子' })).json();
  expect((await call('PATCH', `/api/members/${member.id}`, { givenName: '春子' })).statusCode).toBe(200);
  // A refused attempt, for the outcome filter.
  expect((await call('POST', '/api/members', { familyName: '' })).statusCode).toBe(400);
}, 120_000);

describe('the audit log screen', () => {
  it('shows the owner, in Japanese on a desk, a member edit with its before and after, filters and downloads CSV', async () => {
    const page = await newPage(web.browser, 'desk', 'ja');
    await signIn(page.context(), web.base, { staff: web.T.ownerToken });
    await page.goto(`${web.base}/`);
    await page.getByRole('link', { name: '操作ログ' }).click();
    await page.getByRole('heading', { name: '操作ログ' }).waitFor();
    const edit = page.locator('tbody tr').filter({ hasText: 'PATCH /api/members/:memberId' });
    await edit.getByText('会員の変更').waitFor();
    await edit.getByText('変更内容を表示').click();
    await edit.getByRole('cell', { name: '花子', exact: true }).waitFor();
    await edit.getByRole('cell', { name: '春子', exact: true }).waitFor();
    await expectAccessible(page, 'audit log, desk, ja');

    await page.getByRole('combobox', { name: '結果' }).selectOption('refused');
    await page.locator('tbody tr').filter({ hasText: 'PATCH /api/members/:memberId' }).first().waitFor({ state: 'detached' });
    await page.getByText('拒否（400 validation_failed）').waitFor();

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'CSVをダウンロード' }).click()]);
    const csv = await readFile((await download.path())!, 'utf8');
    expect(csv.charCodeAt(0)).toBe(0xfeff);
    const lines = csv.slice(1).trimEnd().split('\r\n');
    expect(lines[0]).toContain('日時,操作した人');
    // The CSV has the screen's filter: the refused attempt only.
    expect(lines.slice(1)).toHaveLength(1);
    expect(lines[1]).toContain('拒否');
    await page.context().close();
  });

  it('fits a phone with no axe violation', async () => {
    const page = await newPage(web.browser, 'phone', 'ja');
    await signIn(page.context(), web.base, { staff: web.T.ownerToken });
    await page.goto(`${web.base}/audit`);
    await page.getByRole('heading', { name: '操作ログ' }).waitFor();
    await page.locator('tbody tr').first().waitFor();
    await page.locator('tbody tr').first().getByText('変更内容を表示').click();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await expectAccessible(page, 'audit log, phone, ja');
    await page.context().close();
  });

  it('is not offered to anyone but the owner', async () => {
    const key = (await call('POST', '/api/api-keys', { name: 'manager', role: 'manager' })).json();
    expect((await web.platform.call(web.T, { method: 'GET', url: '/api/audit-log', token: key.key })).statusCode).toBe(403);
  });
});
