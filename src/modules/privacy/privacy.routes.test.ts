import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { latestMail, populateTenant, tokenInMail, type PopulatedTenant } from '../../../test/support/fixtures.js';
import { startTestPlatform, type TestPlatform } from '../../../test/support/platform.js';
import { MEMBER_TABLES } from './privacy.repo.js';

/**
 * Member data requests against PostgreSQL, on a studio populated with a row in every table (the cross-tenant
 * fixture): the export, a member's erasure request carried out by staff, a declined one, and proof that an
 * erasure leaves no trace of the person in any column while the books still balance.
 */
let platform: TestPlatform;
let admin: pg.Client;
let T: PopulatedTenant;

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
const call = (method: Method, url: string, token: string | undefined, payload?: object) =>
  platform.call(T, { method, url, token, payload, headers: { 'idempotency-key': randomUUID() } });
async function ok(method: Method, url: string, payload?: object, token: string = T.ownerToken, status = method === 'POST' && !url.includes('/erasure') && !url.includes('decline') ? 201 : 200) {
  const res = await call(method, url, token, payload);
  expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(status);
  return res.body ? res.json() : undefined;
}

/**
 * Every column of the tenant schema that holds, or may hold, personal data, and how an erasure deals with it
 * ('anonymised' in place, 'deleted' with its row, or 'cleared' free text staff wrote). The guard below fails when a
 * column of a text-like type appears that is on neither this list nor NOT_PERSONAL: whoever adds it decides.
 */
const PERSONAL: Record<string, 'anonymised' | 'deleted' | 'cleared' | 'staff, not members'> = {
  'members.family_name': 'anonymised', // "削除済み会員 #N" (the studio's language)
  'members.given_name': 'anonymised',
  'members.family_name_kana': 'anonymised',
  'members.given_name_kana': 'anonymised',
  'members.email': 'anonymised',
  'members.phone': 'anonymised',
  'members.birth_date': 'anonymised', // a date, not text: listed so the list is whole
  'members.gender': 'anonymised',
  'members.address': 'anonymised',
  'members.emergency_contact': 'anonymised',
  'members.tags': 'anonymised',
  'members.staff_notes': 'anonymised',
  'member_accounts.email': 'deleted',
  'member_accounts.password_hash': 'deleted',
  'member_accounts.sign_up_profile': 'deleted', // a sign-up's own details until confirmed; empty once it is a member
  'member_sessions.ip': 'deleted',
  'member_sessions.user_agent': 'deleted',
  'member_sessions.token_hash': 'deleted',
  'member_account_tokens.token_hash': 'deleted',
  'line_link_nonces.nonce_hash': 'deleted', // a LINE link the member started
  'login_attempts.email': 'deleted', // the member realm's rows for the account's email
  'login_attempts.ip': 'deleted',
  'outbox.to_address': 'deleted',
  'outbox.subject': 'deleted',
  'outbox.body': 'deleted',
  'outbox.last_error': 'deleted', // an SMTP refusal quotes the address
  'outbox.link': 'deleted',
  'outbox.provider_message_id': 'deleted',
  'undeliverable_addresses.address': 'deleted', // a bounce or complaint of the member's address
  'member_line_links.line_user_id': 'deleted',
  'push_subscriptions.endpoint': 'deleted',
  'push_subscriptions.p256dh': 'deleted',
  'push_subscriptions.auth': 'deleted',
  'idempotency_keys.response': 'deleted', // stored answers that name the member
  'payment_methods.token': 'anonymised',
  'payment_methods.customer_ref': 'anonymised',
  'payment_methods.last4': 'anonymised',
  'payment_methods.brand': 'anonymised',
  'invoices.recipient_name': 'anonymised', // the one change an issued invoice allows (migration 0016)
  'invoices.void_reason': 'cleared',
  'refunds.reason': 'cleared',
  'member_status_events.reason': 'cleared',
  'member_status_changes.reason': 'cleared',
  'credit_ledger.reason': 'cleared',
  'contracts.cancel_reason': 'cleared',
  'contract_leaves.reason': 'cleared',
  'contract_requests.reason': 'cleared',
  'contract_requests.decline_reason': 'cleared',
  'waitlist_entries.note': 'cleared',
  'booking_blocks.reason': 'cleared',
  'member_data_requests.decline_reason': 'cleared',
  'staff.display_name': 'staff, not members',
  'staff.email': 'staff, not members',
  'staff.password_hash': 'staff, not members',
  'staff_sessions.ip': 'staff, not members',
  'staff_sessions.user_agent': 'staff, not members',
  'staff_sessions.token_hash': 'staff, not members',
  'password_reset_tokens.token_hash': 'staff, not members',
  'instructors.display_name': 'staff, not members',
  'instructors.bio': 'staff, not members',
  // The audit log: who did it is staff; what a write changed may be the member's profile, and an erasure clears it.
  'audit_log.changes': 'cleared',
  'audit_log.actor_name': 'staff, not members',
  'audit_log.ip': 'staff, not members',
  'audit_log.user_agent': 'staff, not members',
  'staff_two_factor.secret': 'staff, not members',
  'staff_recovery_codes.code_hash': 'staff, not members',
  'staff_sign_in_challenges.token_hash': 'staff, not members',
};

