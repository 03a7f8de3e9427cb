import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { browserSuite, expectAccessible, newPage, signIn, type Device } from '../support/browser.js';

const web = browserSuite();

async function ownerPage(device: Device = 'desk', language: 'ja' | 'en' = 'en'): Promise<Page> {
  const page = await newPage(web.browser, device, language);
  await signIn(page.context(), web.base, { staff: web.T.ownerToken });
  return page;
}

const call = async (method: 'GET' | 'POST', url: string, payload?: object) => {
  const res = await web.platform.call(web.T, { method, url, token: web.T.ownerToken, ...(payload ? { payload } : {}) });
  expect(res.statusCode, res.body).toBeLessThan(300);
  return res.json();
};

describe('people screens', () => {
  it('edits a member’s profile in Japanese, a refused field said beside it, and opens tabs by their address', async () => {
    const m = await call('POST', '/api/members', { familyName: '山田', givenName: '花子', phone: '090-1234-5678', tags: ['朝ヨガ'] });
    for (const device of ['phone', 'desk'] as const) {
      const page = await ownerPage(device, 'ja');
      await page.goto(`${web.base}/members/${m.id}`);
      await page.getByRole('tab', { name: '概要' }).waitFor();
      expect(await page.getByRole('tab', { name: '概要' }).getAttribute('aria-selected')).toBe('true');
      await expectAccessible(page, `member page (${device})`);
      // The nine tabs wrap on a phone: nothing runs off the side of the screen.
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(page.viewportSize()!.width);
      await page.context().close();
    }

    const page = await ownerPage('desk', 'ja');
    await page.goto(`${web.base}/members/${m.id}`);
    await page.getByRole('button', { name: 'プロフィールを編集' }).click();
    await page.getByLabel('セイ(フリガナ)').fill('yamada');
    await page.getByLabel('タグ(スペースまたは読点で区切ります)').fill('朝ヨガ、初心者');
    await page.getByRole('button', { name: 'プロフィールを保存' }).click();
    await page.getByText('かな（ひらがな・カタカナ）で入力してください').waitFor();
    expect(await page.getByLabel('セイ(フリガナ)').getAttribute('aria-invalid')).toBe('true');
    await expectAccessible(page, 'profile form with a refused field');
    await page.getByLabel('セイ(フリガナ)').fill('やまだ');
    await page.getByRole('button', { name: 'プロフィールを保存' }).click();
    await page.getByText('プロフィールを保存しました').waitFor();
    const saved = await call('GET', `/api/members/${m.id}`);
    expect(saved).toMatchObject({ familyNameKana: 'ヤマダ', tags: ['朝ヨガ', '初心者'], phone: '09012345678' });

    // A tab opened by its address, and the address follows the tab chosen.
    await page.goto(`${web.base}/members/${m.id}?tab=checkIns`);
    await page.getByText('チェックインの記録はまだありません。受付でチェックインするとここに表示されます。').waitFor();
    await page.getByRole('tab', { name: '家族' }).click();
    await page.getByText('家族の登録はありません。').waitFor();
    expect(new URL(page.url()).searchParams.get('tab')).toBe('family');
    await page.context().close();
  });

  it('downloads the members the list finds as CSV, with its filters', async () => {
    await call('POST', '/api/members', { familyName: '佐々木', givenName: '葵', familyNameKana: 'ササキ' });
    const page = await ownerPage('desk', 'ja');
    await page.goto(`${web.base}/`);
    await page.getByRole('searchbox', { name: '会員を検索' }).fill('ササキ');
    await page.locator('tbody tr').filter({ hasText: '佐々木' }).waitFor();
    // The search has gone out once the other members have left the list.
    await page.locator('tbody tr').filter({ hasText: '山田' }).waitFor({ state: 'detached' });
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'CSVをダウンロード' }).click()]);
    const csv = await readFile((await download.path())!, 'utf8');
    expect(csv.charCodeAt(0)).toBe(0xfeff);
    const lines = csv.slice(1).trimEnd().split('\r\n');
    expect(lines[0]).toContain('会員番号,姓,名,セイ,メイ');
    expect(lines.slice(1).map((l) => l.split(',')[1])).toEqual(['佐々木']);
    await page.context().close();
  });

  it('changes a colleague’s role, disables the account after asking, and enables it again', async () => {
    await call('POST', '/api/staff', { email: 'aoi@example.com', displayName: 'Aoi Mori', role: 'instructor' });
    const page = await ownerPage();
    await page.goto(`${web.base}/staff`);
    const row = page.locator('tbody tr').filter({ hasText: 'Aoi Mori' });
    await row.getByRole('button', { name: 'Manage' }).click();
    await row.getByRole('combobox', { name: 'Role' }).selectOption('front_desk');
    await row.getByRole('button', { name: 'Change role' }).click();
    await page.getByText('Aoi Mori is now Front desk.').waitFor();
    await row.getByRole('button', { name: 'Disable account' }).click();
    const ask = page.getByRole('alertdialog');
    await ask.waitFor();
    await expectAccessible(page, 'disable confirmation');
    await ask.getByRole('button', { name: 'Disable account' }).click();
    await page.getByText("Aoi Mori's account is disabled.").waitFor();
    await row.getByText('Disabled').waitFor();
    await row.getByRole('button', { name: 'Enable account' }).click();
    await page.getByText("Aoi Mori's account is enabled again.").waitFor();
    const staff = (await call('GET', '/api/staff')).items.find((s: { email: string }) => s.email === 'aoi@example.com');
    expect(staff).toMatchObject({ role: 'front_desk', status: 'active' });
    await page.context().close();
  });

  it('creates an API key, shows its secret once, and revokes it after asking', async () => {
    const page = await ownerPage();
    await page.goto(`${web.base}/staff`);
    await page.getByRole('heading', { name: 'API keys' }).waitFor();
    const form = page.getByRole('form', { name: 'Create an API key' });
    await form.getByLabel('Purpose').fill('Booking site');
    await form.getByLabel('Acts as').selectOption('instructor');
    await form.getByRole('button', { name: 'Create key' }).click();
    const secret = page.getByRole('region', { name: 'New API key' });
    await secret.waitFor();
    const key = (await secret.locator('code').textContent())!;
    expect((await web.platform.call(web.T, { method: 'GET', url: '/api/members', token: key })).statusCode).toBe(200);
    await expectAccessible(page, 'API keys');
    await page.getByRole('form', { name: 'Revoke Booking site' }).getByRole('button', { name: 'Revoke' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Revoke' }).click();
    await page.getByText('The key Booking site is revoked.').waitFor();
    expect((await web.platform.call(web.T, { method: 'GET', url: '/api/members', token: key })).statusCode).toBe(401);
    await page.context().close();
  });

  it('sets member sign-up: disposable addresses, and blocked domains added and unblocked', async () => {
    const page = await ownerPage('phone');
    await page.goto(`${web.base}/settings`);
    const section = page.getByRole('region', { name: 'Member sign-up' });
    await section.waitFor();
    const box = section.getByLabel('Refuse sign-ups with disposable email addresses');
    const before = await box.isChecked();
    await box.setChecked(!before);
    await section.getByRole('button', { name: 'Save sign-up settings' }).click();
    await page.getByText('Sign-up settings saved.').waitFor();
    expect((await call('GET', '/api/settings/member-sign-up')).blockDisposableEmailDomains).toBe(!before);

    await section.getByRole('textbox', { name: 'Domain' }).fill('Spam.Example');
    await section.getByRole('button', { name: 'Block domain' }).click();
    await page.getByText('spam.example is blocked.').waitFor();
    await expectAccessible(page, 'sign-up settings');
    await section.getByRole('form', { name: 'Unblock spam.example' }).getByRole('button', { name: 'Unblock' }).click();
    await page.getByText('spam.example is no longer blocked.').waitFor();
    expect((await call('GET', '/api/settings/blocked-email-domains')).items).toEqual([]);
    await page.context().close();
  });
});
