import type pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { bookingStudio, inTenant, memberWithSession, staffApi, type BookingStudio } from '../../../test/support/booking.js';
import { startStandInLine, type StandInLine, type WebhookEvent } from '../../../test/support/line.js';
import { startTestPlatform, type TestPlatform, type TestTenant } from '../../../test/support/platform.js';
import { startSmtpServer, type TestSmtpServer } from '../../../test/support/smtp.js';
import { text } from '../../platform/i18n.js';
import { queueMemberMessages } from '../../platform/messaging/outbox.js';

let line: StandInLine;
let smtp: TestSmtpServer;
let platform: TestPlatform;
let admin: pg.Client;

beforeAll(async () => {
  line = await startStandInLine();
  smtp = await startSmtpServer();
  platform = await startTestPlatform({ LINE_API_URL: line.url, LINE_ACCESS_URL: line.url, SMTP_URL: smtp.url, MAIL_SEND_TIMEOUT_MS: '2000' });
  admin = await platform.admin();
});
afterAll(async () => {
  await platform?.close();
  await smtp?.close();
  await line?.close();
});
beforeEach(() => {
  smtp.received.length = 0;
  line.pushes.length = 0;
  line.replies.length = 0;
});

const webhook = (tenant: TestTenant, events: WebhookEvent[], secret?: string) => {
  const { body, signature } = line.signed(events, secret);
  return platform.call(tenant, { method: 'POST', url: '/api/line/webhook', payload: body, headers: { 'content-type': 'application/json', 'x-line-signature': signature } });
};

/** A studio with its LINE account connected, and a member of it with their own session. */
async function connectedStudio() {
  const tenant = await platform.createTenant();
  const { channelId, channelSecret, accessToken, basicId } = line.channel;
  const connected = await staffApi(platform, tenant).ok('PUT', '/api/settings/line', { channelId, channelSecret, accessToken, basicId });
  const studio: BookingStudio = await bookingStudio(platform, tenant);
  line.deliverWebhook = async (body, signature) =>
    (await platform.call(tenant, { method: 'POST', url: '/api/line/webhook', payload: body, headers: { 'content-type': 'application/json', 'x-line-signature': signature } })).statusCode;
  return { tenant, studio, connected };
}

const outbox = async (tenant: TestTenant, memberId: string) =>
  (await admin.query(`select id, channel, to_address, status, attempts, last_error, failure from app.outbox where tenant_id = $1 and member_id = $2 and template = 'waitlist_offer' order by created_at`, [tenant.id, memberId])).rows;

/** A waitlist offer to these members, as the waitlist queues it (with its Accept link). */
const offerSeat = (tenant: TestTenant, memberIds: string[]) =>
  inTenant(platform, tenant, (db) =>
    queueMemberMessages(
      db,
      memberIds,
      {
        kind: 'waitlist_offer',
        subject: text('reservations.mail.waitlist_offer.subject', { lesson: 'ヨガ' }),
        body: (name) => text('reservations.mail.waitlist_offer.body', { name, lesson: 'ヨガ', expiresAt: new Date('2030-01-07T10:00:00Z') }),
        link: `https://${tenant.host}/member/bookings`,
      },
      { locale: 'ja', timeZone: 'Asia/Tokyo', now: new Date('2030-01-07T01:00:00Z') },
    ),
  );

/** Sends what signing up queued (the confirmation mails), so a test sees only its own messages arrive. */
async function flushOutbox(tenant: TestTenant) {
  await platform.runtime.messaging.deliver(tenant.id);
  smtp.received.length = 0;
}

const linkDirectly = (tenant: TestTenant, memberId: string, userId: string) =>
  inTenant(platform, tenant, (db) => db.insertInto('app.member_line_links').values({ member_id: memberId, line_user_id: userId }).execute());