/** Text-like columns that hold no personal data: codes, states, hashes, the studio's own catalogue. */
const NOT_PERSONAL = new Set<string>([
  // The member's key in the studio's previous system (docs/members.md): no name or contact, and kept by an erasure
  // on purpose, so that the old member list imported again does not bring the erased person back.
  'members.external_id',
  // The audit log's route, outcome and the ids a write named (ids name no one once the member is anonymised).
  'audit_log.actor_kind', 'audit_log.actor_role', 'audit_log.area', 'audit_log.method', 'audit_log.outcome', 'audit_log.params',
  'audit_log.problem_code', 'audit_log.problem_type', 'audit_log.request_id', 'audit_log.route', 'staff_sign_in_challenges.purpose',
  'api_keys.key_hash', 'api_keys.name', 'api_keys.prefix', 'api_keys.role', 'billing_ledger.kind', 'blocked_email_domains.domain',
  'check_ins.actor_kind', 'check_ins.method', 'contracts.kind', 'counters.name', 'credit_ledger.actor_kind', 'credit_ledger.grant_key',
  'credit_ledger.kind', 'idempotency_keys.key', 'idempotency_keys.request_hash', 'idempotency_keys.scope', 'invoice_lines.code',
  // Plan, option and lesson names with dates: what was bought, never who (a line's member is an id).
  'invoice_lines.description', 'invoice_lines.tax_category', 'invoices.currency', 'invoices.issuer_address', 'invoices.issuer_name',
  'invoices.kind', 'invoices.registration_number', 'invoices.status', 'invoices.tax_breakdown', 'lesson_series.weekdays', 'lesson_types.colour',
  'lesson_types.description', 'lesson_types.late_cancel_penalty', 'lesson_types.name', 'lesson_types.no_show_penalty', 'lessons.cancel_reason',
  'lessons.notes', 'lessons.status', 'locations.address', 'locations.name', 'login_attempts.realm', 'outbox.status', 'outbox.template',
  'member_account_tokens.purpose', 'member_accounts.status', 'member_data_requests.kind', 'member_data_requests.status',
  'member_status_changes.requested_by_kind', 'member_status_changes.to_status', 'member_status_events.actor_kind',
  'member_status_events.effects', // ids and counts of what a status change did
  'member_status_events.from_status', 'member_status_events.to_status', 'members.status',
  'members.locale', 'outbox.channel', 'outbox.locale', 'outbox.failure', 'message_preferences.kind', 'message_preferences.channel', // a language, a channel, a kind of message
  'line_channels.channel_id', 'line_channels.channel_secret', 'line_channels.access_token', 'line_channels.basic_id', // the studio's LINE account
  'members.terms_version', // which terms were accepted: kept as the fact of consent, it names no one
  'tenant_settings.member_terms_version', 'tenant_settings.member_terms_url', // the studio's terms
  'password_reset_tokens.purpose', 'payment_attempts.currency', 'payment_attempts.failure_code', 'payment_attempts.failure_kind',
  'payment_attempts.failure_message', // the gateway's decline words
  'payment_attempts.gateway', 'payment_attempts.gateway_ref', 'payment_attempts.initiated_by', 'payment_attempts.method', 'payment_attempts.status',
  'payment_methods.gateway', 'plan_versions.credit_grant', 'plan_versions.tax_category', 'plans.description', 'plans.kind', 'plans.name',
  'refunds.failure_message', 'refunds.gateway_ref', 'refunds.status', 'refunds.tax_breakdown', 'reservation_penalties.kind', 'reservation_penalties.reason',
  'reservations.actor_kind', 'reservations.source', 'reservations.status', 'room_spots.label', 'rooms.name', 'signing_keys.purpose', 'signing_keys.secret',
  'message_templates.kind', 'message_templates.locale', 'message_templates.subject', 'message_templates.body', // the studio's wording
  'undeliverable_addresses.reason', 'tenant_settings.mail_sender_name', 'tenant_settings.mail_reply_to', // the studio's sender and desk address
  'staff.role', 'staff.status', 'tenant_settings.currency', 'tenant_settings.dunning_final_action', 'tenant_settings.dunning_retry_days',
  'tenant_settings.invoice_issuer_address', 'tenant_settings.invoice_issuer_name', 'tenant_settings.invoice_registration_number',
  'tenant_settings.late_cancel_penalty', 'tenant_settings.no_show_penalty', 'tenant_settings.payment_gateway', 'tenant_settings.proration_rule',
  'tenant_settings.stripe_secret_key', 'tenant_settings.stripe_webhook_secret', 'tenant_settings.stripe_publishable_key', 'tenant_settings.tax_rounding',
  'contract_requests.kind', 'contract_requests.status', 'waiting_rooms.admission_order', 'tenant_settings.waiting_room_order',
  // The test gateway's own book: test card numbers and references, never a real person's.
  'test_gateway_operations.card', 'test_gateway_operations.charge_reference', 'test_gateway_operations.currency', 'test_gateway_operations.failure_code',
  'test_gateway_operations.idempotency_key', 'test_gateway_operations.kind', 'test_gateway_operations.outcome', 'test_gateway_operations.reference',
  'waitlist_entries.status', 'webhook_events.event_id', 'webhook_events.gateway', 'webhook_events.type',
]);

