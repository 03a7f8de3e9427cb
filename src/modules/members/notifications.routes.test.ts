import { randomUUID } from 'node:crypto';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { latestMail, tokenInMail } from '../../../test/support/fixtures.js';
import type { TestTenant } from '../../../test/support/platform.js';
import { expectRefused } from '../../../test/support/refused.js';
import { mailPlatformSuite } from '../../../test/support/smtp.js';
import { inTenantTransaction } from '../../platform/db/databases.js';
import { text } from '../../platform/i18n.js';
import { MEMBER_KIND_NAMES } from '../../platform/messaging/kinds.js';
import { queueMemberMessages } from '../../platform/messaging/outbox.js';

const suite = mailPlatformSuite();
let T: TestTenant;

type Method = 'GET' | 'PUT' | 'POST';
const call = (method: Method, url: string, payload?: object, token = T.ownerToken, lang = 'en') =>
  suite.platform.call(T, { method, url, payload, token, headers: { 'accept-language': lang } });

async function ok(res: Awaited<ReturnType<typeof call>>, status = 200) {
  expect(res.statusCode, res.body).toBe(status);
  return res.body ? res.json() : undefined;
}

/** Signs up and confirms through the API, as a member on a phone would. */
async function newMember() {
  const email = `m-${randomUUID().slice(0, 8)}@example.com`;
  const payload = { email, password: 'member password 1', familyName: '山田', givenName: '花子', acceptedTermsVersion: '2026-04' };
  await ok(await call('POST', '/api/member-auth/sign-up', payload, ''), 202);
  const session = await ok(await call('POST', '/api/member-auth/confirm', { token: tokenInMail(await latestMail(suite.platform, T, email, 'member_confirm_email')) }, ''));
  // Each test starts from an empty outbox, so what it delivers is its own.
  await suite.admin.query(`delete from app.outbox where tenant_id = $1`, [T.id]);
  return { email, token: session.token as string, id: session.member.id as string };
}

/** What a module would queue about a lesson: the kind's words, rendered for each recipient in their language. */
const queue = async (memberId: string, kind: string, now: Date, until?: Date) => {
  const { directory } = suite.platform.runtime;
  const db = await directory.dbFor((await directory.byId(T.id))!);
  const lesson = 'Yoga';
  return inTenantTransaction(db, T.id, (trx) =>
    queueMemberMessages(
      trx,
      [memberId],
      { kind, subject: text('reservations.mail.waitlist_promoted.subject', { lesson }), body: (name) => text('reservations.mail.waitlist_promoted.body', { name, lesson }), ...(until ? { until } : {}) },
      { locale: 'ja', timeZone: 'Asia/Tokyo', now },
    ),
  );
};
const outbox = async (memberId: string) =>
  (await suite.admin.query(`select channel, to_address, template, subject, status, optional, priority, next_attempt_at from app.outbox where tenant_id = $1 and member_id = $2 order by created_at`, [T.id, memberId])).rows;
const deliver = () => suite.platform.runtime.messaging.deliver(T.id);
const tokyo = (local: string) => new Date(`${local}+09:00`);
const noon = tokyo('2026-06-01T12:00:00');
/** The next 23:00 in Tokyo (no daylight saving there): in the future, as a queued message's default due time is now. */
function nextElevenPmInTokyo(): Date {
  const today = new Date(Date.now() + 9 * 3_600_000).toISOString().slice(0, 10);
  const at = tokyo(`${today}T23:00:00`);
  return at.getTime() > Date.now() ? at : new Date(at.getTime() + 86_400_000);
}

beforeAll(async () => {
  T = await suite.platform.createTenant();
});
beforeEach(() => {
  suite.smtp.received.length = 0;
  suite.platform.runtime.clock.set(null);
});

