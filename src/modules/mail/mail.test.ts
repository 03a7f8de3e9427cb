import { createHash, createVerify, generateKeyPairSync } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { mailPlatformSuite } from '../../../test/support/smtp.js';
import type { TestTenant } from '../../../test/support/platform.js';
import { inTenantTransaction } from '../../platform/db/databases.js';
import { text } from '../../platform/i18n.js';
import { queueMemberMessages } from '../../platform/messaging/outbox.js';

const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const EVENTS_TOKEN = 'mail-events-token-0123456789abcdef';

const suite = mailPlatformSuite({
  MAIL_SEND_TIMEOUT_MS: '2000',
  DKIM_DOMAIN: 'mail.studiohive.test',
  DKIM_SELECTOR: 'sh2026',
  DKIM_PRIVATE_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  MAIL_EVENTS_TOKEN: EVENTS_TOKEN,
});
beforeEach(() => {
  suite.smtp.behave('accept');
  suite.smtp.received.length = 0;
});

const call = (tenant: TestTenant, method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: object, token: string | undefined = tenant.ownerToken) =>
  suite.platform.call(tenant, { method, url, token, payload });

async function memberOf(tenant: TestTenant, email: string) {
  const res = await call(tenant, 'POST', '/api/members', { familyName: '山田', givenName: '花子', email });
  expect(res.statusCode).toBe(201);
  return res.json() as { id: string };
}

/** A message to a member, as queueMemberMessages writes it (optional: one the member may turn off). */
async function queueFor(tenant: TestTenant, memberId: string, to: string, kind: string, optional: boolean) {
  await suite.admin.query(
    `insert into app.outbox (tenant_id, channel, to_address, member_id, template, subject, body, optional, priority)
     values ($1, 'mail', $2, $3, $4, 'レッスンのお知らせ', '明日 10:00 からのヨガです。', $5, $6)`,
    [tenant.id, to, memberId, kind, optional, optional ? 1 : 0],
  );
}
const deliver = (tenant: TestTenant) => suite.platform.runtime.messaging.deliver(tenant.id);
const outbox = async (tenant: TestTenant) =>
  (await suite.admin.query(`select id, to_address, status, last_error from app.outbox where tenant_id = $1 order by created_at`, [tenant.id])).rows;

/**
 * DKIM verification (RFC 6376) for the relaxed/relaxed canonicalisation nodemailer signs with: no DKIM verifier
 * (mailauth) is among the dependencies, and this is the few lines the check needs.
 */
function verifyDkim(raw: Buffer, key: typeof publicKey) {
  const text = raw.toString('utf8');
  const split = text.indexOf('\r\n\r\n');
  const headerLines = text.slice(0, split).split(/\r\n(?![ \t])/);
  const body = text.slice(split + 4);
  const relaxedHeader = (line: string) => {
    const colon = line.indexOf(':');
    return `${line.slice(0, colon).trim().toLowerCase()}:${line.slice(colon + 1).replace(/\r\n/g, '').replace(/[ \t]+/g, ' ').trim()}`;
  };
  const signatureLine = headerLines.find((l) => /^dkim-signature:/i.test(l))!;
  const tags = Object.fromEntries(
    signatureLine.slice(signatureLine.indexOf(':') + 1).replace(/\s+/g, '').split(';').filter(Boolean).map((t) => [t.slice(0, t.indexOf('=')), t.slice(t.indexOf('=') + 1)]),
  ) as Record<string, string>;
  const relaxedBody = body.split('\r\n').map((l) => l.replace(/[ \t]+/g, ' ').replace(/ $/, '')).join('\r\n').replace(/(\r\n)*$/, '');
  const bodyHash = createHash('sha256').update(relaxedBody ? `${relaxedBody}\r\n` : '').digest('base64');
  // Each signed header name takes the next instance from the bottom, as RFC 6376 §5.4.2 says.
  const remaining = [...headerLines];
  const signed = tags.h!.split(':').map((name) => {
    const index = remaining.findLastIndex((l) => l.slice(0, l.indexOf(':')).trim().toLowerCase() === name.toLowerCase());
    return index < 0 ? '' : `${relaxedHeader(remaining.splice(index, 1)[0]!)}\r\n`;
  });
  const ownSignature = relaxedHeader(signatureLine).replace(/b=[^;]*$/, 'b=');
  const verified = createVerify('RSA-SHA256').update(signed.join('') + ownSignature).verify(key, tags.b!, 'base64');
  return { tags, bodyHashMatches: bodyHash === tags.bh, verified };
}

