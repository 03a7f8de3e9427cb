import type pg from 'pg';
import webpush from 'web-push';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { addLesson, bookingStudio, memberWithSession, staffApi, type BookingStudio } from '../../../test/support/booking.js';
import { startTestPlatform, type TestPlatform, type TestTenant } from '../../../test/support/platform.js';
import { startPushService, type TestPushService } from '../../../test/support/push.js';
import { startSmtpServer, type TestSmtpServer } from '../../../test/support/smtp.js';

let push: TestPushService;
let smtp: TestSmtpServer;
let platform: TestPlatform;
let admin: pg.Client;
let tenant: TestTenant;
let studio: BookingStudio;
const vapid = webpush.generateVAPIDKeys();

beforeAll(async () => {
  [push, smtp] = await Promise.all([startPushService(), startSmtpServer()]);
  platform = await startTestPlatform({
    VAPID_PUBLIC_KEY: vapid.publicKey,
    VAPID_PRIVATE_KEY: vapid.privateKey,
    VAPID_SUBJECT: 'mailto:ops@studiohive.test',
    PUSH_CA_FILE: push.caFile,
    PUSH_SERVICE_HOSTS: push.host,
    SMTP_URL: smtp.url,
    MAIL_MAX_ATTEMPTS: '3',
  });
  admin = await platform.admin();
  tenant = await platform.createTenant();
  studio = await bookingStudio(platform, tenant);
});
afterAll(async () => {
  await admin?.end();
  await platform?.close();
  await Promise.all([push?.close(), smtp?.close()]);
});
beforeEach(() => {
  push.behave(201);
  platform.runtime.clock.set(null);
});

const deliver = () => platform.runtime.messaging.deliver(tenant.id);
const later = (hours: number) => platform.runtime.clock.set(new Date(Date.now() + hours * 3_600_000));
const messages = async (memberId: string, template: string) =>
  (await admin.query(`select id, channel, status, attempts, to_address, subject, body, last_error, failure from app.outbox where tenant_id = $1 and member_id = $2 and template = $3 order by created_at`, [tenant.id, memberId, template])).rows;
const devices = async (memberId: string) =>
  (await admin.query(`select endpoint from app.push_subscriptions where tenant_id = $1 and member_id = $2`, [tenant.id, memberId])).rows;

/** A member with a booked lesson three days on, and the lesson; the studio then cancels it, which tells them. */
async function bookedMember() {
  const member = await memberWithSession(platform, tenant, studio);
  const lessonId = await addLesson(platform, tenant, studio, { startsAt: new Date(Date.now() + 3 * 86_400_000), capacity: 10 });
  expect((await member.send('POST', '/api/me/reservations', { lessonId })).statusCode).toBe(201);
  const cancel = () => staffApi(platform, tenant).ok('POST', `/api/lessons/${lessonId}/cancel`, { reason: 'Instructor ill' }, 200);
  return { ...member, lessonId, cancel };
}

describe('a member’s devices', () => {
  it('subscribes this device, says so, replaces it on a second subscribe, and stops on delete', async () => {
    const member = await bookedMember();
    const device = push.subscribe();
    const before = (await member.send('GET', `/api/me/push?endpoint=${encodeURIComponent(device.json.endpoint)}`)).json();
    expect(before).toEqual({ publicKey: vapid.publicKey, thisDevice: false, devices: 0 });

    // What a browser's PushSubscription.toJSON() gives, expirationTime included.
    const subscribed = await member.send('POST', '/api/me/push/subscriptions', { ...device.json, expirationTime: null });
    expect(subscribed.statusCode, subscribed.body).toBe(200);
    expect(subscribed.json()).toEqual({ publicKey: vapid.publicKey, thisDevice: true, devices: 1 });
    expect((await member.send('POST', '/api/me/push/subscriptions', device.json)).json()).toMatchObject({ devices: 1 });

    expect((await member.send('DELETE', '/api/me/push/subscriptions', { endpoint: device.json.endpoint })).statusCode).toBe(204);
    expect(await devices(member.memberId)).toEqual([]);
  });

  it('refuses what is not a browser subscription, and a host that is no push service', async () => {
    const member = await bookedMember();
    const { json } = push.subscribe();
    const bad = async (body: object, status: number) => {
      const res = await member.send('POST', '/api/me/push/subscriptions', body);
      expect(res.statusCode, res.body).toBe(status);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      return res.json();
    };
    await bad({ ...json, endpoint: json.endpoint.replace('https:', 'http:') }, 400);
    await bad({ ...json, keys: { ...json.keys, p256dh: 'AAAA' } }, 400);
    // The right length, but no point of the curve: every push to it would fail.
    await bad({ ...json, keys: { ...json.keys, p256dh: Buffer.alloc(65, 7).toString('base64url') } }, 400);
    await bad({ ...json, keys: { p256dh: json.keys.p256dh } }, 400);
    expect((await bad({ ...json, endpoint: 'https://10.0.0.1/admin' }, 422)).reason).toBe('unknown_push_service');
    expect(await devices(member.memberId)).toEqual([]);
    // Staff are another realm.
    expect((await platform.call(tenant, { method: 'GET', url: '/api/me/push', token: tenant.ownerToken })).statusCode).toBe(403);
  });
});

