import { beforeEach, describe, expect, it } from 'vitest';
import { mailPlatformSuite } from '../../../test/support/smtp.js';
import type { TestTenant } from '../../../test/support/platform.js';
import { inTenantTransaction } from '../db/databases.js';
import { queueMail, queueMemberMessages, type OutgoingMail } from './outbox.js';
import { text } from '../i18n.js';

const suite = mailPlatformSuite({ MAIL_SEND_TIMEOUT_MS: '1000', MAIL_MAX_ATTEMPTS: '3', MAIL_BATCH: '5' });
beforeEach(() => {
  suite.smtp.behave('accept');
  suite.smtp.received.length = 0;
  suite.platform.runtime.clock.set(null);
});

const queue = async (tenant: TestTenant, mails: OutgoingMail[]) => {
  const { directory } = suite.platform.runtime;
  const db = await directory.dbFor((await directory.byId(tenant.id))!);
  await inTenantTransaction(db, tenant.id, (trx) => queueMail(trx, mails));
};
const outbox = async (tenant: TestTenant) =>
  (await suite.admin.query(`select id, status, attempts, last_error, failure, next_attempt_at, sent_at, failed_at from app.outbox where tenant_id = $1 order by created_at`, [tenant.id])).rows;
const deliver = (tenant: TestTenant) => suite.platform.runtime.messaging.deliver(tenant.id);
/** Moves the app's clock past any backoff, so the next delivery may retry. */
const later = (hours: number) => suite.platform.runtime.clock.set(new Date(Date.now() + hours * 3_600_000));