describe('a member’s message preferences', () => {
  it('lists every kind on and automatic at first, with the channels that reach the member and the language', async () => {
    const m = await newMember();
    const settings = await ok(await call('GET', '/api/me/notifications', undefined, m.token));
    expect(settings).toMatchObject({ locale: null, studioLocale: 'ja', quietHours: { start: '22:00', end: '08:00' }, reachable: { mail: true, line: false, push: false } });
    expect(settings.kinds.map((k: { kind: string }) => k.kind)).toEqual(MEMBER_KIND_NAMES);
    expect(settings.kinds.filter((k: { optional: boolean }) => k.optional).map((k: { kind: string }) => k.kind)).toEqual(['lesson_reminder', 'seat_freed', 'booking_window_opens']);
    expect(settings.kinds.every((k: { enabled: boolean; channel: null }) => k.enabled && k.channel === null)).toBe(true);
  });

  it('keeps what the member chose, and the language, and shows it read only to the studio’s desk', async () => {
    const m = await newMember();
    const saved = await ok(await call('PUT', '/api/me/notifications', { lesson_reminder: { enabled: false, channel: null }, payment_failed: { enabled: true, channel: 'mail' } }, m.token));
    expect(saved.kinds.find((k: { kind: string }) => k.kind === 'lesson_reminder')).toEqual({ kind: 'lesson_reminder', optional: true, enabled: false, channel: null });
    // A kind left out keeps its choice.
    await ok(await call('PUT', '/api/me/notifications', { seat_freed: { enabled: true, channel: 'line' } }, m.token));
    expect((await ok(await call('PUT', '/api/me/language', { locale: 'en' }, m.token))).locale).toBe('en');

    const staff = await ok(await call('GET', `/api/members/${m.id}/notification-preferences`));
    const byKind = Object.fromEntries(staff.kinds.map((k: { kind: string }) => [k.kind, k]));
    expect(byKind).toMatchObject({
      lesson_reminder: { enabled: false, channel: null },
      payment_failed: { enabled: true, channel: 'mail' },
      seat_freed: { enabled: true, channel: 'line' },
      monthly_invoice: { enabled: true, channel: null },
    });
    expect(staff.locale).toBe('en');
    expect((await ok(await call('PUT', '/api/me/language', {}, m.token))).locale).toBeNull();

    // Members, instructors and unknown ids do not read it.
    const coach = (await ok(await call('POST', '/api/api-keys', { name: 'coach', role: 'instructor' }), 201)).key;
    expect((await call('GET', `/api/members/${m.id}/notification-preferences`, undefined, coach)).statusCode).toBe(403);
    expect((await call('GET', `/api/members/${m.id}/notification-preferences`, undefined, m.token)).statusCode).toBe(403);
    expect((await call('GET', `/api/members/${randomUUID()}/notification-preferences`)).statusCode).toBe(404);
    expect((await call('GET', '/api/me/notifications')).statusCode).toBe(403);

    // A child nothing reaches gets messages through the family lead: staff see the lead's choices, which decide.
    const child = await ok(await call('POST', '/api/members', { familyName: '山田', givenName: '小花' }), 201);
    await ok(await call('PUT', `/api/members/${child.id}/family-lead`, { leadId: m.id }));
    const viaLead = await ok(await call('GET', `/api/members/${child.id}/notification-preferences`));
    expect(viaLead.via).toEqual({ memberId: m.id, name: '山田 花子' });
    expect(viaLead.reachable).toEqual({ line: false, push: false, mail: true });
    expect(viaLead.kinds.find((k: { kind: string }) => k.kind === 'lesson_reminder')).toMatchObject({ enabled: false });
    expect(staff.via).toBeNull();
  });

  it('refuses to turn an essential kind off, in the member’s language, and changes nothing', async () => {
    const m = await newMember();
    const problem = await expectRefused(suite.admin, T.id, call('PUT', '/api/me/notifications', { lesson_reminder: { enabled: false, channel: null }, monthly_invoice: { enabled: false, channel: null } }, m.token, 'ja'), 400);
    expect(problem.errors).toEqual([expect.objectContaining({ location: 'body', path: 'monthly_invoice.enabled', message: expect.stringContaining('停止できません') })]);
    await expectRefused(suite.admin, T.id, call('PUT', '/api/me/notifications', { newsletter: { enabled: false, channel: null } }, m.token), 400);
    await expectRefused(suite.admin, T.id, call('PUT', '/api/me/notifications', { seat_freed: { enabled: true, channel: 'fax' } }, m.token), 400);
    await expectRefused(suite.admin, T.id, call('PUT', '/api/me/language', { locale: 'fr' }, m.token), 400);
    const settings = await ok(await call('GET', '/api/me/notifications', undefined, m.token));
    expect(settings.kinds.every((k: { enabled: boolean }) => k.enabled)).toBe(true);
  });
});

