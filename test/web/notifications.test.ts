import { describe, expect, it } from 'vitest';
import { text } from '../../src/platform/i18n.js';
import { signingKeys } from '../../src/platform/auth/signing-keys.js';
import { queueMemberMessages } from '../../src/platform/messaging/outbox.js';
import { signUnsubscribeToken } from '../../src/platform/messaging/unsubscribe-token.js';
import { bookingStudio, inTenant, memberWithSession, staffApi } from '../support/booking.js';
import { browserSuite, DEVICES, expectAccessible, newContext, review, signIn } from '../support/browser.js';

const web = browserSuite();

describe('a member’s notification settings, on a phone in Japanese', () => {
  it('turns lesson reminders off and chooses English, after which no reminder is queued; the desk sees the choice', async () => {
    const member = await memberWithSession(web.platform, web.T, await bookingStudio(web.platform, web.T));

    const phone = await newContext(web.browser, { language: 'ja', ...DEVICES.phone });
    await signIn(phone, web.base, { member: member.token });
    const app = await phone.newPage();
    await app.goto(`${web.base}/member`);
    await app.getByRole('navigation', { name: '会員メニュー' }).getByRole('link', { name: 'マイページ' }).click();
    await app.getByRole('link', { name: 'お知らせの設定' }).click();
    await app.getByRole('heading', { name: 'お知らせの設定', level: 1 }).waitFor();
    await expectAccessible(app, 'notifications at 390 px');

    const reminders = app.getByRole('group', { name: 'レッスンのリマインダー' });
    const channel = reminders.getByRole('combobox', { name: '受け取り方法' });
    // Automatic is chosen; LINE is not linked, so it cannot be chosen, and says why.
    expect(await channel.inputValue()).toBe('');
    expect(await reminders.getByRole('option', { name: 'LINE（未連携）' }).isDisabled()).toBe(true);
    // Essential messages have no switch.
    expect(await app.getByRole('group', { name: '毎月のご請求' }).getByRole('switch').count()).toBe(0);

    await reminders.getByRole('switch', { name: '受け取る' }).uncheck();
    await app.getByRole('button', { name: '保存', exact: true }).click();
    await app.getByRole('status').getByText('設定を保存しました。').waitFor();

    await app.getByRole('combobox', { name: 'お知らせの言語' }).selectOption('en');
    await app.getByRole('button', { name: '言語を保存' }).click();
    await app.getByRole('status').getByText('お知らせの言語を保存しました。').waitFor();
    await review(app, 'member-notifications-saved');

    const settings = (await member.send('GET', '/api/me/notifications')).json();
    expect(settings.locale).toBe('en');
    expect(settings.kinds.filter((k: { enabled: boolean }) => !k.enabled).map((k: { kind: string }) => k.kind)).toEqual(['lesson_reminder']);
    // Untouched channels stay automatic.
    expect(settings.kinds.every((k: { channel: string | null }) => k.channel === null)).toBe(true);

    // What the reminder job will do: queue a lesson reminder for the member. Nothing is queued; a free seat still is.
    const lesson = 'Spin';
    const remind = (kind: string) =>
      inTenant(web.platform, web.T, (db) =>
        queueMemberMessages(
          db,
          [member.memberId],
          { kind, subject: text('reservations.mail.waitlist_promoted.subject', { lesson }), body: (name) => text('reservations.mail.waitlist_promoted.body', { name, lesson }) },
          { locale: 'ja', timeZone: 'Asia/Tokyo', now: new Date(`${new Date().toISOString().slice(0, 10)}T03:00:00Z`) },
        ),
      );
    expect(await remind('lesson_reminder')).toBe(0);
    expect(await remind('seat_freed')).toBe(1);

    // At a desk's width, the page passes too; and the desk sees the member's choice on the member's page.
    const desk = await newContext(web.browser, { language: 'ja', ...DEVICES.desk });
    await signIn(desk, web.base, { member: member.token, staff: web.T.ownerToken });
    const wide = await desk.newPage();
    await wide.goto(`${web.base}/member/notifications`);
    await wide.getByRole('heading', { name: 'お知らせの設定', level: 1 }).waitFor();
    expect(await wide.getByRole('group', { name: 'レッスンのリマインダー' }).getByRole('switch').isChecked()).toBe(false);
    await expectAccessible(wide, 'notifications at 1366 px');

    const staff = await desk.newPage();
    await staff.goto(`${web.base}/members/${member.memberId}?tab=messages`);
    await staff.getByRole('heading', { name: 'お知らせの受け取り設定' }).waitFor();
    await staff.getByRole('row', { name: /レッスンのリマインダー.*停止中/ }).waitFor();
    await expectAccessible(staff, 'member page, messages tab');

    // A child nothing reaches: the desk reads that the family lead gets the messages, under the lead's choices.
    const { ok } = staffApi(web.platform, web.T);
    const child = await ok('POST', '/api/members', { familyName: '山田', givenName: '小花' });
    await ok('PUT', `/api/members/${child.id}/family-lead`, { leadId: member.memberId }, 200);
    await staff.goto(`${web.base}/members/${child.id}?tab=messages`);
    const via = staff.locator('p', { hasText: '家族の代表者' });
    await via.waitFor();
    await staff.getByRole('row', { name: /レッスンのリマインダー.*停止中/ }).waitFor();
    await via.getByRole('link').click();
    await staff.waitForURL(`**/members/${member.memberId}?tab=messages`);
  });

  it('the unsubscribe line of a reminder mail opens a page that asks first, without signing in, then stops that kind', async () => {
    const member = await memberWithSession(web.platform, web.T, await bookingStudio(web.platform, web.T));
    // The link the mail sender writes at the end of an optional mail (src/platform/messaging/mail-sender.ts).
    const token = await inTenant(web.platform, web.T, async (db) => signUnsubscribeToken(await signingKeys.ensure(db, 'unsubscribe'), { memberId: member.memberId, kind: 'seat_freed' }));
    const enabled = async () => (await member.send('GET', '/api/me/notifications')).json().kinds.find((k: { kind: string }) => k.kind === 'seat_freed').enabled;
    expect(await enabled()).toBe(true);

    const phone = await newContext(web.browser, { language: 'ja', ...DEVICES.phone });
    const page = await phone.newPage();
    await page.goto(`${web.base}/member/unsubscribe?token=${token}`);
    await page.getByRole('heading', { name: 'お知らせの配信停止', level: 1 }).waitFor();
    await expectAccessible(page, 'unsubscribe page (ja, phone)');
    // Opening the page (as a mail scanner would) turns nothing off.
    expect(await enabled()).toBe(true);
    await page.getByRole('button', { name: '配信を停止する' }).click();
    await page.getByRole('status').getByText('「空席のお知らせ」の配信を停止しました。', { exact: false }).waitFor();
    expect(await enabled()).toBe(false);
    // A link that was tampered with says so, and changes nothing.
    await page.goto(`${web.base}/member/unsubscribe?token=${token.slice(0, -2)}xx`);
    await page.getByRole('button', { name: '配信を停止する' }).click();
    await page.getByRole('alert').waitFor();
    await phone.close();
  });
});