describe('messages by push', () => {
  it('sends a lesson cancellation to the member’s device, encrypted, once, as the service worker shows it', async () => {
    const member = await bookedMember();
    const device = push.subscribe();
    await member.send('POST', '/api/me/push/subscriptions', device.json);
    await member.cancel();

    const [queued] = await messages(member.memberId, 'lesson_cancelled');
    expect(queued).toMatchObject({ channel: 'push', to_address: member.memberId, status: 'pending' });
    await deliver();
    const [row] = await messages(member.memberId, 'lesson_cancelled');
    expect(row).toMatchObject({ status: 'sent', attempts: 1 });
    const got = push.received.filter((p) => p.subscription === device.id);
    expect(got).toHaveLength(1);
    expect(got[0]!.payload).toEqual({ title: row.subject, body: row.body, url: '/member' });
    expect(row.body).toContain('Instructor ill');
    expect(got[0]!.headers).toMatchObject({ ttl: '86400', urgency: 'high' });
    expect(got[0]!.headers.topic).toMatch(/^[A-Za-z0-9_-]{1,32}$/);
    expect(got[0]!.headers.authorization).toMatch(new RegExp(`^vapid t=.+, k=${vapid.publicKey}$`));
    // Nothing more is due: no second copy.
    await deliver();
    expect(push.received.filter((p) => p.subscription === device.id)).toHaveLength(1);
  });

  it('forgets a device the service says is gone, and with none left sends the message by mail', async () => {
    const member = await bookedMember();
    const device = push.subscribe();
    await member.send('POST', '/api/me/push/subscriptions', device.json);
    await member.cancel();
    push.behave(410, device.id);

    await deliver();
    expect(await devices(member.memberId)).toEqual([]);
    const rows = await messages(member.memberId, 'lesson_cancelled');
    expect(rows.map((r) => [r.channel, r.status])).toEqual([['push', 'failed'], ['mail', 'pending']]);
    expect(rows[1]).toMatchObject({ to_address: member.email, subject: rows[0].subject });

    await deliver();
    expect((await messages(member.memberId, 'lesson_cancelled'))[1]).toMatchObject({ status: 'sent' });
    expect(smtp.received.filter((m) => m.subject === rows[0].subject && m.to && !Array.isArray(m.to) && m.to.value[0]?.address === member.email)).toHaveLength(1);
  });

  it('counts a message sent when one of two devices takes it, and forgets the one that is gone', async () => {
    const member = await bookedMember();
    const [phone, laptop] = [push.subscribe(), push.subscribe()];
    for (const device of [phone, laptop]) await member.send('POST', '/api/me/push/subscriptions', device.json);
    await member.cancel();
    push.behave(410, laptop.id);

    await deliver();
    expect((await messages(member.memberId, 'lesson_cancelled')).map((r) => [r.channel, r.status])).toEqual([['push', 'sent']]);
    expect(await devices(member.memberId)).toEqual([{ endpoint: phone.json.endpoint }]);
    expect(push.received.filter((p) => p.subscription === phone.id)).toHaveLength(1);
  });

  it('retries when the push service is down, and the retry carries the same topic', async () => {
    const member = await bookedMember();
    const device = push.subscribe();
    await member.send('POST', '/api/me/push/subscriptions', device.json);
    await member.cancel();
    push.behave(500, device.id);

    expect(await deliver()).toMatchObject({ retrying: 1 });
    let [row] = await messages(member.memberId, 'lesson_cancelled');
    expect(row).toMatchObject({ channel: 'push', status: 'pending', attempts: 1, failure: 'provider_unavailable' });
    expect(row.last_error).toMatch(/500/);
    expect(await devices(member.memberId)).toHaveLength(1);

    push.behave(201, device.id);
    later(1);
    await deliver();
    [row] = await messages(member.memberId, 'lesson_cancelled');
    expect(row).toMatchObject({ status: 'sent', attempts: 2 });
    expect(push.attempts.filter((id) => id === device.id)).toHaveLength(2);
    expect(push.received.filter((p) => p.subscription === device.id)).toHaveLength(1);
  });
});

describe('without VAPID keys', () => {
  it('says push is off', async () => {
    const off = await startTestPlatform();
    try {
      const t = await off.createTenant();
      const member = await memberWithSession(off, t, await bookingStudio(off, t));
      const res = await member.send('GET', '/api/me/push');
      expect(res.statusCode).toBe(503);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(off.runtime.messaging.senders.push).toBeUndefined();
    } finally {
      await off.close();
    }
  });
});
