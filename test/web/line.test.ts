import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserSuite, DEVICES, expectAccessible, newContext, signIn } from '../support/browser.js';
import { runReminders } from '../../src/modules/reservations/reminders.js';
import { addLesson, bookingStudio, memberWithSession, staffApi } from '../support/booking.js';
import { startStandInLine, type StandInLine } from '../support/line.js';

let line: StandInLine;
beforeAll(async () => {
  line = await startStandInLine();
});
afterAll(() => line?.close());
const web = browserSuite(() => ({ LINE_API_URL: line.url, LINE_ACCESS_URL: line.url }));
beforeAll(() => {
  // The stand-in's account-link dialog tells the studio as LINE does: a signed webhook delivery.
  line.deliverWebhook = async (body, signature) =>
    (await web.platform.call(web.T, { method: 'POST', url: '/api/line/webhook', payload: body, headers: { 'content-type': 'application/json', 'x-line-signature': signature } })).statusCode;
});

describe('LINE, end to end', () => {
  it('an owner connects LINE; a member links LINE on a phone, in Japanese, gets a reminder there, turns reminders off, and the next is not sent', async () => {
    const owner = await newContext(web.browser, { language: 'ja', ...DEVICES.desk });
    await signIn(owner, web.base, { staff: web.T.ownerToken });
    const desk = await owner.newPage();
    await desk.goto(`${web.base}/settings`);
    const section = desk.getByRole('region', { name: 'LINE' });
    await section.getByText('未接続です').waitFor();
    await section.getByText(`${web.T.host}`).filter({ hasText: '/api/line/webhook' }).waitFor();
    const form = desk.getByRole('form', { name: 'LINE を接続' });
    await form.getByLabel('チャネル ID').fill('abc');
    await form.getByRole('button', { name: '保存' }).click();
    await form.getByText('チャネル ID は LINE Developers コンソールに表示される数字を入力してください').waitFor();
    await form.getByLabel('チャネル ID').fill(line.channel.channelId);
    await form.getByLabel('ベーシック ID（任意）').fill(line.channel.basicId);
    await form.getByLabel('チャネルシークレット').fill(line.channel.channelSecret);
    await form.getByLabel('チャネルアクセストークン').fill(line.channel.accessToken);
    await form.getByRole('button', { name: '保存' }).click();
    await section.getByText(/接続済みです/).waitFor();
    expect(await section.textContent()).not.toContain(line.channel.channelSecret);
    await expectAccessible(desk, 'LINE settings (ja, desk)');
    await owner.close();

    const studio = await bookingStudio(web.platform, web.T);
    const member = await memberWithSession(web.platform, web.T, studio);
    const user = line.newUser();
    const { body, signature } = line.signed([line.event.follow(user)]);
    await line.deliverWebhook!(body, signature);
    const button = (line.replies.at(-1)!.messages[0]!.template as { actions: Array<{ uri: string }> }).actions[0]!;
    const linkToken = new URL(button.uri).searchParams.get('linkToken')!;

    const phone = await newContext(web.browser, { language: 'ja', ...DEVICES.phone });
    await signIn(phone, web.base, { member: member.token });
    const page = await phone.newPage();
    await page.goto(`${web.base}/member/line-link?linkToken=${encodeURIComponent(linkToken)}`);
    const link = page.getByRole('button', { name: 'LINE と連携する' });
    await link.waitFor();
    await expectAccessible(page, 'LINE link (ja, phone)');
    await link.click();
    // LINE's own page (the stand-in's): the member approves there.
    await page.waitForURL(`${line.url}/dialog/bot/accountLink**`);
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.getByRole('heading', { name: 'Linked' }).waitFor();

    await page.goto(`${web.base}/member/notifications`);
    await page.getByText(/LINE アカウントは連携済みです/).waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await expectAccessible(page, 'notifications with LINE linked (ja, phone)');

    // The studio reminds a day ahead (with no quiet hours, so the time of day the test runs at does not hold the
    // reminder back): a booking 30 hours ahead is reminded on LINE, where the member linked, once the day before comes.
    await staffApi(web.platform, web.T).ok('PATCH', '/api/settings/booking', { reminderHoursBefore: 24, quietHours: null }, 200);
    const bookAndRemind = async (hoursAhead: number) => {
      const lessonId = await addLesson(web.platform, web.T, studio, { startsAt: new Date(Date.now() + hoursAhead * 3_600_000), capacity: 5 });
      const booked = await member.send('POST', '/api/me/reservations', { lessonId });
      expect(booked.statusCode, booked.body).toBe(201);
      await runReminders({ directory: web.platform.runtime.directory, tenantUrl: web.platform.runtime.tenantUrl }, web.T.id, new Date(Date.now() + (hoursAhead - 23) * 3_600_000));
      while ((await web.platform.runtime.messaging.deliver(web.T.id)).more);
      return line.pushes.filter((p) => p.to === user).length;
    };
    const before = line.pushes.filter((p) => p.to === user).length;
    expect(await bookAndRemind(30)).toBe(before + 1);
    expect(JSON.stringify(line.pushes.at(-1)!.messages)).toContain('ご予約のお知らせ');

    // The member turns lesson reminders off on the same page: the next booking's reminder is not sent at all.
    const reminders = page.getByRole('group', { name: 'レッスンのリマインダー' });
    await reminders.getByRole('switch', { name: '受け取る' }).uncheck();
    await page.getByRole('button', { name: '保存', exact: true }).click();
    await page.getByRole('status').getByText('設定を保存しました。').waitFor();
    expect(await bookAndRemind(33)).toBe(before + 1);
    const queued = await web.platform.admin().then((admin) =>
      admin.query(`select count(*)::int as n from app.outbox where tenant_id = $1 and member_id = $2 and template = 'lesson_reminder'`, [web.T.id, member.memberId]),
    );
    expect(queued.rows[0].n).toBe(1);
    await page.getByRole('button', { name: 'LINE の連携を解除' }).click();
    await page.getByRole('link', { name: /友だち追加/ }).waitFor();
    await phone.close();
  });
});