let memberEmail: string;
const phone = '09055556666';

beforeAll(async () => {
  platform = await startTestPlatform();
  admin = await platform.admin();
  T = await populateTenant(platform, await platform.createTenant());
  memberEmail = `member@${T.slug}.example.com`;
  // Details only the fixture's signed-in member (佐藤 花子) has, so a trace of them anywhere is a trace of her.
  await ok('PATCH', `/api/members/${T.memberId}`, {
    familyNameKana: 'サトウ', givenNameKana: 'ハナコ', phone, birthDate: '1990-04-01', gender: 'female', staffNotes: '花子さんは膝が弱い',
    address: { postalCode: '1500001', prefecture: '東京都', city: '渋谷区', line1: '神宮前1-2-3 花子ハイツ' },
    emergencyContact: { name: '佐藤 一郎（花子の父）', phone: '0311112222', relationship: '父' },
    tags: ['花子タグ'],
  });
}, 120_000);
afterAll(async () => {
  await admin?.end();
  await platform?.close();
});

describe('the personal-data column list', () => {
  it('names every text-like column of the tenant schema as personal or not', async () => {
    const { rows } = await admin.query<{ c: string }>(
      `select table_name || '.' || column_name as c from information_schema.columns
        where table_schema = 'app' and (data_type in ('text', 'character varying', 'inet', 'jsonb', 'json', 'bytea', 'citext') or data_type = 'ARRAY')
          and is_generated = 'NEVER' order by 1`,
    );
    const unknown = rows.map((r) => r.c).filter((c) => !(c in PERSONAL) && !NOT_PERSONAL.has(c));
    expect(unknown, 'new columns: add each to PERSONAL (and to the erasure) or to NOT_PERSONAL').toEqual([]);
  });
});

