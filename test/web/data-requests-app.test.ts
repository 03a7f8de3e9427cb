import { beforeAll, describe, expect, it } from 'vitest';
import { bookingStudio, memberWithSession, type BookingStudio } from '../support/booking.js';
import { browserSuite, DEVICES, expectAccessible, newContext, review, signIn } from '../support/browser.js';

const web = browserSuite();
let studio: BookingStudio;

beforeAll(async () => {
  studio = await bookingStudio(web.platform, web.T);
});

describe('member data requests, on a phone in Japanese', () => {
  it('a member asks to be deleted from the app, and the owner erases them after the preview', async () => {
    const member = await memberWithSession(web.platform, web.T, studio);

    const phone = await newContext(web.browser, { language: 'ja', ...DEVICES.phone });
    await signIn(phone, web.base, { member: member.token });
    const app = await phone.newPage();
    await app.goto(`${web.base}/member`);
    await app.getByRole('navigation', { name: '会員メニュー' }).getByRole('link', { name: 'マイページ' }).click();
    await app.getByRole('link', { name: 'マイデータとアカウントの削除' }).click();
    await app.getByRole('heading', { name: 'マイデータ', level: 1 }).waitFor();
    await expectAccessible(app, 'my data');
    await app.getByRole('button', { name: 'アカウントの削除を依頼する' }).click();
    const confirm = app.getByRole('group', { name: '依頼の確認' });
    await expect.poll(() => confirm.evaluate((el) => el === document.activeElement)).toBe(true);
    await confirm.getByRole('button', { name: 'はい、削除を依頼します' }).click();
    await app.getByRole('status').getByText('依頼を受け付けました', { exact: false }).waitFor();
    await review(app, 'member-data-request');

    const desk = await newContext(web.browser, { language: 'ja', ...DEVICES.phone });
    await signIn(desk, web.base, { staff: web.T.ownerToken });
    const page = await desk.newPage();
    await page.goto(`${web.base}/data-requests`);
    await page.getByRole('heading', { name: 'データ請求', level: 1 }).waitFor();
    await expectAccessible(page, 'data requests');
    await page.getByRole('link', { name: '鈴木 一郎' }).click();
    await page.getByRole('heading', { name: '個人データ', level: 2 }).waitFor();
    await page.getByText('対応待ち').first().waitFor();
    await expectAccessible(page, 'member data tab');
    await page.getByRole('form', { name: 'この会員を削除' }).getByRole('button', { name: 'プレビュー' }).click();
    const preview = page.getByRole('region', { name: 'この会員を削除:プレビュー' });
    await preview.getByText('プロフィール（氏名、連絡先、住所、メモ、タグ）').waitFor();
    await review(page, 'member-erasure-preview');
    // The preview wrote nothing.
    expect((await member.send('GET', '/api/me')).statusCode).toBe(200);
    await preview.getByRole('button', { name: '完全に削除する' }).click();
    await page.getByText('会員の個人データを削除しました。').waitFor();
    await page.getByRole('status').getByText('個人データは', { exact: false }).waitFor();
    await expectAccessible(page, 'erased member');

    // Their session ended with the erasure, and the request is no longer waiting.
    expect((await member.send('GET', '/api/me')).statusCode).toBe(401);
    await page.goto(`${web.base}/data-requests`);
    await page.getByText('対応待ちの依頼はありません。').waitFor();
  });
});
