import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { addLesson, bookingStudio, staffApi } from '../support/booking.js';
import { browserSuite, newPage, review } from '../support/browser.js';
import { latestMail, tokenInMail } from '../support/fixtures.js';

const web = browserSuite();

describe('member sign-up in the web app', () => {
  it('lets a member the desk registered sign up on their phone in Japanese, confirm, find the booking the desk made, and cancel it from My bookings', async () => {
    const studio = await bookingStudio(web.platform, web.T);
    const staff = staffApi(web.platform, web.T);
    const email = `desk-${randomUUID().slice(0, 8)}@example.com`;
    const member = await staff.ok('POST', '/api/members', { familyName: '中村', givenName: '優子', email });
    await staff.ok('POST', '/api/contracts', { memberId: member.id, planId: studio.packPlanId, firstInvoice: 'next_run' });
    const startsAt = new Date(Math.ceil((Date.now() + 2 * 86_400_000) / 3_600_000) * 3_600_000);
    const lessonId = await addLesson(web.platform, web.T, studio, { startsAt, capacity: 8 });
    await staff.ok('POST', `/api/lessons/${lessonId}/reservations`, { memberId: member.id });
    await staff.ok('PUT', '/api/settings/member-sign-up', { terms: { version: '2027-01', url: 'https://studio.example.com/terms' } }, 200);

    const page = await newPage(web.browser, 'phone', 'ja');
    await page.goto(`${web.base}/member/login`);
    await page.getByRole('link', { name: '新規会員登録' }).click();
    await page.getByRole('heading', { name: '新規会員登録' }).waitFor();
    const form = page.getByRole('form', { name: '新規会員登録' });
    // Sent empty: the required fields say so in Japanese (the server's own schema, checked in the browser).
    await form.getByRole('button', { name: '登録して確認メールを受け取る' }).click();
    expect(await form.getByText('入力してください').count()).toBeGreaterThanOrEqual(3);
    await form.getByLabel('姓', { exact: true }).fill('中村');
    await form.getByLabel('名', { exact: true }).fill('ゆうこ');
    await form.getByLabel('セイ（カナ）').fill('なかむら');
    await form.getByLabel('メイ（カナ）').fill('ゆうこ');
    await form.getByLabel('電話番号').fill('090-1111-2222');
    await form.getByLabel('メールアドレス').fill(email.toUpperCase());
    await form.getByLabel('パスワード（10文字以上）').fill('my own password 1');
    await form.getByRole('button', { name: '登録して確認メールを受け取る' }).click();
    await form.getByText('登録するには会員規約への同意が必要です。').waitFor();
    const agree = form.getByRole('checkbox', { name: /会員規約（第2027-01版）に同意します/ });
    expect(await form.getByRole('link', { name: '会員規約' }).getAttribute('href')).toBe('https://studio.example.com/terms');
    await review(page, 'member-sign-up-ja-phone');
    await agree.check();
    await form.getByRole('button', { name: '登録して確認メールを受け取る' }).click();
    await page.getByRole('heading', { name: 'メールをご確認ください' }).waitFor();
    await page.getByText(`${email}に確認メールをお送りしました。`).waitFor();
    await page.getByRole('button', { name: '確認メールを再送する' }).click();
    await page.getByRole('status').filter({ hasText: '再送しました' }).waitFor();
    await review(page, 'member-sign-up-sent-ja-phone');

    // Signing in before opening the link: the way on is a button, not an API path.
    await page.getByRole('link', { name: 'ログインへ' }).click();
    await page.getByLabel('メールアドレス').fill(email);
    await page.getByLabel('パスワード').fill('my own password 1');
    await page.getByRole('button', { name: 'ログイン' }).click();
    await page.getByRole('alert').filter({ hasText: '先にメールアドレスの確認をお願いします' }).waitFor();
    expect(await page.getByText('/api/').count()).toBe(0);
    await page.getByRole('button', { name: '確認メールを再送する' }).waitFor();

    // Until the link is opened there is still one member with this email: the desk's.
    const admin = await web.platform.admin();
    const { rows: before } = await admin.query('select id from app.members where tenant_id = $1 and email = $2', [web.T.id, email]);
    expect(before).toEqual([{ id: member.id }]);
    const token = tokenInMail(await latestMail(web.platform, web.T, email, 'member_confirm_email'));
    await page.goto(`${web.base}/member/confirm?token=${encodeURIComponent(token)}`);
    // The desk's member is joined only by whoever chose the sign-up's password.
    await page.getByText('このメールアドレスは店舗で登録済みの会員のものです。', { exact: false }).waitFor();
    await page.getByLabel('パスワード').fill('not my password');
    await page.getByRole('button', { name: '確認して会員情報につなぐ' }).click();
    await page.getByRole('alert').filter({ hasText: 'パスワードが違います。' }).waitFor();
    await review(page, 'member-confirm-password-ja-phone');
    await page.getByLabel('パスワード').fill('my own password 1');
    await page.getByRole('button', { name: '確認して会員情報につなぐ' }).click();
    await page.getByRole('status').filter({ hasText: '中村 優子様、ありがとうございます' }).waitFor();
    await page.getByRole('link', { name: '会員アプリを開く' }).click();
    await page.getByRole('heading', { name: '時間割' }).waitFor();
    await page.getByRole('navigation', { name: '会員メニュー' }).getByRole('link', { name: '予約' }).click();
    // Coming: the booking the desk made, with Cancel; cancelled, it moves to the history.
    const coming = page.getByRole('list', { name: '予約' }).getByRole('listitem');
    await coming.first().getByText('予約済み').waitFor();
    expect(await coming.count()).toBe(1);
    await coming.first().getByRole('button', { name: 'キャンセル', exact: true }).click();
    const ask = coming.first().getByRole('group', { name: 'この予約をキャンセルしますか？' });
    await ask.getByText('クレジットは戻ります。').waitFor();
    await review(page, 'member-bookings-cancel-ja-phone');
    await ask.getByRole('button', { name: 'キャンセルする' }).click();
    await page.getByText('今後の予約はありません。').waitFor();
    await page.getByRole('button', { name: '履歴' }).click();
    await page.getByRole('list', { name: '予約' }).getByText(/キャンセル$/).waitFor();
    const history = await web.platform.call(web.T, { method: 'GET', url: `/api/members/${member.id}/reservations?scope=past`, token: web.T.ownerToken });
    expect(history.json().items.map((r: { lessonId: string; status: string }) => [r.lessonId, r.status])).toEqual([[lessonId, 'cancelled']]);
    const { rows: after } = await admin.query('select id from app.members where tenant_id = $1 and email = $2', [web.T.id, email]);
    expect(after).toEqual([{ id: member.id }]);
    await page.context().close();
  });
});