describe('mail delivery over SMTP', () => {
  it('sends a password reset in the studio’s name, as plain text with an HTML twin, once', async () => {
    const tenant = await suite.platform.createTenant();
    const asked = await suite.platform.call(tenant, { method: 'POST', url: '/api/auth/password-reset', payload: { email: tenant.ownerEmail } });
    expect(asked.statusCode).toBe(202);

    expect(await deliver(tenant)).toMatchObject({ sent: 1, retrying: 0, failed: 0, more: false, next: null });
    const [row] = await outbox(tenant);
    expect(row).toMatchObject({ status: 'sent', attempts: 1, last_error: null });
    expect(suite.smtp.received).toHaveLength(1);
    const mail = suite.smtp.received[0]!;
    expect(mail.from?.value).toEqual([{ name: `Studio ${tenant.slug}`, address: 'no-reply@mail.studiohive.test' }]);
    expect(mail.to).toMatchObject({ value: [{ address: tenant.ownerEmail }] });
    expect(mail.messageId).toBe(`<${row.id}.${tenant.id}@mail.studiohive.test>`);
    const link = mail.text!.match(/https?:\/\/\S+/)![0];
    expect(link).toContain(tenant.slug);
    // The HTML part says the same, with the link as a link and nothing to load.
    expect(mail.html).toContain(`<a href="${link.replace(/&/g, '&amp;')}">`);
    expect(mail.html).not.toMatch(/<img/i);

    // Nothing is due any more: a second run sends nothing.
    expect(await deliver(tenant)).toMatchObject({ sent: 0, next: null });
    expect(suite.smtp.received).toHaveLength(1);
  });

  it('keeps Japanese text intact in both parts', async () => {
    const tenant = await suite.platform.createTenant();
    const body = '山田 花子 様\n\nヨガ、2026-12-07 (月) 10:00 の空席をご用意しました。\n30分以内に予約を確定してください。';
    await queue(tenant, [{ to_address: 'hanako@example.jp', template: 'waitlist_offer', subject: '空席のご案内', body }]);
    await deliver(tenant);
    expect(suite.smtp.received[0]).toMatchObject({ subject: '空席のご案内', text: body });
    expect(suite.smtp.received[0]!.html).toContain('30分以内に予約を確定してください。');
  });

  it('retries a provider outage (4xx, then 5xx, then no answer) with backoff, then fails where staff can see it', async () => {
    const tenant = await suite.platform.createTenant();
    await queue(tenant, [{ to_address: 'member@example.com', template: 'payment_failed', subject: 'Payment failed', body: 'Your card was declined.' }]);

    suite.smtp.behave('busy-421');
    const before = Date.now();
    const first = await deliver(tenant);
    expect(first).toMatchObject({ sent: 0, retrying: 1, failed: 0 });
    let [row] = await outbox(tenant);
    expect(row).toMatchObject({ status: 'pending', attempts: 1, failure: 'provider_unavailable' });
    expect(row.last_error).toMatch(/421/);
    // The first retry waits 30 s, give or take a fifth.
    const wait = new Date(row.next_attempt_at).getTime() - before;
    expect(wait).toBeGreaterThanOrEqual(24_000);
    expect(wait).toBeLessThanOrEqual(37_000);
    expect(first.next).toEqual(new Date(row.next_attempt_at));
    // Not before its time.
    expect(await deliver(tenant)).toMatchObject({ sent: 0, retrying: 0, failed: 0 });

    later(1);
    suite.smtp.behave('reject-data-554');
    expect(await deliver(tenant)).toMatchObject({ retrying: 1 });
    [row] = await outbox(tenant);
    expect(row).toMatchObject({ status: 'pending', attempts: 2, failure: 'mail_refused' });
    expect(row.last_error).toMatch(/554/);

    later(2);
    suite.smtp.behave('silent');
    expect(await deliver(tenant)).toMatchObject({ failed: 1, next: null });
    [row] = await outbox(tenant);
    expect(row).toMatchObject({ status: 'failed', attempts: 3, failure: 'provider_unavailable' });
    expect(row.last_error).toMatch(/greeting never received|timeout/i);
    expect(row.failed_at).not.toBeNull();
    expect(suite.smtp.received).toHaveLength(0);

    const metrics = await suite.platform.runtime.metrics.registry.getSingleMetricAsString('studiohive_message_deliveries_total');
    expect(metrics).toMatch(/channel="mail",outcome="retry"} [1-9]/);
    expect(metrics).toMatch(/channel="mail",outcome="failed"} [1-9]/);
    expect(metrics).not.toMatch(/tenant/);
  });

  it('gives up at once on an address the server refuses', async () => {
    const tenant = await suite.platform.createTenant();
    await queue(tenant, [{ to_address: 'nobody@example.com', template: 'member_confirm', subject: 'Confirm', body: 'Confirm your address.' }]);
    suite.smtp.behave('reject-recipient-550');
    expect(await deliver(tenant)).toMatchObject({ failed: 1, retrying: 0, next: null });
    const [row] = await outbox(tenant);
    expect(row).toMatchObject({ status: 'failed', attempts: 1, failure: 'address_refused' });
    expect(row.last_error).toMatch(/550/);
  });

  it('sends transactional mail before bulk, a batch at a time, and only the studio’s own', async () => {
    const [tenant, other] = [await suite.platform.createTenant(), await suite.platform.createTenant()];
    const bulk = (n: number): OutgoingMail => ({ to_address: `m${n}@example.com`, template: 'newsletter', subject: `News ${n}`, body: 'News.', priority: 1 });
    await queue(tenant, Array.from({ length: 6 }, (_, n) => bulk(n)));
    await queue(other, [bulk(99)]);
    await queue(tenant, [{ to_address: 'late@example.com', template: 'staff_invite', subject: 'Invite', body: 'Join us.' }]);

    expect(await deliver(tenant)).toMatchObject({ sent: 5, more: true });
    // Sent side by side, they arrive in any order; the invitation was among the first batch, behind nothing.
    expect(suite.smtp.received.map((m) => m.subject)).toContain('Invite');
    expect(await deliver(tenant)).toMatchObject({ sent: 2, more: false, next: null });
    expect(suite.smtp.received.map((m) => m.subject).filter((s) => s === 'News 99')).toEqual([]);
    expect((await outbox(other))[0]).toMatchObject({ status: 'pending', attempts: 0 });
  });

  it('holds a suspended studio’s mail until it is resumed', async () => {
    const tenant = await suite.platform.createTenant();
    await queue(tenant, [{ to_address: 'a@example.com', template: 'staff_invite', subject: 'Invite', body: 'Join us.' }]);
    await suite.admin.query(`update platform.tenants set status = 'suspended' where id = $1`, [tenant.id]);
    suite.platform.runtime.directory.forget({ id: tenant.id, slug: tenant.slug });
    expect(await deliver(tenant)).toMatchObject({ sent: 0 });
    await suite.admin.query(`update platform.tenants set status = 'active' where id = $1`, [tenant.id]);
    suite.platform.runtime.directory.forget({ id: tenant.id, slug: tenant.slug });
    expect(await deliver(tenant)).toMatchObject({ sent: 1 });
  });

  it('shows staff on the member’s page what was sent to them, whether it arrived, and why not', async () => {
    const tenant = await suite.platform.createTenant();
    const call = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: object, token = tenant.ownerToken) => suite.platform.call(tenant, { method, url, token, payload });
    const member = (await call('POST', '/api/members', { familyName: '山田', givenName: '花子', email: 'hanako@example.jp' })).json();
    const child = (await call('POST', '/api/members', { familyName: '山田', givenName: '太郎' })).json();
    expect((await call('PUT', `/api/members/${child.id}/family-lead`, { leadId: member.id })).statusCode).toBeLessThan(300);

    await queue(tenant, [{ to_address: 'hanako@example.jp', template: 'waitlist_offer', subject: '空席のご案内', body: 'どうぞ。' }]);
    await deliver(tenant);
    suite.smtp.behave('reject-recipient-550');
    await queue(tenant, [{ to_address: 'hanako@example.jp', template: 'payment_failed', subject: 'お支払いができませんでした', body: '…' }]);
    await deliver(tenant);
    await queue(tenant, [{ to_address: 'someone-else@example.jp', template: 'staff_invite', subject: 'Invite', body: '…' }]);

    const seen = await call('GET', `/api/members/${member.id}/messages`);
    expect(seen.statusCode, seen.body).toBe(200);
    expect(seen.json()).toMatchObject({
      address: 'hanako@example.jp',
      items: [
        { template: 'payment_failed', status: 'failed', attempts: 1, sentAt: null, lastError: expect.stringMatching(/550/), failure: 'address_refused' },
        { template: 'waitlist_offer', subject: '空席のご案内', status: 'sent', attempts: 1, failedAt: null, lastError: null, failure: null },
      ],
    });
    expect(seen.json().items).toHaveLength(2);
    // A child without an address is mailed through the family lead, and the child's page says so.
    const childs = (await call('GET', `/api/members/${child.id}/messages`)).json();
    expect(childs.address).toBe('hanako@example.jp');
    expect(childs.items).toHaveLength(2);

    const coach = (await call('POST', '/api/api-keys', { name: 'coach', role: 'instructor' })).json().key;
    expect((await call('GET', `/api/members/${member.id}/messages`, undefined, coach)).statusCode).toBe(403);
    const unknown = await call('GET', '/api/members/00000000-0000-4000-8000-000000000000/messages');
    expect(unknown.statusCode).toBe(404);
  });

  it('sends by mail, in the member’s language, a push message this server cannot send (push turned off after devices subscribed)', async () => {
    const tenant = await suite.platform.createTenant();
    const member = (await suite.platform.call(tenant, { method: 'POST', url: '/api/members', token: tenant.ownerToken, payload: { familyName: 'Smith', givenName: 'Ann', email: 'ann@example.com' } })).json();
    await suite.admin.query(`update app.members set locale = 'en' where tenant_id = $1 and id = $2`, [tenant.id, member.id]);
    await suite.admin.query(`insert into app.push_subscriptions (tenant_id, member_id, endpoint, p256dh, auth) values ($1, $2, 'https://fcm.googleapis.com/fcm/send/x', 'k', 'a')`, [tenant.id, member.id]);
    const { directory } = suite.platform.runtime;
    const db = await directory.dbFor((await directory.byId(tenant.id))!);
    const lesson = text('reservations.lesson_named', { lessonType: 'Yoga', at: new Date('2026-12-07T01:00:00Z') });
    const queued = await inTenantTransaction(db, tenant.id, (trx) =>
      queueMemberMessages(
        trx,
        [member.id],
        { kind: 'lesson_cancelled', subject: text('reservations.mail.lesson_cancelled.subject', { lesson }), body: (name) => text('reservations.mail.lesson_cancelled.body', { name, lesson, reason: '' }) },
        { locale: 'ja', timeZone: 'Asia/Tokyo', now: new Date() },
      ),
    );
    expect(queued).toBe(1);
    expect(suite.platform.runtime.messaging.senders.push).toBeUndefined();
    // The first turn fails the push and queues the mail in its place; the next (the kicked job's) sends that.
    expect(await deliver(tenant)).toMatchObject({ sent: 0, failed: 1 });
    expect(await deliver(tenant)).toMatchObject({ sent: 1, failed: 0 });
    const rows = (await suite.admin.query(`select channel, status, last_error, failure from app.outbox where tenant_id = $1 order by created_at`, [tenant.id])).rows;
    expect(rows).toEqual([
      { channel: 'push', status: 'failed', last_error: 'push is not set up on this server', failure: 'channel_not_set_up' },
      { channel: 'mail', status: 'sent', last_error: null, failure: null },
    ]);
    expect(suite.smtp.received).toHaveLength(1);
    // The English member of a Japanese studio is written to in English.
    expect(suite.smtp.received[0]!.subject).toMatch(/Yoga/);
    expect(suite.smtp.received[0]!.subject).not.toMatch(/[\u3040-\u30ff]/);
  });
});
