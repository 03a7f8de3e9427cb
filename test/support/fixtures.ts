import { createECDH, createHash, randomBytes, randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { addDays, addMonths, monthOf } from '../../src/platform/calendar.js';
import { inTenantTransaction } from '../../src/platform/db/databases.js';
import type { TestPlatform, TestTenant } from './platform.js';
import { totpAt } from './two-factor.js';
import { billingDeps, runBilling } from '../../src/modules/billing/billing-run.js';
import { runReminders } from '../../src/modules/reservations/reminders.js';

/** A fixture tenant, with a signed-in member (who leads a family) besides the owner. */
export interface PopulatedTenant extends TestTenant {
  memberToken: string;
  memberId: string;
  roomId: string;
  instructorId: string;
  seriesId: string;
  /** A one-off lesson a week ahead. */
  lessonId: string;
}

/** The newest mail to an address, read as the app does (under RLS, in whichever placement the tenant lives). */
export async function latestMail(platform: TestPlatform, tenant: TestTenant, to: string, template: string): Promise<string> {
  const { directory } = platform.runtime;
  const row = await inTenantTransaction(await directory.dbFor((await directory.byId(tenant.id))!), tenant.id, (trx) =>
    trx
      .selectFrom('app.outbox')
      .select('body')
      .where('to_address', '=', to)
      .where('template', '=', template)
      .orderBy('created_at', 'desc')
      .executeTakeFirst(),
  );
  if (!row) throw new Error(`no ${template} mail to ${to}`);
  return row.body;
}

export const tokenInMail = (body: string) => decodeURIComponent(/token=([A-Za-z0-9_%-]+)/.exec(body)![1]!);

/**
 * Gives a tenant at least one row in every tenant table, through the API as its users would. A new table
 * makes the cross-tenant test fail until the module that owns it adds its rows here.
 */
export async function populateTenant(platform: TestPlatform, tenant: TestTenant): Promise<PopulatedTenant> {
  const as = (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: object, token: string | undefined = tenant.ownerToken) =>
    platform.call(tenant, { method, url, payload, token, headers: { 'idempotency-key': randomUUID() } });
  const ok = async (p: ReturnType<typeof as>, status: number) => {
    const res = await p;
    expect(res.statusCode, `${res.body}`).toBe(status);
    return res.body ? res.json() : undefined;
  };

  await ok(as('POST', '/api/staff', { email: `desk@${tenant.slug}.example.com`, displayName: 'Front Desk', role: 'front_desk' }), 201);
  await ok(as('POST', '/api/api-keys', { name: 'integration', role: 'manager' }), 201);
  const lead = await ok(as('POST', '/api/members', { familyName: '山田', givenName: '太郎', familyNameKana: 'ヤマダ', phone: '090-0000-0001', acceptedTermsVersion: '2026-04' }), 201);
  const child = await ok(as('POST', '/api/members', { familyName: '山田', givenName: '次郎' }), 201);
  await ok(as('PUT', `/api/members/${child.id}/family-lead`, { leadId: lead.id }), 200);

  // Membership: rules, a location and lesson type, plans of each kind, a contract with an option and a leave,
  // a pack, and credits.
  await ok(as('PATCH', '/api/settings/membership', { cutoffDay: 15, billingDay: 20 }), 200);
  const location = await ok(as('POST', '/api/locations', { name: 'Main studio' }), 201);
  const lessonType = await ok(as('POST', '/api/lesson-types', { name: 'Yoga', durationMinutes: 60 }), 201);
  await ok(as('PATCH', `/api/members/${lead.id}`, { homeLocationId: location.id }), 200);
  const monthly = await ok(as('POST', '/api/plans', { kind: 'monthly', name: 'Monthly 4', terms: { price: 8800, taxCategory: 'standard_10', enrollmentFee: 5500, leaveFee: 1100, creditGrant: 'monthly', creditsPerGrant: 4, lessonTypeIds: [lessonType.id], locationIds: [location.id], maxPerWeek: 2 } }), 201);
  const locker = await ok(as('POST', '/api/plans', { kind: 'option', name: 'Locker', terms: { price: 1100, taxCategory: 'standard_10' } }), 201);
  const pack = await ok(as('POST', '/api/plans', { kind: 'pack', name: '5 lessons', terms: { price: 11000, taxCategory: 'standard_10', packCredits: 5, packValidityDays: 90 } }), 201);
  const contract = await ok(as('POST', '/api/contracts', { memberId: lead.id, planId: monthly.id, optionPlanIds: [locker.id] }), 201);
  await ok(as('POST', `/api/contracts/${contract.id}/leaves`, { fromMonth: addMonths(monthOf(new Date().toISOString()), 3), reason: 'Travel' }), 201);
  await ok(as('POST', '/api/contracts', { memberId: child.id, planId: pack.id, firstInvoice: 'next_run' }), 201);
  await ok(as('POST', `/api/members/${child.id}/credits/adjustments`, { amount: 1, reason: 'Welcome' }), 201);

  // Schedule: booking rules, a room with a seat map, an instructor, a weekly series and a one-off lesson.
  await ok(as('PATCH', '/api/settings/booking', { opensDaysBefore: 14, cancelDeadlineMinutesBefore: 120 }), 200);
  await ok(as('PATCH', `/api/lesson-types/${lessonType.id}`, { bookingRules: { opensAt: '09:00' } }), 200);
  const room = await ok(as('POST', '/api/rooms', { locationId: location.id, name: 'Bike room', spots: [{ spot: 1, label: 'A1' }, { spot: 2, label: 'A2' }, { spot: 3, label: 'B1' }] }), 201);
  const desk = (await ok(as('GET', '/api/staff'), 200)).items.find((st: { role: string }) => st.role === 'front_desk');
  const instructor = await ok(as('POST', '/api/instructors', { displayName: 'Aiko', bio: 'Vinyasa', staffId: desk.id }), 201);
  const today = new Date().toISOString().slice(0, 10);
  const series = await ok(as('POST', '/api/lesson-series', { lessonTypeId: lessonType.id, roomId: room.id, instructorId: instructor.id, weekdays: [1, 3, 5], startTime: '10:00', startsOn: addDays(today, 1), endsOn: addDays(today, 28) }), 201);
  const lesson = await ok(as('POST', '/api/lessons', { lessonTypeId: lessonType.id, roomId: room.id, instructorId: instructor.id, date: addDays(today, 7), startTime: '19:00', capacity: 2 }), 201);

  await as('POST', '/api/auth/password-reset', { email: tenant.ownerEmail }, undefined);
  const failed = await as('POST', '/api/auth/login', { email: tenant.ownerEmail, password: 'wrong password!' }, undefined);
  expect(failed.statusCode).toBe(401);

  // The member realm: sign-up rules, a member who signs up and confirms from the mailed link, a family member
  // it leads, a password reset mail and a failed member sign-in.
  await ok(as('PUT', '/api/settings/member-sign-up', { blockDisposableEmailDomains: true }), 200);
  await ok(as('POST', '/api/settings/blocked-email-domains', { domain: `spam.${tenant.slug}.example` }), 201);
  const memberEmail = `member@${tenant.slug}.example.com`;
  await ok(
    as('POST', '/api/member-auth/sign-up', { email: memberEmail, password: 'member password 1', familyName: '佐藤', givenName: '花子', acceptedTermsVersion: '2026-04' }, undefined),
    202,
  );
  const confirmation = await latestMail(platform, tenant, memberEmail, 'member_confirm_email');
  const session = await ok(as('POST', '/api/member-auth/confirm', { token: tokenInMail(confirmation) }, undefined), 200);
  const kid = await ok(as('POST', '/api/members', { familyName: '佐藤', givenName: '小花' }), 201);
  await ok(as('PUT', `/api/members/${kid.id}/family-lead`, { leadId: session.member.id }), 200);
  await ok(as('PUT', '/api/me/notifications', { lesson_reminder: { enabled: false, channel: 'mail' } }, session.token), 200);
  await ok(as('POST', '/api/member-auth/password-reset', { email: memberEmail }, undefined), 202);
  await ok(as('POST', '/api/member-auth/login', { email: memberEmail, password: 'wrong password!' }, undefined), 401);

  // Check-in: the member's code (which makes the studio's signing key), scanned at the desk as a walk-in.
  const code = await ok(as('GET', '/api/me/check-in-code', undefined, session.token), 200);
  await ok(as('POST', '/api/check-ins', { token: code.token, locationId: location.id, acknowledge: true }), 200);

  // Reservations: the signed-in member buys the pack; the desk books the family lead and the child onto the
  // one-off lesson (two seats: full), the member onto its waitlist and onto a seat of another lesson. A late
  // cancellation with strikes on (one strike blocks) gives a penalty and a block.
  await ok(as('POST', '/api/contracts', { memberId: session.member.id, planId: pack.id, firstInvoice: 'next_run' }), 201);
  await ok(as('POST', `/api/lessons/${lesson.id}/reservations`, { memberId: lead.id }), 201);
  await ok(as('POST', `/api/lessons/${lesson.id}/reservations`, { memberId: child.id }), 201);
  const waiting = await ok(as('POST', `/api/lessons/${lesson.id}/reservations`, { memberId: session.member.id, joinWaitlist: true }), 201);
  expect(waiting.outcome).toBe('waitlisted');
  const other = await ok(as('POST', '/api/lessons', { lessonTypeId: lessonType.id, roomId: room.id, date: addDays(today, 8), startTime: '19:00' }), 201);
  await ok(as('POST', `/api/lessons/${other.id}/reservations`, { memberId: session.member.id, spot: 2 }), 201);
  await ok(as('PATCH', '/api/settings/booking', { lateCancelPenalty: 'strike', strikeLimit: 1 }), 200);
  const soon = await ok(as('POST', '/api/lessons', { lessonTypeId: lessonType.id, roomId: room.id, startsAt: new Date(Date.now() + 3_600_000).toISOString() }), 201);
  const late = await ok(as('POST', `/api/lessons/${soon.id}/reservations`, { memberId: child.id }), 201);
  const cancelled = await ok(as('POST', `/api/reservations/${late.reservation.id}/cancel`, {}), 200);
  expect(cancelled.penalty.blockedUntil).not.toBeNull();
  // The member stars the weekly series, and the reminders job tells them, ten minutes ahead, that booking opens.
  await ok(as('PUT', `/api/me/favourites/${series.id}`, undefined, session.token), 200);
  const coming = await ok(as('GET', `/api/me/schedule?from=${addDays(today, 14)}&days=7`, undefined, session.token), 200);
  const opening = coming.lessons.find((l: { series: { id: string } | null; me: { state: string } }) => l.series?.id === series.id && l.me.state === 'opens');
  const notices = await runReminders(platform.runtime, tenant.id, new Date(Date.parse(opening.me.opensAt) - 5 * 60_000));
  expect(notices?.windowNotices).toBe(1);
  // A waiting room (issue 17): an opening an hour from now, whose queue is open, and the member in it. The
  // studio's rule is put back afterwards, so the other openings above stay as they were.
  const zone = (await ok(as('GET', '/api/tenant'), 200)).timezone as string;
  const inAnHour = new Date(Date.now() + 3_600_000);
  const local = (o: Intl.DateTimeFormatOptions) => new Intl.DateTimeFormat('en-CA', { timeZone: zone, hourCycle: 'h23', ...o }).format(inAnHour);
  const rush = await ok(as('POST', '/api/lesson-types', { name: 'Rush hour', durationMinutes: 45, bookingRules: { opensDaysBefore: 1, opensAt: local({ hour: '2-digit', minute: '2-digit' }) } }), 201);
  const rushLesson = await ok(as('POST', '/api/lessons', { lessonTypeId: rush.id, roomId: room.id, date: addDays(local({ year: 'numeric', month: '2-digit', day: '2-digit' }), 1), startTime: '06:00' }), 201);
  await ok(as('PATCH', '/api/settings/booking', { waitingRoomMinutesBefore: 120, waitingRoomOrder: 'lottery' }), 200);
  expect(await ok(as('POST', '/api/me/waiting-room', { lessonId: rushLesson.id }, session.token), 200)).toMatchObject({ state: 'queued', order: 'lottery' });
  await ok(as('PATCH', '/api/settings/booking', { waitingRoomMinutesBefore: null }), 200);

  // Billing: invoice settings, a card for the lead (by staff) and for the member (by themselves), the run
  // (invoices, lines, ledger, charges at the test gateway), a refund with its credit note on each invoice, and a
  // webhook delivery seen.
  await ok(as('PATCH', '/api/settings/billing', { registrationNumber: 'T1234567890123', issuerAddress: '東京都渋谷区1-2-3' }), 200);
  await ok(as('PUT', `/api/members/${lead.id}/card`, { token: '4242424242424242' }), 200);
  // The lead's first invoice, issued at the sale, charged at the desk; the packs were left to the run.
  await ok(as('POST', `/api/invoices/${contract.firstInvoice.id}/charge`), 200);
  await ok(as('PUT', '/api/me/card', { token: '4242424242424242' }, session.token), 200);
  const run = await runBilling(billingDeps(platform.runtime), tenant.id, new Date());
  expect(run?.invoicesCreated).toBe(2);
  const invoices = await ok(as('GET', '/api/invoices'), 200);
  for (const invoice of invoices.items as Array<{ id: string; status: string }>) {
    expect(invoice.status).toBe('paid');
    await ok(as('POST', `/api/invoices/${invoice.id}/refunds`, { amount: 100, reason: 'Goodwill' }), 201);
  }
  // Data requests: the member asks for their account to be erased (it waits for the studio).
  await ok(as('POST', '/api/me/data-requests', undefined, session.token), 201);
  // Another member's request to cancel, waiting for staff (studios may approve leaves and cancellations).
  const leaverEmail = `leaver@${tenant.slug}.example.com`;
  await ok(as('POST', '/api/member-auth/sign-up', { email: leaverEmail, password: 'member password 2', familyName: '田中', givenName: '去', acceptedTermsVersion: '2026-04' }, undefined), 202);
  const leaver = await ok(as('POST', '/api/member-auth/confirm', { token: tokenInMail(await latestMail(platform, tenant, leaverEmail, 'member_confirm_email')) }, undefined), 200);
  const leaving = await ok(as('POST', '/api/contracts', { memberId: leaver.member.id, planId: monthly.id, firstInvoice: 'next_run' }), 201);
  await ok(as('PUT', '/api/settings/member-sign-up', { memberChangesNeedApproval: true }), 200);
  await ok(as('POST', `/api/me/contracts/${leaving.id}/requests`, { kind: 'cancellation', reason: 'Moving away' }, leaver.token), 201);
  const directory = platform.runtime.directory;
  await inTenantTransaction(await directory.dbFor((await directory.byId(tenant.id))!), tenant.id, (db) =>
    db.insertInto('app.webhook_events').values({ gateway: 'stripe', event_id: `evt_${tenant.slug}`, type: 'payment_intent.succeeded' }).execute(),
  );
  // Web Push: the member's phone is subscribed (written directly: the route needs VAPID keys, which most tests leave off).
  await inTenantTransaction(await directory.dbFor((await directory.byId(tenant.id))!), tenant.id, (db) =>
    db
      .insertInto('app.push_subscriptions')
      .values({ member_id: session.member.id, endpoint: `https://fcm.googleapis.com/fcm/send/${tenant.slug}`, p256dh: createECDH('prime256v1').generateKeys('base64url'), auth: randomBytes(16).toString('base64url') })
      .execute(),
  );
  // LINE: the studio's account and a member's link to it (written directly: connecting tries the token with LINE,
  // which only the LINE tests stand in for), and a link started by the member (its nonce).
  await inTenantTransaction(await directory.dbFor((await directory.byId(tenant.id))!), tenant.id, async (db) => {
    await db.insertInto('app.line_channels').values({ channel_id: '1650000000', channel_secret: 'a'.repeat(32), access_token: `token-${tenant.slug}-0123456789`, basic_id: '@studio' }).execute();
    await db.insertInto('app.member_line_links').values({ member_id: session.member.id, line_user_id: `U${createHash('md5').update(tenant.slug).digest('hex')}` }).execute();
  });
  await ok(as('POST', '/api/me/line/link', { linkToken: `link-${tenant.slug}` }, session.token), 200);
  // Mail: the studio's own wording of a message, and an address the mail provider reported as bouncing (the
  // provider's notice is a platform route).
  await ok(as('PUT', '/api/message-templates', { kind: 'lesson_cancelled', locale: 'ja', subject: '休講: {lesson}', body: '{name} 様\n\n{lesson} は休講です。' }), 200);
  await inTenantTransaction(await directory.dbFor((await directory.byId(tenant.id))!), tenant.id, (db) =>
    db.insertInto('app.undeliverable_addresses').values({ address: `bounced@${tenant.slug}.example.com`, reason: 'bounce' }).execute(),
  );

  // Two-factor sign-in: the desk sets a password from the invitation and turns it on; a sign-in leaves a challenge.
  const deskEmail = `desk@${tenant.slug}.example.com`;
  const deskPassword = 'desk password 2fa';
  await ok(as('POST', '/api/auth/password-reset/confirm', { token: tokenInMail(await latestMail(platform, tenant, deskEmail, 'staff_invite')), password: deskPassword }), 204);
  const deskToken = (await ok(as('POST', '/api/auth/login', { email: deskEmail, password: deskPassword }, undefined), 200)).token;
  const { secret } = await ok(as('POST', '/api/account/two-factor', undefined, deskToken), 201);
  await ok(as('POST', '/api/account/two-factor/confirm', { code: await totpAt(platform, secret) }, deskToken), 200);
  expect((await ok(as('POST', '/api/auth/login', { email: deskEmail, password: deskPassword }, undefined), 200)).twoFactor).toBe('code');
  await ok(as('PUT', '/api/settings/staff-security', { requireStaffTwoFactor: false }), 200);

  return { ...tenant, memberToken: session.token, memberId: session.member.id, roomId: room.id, instructorId: instructor.id, seriesId: series.id, lessonId: lesson.id };
}