describe('what the outbox does with them', () => {
  it('queues no optional message of a kind turned off, and one left on', async () => {
    const m = await newMember();
    await ok(await call('PUT', '/api/me/notifications', { lesson_reminder: { enabled: false, channel: null } }, m.token));
    expect(await queue(m.id, 'lesson_reminder', noon)).toBe(0);
    expect(await queue(m.id, 'seat_freed', noon)).toBe(1);
    // The list, not the caller, says a lesson reminder is optional.
    expect(await outbox(m.id)).toEqual([expect.objectContaining({ template: 'seat_freed', optional: true, priority: 1 })]);
  });

  it('sends by mail when the member chose mail, though LINE is linked; on LINE when automatic', async () => {
    const m = await newMember();
    const lineUser = `U${randomUUID().replaceAll('-', '')}`;
    await suite.admin.query(`insert into app.member_line_links (tenant_id, member_id, line_user_id) values ($1, $2, $3)`, [T.id, m.id, lineUser]);
    expect((await ok(await call('GET', '/api/me/notifications', undefined, m.token))).reachable).toEqual({ mail: true, line: true, push: false });
    await ok(await call('PUT', '/api/me/notifications', { waitlist_promoted: { enabled: true, channel: 'mail' } }, m.token));
    await queue(m.id, 'waitlist_promoted', noon);
    await queue(m.id, 'lesson_moved', noon);
    expect(await outbox(m.id)).toEqual([
      expect.objectContaining({ template: 'waitlist_promoted', channel: 'mail', to_address: m.email }),
      expect.objectContaining({ template: 'lesson_moved', channel: 'line', to_address: lineUser }),
    ]);
    await deliver();
    expect(suite.smtp.received.map((mail) => mail.to)).toEqual([expect.objectContaining({ value: [expect.objectContaining({ address: m.email })] })]);
  });

  it('writes to an English member of a Japanese studio in English, and to the others in Japanese', async () => {
    const [english, japanese] = [await newMember(), await newMember()];
    await ok(await call('PUT', '/api/me/language', { locale: 'en' }, english.token));
    await queue(english.id, 'waitlist_promoted', noon);
    await queue(japanese.id, 'waitlist_promoted', noon);
    expect((await outbox(english.id))[0].subject).toBe('Booked from the waitlist: Yoga');
    expect((await outbox(japanese.id))[0].subject).toBe('キャンセル待ちのご予約確定：Yoga');
    await deliver();
    const mailTo = (address: string) => suite.smtp.received.find((mail) => mail.to && 'value' in mail.to && mail.to.value[0]?.address === address)!;
    expect(mailTo(english.email).text).toContain('Dear 山田 花子');
    expect(mailTo(japanese.email).text).toContain('山田 花子 様');
  });

  it('holds an optional message queued in quiet hours until they end, and sends an essential one at once', async () => {
    const m = await newMember();
    const late = nextElevenPmInTokyo();
    suite.platform.runtime.clock.set(late);
    await queue(m.id, 'seat_freed', late);
    await queue(m.id, 'payment_failed', late);
    const [optional, essential] = await outbox(m.id);
    // The studio's quiet hours are the default 22:00–08:00 Tokyo time.
    const eightAm = new Date(late.getTime() + 9 * 3_600_000);
    expect(new Date(optional.next_attempt_at)).toEqual(eightAm);
    expect(new Date(essential.next_attempt_at).getTime()).toBeLessThanOrEqual(late.getTime());

    expect(await deliver()).toMatchObject({ sent: 1 });
    expect(suite.smtp.received).toHaveLength(1);
    suite.platform.runtime.clock.set(new Date(eightAm.getTime() - 60_000));
    expect(await deliver()).toMatchObject({ sent: 0 });
    suite.platform.runtime.clock.set(eightAm);
    expect(await deliver()).toMatchObject({ sent: 1 });
    expect((await outbox(m.id)).map((r) => r.status)).toEqual(['sent', 'sent']);
  });

  it('drops an optional message that quiet hours would hold past the moment it is about, and keeps one still in time', async () => {
    const m = await newMember();
    const late = nextElevenPmInTokyo();
    const eightAm = new Date(late.getTime() + 9 * 3_600_000);
    // A reminder of a 07:00 lesson would arrive at 08:00, after it began; one of a 09:00 lesson arrives at 08:00.
    expect(await queue(m.id, 'lesson_reminder', late, new Date(eightAm.getTime() - 3_600_000))).toBe(0);
    expect(await queue(m.id, 'lesson_reminder', late, new Date(eightAm.getTime() + 3_600_000))).toBe(1);
    // An essential message is never held, so never dropped.
    expect(await queue(m.id, 'payment_failed', late, new Date(late.getTime() + 60_000))).toBe(1);
    expect((await outbox(m.id)).map((r) => [r.template, new Date(r.next_attempt_at) <= late ? 'now' : new Date(r.next_attempt_at).toISOString()])).toEqual([
      ['lesson_reminder', eightAm.toISOString()],
      ['payment_failed', 'now'],
    ]);
  });
});