/** Tables with a member's rows that the export shows apart from MEMBER_TABLES, by the export's key. */
const EXPORTED_OTHERWISE = { member_accounts: 'account', member_data_requests: 'dataRequests', outbox: 'mails' };
/** Tables with a member's rows the export leaves out, and why. */
const NOT_EXPORTED_TABLES: Record<string, string> = {
  invoice_lines: 'each line is exported with its invoice, to the member who pays it (a family lead pays for the family)',
  credit_lot_balances: 'derived from the credit ledger, which is exported whole (what is left of each lot follows from it)',
  line_link_nonces: 'a LINE link in progress: a hashed one-time value that lives minutes',
};

describe('the export', () => {
  it('shows every table that holds a member’s rows, or says why not', async () => {
    const { rows } = await admin.query<{ t: string }>(
      `select distinct table_name as t from information_schema.columns
        where table_schema = 'app' and column_name in ('member_id', 'billing_member_id') order by 1`,
    );
    const shown = new Set([...Object.values(MEMBER_TABLES).map(([table]) => table.replace(/^app\./, '')), ...Object.keys(EXPORTED_OTHERWISE)]);
    const unknown = rows.map((r) => r.t).filter((t) => !shown.has(t) && !(t in NOT_EXPORTED_TABLES));
    expect(unknown, 'new tables with member rows: add each to MEMBER_TABLES (privacy.repo.ts) or to NOT_EXPORTED_TABLES').toEqual([]);
  });
});

/** Every text-like column of the schema, with the rows of this studio in which any of the traces appears. */
async function tracesOf(traces: string[]) {
  const { rows: columns } = await admin.query<{ t: string; c: string }>(
    `select table_name as t, column_name as c from information_schema.columns
      where table_schema = 'app' and (data_type in ('text', 'character varying', 'inet', 'jsonb', 'json', 'citext') or data_type = 'ARRAY') order by 1, 2`,
  );
  const found: string[] = [];
  for (const { t, c } of columns) {
    const { rows } = await admin.query(
      `select ${c}::text as v from app.${t} where tenant_id = $1 and exists (select 1 from unnest($2::text[]) x where strpos(${c}::text, x) > 0)`,
      [T.id, traces],
    );
    found.push(...rows.map((r) => `${t}.${c}: ${String(r.v).slice(0, 120)}`));
  }
  return found;
}