describe('mail done properly', () => {
  it('signs every mail with DKIM for the platform domain, and the signature verifies against the public key', async () => {
    const tenant = await suite.platform.createTenant();
    expect((await suite.platform.call(tenant, { method: 'POST', url: '/api/auth/password-reset', payload: { email: tenant.ownerEmail } })).statusCode).toBe(202);
    expect(await deliver(tenant)).toMatchObject({ sent: 1 });
    const { tags, bodyHashMatches, verified } = verifyDkim(suite.smtp.received[0]!.raw, publicKey);
    expect(tags).toMatchObject({ v: '1', a: 'rsa-sha256', c: 'relaxed/relaxed', d: 'mail.studiohive.test', s: 'sh2026' });
    expect(tags.h).toMatch(/from/i);
    expect(bodyHashMatches).toBe(true);
    expect(verified).toBe(true);
    // Another key does not verify it: the check is real.
    expect(verifyDkim(suite.smtp.received[0]!.raw, generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey).verified).toBe(false);
  });

  it('sends under the studio’s sender name with its reply-to, and under its display name when none is set', async () => {
    const tenant = await suite.platform.createTenant();
    const member = await memberOf(tenant, 'hanako@example.jp');
    await queueFor(tenant, member.id, 'hanako@example.jp', 'lesson_cancelled', false);
    await deliver(tenant);
    expect(suite.smtp.received[0]!.from?.value).toEqual([{ name: `Studio ${tenant.slug}`, address: 'no-reply@mail.studiohive.test' }]);
    expect(suite.smtp.received[0]!.replyTo).toBeUndefined();

    // The sender reads a studio's settings at most once a minute, so they are set on a studio that sent nothing yet.
    const other = await suite.platform.createTenant();
    const settings = await call(other, 'PATCH', '/api/settings/mail', { senderName: 'ヨガ渋谷', replyTo: 'desk@yoga-shibuya.jp' });
    expect(settings.json()).toEqual({ senderName: 'ヨガ渋谷', replyTo: 'desk@yoga-shibuya.jp', defaultSenderName: `Studio ${other.slug}` });
    const bad = await call(other, 'PATCH', '/api/settings/mail', { replyTo: 'not an address' });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toMatch(/application\/problem\+json/);
    const hers = await memberOf(other, 'hanako@example.jp');
    await queueFor(other, hers.id, 'hanako@example.jp', 'lesson_cancelled', false);
    await deliver(other);
    expect(suite.smtp.received[1]!.from?.value).toEqual([{ name: 'ヨガ渋谷', address: 'no-reply@mail.studiohive.test' }]);
    expect(suite.smtp.received[1]!.replyTo?.value).toEqual([{ name: '', address: 'desk@yoga-shibuya.jp' }]);
  });

  it('offers one-click unsubscribe on optional mail only, and the POST turns that kind off for the member', async () => {
    const tenant = await suite.platform.createTenant();
    const member = await memberOf(tenant, 'hanako@example.jp');
    await queueFor(tenant, member.id, 'hanako@example.jp', 'lesson_reminder', true);
    await queueFor(tenant, member.id, 'hanako@example.jp', 'payment_failed', false);
    expect(await deliver(tenant)).toMatchObject({ sent: 2 });
    const reminder = suite.smtp.received.find((m) => m.headers.get('x-studiohive-template') === 'lesson_reminder')!;
    const payment = suite.smtp.received.find((m) => m.headers.get('x-studiohive-template') === 'payment_failed')!;
    expect(payment.headers.has('list-unsubscribe')).toBe(false);
    expect(payment.headers.has('list-unsubscribe-post')).toBe(false);
    expect(reminder.headerLines.find((h) => h.key === 'list-unsubscribe-post')?.line).toBe('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
    const header = reminder.headerLines.find((h) => h.key === 'list-unsubscribe')!.line;
    const url = new URL(/<(https?:\/\/[^>]+)>/.exec(header)![1]!);
    expect(url.hostname).toBe(tenant.host.split(':')[0]);
    expect(url.pathname).toBe('/api/unsubscribe');
    expect(url.searchParams.get('token')).toMatch(/^u1\./);
    const link = `${url.pathname}${url.search}`;
    // The plain text (all a carrier mail shows) ends with the same link to a page that asks first, in the
    // studio's language; transactional mail has no such line.
    expect(reminder.text!.trimEnd().split('\n').at(-1)).toBe(`このお知らせの配信停止はこちら：${url.origin}/member/unsubscribe?token=${url.searchParams.get('token')}`);
    expect(payment.text).not.toContain('/member/unsubscribe');

    // What a mail client does on the click: POST with the form body, no session.
    const oneClick = (on: TestTenant, path: string) =>
      suite.platform.call(on, { method: 'POST', url: path, payload: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    const res = await oneClick(tenant, link);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ kind: 'lesson_reminder', unsubscribed: true });
    const prefs = await suite.admin.query(`select kind, enabled from app.message_preferences where tenant_id = $1 and member_id = $2`, [tenant.id, member.id]);
    expect(prefs.rows).toEqual([{ kind: 'lesson_reminder', enabled: false }]);
    // Again: still off, still 200 (a mail client may post twice).
    expect((await oneClick(tenant, link)).statusCode).toBe(200);

    // A forged token, or this studio's link at another studio, turns nothing off.
    // A character in the middle of the MAC changes its bytes; the last one changes them or only its spelling.
    const flip = (c: string) => (c === 'A' ? 'B' : 'A');
    const mid = link.length - 20;
    for (const forged of [link.slice(0, mid) + flip(link[mid]!) + link.slice(mid + 1), link.slice(0, -1) + flip(link.at(-1)!)]) {
      const refused = await oneClick(tenant, forged);
      expect(refused.statusCode).toBe(404);
      expect(refused.headers['content-type']).toMatch(/application\/problem\+json/);
    }
    const other = await suite.platform.createTenant();
    expect((await oneClick(other, link)).statusCode).toBe(404);
  });

  it('turns the kind off for the person the mail reached: a family lead who gets a child’s reminders stops them', async () => {
    const tenant = await suite.platform.createTenant();
    const lead = await memberOf(tenant, 'mother@example.jp');
    const child = (await call(tenant, 'POST', '/api/members', { familyName: '山田', givenName: '小花' })).json() as { id: string };
    expect((await call(tenant, 'PUT', `/api/members/${child.id}/family-lead`, { leadId: lead.id })).statusCode).toBe(200);
    const { directory } = suite.platform.runtime;
    const db = await directory.dbFor((await directory.byId(tenant.id))!);
    const lesson = 'ヨガ 12/8 10:00';
    // At noon in Tokyo, outside the studio's quiet hours.
    const remind = () =>
      inTenantTransaction(db, tenant.id, (trx) =>
        queueMemberMessages(
          trx,
          [child.id],
          { kind: 'lesson_reminder', subject: text('reservations.mail.lesson_reminder.subject', { lesson }), body: (name) => text('reservations.mail.lesson_reminder.body', { name, lesson }) },
          { locale: 'ja', timeZone: 'Asia/Tokyo', now: new Date('2026-06-01T03:00:00Z') },
        ),
      );
    expect(await remind()).toBe(1);
    await deliver(tenant);
    const mail = suite.smtp.received.find((m) => m.headers.get('x-studiohive-template') === 'lesson_reminder')!;
    expect(mail.to).toMatchObject({ value: [{ address: 'mother@example.jp' }] });
    const header = mail.headerLines.find((h) => h.key === 'list-unsubscribe')!.line;
    const url = new URL(/<(https?:\/\/[^>]+)>/.exec(header)![1]!);
    const res = await suite.platform.call(tenant, {
      method: 'POST', url: `${url.pathname}${url.search}`, payload: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.statusCode).toBe(200);
    const prefs = await suite.admin.query(`select member_id, kind, enabled from app.message_preferences where tenant_id = $1`, [tenant.id]);
    expect(prefs.rows).toEqual([{ member_id: lead.id, kind: 'lesson_reminder', enabled: false }]);
    // The lead's choice is the one that decides where the child's reminders go: none now.
    expect(await remind()).toBe(0);
  });

  it('marks a bounced address undeliverable; its next mail fails visibly until staff clear it', async () => {
    const tenant = await suite.platform.createTenant();
    const member = await memberOf(tenant, 'Bounce@Example.jp');
    await queueFor(tenant, member.id, 'Bounce@Example.jp', 'lesson_cancelled', false);
    await deliver(tenant);
    const messageId = suite.smtp.received[0]!.messageId!;

    const event = (payload: object, token = EVENTS_TOKEN) =>
      suite.platform.app.inject({ method: 'POST', url: '/platform/mail/events', payload, headers: { authorization: `Bearer ${token}` } });
    expect((await event({ type: 'bounce', recipient: 'bounce@example.jp', messageId }, 'wrong-token-0123456789abcdefgh')).statusCode).toBe(401);
    expect((await event({ type: 'bounce', recipient: 'not an address', messageId })).statusCode).toBe(400);
    expect((await event({ type: 'bounce', recipient: 'bounce@example.jp', messageId: '<someone-else@example.com>' })).json()).toEqual({ recorded: false });
    const recorded = await event({ type: 'bounce', recipient: 'bounce@example.jp', messageId });
    expect(recorded.statusCode).toBe(200);
    expect(recorded.json()).toEqual({ recorded: true });

    const seen = (await call(tenant, 'GET', `/api/members/${member.id}/undeliverable`)).json();
    expect(seen.items).toMatchObject([{ address: 'bounce@example.jp', reason: 'bounce' }]);
    // Another studio with the same member address is not affected.
    const other = await suite.platform.createTenant();
    const theirs = await memberOf(other, 'bounce@example.jp');
    expect((await call(other, 'GET', `/api/members/${theirs.id}/undeliverable`)).json()).toEqual({ items: [] });

    await queueFor(tenant, member.id, 'Bounce@Example.jp', 'payment_failed', false);
    expect(await deliver(tenant)).toMatchObject({ sent: 0, failed: 1 });
    expect(suite.smtp.received).toHaveLength(1);
    const [, failed] = await outbox(tenant);
    expect(failed).toMatchObject({ status: 'failed' });
    expect(failed.last_error).toMatch(/address undeliverable: the mail provider reported a hard bounce/);
    // Staff see why on the member's page.
    const messages = (await call(tenant, 'GET', `/api/members/${member.id}/messages`)).json();
    expect(messages.items.find((m: { status: string }) => m.status === 'failed')).toMatchObject({ failure: 'address_undeliverable' });

    const cleared = await call(tenant, 'DELETE', `/api/members/${member.id}/undeliverable`);
    expect(cleared.statusCode).toBe(200);
    expect(cleared.json()).toEqual({ items: [] });
    await queueFor(tenant, member.id, 'Bounce@Example.jp', 'payment_failed', false);
    expect(await deliver(tenant)).toMatchObject({ sent: 1 });
  });

  it('lets a studio word a kind in Japanese: checked on save, previewed with samples, used in the mail, reset to the catalog', async () => {
    const tenant = await suite.platform.createTenant();
    const member = await memberOf(tenant, 'hanako@example.jp');
    const put = (payload: object) => call(tenant, 'PUT', '/api/message-templates', payload);

    // A placeholder the message is never given, and broken syntax, are refused by name.
    const unknown = await put({ kind: 'lesson_cancelled', locale: 'ja', subject: '休講: {lesson}', body: '{nickname} 様' });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(unknown.json().detail).toContain('{nickname}');
    const broken = await put({ kind: 'lesson_cancelled', locale: 'ja', subject: '休講: {lesson', body: '本文' });
    expect(broken.statusCode).toBe(400);
    expect(broken.json().detail).toContain('件名');
    expect((await put({ kind: 'staff_invite', locale: 'ja', subject: 'x', body: 'y' })).statusCode).toBe(400);

    const wording = { kind: 'lesson_cancelled', locale: 'ja', subject: '【休講】{lesson}', body: '{name} 様\n\n{lesson} は休講です（{reason}）。またのご来店をお待ちしております。' };
    const preview = await call(tenant, 'POST', '/api/message-templates/preview', wording);
    expect(preview.json()).toEqual({ subject: '【休講】ヨガ 12/7 10:00', body: '山田 花子 様\n\nヨガ 12/7 10:00 は休講です（インストラクターの体調不良のため）。またのご来店をお待ちしております。' });
    const saved = await put(wording);
    expect(saved.statusCode).toBe(200);
    expect(saved.json()).toMatchObject({ kind: 'lesson_cancelled', locale: 'ja', own: { subject: '【休講】{lesson}' }, placeholders: ['lesson', 'name', 'reason'] });
    const list = (await call(tenant, 'GET', '/api/message-templates')).json();
    expect(list.items.filter((t: { own: unknown }) => t.own !== null)).toHaveLength(1);

    const { directory } = suite.platform.runtime;
    const db = await directory.dbFor((await directory.byId(tenant.id))!);
    const cancel = () =>
      inTenantTransaction(db, tenant.id, (trx) =>
        queueMemberMessages(
          trx,
          [member.id],
          {
            kind: 'lesson_cancelled',
            subject: text('reservations.mail.lesson_cancelled.subject', { lesson: 'ピラティス 12/8 19:00' }),
            body: (name) => text('reservations.mail.lesson_cancelled.body', { name, lesson: 'ピラティス 12/8 19:00', reason: text('mail.sample.reason') }),
          },
          { locale: 'ja', timeZone: 'Asia/Tokyo', now: new Date() },
        ),
      );
    await cancel();
    await deliver(tenant);
    expect(suite.smtp.received[0]).toMatchObject({ subject: '【休講】ピラティス 12/8 19:00' });
    expect(suite.smtp.received[0]!.text).toContain('山田 花子 様\n\nピラティス 12/8 19:00 は休講です（インストラクターの体調不良のため）。');

    const reset = await call(tenant, 'DELETE', '/api/message-templates?kind=lesson_cancelled&locale=ja');
    expect(reset.json()).toMatchObject({ own: null });
    await cancel();
    await deliver(tenant);
    expect(suite.smtp.received[1]!.subject).not.toContain('【休講】');
  });
});
