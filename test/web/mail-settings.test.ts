import path from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserSuite, expectAccessible, newPage, screens, signIn } from '../support/browser.js';

const web = browserSuite();
let admin: pg.Client;

beforeAll(async () => {
  admin = await web.platform.admin();
});
afterAll(async () => {
  await admin?.end();
});

const get = async (url: string) => (await web.platform.call(web.T, { method: 'GET', url, token: web.T.ownerToken })).json();

describe('the studio’s messages settings, in Japanese', () => {
  it('sets the sender name, the reply-to and the quiet hours, on a phone and at the desk', async () => {
    for (const [device, name, start] of [['phone', 'ヨガ渋谷', '21:30'], ['desk', 'ヨガスタジオ渋谷', '22:15']] as const) {
      const page = await newPage(web.browser, device, 'ja');
      await signIn(page.context(), web.base, { staff: web.T.ownerToken });
      await page.goto(`${web.base}/setup/messages`);
      await page.getByRole('heading', { name: 'スタジオのメールの差出人' }).waitFor();
      await page.getByText('通知を控える時間帯', { exact: true }).first().waitFor();
      await page.getByText('手続きに必要なメッセージ', { exact: false }).waitFor();
      await expectAccessible(page, `messages settings (${device})`);

      // A malformed reply-to is refused beside its field, in Japanese, before anything is sent.
      await page.getByLabel('差出人名').fill(name);
      await page.getByLabel('返信先アドレス').fill('desk@');
      await page.getByRole('button', { name: '差出人を保存' }).click();
      await page.locator('[aria-invalid="true"]').first().waitFor();
      expect(await get('/api/settings/mail')).toMatchObject({ senderName: device === 'phone' ? null : 'ヨガ渋谷' });
      await page.getByLabel('返信先アドレス').fill('desk@yoga-shibuya.jp');
      await page.getByRole('button', { name: '差出人を保存' }).click();
      await page.getByText('差出人を保存しました。').waitFor();
      expect(await get('/api/settings/mail')).toMatchObject({ senderName: name, replyTo: 'desk@yoga-shibuya.jp' });

      await page.getByLabel('開始時刻').fill(start);
      await page.getByLabel('終了時刻').fill('07:00');
      await page.getByRole('button', { name: '時間帯を保存' }).click();
      await page.getByText('通知を控える時間帯を保存しました。').waitFor();
      expect((await get('/api/settings/booking')).quietHours).toEqual({ start, end: '07:00' });
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
      await page.screenshot({ path: path.join(screens, `messages-settings-${device}.png`), fullPage: true });
      await page.context().close();
    }

    // Blank fields go back to the defaults: the studio's name, no reply-to.
    const page = await newPage(web.browser, 'desk', 'ja');
    await signIn(page.context(), web.base, { staff: web.T.ownerToken });
    await page.goto(`${web.base}/setup/messages`);
    await page.getByLabel('差出人名').fill('');
    await page.getByLabel('返信先アドレス').fill('');
    await page.getByRole('button', { name: '差出人を保存' }).click();
    await page.getByText('差出人を保存しました。').waitFor();
    expect(await get('/api/settings/mail')).toMatchObject({ senderName: null, replyTo: null });
    await page.context().close();
  });

  it('tells staff on the member’s page that the address bounced, and sends to it again when they clear it', async () => {
    const member = (await web.platform.call(web.T, { method: 'POST', url: '/api/members', token: web.T.ownerToken, payload: { familyName: '佐藤', givenName: '健', email: 'ken@example.jp' } })).json() as { id: string };
    await admin.query(`insert into app.undeliverable_addresses (tenant_id, address, reason) values ($1, 'ken@example.jp', 'bounce')`, [web.T.id]);
    const page = await newPage(web.browser, 'phone', 'ja');
    await signIn(page.context(), web.base, { staff: web.T.ownerToken });
    await page.goto(`${web.base}/members/${member.id}?tab=messages`);
    await page.getByText('メールが届かないアドレスです。').waitFor();
    await page.getByText('ken@example.jp へのメールが不達になりました', { exact: false }).waitFor();
    await expectAccessible(page, 'undeliverable address on the member page');
    await page.getByRole('button', { name: 'このアドレスへの送信を再開' }).click();
    await page.getByText('このアドレスへのメール送信を再開します。').waitFor();
    await page.getByText('メールが届かないアドレスです。').waitFor({ state: 'detached' });
    expect(await get(`/api/members/${member.id}/undeliverable`)).toEqual({ items: [] });
    await page.context().close();
  });

  it('edits the wording of a message in Japanese with a live preview, refuses an unknown placeholder, and resets it', async () => {
    for (const device of ['desk', 'phone'] as const) {
      const page = await newPage(web.browser, device, 'ja');
      await signIn(page.context(), web.base, { staff: web.T.ownerToken });
      await page.goto(`${web.base}/setup/messages`);
      await page.getByRole('heading', { name: 'メッセージの文面' }).waitFor();
      await page.getByLabel('メッセージ', { exact: true }).selectOption('lesson_cancelled');
      await page.getByText('Studiohive の標準の文面です。', { exact: false }).waitFor();
      const preview = page.locator('section', { has: page.getByRole('heading', { name: 'プレビュー（サンプルの値）' }) });
      await preview.getByText('ヨガ 12/7 10:00', { exact: false }).first().waitFor();

      await page.getByLabel('件名').fill(`【休講】{lesson} ${device}`);
      await page.getByLabel('本文').fill('{name} 様\n\n{lesson} は休講です（{reason}）。');
      await preview.getByText(`【休講】ヨガ 12/7 10:00 ${device}`).waitFor();
      await preview.getByText('山田 花子 様', { exact: false }).waitFor();
      await expectAccessible(page, `message wording (${device})`);

      // A placeholder the message is never given: the preview and the save both say which.
      await page.getByLabel('本文').fill('{nickname} 様');
      await preview.getByText('{nickname}', { exact: false }).waitFor();
      await page.getByRole('button', { name: '文面を保存' }).click();
      await page.getByRole('alert').getByText('{nickname}', { exact: false }).waitFor();

      await page.getByLabel('本文').fill('{name} 様\n\n{lesson} は休講です（{reason}）。');
      await page.getByRole('button', { name: '文面を保存' }).click();
      await page.getByText('文面を保存しました。', { exact: false }).waitFor();
      await page.getByText('スタジオ独自の文面です。').waitFor();
      const saved = (await get('/api/message-templates')).items.find((t: { kind: string; locale: string }) => t.kind === 'lesson_cancelled' && t.locale === 'ja');
      expect(saved.own).toMatchObject({ subject: `【休講】{lesson} ${device}`, body: '{name} 様\n\n{lesson} は休講です（{reason}）。' });
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
      await page.screenshot({ path: path.join(screens, `message-wording-${device}.png`), fullPage: true });

      // Reset asks first, then the standard wording is back.
      await page.getByRole('button', { name: '標準の文面に戻す' }).click();
      await page.getByRole('alertdialog').getByRole('button', { name: '独自の文面を削除' }).click();
      await page.getByText('標準の文面に戻しました。').waitFor();
      await page.getByText('Studiohive の標準の文面です。', { exact: false }).waitFor();
      const after = (await get('/api/message-templates')).items.find((t: { kind: string; locale: string }) => t.kind === 'lesson_cancelled' && t.locale === 'ja');
      expect(after.own).toBeNull();
      await page.context().close();
    }
  });
});