describe('a member’s erasure request, carried out by staff', () => {
  it('exports everything first, then erases the person and keeps the books', async () => {
    // The member asked from the app (the fixture did); they see it waiting, and so do the owner and managers.
    const mine = await ok('GET', '/api/me/data-requests', undefined, T.memberToken);
    expect(mine.items.map((r: { status: string }) => r.status)).toEqual(['pending']);
    expect(await ok('POST', '/api/me/data-requests', undefined, T.memberToken)).toEqual(mine);
    const pending = await ok('GET', '/api/data-requests');
    expect(pending.items).toEqual([expect.objectContaining({ memberId: T.memberId, memberName: '佐藤 花子', status: 'pending' })]);

    // The export names everything the studio holds, and no secret.
    const data = await ok('GET', `/api/members/${T.memberId}/data`);
    expect(data).toMatchObject({
      format: 'studiohive.member-data.v1',
      profile: { familyName: '佐藤', givenName: '花子', givenNameKana: 'ハナコ', phone, staffNotes: '花子さんは膝が弱い', tags: ['花子タグ'] },
      account: { email: memberEmail },
      consent: { termsVersion: '2026-04' },
      family: { lead: null, members: [expect.objectContaining({ givenName: '小花' })] },
      dataRequests: [expect.objectContaining({ status: 'pending' })],
    });
    expect(data.consent.signedUpAt).toEqual(expect.any(String));
    expect(data.contracts).toEqual([expect.objectContaining({ kind: 'pack', plans: [expect.objectContaining({ planVersion: 1 })] })]);
    expect(data.reservations.length).toBeGreaterThan(0);
    expect(data.waitlist.length).toBeGreaterThan(0);
    expect(data.checkIns).toHaveLength(1);
    expect(data.credits.length).toBeGreaterThan(0);
    expect(data.savedCards).toEqual([expect.objectContaining({ last4: '4242' })]);
    expect(data.invoices.length).toBeGreaterThan(0);
    for (const invoice of data.invoices) {
      expect(invoice.lines.length).toBeGreaterThan(0);
      expect(invoice.payments.length).toBeGreaterThan(0);
      expect(invoice.refunds).toHaveLength(1);
    }
    expect(data.mails.map((m: { toAddress: string }) => m.toAddress)).toContain(memberEmail);
    // How the member is reached: their LINE link, devices (without their push keys) and choices per kind.
    expect(data.lineLink).toMatchObject({ lineUserId: expect.any(String) });
    expect(data.notificationDevices).toEqual([expect.objectContaining({ endpoint: expect.any(String) })]);
    expect(data.messagePreferences.length).toBeGreaterThan(0);
    expect(data.favouriteSeries.length).toBeGreaterThan(0);
    expect(JSON.stringify(data)).not.toMatch(/passwordHash|tokenHash|"token"|tenantId|p256dh|"auth"/);
    // The member downloads the same from the app.
    expect((await ok('GET', '/api/me/data', undefined, T.memberToken)).profile).toEqual(data.profile);

    // A member leading a family is refused until the family is settled; the preview says so and writes nothing.
    const blocked = await call('POST', `/api/members/${T.memberId}/erasure/preview`, T.ownerToken);
    expect(blocked.statusCode, blocked.body).toBe(422);
    expect(blocked.json()).toMatchObject({ reason: 'erasure_blocked', blockers: { familyMembers: 1, runningContracts: 0, unpaidInvoices: 0 } });
    const kid = data.family.members[0].id as string;
    await ok('DELETE', `/api/members/${kid}/family-lead`);

    const rows = async () => (await admin.query(`select id, number, total, tax_total, subtotal_excluding_tax, issued_on, status from app.invoices where tenant_id = $1 order by id`, [T.id])).rows;
    const invoicesBefore = await rows();
    const reconciliationBefore = await ok('GET', '/api/billing/reconciliation');
    expect(reconciliationBefore.balanced).toBe(true);

    const preview = await ok('POST', `/api/members/${T.memberId}/erasure/preview`);
    expect(preview.cancelled).toEqual([{ what: 'bookings', count: 1 }, { what: 'waitlist', count: 1 }]);
    expect((await ok('GET', `/api/members/${T.memberId}`)).givenName).toBe('花子');

    const done = await ok('POST', `/api/members/${T.memberId}/erasure`);
    expect(done).toMatchObject({ ...preview, erasedAt: expect.any(String) });
    const number = done.memberNumber as number;

    // No trace of her anywhere: name, kana, email, phone, address, emergency contact, notes, tags.
    expect(await tracesOf(['花子', 'ハナコ', memberEmail, phone, '神宮前', '佐藤 一郎', '0311112222', '膝'])).toEqual([]);
    // What the books need stays: every invoice with its number, totals and dates, and the reconciliation balances.
    expect(await rows()).toEqual(invoicesBefore);
    expect(await ok('GET', '/api/billing/reconciliation')).toEqual(reconciliationBefore);
    const recipients = await admin.query(`select distinct recipient_name from app.invoices where tenant_id = $1 and billing_member_id = $2`, [T.id, T.memberId]);
    expect(recipients.rows).toEqual([{ recipient_name: `削除済み会員 #${number}` }]);

    // She cannot sign in, her session is gone, no card is saved, and searches find only the marker.
    expect((await call('GET', '/api/me', T.memberToken)).statusCode).toBe(401);
    const login = await platform.call(T, { method: 'POST', url: '/api/member-auth/login', payload: { email: memberEmail, password: 'member password 1' } });
    expect(login.statusCode).toBe(401);
    expect((await ok('GET', `/api/members/${T.memberId}/card`)).card).toBeNull();
    expect((await ok('GET', '/api/members', undefined, T.ownerToken, 200)).items.map((m: { familyName: string }) => m.familyName)).toContain(`削除済み会員 #${number}`);
    expect((await platform.call(T, { method: 'GET', url: '/api/members', query: { q: 'ハナ' }, token: T.ownerToken })).json().items).toEqual([]);
    // Her seats went back: her future booking is cancelled and she left the waitlist.
    const left = await admin.query(
      `select (select count(*)::int from app.reservations where tenant_id = $1 and member_id = $2 and status = 'booked') as booked,
              (select array_agg(status) from app.waitlist_entries where tenant_id = $1 and member_id = $2) as waitlist`,
      [T.id, T.memberId],
    );
    expect(left.rows).toEqual([{ booked: 0, waitlist: ['left'] }]);

    // The request is done, and a second erasure is refused.
    const state = await ok('GET', `/api/members/${T.memberId}/data-requests`);
    expect(state).toMatchObject({ erasedAt: done.erasedAt, requests: [expect.objectContaining({ status: 'completed' })] });
    expect((await call('POST', `/api/members/${T.memberId}/erasure`, T.ownerToken)).json()).toMatchObject({ reason: 'already_erased' });
  });

  it('refuses while a monthly contract runs, and only to the owner and managers', async () => {
    const members = (await ok('GET', '/api/members')).items as Array<{ id: string; givenName: string }>;
    const taro = members.find((m) => m.givenName === '太郎')!;
    const refused = await call('POST', `/api/members/${taro.id}/erasure/preview`, T.ownerToken);
    expect(refused.json()).toMatchObject({ reason: 'erasure_blocked', blockers: { runningContracts: 1 } });
    const desk = await ok('POST', '/api/api-keys', { name: 'desk', role: 'front_desk' });
    for (const url of [`/api/members/${taro.id}/data`, '/api/data-requests']) expect((await call('GET', url, desk.key)).statusCode).toBe(403);
    expect((await call('POST', `/api/members/${taro.id}/erasure`, desk.key)).statusCode).toBe(403);
  });
});