describe('LINE', () => {
  it('keeps the channel secret and token write-only, and shows the webhook URL to paste', async () => {
    const { tenant, connected } = await connectedStudio();
    expect(connected).toEqual({ connected: true, channelId: line.channel.channelId, basicId: '@studio123', connectedAt: expect.any(String), webhookUrl: expect.stringContaining(`${tenant.slug}.`) });
    expect(connected.webhookUrl).toMatch(/\/api\/line\/webhook$/);
    const read = await platform.call(tenant, { method: 'GET', url: '/api/settings/line', token: tenant.ownerToken });
    expect(read.body).not.toContain(line.channel.channelSecret);
    expect(read.body).not.toContain(line.channel.accessToken);
    // The audit log shows that the account was connected, never its secret or token.
    const audit = await admin.query(`select changes from app.audit_log where tenant_id = $1 and route = '/api/settings/line' and method = 'PUT'`, [tenant.id]);
    expect(audit.rowCount).toBe(1);
    expect(JSON.stringify(audit.rows[0].changes)).toContain(line.channel.channelId);
    expect(JSON.stringify(audit.rows[0].changes)).not.toContain(line.channel.channelSecret);
    expect(JSON.stringify(audit.rows[0].changes)).not.toContain(line.channel.accessToken);
    const bad = await staffApi(platform, tenant).send('PUT', '/api/settings/line', { channelId: 'abc', channelSecret: 'x', accessToken: 'y' });
    expect(bad.statusCode).toBe(400);
  });

  it('tries the access token with LINE before saving it: a token LINE refuses is refused in the staff’s language and saves nothing', async () => {
    const tenant = await platform.createTenant();
    const staff = staffApi(platform, tenant);
    const { channelId, channelSecret, accessToken } = line.channel;
    const refused = await platform.call(tenant, {
      method: 'PUT', url: '/api/settings/line', token: tenant.ownerToken, headers: { 'accept-language': 'ja' },
      payload: { channelId, channelSecret, accessToken: `${accessToken}-revoked` },
    });
    expect(refused.statusCode).toBe(422);
    expect(refused.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(refused.json()).toMatchObject({ reason: 'line_token_rejected', detail: expect.stringContaining('チャネルアクセストークン') });
    expect((await staff.ok('GET', '/api/settings/line')).connected).toBe(false);
    // Without a basic ID, the account's own is taken from LINE, for the friend-add link.
    expect(await staff.ok('PUT', '/api/settings/line', { channelId, channelSecret, accessToken })).toMatchObject({ connected: true, basicId: line.channel.basicId });
  });

  it('refuses a webhook delivery with a wrong or missing signature, changing nothing', async () => {
    const { tenant } = await connectedStudio();
    const user = line.newUser();
    const wrong = await webhook(tenant, [line.event.follow(user)], 'f'.repeat(32));
    expect(wrong.statusCode).toBe(401);
    expect(wrong.headers['content-type']).toMatch(/application\/problem\+json/);
    const { body } = line.signed([line.event.follow(user)]);
    const unsigned = await platform.call(tenant, { method: 'POST', url: '/api/line/webhook', payload: body, headers: { 'content-type': 'application/json' } });
    expect(unsigned.statusCode).toBe(401);
    expect(line.replies).toEqual([]);
    expect((await admin.query(`select 1 from app.webhook_events where tenant_id = $1`, [tenant.id])).rowCount).toBe(0);
  });

  it('links a member’s LINE account: follow, link token, nonce, approval, linked; once per event; unfollow unlinks', async () => {
    const { tenant, studio } = await connectedStudio();
    const member = await memberWithSession(platform, tenant, studio);
    const user = line.newUser();

    const follow = line.event.follow(user);
    expect((await webhook(tenant, [follow])).json()).toEqual({ received: true, handled: 1, duplicates: 0 });
    // LINE redelivers: the same event is acknowledged and not answered again.
    expect((await webhook(tenant, [follow])).json()).toEqual({ received: true, handled: 0, duplicates: 1 });
    expect(line.replies).toHaveLength(1);
    const button = (line.replies[0]!.messages[0]!.template as { actions: Array<{ uri: string; label: string }> }).actions[0]!;
    expect(button.label).toBe('会員情報と連携する');
    const linkPage = new URL(button.uri);
    expect(linkPage.host).toContain(tenant.slug);
    expect(linkPage.pathname).toBe('/member/line-link');
    const linkToken = linkPage.searchParams.get('linkToken')!;

    expect((await member.send('GET', '/api/me/line')).json()).toMatchObject({ available: true, linked: false, basicId: '@studio123', friendUrl: 'https://line.me/R/ti/p/%40studio123' });
    const started = await member.send('POST', '/api/me/line/link', { linkToken });
    expect(started.statusCode, started.body).toBe(200);
    const dialog = new URL(started.json().url);
    expect(`${dialog.origin}${dialog.pathname}`).toBe(`${line.url}/dialog/bot/accountLink`);
    expect(dialog.searchParams.get('linkToken')).toBe(linkToken);
    const nonce = dialog.searchParams.get('nonce')!;
    expect(nonce.length).toBeGreaterThanOrEqual(10);

    expect(await line.approve(dialog.toString())).toBe(200);
    expect((await member.send('GET', '/api/me/line')).json()).toMatchObject({ linked: true, linkedAt: expect.any(String) });
    expect(line.replies.at(-1)!.messages[0]!.text).toContain('連携しました');

    // The nonce is used up: an accountLink event bringing it again links no one else.
    const stranger = line.newUser();
    await webhook(tenant, [line.event.accountLink(stranger, nonce)]);
    expect((await admin.query(`select line_user_id from app.member_line_links where tenant_id = $1`, [tenant.id])).rows).toEqual([{ line_user_id: user }]);
    // A linked member writing to the account is not asked to link again.
    const replies = line.replies.length;
    await webhook(tenant, [line.event.message(user, 'こんにちは')]);
    expect(line.replies).toHaveLength(replies);

    await webhook(tenant, [line.event.unfollow(user)]);
    expect((await member.send('GET', '/api/me/line')).json()).toMatchObject({ linked: false });
  });

  it('refuses a link token for a studio without LINE, and a malformed one', async () => {
    const tenant = await platform.createTenant();
    const member = await memberWithSession(platform, tenant, await bookingStudio(platform, tenant));
    expect((await member.send('GET', '/api/me/line')).json()).toMatchObject({ available: false, linked: false });
    const refused = await member.send('POST', '/api/me/line/link', { linkToken: 'abcdefghijk' });
    expect(refused.statusCode).toBe(422);
    expect(refused.json().reason).toBe('line_not_connected');
    expect((await member.send('POST', '/api/me/line/link', { linkToken: 'no spaces allowed' })).statusCode).toBe(400);
  });

  it('sends a waitlist offer on LINE to a linked member with a button, by mail to one without LINE', async () => {
    const { tenant, studio } = await connectedStudio();
    const linked = await memberWithSession(platform, tenant, studio);
    const unlinked = await memberWithSession(platform, tenant, studio);
    const user = line.newUser();
    await linkDirectly(tenant, linked.memberId, user);
    await flushOutbox(tenant);

    expect(await offerSeat(tenant, [linked.memberId, unlinked.memberId])).toBe(2);
    expect(await platform.runtime.messaging.deliver(tenant.id)).toMatchObject({ sent: 2, failed: 0 });

    expect(line.pushes).toHaveLength(1);
    const [push] = line.pushes;
    expect(push!.to).toBe(user);
    const [row] = await outbox(tenant, linked.memberId);
    expect(row).toMatchObject({ channel: 'line', to_address: user, status: 'sent', attempts: 1 });
    expect(push!.retryKey).toBe(row.id);
    const flex = JSON.stringify(push!.messages[0]);
    expect(flex).toContain('空席');
    expect(flex).toContain(`https://${tenant.host}/member/bookings`);
    expect(flex).toContain('開く');

    expect(smtp.received.map((m) => (m.to as { text: string }).text)).toEqual([unlinked.email]);
    expect((await outbox(tenant, unlinked.memberId))[0]).toMatchObject({ channel: 'mail', status: 'sent' });
  });

  it('sends once at LINE when a push is sent again after a crash (the retry key), and retries an outage', async () => {
    const { tenant, studio } = await connectedStudio();
    const member = await memberWithSession(platform, tenant, studio);
    const user = line.newUser();
    await linkDirectly(tenant, member.memberId, user);
    await offerSeat(tenant, [member.memberId]);

    line.failPushes(1, 500);
    expect(await platform.runtime.messaging.deliver(tenant.id)).toMatchObject({ retrying: 1 });
    // Past the backoff; then a worker dies after LINE took the push but before the outcome was written: its lease runs out.
    const [first] = await outbox(tenant, member.memberId);
    await admin.query(`update app.outbox set next_attempt_at = now() - interval '1 second' where id = $1`, [first.id]);
    expect(await platform.runtime.messaging.deliver(tenant.id)).toMatchObject({ sent: 1 });
    await admin.query(`update app.outbox set status = 'pending', sent_at = null, next_attempt_at = now() - interval '1 second' where id = $1`, [first.id]);
    expect(await platform.runtime.messaging.deliver(tenant.id)).toMatchObject({ sent: 1, failed: 0 });

    expect(line.pushes).toHaveLength(1);
    const tries = line.requests.filter((r) => r.retryKey === first.id).map((r) => r.status);
    expect(tries).toEqual([500, 200, 409]);
    expect((await outbox(tenant, member.memberId))[0]).toMatchObject({ status: 'sent', attempts: 3 });
  });

  it('falls back to mail when the member blocked the account (400), and when the studio disconnects LINE', async () => {
    const { tenant, studio } = await connectedStudio();
    const member = await memberWithSession(platform, tenant, studio);
    const user = line.newUser();
    await linkDirectly(tenant, member.memberId, user);
    line.block(user);
    await flushOutbox(tenant);
    await offerSeat(tenant, [member.memberId]);

    expect(await platform.runtime.messaging.deliver(tenant.id)).toMatchObject({ failed: 1 });
    expect(await platform.runtime.messaging.deliver(tenant.id)).toMatchObject({ sent: 1 });
    const rows = await outbox(tenant, member.memberId);
    expect(rows.map((r) => [r.channel, r.status])).toEqual([['line', 'failed'], ['mail', 'sent']]);
    expect(rows[0].last_error).toMatch(/LINE 400/);
    expect(rows[0].failure).toBe('line_user_unreachable');
    expect(smtp.received).toHaveLength(1);
    expect(smtp.received[0]!.text).toContain(`https://${tenant.host}/member/bookings`);

    const gone = await staffApi(platform, tenant).send('DELETE', '/api/settings/line');
    expect(gone.statusCode).toBe(204);
    expect((await admin.query(`select 1 from app.member_line_links where tenant_id = $1`, [tenant.id])).rowCount).toBe(0);
    expect((await staffApi(platform, tenant).ok('GET', '/api/settings/line')).connected).toBe(false);
    expect((await webhook(tenant, [line.event.follow(user)])).statusCode).toBe(404);
  });
});