describe('a declined request', () => {
  it('shows the member the studio’s reason, and lets them ask again', async () => {
    const email = `decline@${T.slug}.example.com`;
    await ok('POST', '/api/member-auth/sign-up', { email, password: 'member password 2', familyName: '高橋', givenName: '誠', acceptedTermsVersion: '2026-04' }, undefined, 202);
    const session = await ok('POST', '/api/member-auth/confirm', { token: tokenInMail(await latestMail(platform, T, email, 'member_confirm_email')) }, undefined, 200);
    await ok('POST', '/api/me/data-requests', undefined, session.token);
    const state = await ok('POST', `/api/members/${session.member.id}/data-requests/decline`, { reason: '未払いの請求があるため、お支払い後に改めてお申し込みください。' });
    expect(state.requests).toEqual([expect.objectContaining({ status: 'declined', declineReason: '未払いの請求があるため、お支払い後に改めてお申し込みください。' })]);
    const mine = await ok('GET', '/api/me/data-requests', undefined, session.token);
    expect(mine.items[0]).toMatchObject({ status: 'declined', declineReason: expect.stringContaining('未払い') });
    expect((await call('POST', `/api/members/${session.member.id}/data-requests/decline`, T.ownerToken, { reason: 'again' })).json()).toMatchObject({ reason: 'nothing_pending' });
    expect((await ok('POST', '/api/me/data-requests', undefined, session.token)).items.map((r: { status: string }) => r.status)).toEqual(['pending', 'declined']);
  });
});
