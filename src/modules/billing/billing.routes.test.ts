import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeStripe, type FakeStripe } from '../../../test/support/fake-stripe.js';
import { startTestPlatform, type TestPlatform, type TestTenant } from '../../../test/support/platform.js';
import { expectRefused } from '../../../test/support/refused.js';
import { addLesson, bookingStudio, memberWithSession, staffApi, type BookingStudio } from '../../../test/support/booking.js';
import { billingDeps, runBilling } from './billing-run.js';
import { formatMoney } from './invoice-document.js';

/**
 * Billing proved through its HTTP API against PostgreSQL: dunning to a booking block and back, Stripe webhooks
 * (with a local fake Stripe), refunds, documents, desk payments and reconciliation, exactly-once runs, bad input.
 * Each proof has a studio (tenant) of its own, so its billing runs see only its own members.
 */
let platform: TestPlatform;
let admin: pg.Client;
let fake: FakeStripe;

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
type Answer = Awaited<ReturnType<TestPlatform['call']>>;
interface Invoice {
  id: string;
  period: string;
  status: string;
  total: number;
  amountPaid: number;
  amountRefunded: number;
  overdue: boolean;
  nextAttemptAt: string | null;
  escalatedAt: string | null;
  taxBreakdown: Array<{ ratePercent: number; taxableAmount: number; tax: number; total: number }>;
  lines: Array<{ period: string; code: string; amount: number; description: string; memberId: string }>;
  payments: Array<{ id: string; method: string; status: string; initiatedBy: string; failureKind: string | null; failureCode: string | null }>;
  refunds: Array<{ id: string; amount: number; status: string }>;
}

/** Tokyo local time to an instant. */
const tokyo = (local: string) => new Date(`${local}+09:00`);
const setNow = (local: string) => platform.runtime.clock.set(tokyo(local));
const STRIPE = { gateway: 'stripe', stripeSecretKey: 'sk_test_studiohive', stripeWebhookSecret: 'whsec_studiohive_endpoint' } as const;

/** The text of a PDF, all pages. */
async function pdfText(pdf: Buffer): Promise<string> {
  const doc = await getDocument({ data: new Uint8Array(pdf), useSystemFonts: false }).promise;
  let text = '';
  for (let n = 1; n <= doc.numPages; n++) {
    const content = await (await doc.getPage(n)).getTextContent();
    text += content.items.map((item) => ('str' in item ? item.str + (item.hasEOL ? '\n' : '') : '')).join('');
  }
  await doc.destroy();
  return text;
}

async function pdfOf(res: Answer) {
  expect(res.statusCode, res.body).toBe(200);
  expect(res.headers['content-type']).toMatch(/^application\/pdf/);
  return pdfText(res.rawPayload);
}

/**
 * A studio of its own (a fresh tenant, so each proof's runs bill only its own members), with the helpers the
 * proofs share: staff calls, the run at a local time, members, invoices and counts read past RLS.
 */
async function studio(settings?: object) {
  setNow('2026-12-01T10:00:00');
  const tenant: TestTenant = await platform.createTenant();
  const staff = staffApi(platform, tenant);
  const booking: BookingStudio = await bookingStudio(platform, tenant);
  if (settings) await staff.ok('PATCH', '/api/settings/billing', settings, 200);
  const count = async (sql: string, params: unknown[] = []) => (await admin.query(sql, [tenant.id, ...params])).rows[0].n as number;
  const s = {
    tenant,
    staff,
    booking,
    count,
    /** Runs billing as the hourly job would at a Tokyo local time. */
    run(local: string, opts: { batchSize?: number } = {}) {
      setNow(local);
      return runBilling(billingDeps(platform.runtime), tenant.id, platform.runtime.clock.now(), opts);
    },
    /** Proves a request is refused as problem+json and changes no row. */
    refused: (send: () => Promise<Answer>, status: number, reason?: string) => expectRefused(admin, tenant.id, send, status, reason ? { reason } : {}),
    invoice: (id: string): Promise<Invoice> => staff.ok('GET', `/api/invoices/${id}`),
    invoicesOf: async (memberId: string): Promise<Invoice[]> => (await staff.ok('GET', `/api/invoices?memberId=${memberId}`)).items,
    async onlyInvoiceOf(memberId: string): Promise<Invoice> {
      const items = await s.invoicesOf(memberId);
      expect(items).toHaveLength(1);
      return s.invoice(items[0]!.id);
    },
    /** A member on their phone (signed up, with the studio's pack). */
    member: () => memberWithSession(platform, tenant, booking),
    /** A member made at the desk with a monthly plan from a date. */
    async monthlyMember(startDate: string, extra: { planId?: string; familyName?: string; optionPlanIds?: string[] } = {}) {
      const m = await staff.ok('POST', '/api/members', { familyName: extra.familyName ?? '佐藤', givenName: '花子', email: `m-${randomUUID().slice(0, 8)}@${tenant.slug}.example.com` });
      const planId = extra.planId ?? (await s.monthlyPlan()).id;
      const contract = await staff.ok('POST', '/api/contracts', { memberId: m.id, planId, startDate, firstInvoice: 'next_run', ...(extra.optionPlanIds ? { optionPlanIds: extra.optionPlanIds } : {}) });
      return { id: m.id as string, email: m.email as string, contractId: contract.id as string };
    },
    monthlyPlan: (price = 11000) => staff.ok('POST', '/api/plans', { kind: 'monthly', name: `Monthly ${randomUUID().slice(0, 6)}`, terms: { price, taxCategory: 'standard_10' } }),
    saveCard: (memberId: string, token: string) => staff.ok('PUT', `/api/members/${memberId}/card`, { token }, 200),
    lesson: (local: string) => addLesson(platform, tenant, booking, { startsAt: tokyo(local), capacity: 10 }),
    mails: async (template: string) =>
      (await admin.query(`select to_address from app.outbox where tenant_id = $1 and template = $2 order by created_at`, [tenant.id, template])).rows.map((r) => r.to_address as string),
    gatewayCharges: () => count(`select count(*)::int as n from app.test_gateway_operations where tenant_id = $1 and kind = 'charge'`),
    ledger: (invoiceId: string, kind: string) => count(`select count(*)::int as n from app.billing_ledger where tenant_id = $1 and invoice_id = $2 and kind = $3`, [invoiceId, kind]),
  };
  return s;
}
type Studio = Awaited<ReturnType<typeof studio>>;

beforeAll(async () => {
  fake = await startFakeStripe();
  platform = await startTestPlatform({ STRIPE_API_URL: fake.url });
  admin = await platform.admin();
});
afterAll(async () => {
  platform.runtime.clock.set(null);
  await platform?.close();
  await fake?.close();
});

describe('dunning', () => {
  it('retries a soft decline on days 1, 3 and 7, then blocks booking until the member pays with a new card', async () => {
    const s = await studio();
    const m = await s.member();
    expect((await s.saveCard(m.memberId, '4000000000009995')).card).toMatchObject({ last4: '9995', gateway: 'test' });

    const first = await s.run('2026-12-11T12:00:00');
    expect(first).toMatchObject({ period: '2027-01', invoicesCreated: 1, charged: { succeeded: 0, failed: 1, unknown: 0 } });
    let invoice = await s.onlyInvoiceOf(m.memberId);
    expect(invoice).toMatchObject({ status: 'open', overdue: false, nextAttemptAt: tokyo('2026-12-12T12:00:00').toISOString(), escalatedAt: null });
    expect(invoice.payments).toMatchObject([{ status: 'failed', initiatedBy: 'run', failureKind: 'soft', failureCode: 'insufficient_funds' }]);
    expect(await s.mails('payment_failed')).toEqual([m.email]);

    // Before the retry falls due, a run leaves it alone.
    expect(await s.run('2026-12-12T11:00:00')).toMatchObject({ invoicesCreated: 0, retries: 0 });
    const schedule: Array<[string, string | null]> = [
      ['2026-12-12T12:00:00', '2026-12-14T12:00:00'],
      ['2026-12-14T12:00:00', '2026-12-18T12:00:00'],
      ['2026-12-18T12:00:00', null],
    ];
    for (const [i, [day, next]] of schedule.entries()) {
      expect(await s.run(day)).toMatchObject({ retries: 1, charged: { failed: 1 } });
      invoice = await s.invoice(invoice.id);
      expect(invoice.payments).toHaveLength(i + 2);
      expect(invoice.payments.at(-1)).toMatchObject({ status: 'failed', initiatedBy: 'retry', failureKind: 'soft' });
      expect(invoice.nextAttemptAt).toBe(next && tokyo(next).toISOString());
    }
    expect(invoice).toMatchObject({ status: 'open', overdue: true, escalatedAt: tokyo('2026-12-18T12:00:00').toISOString() });
    expect(await s.gatewayCharges()).toBe(4);
    // Nothing more is tried.
    expect(await s.run('2026-12-26T12:00:00')).toMatchObject({ retries: 0 });
    expect(await s.gatewayCharges()).toBe(4);

    const overdue = await s.staff.ok('GET', '/api/invoices?overdue=true');
    expect(overdue.items.map((i: Invoice) => i.id)).toEqual([invoice.id]);
    expect(await s.mails('payment_overdue')).toEqual([m.email]);
    expect(await s.mails('staff_invoice_overdue')).toEqual([s.tenant.ownerEmail]);

    const lessonId = await s.lesson('2026-12-28T10:00:00');
    await s.refused(() => m.send('POST', '/api/me/reservations', { lessonId }), 422, 'overdue_invoice');

    const card = await m.send('PUT', '/api/me/card', { token: '4242424242424242' });
    expect(card.statusCode, card.body).toBe(200);
    const paid = await m.send('POST', `/api/me/invoices/${invoice.id}/pay`);
    expect(paid.statusCode, paid.body).toBe(200);
    expect(paid.json()).toMatchObject({ status: 'paid', overdue: false, amountDue: 0, amountPaid: invoice.total });
    expect(paid.json().payments.at(-1)).toMatchObject({ status: 'succeeded', initiatedBy: 'member', method: 'card' });
    expect(await s.ledger(invoice.id, 'payment')).toBe(1);
    const booked = await m.send('POST', '/api/me/reservations', { lessonId });
    expect(booked.statusCode, booked.body).toBe(201);
    expect((await s.staff.ok('GET', '/api/invoices?overdue=true')).items).toEqual([]);
  });

  it('never retries a hard decline, and puts the contract on leave N days after escalation when the studio says so', async () => {
    const s = await studio({ finalAction: 'leave', finalAfterDays: 5 });
    const m = await s.monthlyMember('2026-12-01');
    await s.saveCard(m.id, '4000000000009979');

    await s.run('2026-12-11T12:00:00');
    const invoice = await s.onlyInvoiceOf(m.id);
    expect(invoice).toMatchObject({ status: 'open', overdue: true, nextAttemptAt: null, escalatedAt: tokyo('2026-12-11T12:00:00').toISOString() });
    expect(invoice.payments).toMatchObject([{ status: 'failed', initiatedBy: 'run', failureKind: 'hard', failureCode: 'stolen_card' }]);
    expect(await s.mails('payment_failed')).toEqual([]);
    expect(await s.mails('payment_overdue')).toEqual([m.email]);

    for (const day of ['2026-12-12', '2026-12-14', '2026-12-15']) expect(await s.run(`${day}T12:00:00`)).toMatchObject({ retries: 0, finalActions: 0 });
    expect(await s.gatewayCharges()).toBe(1);
    expect(await s.mails('staff_dunning_action')).toEqual([]);

    expect(await s.run('2026-12-16T12:00:00')).toMatchObject({ finalActions: 1 });
    const leaves = (await admin.query(`select to_char(from_month, 'YYYY-MM') as from_month from app.contract_leaves where tenant_id = $1 and contract_id = $2`, [s.tenant.id, m.contractId])).rows;
    // On the 16th, after the cut-off day (10th), the first month a leave can start is February.
    expect(leaves).toEqual([{ from_month: '2027-02' }]);
    expect(await s.mails('staff_dunning_action')).toEqual([s.tenant.ownerEmail]);
    // Once per escalated invoice.
    expect(await s.run('2026-12-17T12:00:00')).toMatchObject({ finalActions: 0 });
  });
});

describe('Stripe webhooks', () => {
  /** A studio on Stripe, a member whose card charge Stripe leaves processing, and the run that starts it. */
  async function processingCharge() {
    const s = await studio(STRIPE);
    const m = await s.monthlyMember('2026-12-01');
    expect((await s.saveCard(m.id, 'pm_card_visa')).card).toMatchObject({ gateway: 'stripe', last4: '4242' });
    fake.processNext(1);
    expect(await s.run('2026-12-11T12:00:00')).toMatchObject({ invoicesCreated: 1, charged: { succeeded: 0, failed: 0 } });
    const invoice = await s.onlyInvoiceOf(m.id);
    expect(invoice).toMatchObject({ status: 'open', payments: [{ status: 'pending', initiatedBy: 'run' }] });
    const ref = (await admin.query(`select gateway_ref from app.payment_attempts where tenant_id = $1 and invoice_id = $2`, [s.tenant.id, invoice.id])).rows[0].gateway_ref as string;
    expect(fake.paymentIntents.get(ref)).toMatchObject({ status: 'processing', metadata: { attemptId: invoice.payments[0]!.id } });
    return { s, m, invoice, intentId: ref };
  }

  const deliver = (s: Studio, body: string, header: string) =>
    platform.call(s.tenant, { method: 'POST', url: '/api/billing/webhooks/stripe', payload: body, headers: { 'content-type': 'application/json', 'stripe-signature': header } });
  const send = (s: Studio, type: string, intentId: string) => {
    const { body, header } = fake.signedEvent(STRIPE.stripeWebhookSecret, fake.event(type, intentId));
    return deliver(s, body, header);
  };
  async function expectSettledOnce(s: Studio, invoiceId: string) {
    const invoice = await s.invoice(invoiceId);
    expect(invoice).toMatchObject({ status: 'paid', amountPaid: invoice.total, overdue: false });
    expect(invoice.payments).toMatchObject([{ status: 'succeeded' }]);
    expect(await s.ledger(invoiceId, 'payment')).toBe(1);
    return invoice;
  }

  it('settles a processing charge once, whatever order and however often the events come', async () => {
    const { s, invoice, intentId } = await processingCharge();

    // Refused without changing anything: another secret, a tampered body, no signature.
    const event = fake.event('payment_intent.succeeded', intentId);
    const wrong = fake.signedEvent('whsec_someone_else_entirely', event);
    await s.refused(() => deliver(s, wrong.body, wrong.header), 400);
    const good = fake.signedEvent(STRIPE.stripeWebhookSecret, event);
    await s.refused(() => deliver(s, good.body.replace('"livemode": false', '"livemode": true'), good.header), 400);
    await s.refused(() => platform.call(s.tenant, { method: 'POST', url: '/api/billing/webhooks/stripe', payload: good.body, headers: { 'content-type': 'application/json' } }), 400);

    // A failure reported while Stripe is still processing: the intent is re-read, still undecided, so nothing settles.
    const early = await send(s, 'payment_intent.processing', intentId);
    expect(early.json(), early.body).toEqual({ received: true, duplicate: false });
    expect((await s.invoice(invoice.id)).payments).toMatchObject([{ status: 'pending' }]);

    fake.setIntentStatus(intentId, 'succeeded');
    const first = await deliver(s, good.body, good.header);
    expect(first.json(), first.body).toEqual({ received: true, duplicate: false });
    const again = await deliver(s, good.body, good.header);
    expect(again.json(), again.body).toEqual({ received: true, duplicate: true });
    // A payment_failed delivered late: the intent really succeeded, so it changes nothing.
    const late = await send(s, 'payment_intent.payment_failed', intentId);
    expect(late.json(), late.body).toEqual({ received: true, duplicate: false });
    await expectSettledOnce(s, invoice.id);
    expect((await admin.query(`select count(*)::int as n from app.webhook_events where tenant_id = $1`, [s.tenant.id])).rows[0].n).toBe(3);
    expect(fake.requests.filter((r) => r.endpoint === 'POST /v1/payment_intents' && r.idempotencyKey?.includes(invoice.payments[0]!.id))).toHaveLength(1);
    // The hourly run afterwards has nothing left to settle.
    expect(await s.run('2026-12-11T13:00:00')).toMatchObject({ reconciled: 0 });
    await expectSettledOnce(s, invoice.id);
  });

  it('lets the hourly run settle a processing charge once Stripe has decided, without charging again', async () => {
    const { s, invoice, intentId } = await processingCharge();
    // Still processing: the run asks, learns nothing, and leaves it pending.
    await s.run('2026-12-11T13:00:00');
    expect((await s.invoice(invoice.id)).payments).toMatchObject([{ status: 'pending' }]);
    fake.setIntentStatus(intentId, 'succeeded');
    await s.run('2026-12-11T14:00:00');
    await expectSettledOnce(s, invoice.id);
    expect([...fake.paymentIntents.values()].filter((i) => i.metadata.invoiceId === invoice.id)).toHaveLength(1);
  });
});

describe('Stripe card entry and 3-D Secure', () => {
  const PK = 'pk_test_studiohive';
  const STRIPE_ELEMENTS = { ...STRIPE, stripePublishableKey: PK };
  type Member = Awaited<ReturnType<Studio['member']>>;

  /** What Stripe.js does in the member's browser: it sends to Stripe, with the publishable key and the intent's secret. */
  async function stripeJs(path: string, form: Record<string, string>) {
    const res = await fetch(`${fake.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ key: PK, ...form }) });
    return { status: res.status, body: (await res.json()) as { status?: string; error?: { code: string } } };
  }

  /** The card screen: a setup from us, the number typed into Stripe's fields, 3-D Secure passed (or failed) at Stripe. */
  async function enterCard(m: Member, number: string, challenge: 'succeed' | 'fail' | 'skip' = 'succeed') {
    const setup = (await m.send('POST', '/api/me/card/setup')).json();
    expect(setup).toEqual({ gateway: 'stripe', publishableKey: PK, setupId: expect.stringMatching(/^seti_/), clientSecret: expect.stringContaining('_secret_') });
    const confirmed = await stripeJs(`/v1/setup_intents/${setup.setupId}/confirm`, {
      client_secret: setup.clientSecret, 'payment_method_data[type]': 'card', 'payment_method_data[card][number]': number,
      'payment_method_data[card][exp_month]': '12', 'payment_method_data[card][exp_year]': '2031', 'payment_method_data[card][cvc]': '123',
    });
    if (confirmed.body.status === 'requires_action' && challenge !== 'skip') {
      await stripeJs(`/v1/setup_intents/${setup.setupId}/authenticate`, { client_secret: setup.clientSecret, result: challenge });
    }
    return setup.setupId as string;
  }

  it('saves a card typed into Stripe’s own fields, after 3-D Secure, and never lets a card number through our server', async () => {
    const s = await studio(STRIPE_ELEMENTS);
    const m = await s.member();
    const seen = fake.cardNumbersSeen.length;

    // A number sent to us is refused before anything is asked of Stripe.
    await s.refused(() => m.send('PUT', '/api/me/card', { token: '4000002500003155' }), 422, 'card_form_required');
    expect(fake.cardNumbersSeen.length).toBe(seen);

    // 3-D Secure not yet passed, then failed: nothing is saved, and the member can try again.
    const waiting = await enterCard(m, '4000002500003155', 'skip');
    const notYet = await s.refused(() => m.send('PUT', '/api/me/card', { setupId: waiting }), 422, 'card_not_authenticated');
    expect(notYet.detail).toBe('カードの本人認証（3Dセキュア）が完了しなかったため、登録されませんでした。もう一度お試しください。');
    const failed = await enterCard(m, '4000002500003155', 'fail');
    await s.refused(() => m.send('PUT', '/api/me/card', { setupId: failed }), 422, 'card_not_authenticated');
    // A card the issuer declines when it is saved.
    const declined = await enterCard(m, '4000000000000002');
    await s.refused(() => m.send('PUT', '/api/me/card', { setupId: declined }), 422, 'card_rejected');

    const setupId = await enterCard(m, '4000002500003155');
    // Another member cannot make this setup their card.
    const other = await s.member();
    await s.refused(() => other.send('PUT', '/api/me/card', { setupId }), 422, 'card_rejected');
    const saved = await m.send('PUT', '/api/me/card', { setupId });
    expect(saved.json(), saved.body).toEqual({ card: expect.objectContaining({ gateway: 'stripe', brand: 'visa', last4: '3155', expMonth: 12 }), entry: 'stripe' });
    const stored = (await admin.query(`select token, customer_ref from app.payment_methods where tenant_id = $1 and member_id = $2 and detached_at is null`, [s.tenant.id, m.memberId])).rows[0];
    expect(fake.setupIntents.get(setupId)).toMatchObject({ status: 'succeeded', payment_method: stored.token, customer: stored.customer_ref, usage: 'off_session', payment_method_types: ['card'] });

    // Set up for off-session use, it is charged by the monthly run without asking the member again.
    await s.run('2026-12-11T12:00:00');
    expect(await s.onlyInvoiceOf(m.memberId)).toMatchObject({ status: 'paid', payments: [{ status: 'succeeded', initiatedBy: 'run' }] });
    // A new card later stays on the same Stripe customer.
    const next = await enterCard(m, '4242424242424242');
    expect((await m.send('PUT', '/api/me/card', { setupId: next })).json().card).toMatchObject({ last4: '4242' });
    expect(fake.setupIntents.get(next)!.customer).toBe(stored.customer_ref);
    // The customer deleted at Stripe (or the studio moved accounts): the next card goes on a new customer.
    fake.customers.delete(stored.customer_ref);
    const afresh = await enterCard(m, '5555555555554444');
    expect(fake.setupIntents.get(afresh)!.customer).toMatch(/^cus_/);
    expect(fake.setupIntents.get(afresh)!.customer).not.toBe(stored.customer_ref);
    expect((await m.send('PUT', '/api/me/card', { setupId: afresh })).json().card).toMatchObject({ last4: '4444' });

    // Every card number Stripe saw was typed into Stripe.js; none came from our server.
    expect(fake.cardNumbersSeen.slice(seen).map((c) => c.endpoint)).toEqual(Array(6).fill('POST /v1/setup_intents/:id/confirm'));
  });

  it('asks the member for 3-D Secure when they pay in the app, and records the payment once they pass it', async () => {
    const s = await studio(STRIPE_ELEMENTS);
    const m = await s.member();
    await m.send('PUT', '/api/me/card', { setupId: await enterCard(m, '4000002760003184') });
    // Off-session the card cannot be authenticated: the run's charge is declined and the account is blocked.
    await s.run('2026-12-11T12:00:00');
    const invoice = await s.onlyInvoiceOf(m.memberId);
    expect(invoice).toMatchObject({ status: 'open', payments: [{ status: 'failed', failureCode: 'authentication_required' }] });

    const pay = async () => {
      const res = await m.send('POST', `/api/me/invoices/${invoice.id}/pay`);
      expect(res.statusCode, res.body).toBe(200);
      const answer = res.json();
      expect(answer).toMatchObject({ status: 'open', authentication: { publishableKey: PK, clientSecret: expect.stringContaining('_secret_') } });
      return answer.authentication.clientSecret as string;
    };
    const intentOf = (clientSecret: string) => clientSecret.split('_secret_')[0]!;
    const confirm = async () => {
      const res = await m.send('POST', `/api/me/invoices/${invoice.id}/pay/confirm`);
      expect(res.statusCode, res.body).toBe(200);
      return res.json();
    };

    // The member fails the challenge: the payment is recorded failed, and they may pay again.
    const first = await pay();
    // Paying again before answering (the page was closed) takes up the same payment and its challenge.
    expect(await pay()).toBe(first);
    expect([...fake.paymentIntents.values()].filter((i) => i.metadata.invoiceId === invoice.id && i.status === 'requires_action')).toHaveLength(1);
    // While the challenge waits, the desk cannot take cash for the same invoice.
    await s.refused(() => s.staff.send('POST', `/api/invoices/${invoice.id}/payments`, { method: 'cash' }), 409);
    await stripeJs(`/v1/payment_intents/${intentOf(first)}/authenticate`, { client_secret: first, result: 'fail' });
    expect(await confirm()).toMatchObject({ status: 'open', authentication: null, payments: [{ status: 'failed' }, { status: 'failed', initiatedBy: 'member', failureCode: 'payment_intent_authentication_failure' }] });

    const second = await pay();
    await stripeJs(`/v1/payment_intents/${intentOf(second)}/authenticate`, { client_secret: second, result: 'succeed' });
    expect(await confirm()).toMatchObject({ status: 'paid', overdue: false, authentication: null });
    // Asked again (a reload), nothing more happens.
    expect(await confirm()).toMatchObject({ status: 'paid' });
    expect(await s.ledger(invoice.id, 'payment')).toBe(1);
    expect(fake.paymentIntents.get(intentOf(second))).toMatchObject({ status: 'succeeded', amount: invoice.total });
  });

  it('charges off-session as before while the studio has no publishable key, since no challenge could be shown', async () => {
    const s = await studio(STRIPE);
    const m = await s.member();
    await m.send('PUT', '/api/me/card', { token: 'pm_card_authenticationRequired' });
    await s.run('2026-12-11T12:00:00');
    const invoice = await s.onlyInvoiceOf(m.memberId);
    const res = await m.send('POST', `/api/me/invoices/${invoice.id}/pay`);
    expect(res.json(), res.body).toMatchObject({ status: 'open', authentication: null, payments: [{ status: 'failed' }, { status: 'failed', initiatedBy: 'member', failureCode: 'authentication_required' }] });
    // Nor is a card setup begun: the card fields need the key.
    await s.refused(() => m.send('POST', '/api/me/card/setup'), 422, 'gateway_not_configured');
  });

  it('gives up a payment whose 3-D Secure was never completed, so the invoice can be paid another way', async () => {
    const s = await studio(STRIPE_ELEMENTS);
    const m = await s.member();
    await m.send('PUT', '/api/me/card', { setupId: await enterCard(m, '4000002760003184') });
    await s.run('2026-12-11T12:00:00');
    const invoice = await s.onlyInvoiceOf(m.memberId);
    setNow('2026-12-11T13:00:00');
    const answer = (await m.send('POST', `/api/me/invoices/${invoice.id}/pay`)).json();
    const intentId = (answer.authentication.clientSecret as string).split('_secret_')[0]!;

    // The hourly run within the half hour leaves the challenge to the member.
    await s.run('2026-12-11T13:20:00');
    expect(fake.paymentIntents.get(intentId)!.status).toBe('requires_action');
    // After it, the charge is canceled at Stripe and recorded failed; the desk can take cash.
    await s.run('2026-12-11T13:40:00');
    expect(fake.paymentIntents.get(intentId)!.status).toBe('canceled');
    expect((await s.invoice(invoice.id)).payments.at(-1)).toMatchObject({ status: 'failed', initiatedBy: 'member', failureCode: 'canceled' });
    expect(await s.staff.ok('POST', `/api/invoices/${invoice.id}/payments`, { method: 'cash' }, 200)).toMatchObject({ status: 'paid' });
  });
});

describe('refunds', () => {
  it('refunds part and then the rest with a credit note each, and never more than was paid', async () => {
    const s = await studio();
    const m = await s.member();
    await s.saveCard(m.memberId, '4242424242424242');
    await s.run('2026-12-11T12:00:00');
    const invoice = await s.onlyInvoiceOf(m.memberId);
    expect(invoice.status).toBe('paid');

    const part = await s.staff.ok('POST', `/api/invoices/${invoice.id}/refunds`, { amount: 1000, reason: 'Studio closed for a week' }, 201);
    expect(part).toMatchObject({ status: 'paid', amountRefunded: 1000, refunds: [{ amount: 1000, status: 'succeeded' }] });
    // Said in the studio's language (Japanese), with the amounts as money.
    const tooMuch = await s.refused(() => s.staff.send('POST', `/api/invoices/${invoice.id}/refunds`, { amount: invoice.total, reason: 'Too much' }), 422, 'refund_exceeds_paid');
    expect(tooMuch.detail).toBe(`返金できるのは最大 ${formatMoney(invoice.total - 1000, 'JPY')} です（お支払い額 ${formatMoney(invoice.total, 'JPY')}、返金済み ￥1,000）。`);
    const rest = await s.staff.ok('POST', `/api/invoices/${invoice.id}/refunds`, { amount: invoice.total - 1000, reason: 'Moved away' }, 201);
    expect(rest).toMatchObject({ amountRefunded: invoice.total, refunds: [{ status: 'succeeded' }, { amount: invoice.total - 1000, status: 'succeeded' }] });
    await s.refused(() => s.staff.send('POST', `/api/invoices/${invoice.id}/refunds`, { amount: 1, reason: 'One more yen' }), 422, 'refund_exceeds_paid');
    expect(await s.count(`select count(*)::int as n from app.test_gateway_operations where tenant_id = $1 and kind = 'refund' and outcome = 'succeeded'`)).toBe(2);

    const note = await pdfOf(await s.staff.send('GET', `/api/invoices/${invoice.id}/refunds/${part.refunds[0].id}/document`));
    expect(note).toContain('返還インボイス');
    expect(note).toContain('Studio closed for a week');
    expect(note).toMatch(/返還額合計\s*￥1,000/);
    expect(await pdfOf(await m.send('GET', `/api/me/invoices/${invoice.id}/refunds/${rest.refunds[1].id}/document`))).toContain('Moved away');
    expect((await s.staff.ok('GET', '/api/billing/reconciliation')).balanced).toBe(true);
  });

  it('refunds a card payment through Stripe', async () => {
    const s = await studio(STRIPE);
    const m = await s.monthlyMember('2026-12-01');
    await s.saveCard(m.id, 'pm_card_visa');
    await s.run('2026-12-11T12:00:00');
    const invoice = await s.onlyInvoiceOf(m.id);
    expect(invoice.status).toBe('paid');
    const refunded = await s.staff.ok('POST', `/api/invoices/${invoice.id}/refunds`, { amount: 500, reason: 'Goodwill' }, 201);
    expect(refunded).toMatchObject({ amountRefunded: 500, refunds: [{ amount: 500, status: 'succeeded' }] });
    const atStripe = [...fake.refunds.values()].filter((r) => r.metadata.refundId === refunded.refunds[0].id);
    expect(atStripe).toMatchObject([{ amount: 500, currency: 'jpy' }]);
  });
});

describe('documents', () => {
  it('prints the invoice and the receipt with the registration number, the member, every line and the totals per rate', async () => {
    const s = await studio({ registrationNumber: 'T1234567890123', issuerName: 'スタジオ青山' });
    const m = await s.member();
    const plan = await s.monthlyPlan(9800);
    const drink = await s.staff.ok('POST', '/api/plans', { kind: 'option', name: 'Protein drink', terms: { price: 1080, taxCategory: 'reduced_8' } });
    await s.staff.ok('POST', '/api/contracts', { memberId: m.memberId, planId: plan.id, startDate: '2027-01-01', optionPlanIds: [drink.id], firstInvoice: 'next_run' });
    await s.run('2026-12-11T12:00:00');
    const invoice = await s.onlyInvoiceOf(m.memberId);
    expect(new Set(invoice.taxBreakdown.map((r) => r.ratePercent))).toEqual(new Set([10, 8]));

    const check = (text: string) => {
      expect(text).toContain('T1234567890123');
      expect(text).toContain('スタジオ青山');
      expect(text).toContain('鈴木 一郎');
      for (const line of invoice.lines) expect(text).toContain(line.description);
      for (const r of invoice.taxBreakdown) expect(text).toContain(`${r.ratePercent}%対象 ${formatMoney(r.taxableAmount, 'JPY')}（消費税 ${formatMoney(r.tax, 'JPY')}）`);
    };
    const staffCopy = await pdfOf(await s.staff.send('GET', `/api/invoices/${invoice.id}/document`));
    expect(staffCopy).toContain('請求書');
    expect(staffCopy).toContain('登録番号 T1234567890123');
    check(staffCopy);
    check(await pdfOf(await m.send('GET', `/api/me/invoices/${invoice.id}/document`)));
    // A member whose app speaks English gets English labels; the lines stay as written, in the studio's language.
    const english = await pdfOf(await platform.call(s.tenant, { method: 'GET', url: `/api/me/invoices/${invoice.id}/document`, token: m.token, headers: { 'accept-language': 'en' } }));
    expect(english).toContain('Invoice');
    expect(english).toContain('Registration No. T1234567890123');
    expect(english).not.toContain('登録番号');
    for (const line of invoice.lines) expect(english).toContain(line.description);
    // No receipt before it is paid.
    await s.refused(() => s.staff.send('GET', `/api/invoices/${invoice.id}/document?kind=receipt`), 422, 'not_paid');

    await s.staff.ok('POST', `/api/invoices/${invoice.id}/payments`, { method: 'cash' }, 200);
    const receipt = await pdfOf(await s.staff.send('GET', `/api/invoices/${invoice.id}/document?kind=receipt`));
    expect(receipt).toContain('領収書');
    check(receipt);
    check(await pdfOf(await m.send('GET', `/api/me/invoices/${invoice.id}/document?kind=receipt`)));
  });

  it('rounds the tax once per rate on an invoice that mixes tax-inclusive and tax-exclusive lines, in the books and on paper', async () => {
    const s = await studio();
    const plan = (kind: 'monthly' | 'option', name: string, price: number, priceIncludesTax: boolean, taxCategory: 'standard_10' | 'reduced_8') =>
      s.staff.ok('POST', '/api/plans', { kind, name, terms: { price, priceIncludesTax, taxCategory } }).then((p) => p.id as string);
    const monthly = await plan('monthly', 'Monthly', 105, false, 'standard_10');
    const options = [await plan('option', 'Towel', 105, true, 'standard_10'), await plan('option', 'Water', 120, false, 'reduced_8'), await plan('option', 'Tea', 120, true, 'reduced_8')];
    const m = await s.monthlyMember('2027-01-01', { planId: monthly, optionPlanIds: options });
    expect(await s.run('2026-12-11T12:00:00')).toMatchObject({ period: '2027-01', invoicesCreated: 1 });
    const invoice = await s.onlyInvoiceOf(m.id);
    // By hand (floor, the default): 10%: 105 + ⌊10.5⌋ + 105 = ¥220 with tax ⌊220 × 10 / 110⌋ = ¥20; 8%: 120 + ⌊9.6⌋
    // + 120 = ¥249 with tax ⌊249 × 8 / 108⌋ = ¥18. Rounded per price basis it was ¥19 and ¥17.
    const byRate = [
      { taxCategory: 'standard_10', ratePercent: 10, taxableAmount: 200, tax: 20, total: 220 },
      { taxCategory: 'reduced_8', ratePercent: 8, taxableAmount: 231, tax: 18, total: 249 },
    ];
    expect(invoice).toMatchObject({ total: 469, subtotalExcludingTax: 431, taxTotal: 38, taxBreakdown: byRate });
    const stored = (await admin.query(`select total, subtotal_excluding_tax, tax_total, tax_breakdown from app.invoices where tenant_id = $1 and id = $2`, [s.tenant.id, invoice.id])).rows[0];
    expect(stored).toEqual({ total: 469, subtotal_excluding_tax: 431, tax_total: 38, tax_breakdown: byRate });
    expect(await s.count(`select sum(amount)::int as n from app.billing_ledger where tenant_id = $1 and kind = 'charge'`)).toBe(469);
    const text = await pdfOf(await s.staff.send('GET', `/api/invoices/${invoice.id}/document`));
    expect(text).toContain('10%対象 ￥200（消費税 ￥20）');
    expect(text).toContain('8%対象 ￥231（消費税 ￥18）');
    expect(text).toMatch(/消費税\s*￥38/);
    expect(text).toMatch(/合計\s*￥469/);
  });

  it("dates receipts, credit notes and mail in the studio's time zone: at 00:30 in Tokyo it is already the 5th", async () => {
    const s = await studio();
    const m = await s.monthlyMember('2026-12-01');
    await s.saveCard(m.id, '4000000000009995');
    // 00:30 JST on 5 December is 15:30 UTC on the 4th.
    expect(await s.run('2026-12-05T00:30:00')).toMatchObject({ period: '2026-12', invoicesCreated: 1, charged: { failed: 1 } });
    const failed = await admin.query(`select body from app.outbox where tenant_id = $1 and template = 'payment_failed'`, [s.tenant.id]);
    // The retry is a day later, 00:30 on the 6th in Tokyo; the mail is in the studio's language.
    expect(failed.rows.map((r) => r.body as string)).toEqual([expect.stringContaining('2026年12月6日(日)に再度決済を行います。')]);

    const invoice = await s.onlyInvoiceOf(m.id);
    await s.staff.ok('POST', `/api/invoices/${invoice.id}/payments`, { method: 'cash' }, 200);
    const refunded = await s.staff.ok('POST', `/api/invoices/${invoice.id}/refunds`, { amount: 100, reason: 'Goodwill' }, 201);
    const receipt = await pdfOf(await s.staff.send('GET', `/api/invoices/${invoice.id}/document?kind=receipt`));
    const note = await pdfOf(await s.staff.send('GET', `/api/invoices/${invoice.id}/refunds/${refunded.refunds[0].id}/document`));
    for (const text of [receipt, note]) {
      expect(text).toMatch(/発行日\s*2026年12月5日/);
      expect(text).not.toContain('2026年12月4日');
    }
    // The receipt's payment line too.
    expect(receipt).toMatch(/2026年12月5日\s*現金/);
  });
});

describe('payments at the desk, void, write-off and reconciliation', () => {
  it('keeps the ledger equal to the invoices through cash, void, write-off and a late payment', async () => {
    const s = await studio();
    const cash = await s.monthlyMember('2026-12-01');
    const mistaken = await s.monthlyMember('2026-12-01');
    const open = await s.monthlyMember('2026-12-01');
    const late = await s.member();
    await s.run('2026-12-11T12:00:00');
    const [a, b, c, d] = await Promise.all([cash.id, mistaken.id, open.id, late.memberId].map((id) => s.onlyInvoiceOf(id)));
    for (const i of [a, b, c, d]) expect(i).toMatchObject({ status: 'open', payments: [] });

    // Part in cash now, the rest by transfer: open with the rest due until then.
    await s.refused(() => s.staff.send('POST', `/api/invoices/${a!.id}/payments`, { method: 'cash', amount: a!.total + 1 }), 422, 'payment_exceeds_due');
    expect(await s.staff.ok('POST', `/api/invoices/${a!.id}/payments`, { method: 'cash', amount: 1000 }, 200)).toMatchObject({ status: 'open', amountPaid: 1000, amountDue: a!.total - 1000 });
    expect((await s.staff.ok('GET', '/api/billing/reconciliation')).balanced).toBe(true);
    expect(await s.staff.ok('POST', `/api/invoices/${a!.id}/payments`, { method: 'bank_transfer' }, 200)).toMatchObject({
      status: 'paid', amountPaid: a!.total, amountDue: 0, payments: [{ method: 'cash', amount: 1000 }, { method: 'bank_transfer', amount: a!.total - 1000 }],
    });
    await s.refused(() => s.staff.send('POST', `/api/invoices/${a!.id}/payments`, { method: 'cash' }), 422, 'not_payable');
    await s.refused(() => s.staff.send('POST', `/api/invoices/${a!.id}/refunds/preview`, { amount: a!.total + 1, reason: 'Too much' }), 422, 'refund_exceeds_paid');
    const preview = await s.staff.ok('POST', `/api/invoices/${a!.id}/refunds/preview`, { amount: 300, reason: 'Change given back' }, 200);
    expect(preview).toMatchObject({ amount: 300, method: 'bank_transfer', refundableBefore: a!.total, refundableAfter: a!.total - 300, creditNote: { total: 300 } });
    expect(preview.creditNote.subtotalExcludingTax + preview.creditNote.taxTotal).toBe(300);
    expect((await s.staff.ok('GET', `/api/invoices/${a!.id}`)).refunds).toEqual([]);
    const refunded = await s.staff.ok('POST', `/api/invoices/${a!.id}/refunds`, { amount: 300, reason: 'Change given back' }, 201);
    // The preview's tax per rate is the one the credit note carries.
    expect(refunded.refunds[0].taxBreakdown).toEqual(preview.creditNote.taxBreakdown);

    expect(await s.staff.ok('POST', `/api/invoices/${b!.id}/void`, { reason: 'Sold by mistake' }, 200)).toMatchObject({ status: 'void', amountDue: 0, voidReason: 'Sold by mistake' });
    await s.refused(() => s.staff.send('POST', `/api/invoices/${b!.id}/void`, { reason: 'Again' }), 422, 'not_voidable');

    expect(await s.staff.ok('POST', `/api/invoices/${d!.id}/write-off`, { reason: 'Gone quiet' }, 200)).toMatchObject({ status: 'uncollectible', overdue: false, nextAttemptAt: null, amountDue: d!.total });
    expect((await s.staff.ok('GET', '/api/invoices?overdue=true')).items.map((i: Invoice) => i.id)).not.toContain(d!.id);
    let rec = await s.staff.ok('GET', '/api/billing/reconciliation');
    expect(rec.months).toMatchObject([{ period: '2027-01', invoices: 4, writtenOff: d!.total, voided: b!.total, outstanding: c!.total, balanced: true }]);

    // A written-off debt no longer blocks booking.
    const lessonId = await s.lesson('2026-12-15T10:00:00');
    const booked = await late.send('POST', '/api/me/reservations', { lessonId });
    expect(booked.statusCode, booked.body).toBe(201);

    // Paid after all (a recovery): the write-off is reversed.
    expect(await s.staff.ok('POST', `/api/invoices/${d!.id}/payments`, { method: 'bank_transfer' }, 200)).toMatchObject({ status: 'paid', overdue: false });
    expect(await s.ledger(d!.id, 'write_off')).toBe(2);

    rec = await s.staff.ok('GET', '/api/billing/reconciliation');
    expect(rec.balanced).toBe(true);
    const [month] = rec.months;
    expect(month).toMatchObject({ period: '2027-01', invoices: 4, writtenOff: 0, refunded: 300, ledgerRefunds: 300, outstanding: c!.total, ledgerBalance: c!.total });
    expect(month.invoiced).toBe(a!.total + b!.total + c!.total + d!.total);
    expect(month.ledgerCharges).toBe(month.invoiced);
    expect(month.paid).toBe(a!.total + d!.total);
  });
});

describe('exactly once', () => {
  it('makes one invoice and one charge per account and month however often and however concurrently it runs', async () => {
    const s = await studio();
    const members = [await s.monthlyMember('2026-12-01'), await s.monthlyMember('2026-12-01'), await s.monthlyMember('2026-12-01')];
    for (const m of members) await s.saveCard(m.id, '4242424242424242');
    setNow('2026-12-11T12:00:00');
    const now = platform.runtime.clock.now();
    const runs = await Promise.all([0, 1, 2].map(() => runBilling(billingDeps(platform.runtime), s.tenant.id, now, { batchSize: 1 })));
    expect(runs.filter((r) => r !== null).reduce((n, r) => n + r!.invoicesCreated, 0)).toBe(3);
    expect(await s.run('2026-12-11T12:00:00', { batchSize: 1 })).toMatchObject({ invoicesCreated: 0, reconciled: 0 });
    expect(await s.run('2026-12-11T13:00:00')).toMatchObject({ invoicesCreated: 0 });
    for (const m of members) expect((await s.onlyInvoiceOf(m.id)).status).toBe('paid');
    expect(await s.gatewayCharges()).toBe(3);
    expect(await s.count(`select count(*)::int as n from app.billing_ledger where tenant_id = $1 and kind = 'charge'`)).toBe(3);
    expect((await s.staff.ok('GET', '/api/billing/runs')).items).toMatchObject([{ period: '2027-01', invoicesCreated: 3, chargesAttempted: 3 }]);
  });

  it('invoices a sale after the billing day at the next run, and a family member’s late contract on the next month’s invoice', async () => {
    const s = await studio();
    const plan = await s.monthlyPlan(3100);
    const lead = await s.monthlyMember('2026-12-01', { planId: plan.id });
    await s.run('2026-12-11T12:00:00');
    const leadInvoice = await s.onlyInvoiceOf(lead.id);
    expect(leadInvoice.lines.map((l) => l.period)).toEqual(['2026-12', '2027-01']);

    // Sold on the 15th, from the 15th: the next hourly run invoices December and January on one invoice.
    setNow('2026-12-15T10:00:00');
    const newcomer = await s.monthlyMember('2026-12-15', { planId: plan.id });
    const child = await s.staff.ok('POST', '/api/members', { familyName: '佐藤', givenName: '次郎' });
    await s.staff.ok('PUT', `/api/members/${child.id}/family-lead`, { leadId: lead.id }, 200);
    await s.staff.ok('POST', '/api/contracts', { memberId: child.id, planId: plan.id, startDate: '2026-12-20', firstInvoice: 'next_run' });
    expect(await s.run('2026-12-15T11:00:00')).toMatchObject({ period: '2027-01', invoicesCreated: 1 });
    const late = await s.onlyInvoiceOf(newcomer.id);
    // Written in the studio's language: the month billed late says which month it is for.
    expect(late.lines.map((l) => [l.period, l.description.includes('（2026年12月分）')])).toEqual([['2026-12', true], ['2027-01', false]]);
    // The lead's January invoice is issued and stays as it is; the child waits for February's.
    expect(await s.invoice(leadInvoice.id)).toEqual(leadInvoice);

    await s.run('2027-01-11T12:00:00');
    const invoices = await s.invoicesOf(lead.id);
    expect(invoices.map((i) => i.id).includes(leadInvoice.id)).toBe(true);
    expect(invoices).toHaveLength(2);
    const february = await s.invoice(invoices.find((i) => i.id !== leadInvoice.id)!.id);
    const childLines = february.lines.filter((l) => l.memberId === child.id);
    expect(childLines.map((l) => l.period)).toEqual(['2026-12', '2027-01', '2027-02']);
    expect(childLines[0]!.description).toContain('（2026年12月分）');
    expect(childLines[1]!.description).toContain('（2027年1月分）');
    expect(february.lines.filter((l) => l.memberId === lead.id).map((l) => l.period)).toEqual(['2027-02']);
    expect(await s.count(`select count(*)::int as n from app.invoice_lines where tenant_id = $1 and member_id = $2`, [child.id])).toBe(3);
  });
});

describe('the first invoice at the sale', () => {
  it('invoices the enrollment fee, the first month pro-rated and the options at once, for the desk to collect; the run bills the months after', async () => {
    const s = await studio();
    setNow('2026-12-05T10:00:00');
    const plan = await s.staff.ok('POST', '/api/plans', { kind: 'monthly', name: 'Monthly', terms: { price: 11000, enrollmentFee: 5500, taxCategory: 'standard_10' } });
    const locker = await s.staff.ok('POST', '/api/plans', { kind: 'option', name: 'Locker', terms: { price: 1100, taxCategory: 'standard_10' } });
    const m = await s.staff.ok('POST', '/api/members', { familyName: '高橋', givenName: '涼', email: `s-${randomUUID().slice(0, 8)}@example.com` });
    await s.saveCard(m.id, '4242424242424242');

    const sale = await s.staff.ok('POST', '/api/contracts', { memberId: m.id, planId: plan.id, optionPlanIds: [locker.id] });
    // From the 5th of a 31-day month, daily pro-rata counts 27 days and rounds down: 11000 × 27/31 → 9580, 1100 × 27/31 → 958.
    expect(sale.firstInvoice).toMatchObject({ period: '2026-12', status: 'open', total: 5500 + 9580 + 958, amountDue: 16038, dueOn: '2026-12-12', autoCharge: false });
    expect(sale.firstInvoice.member).toMatchObject({ id: m.id });
    const invoice = await s.invoice(sale.firstInvoice.id);
    expect(invoice.lines.map((l) => [l.period, l.code, l.amount])).toEqual([
      ['2026-12', 'enrollment_fee', 5500],
      ['2026-12', 'first_month_fee', 9580],
      ['2026-12', 'option_fee', 958],
    ]);
    // Collected at the desk, not by the run: the saved card is charged only when the desk says so.
    expect(await s.gatewayCharges()).toBe(0);
    expect(await s.run('2026-12-05T11:00:00')).toMatchObject({ period: '2026-12', invoicesCreated: 0 });
    expect(await s.staff.ok('POST', `/api/invoices/${invoice.id}/charge`, undefined, 200)).toMatchObject({ status: 'paid', amountDue: 0 });
    expect(await s.gatewayCharges()).toBe(1);

    // January on the billing day: the plan and the option at full price, charged to the card by the run.
    expect(await s.run('2026-12-11T12:00:00')).toMatchObject({ period: '2027-01', invoicesCreated: 1, charged: { succeeded: 1, failed: 0, unknown: 0 } });
    const invoices = await s.invoicesOf(m.id);
    expect(invoices.map((i) => [i.period, i.status])).toEqual([['2027-01', 'paid'], ['2026-12', 'paid']]);
    const january = await s.invoice(invoices[0]!.id);
    expect(january.lines.map((l) => [l.period, l.code, l.amount])).toEqual([['2027-01', 'monthly_fee', 11000], ['2027-01', 'option_fee', 1100]]);
    expect(await s.count(`select count(*)::int as n from app.invoice_lines where tenant_id = $1 and contract_id = $2`, [sale.id])).toBe(5);
  });

  it('after the billing day, invoices this month and the next beside the account’s monthly invoice, once, however often the sale is sent', async () => {
    const s = await studio();
    const plan = await s.monthlyPlan(3100);
    const lead = await s.monthlyMember('2026-12-01', { planId: plan.id });
    await s.run('2026-12-11T12:00:00');
    const leadJanuary = await s.onlyInvoiceOf(lead.id);

    setNow('2026-12-15T10:00:00');
    const child = await s.staff.ok('POST', '/api/members', { familyName: '佐藤', givenName: '次郎' });
    await s.staff.ok('PUT', `/api/members/${child.id}/family-lead`, { leadId: lead.id }, 200);
    const body = { memberId: child.id, planId: plan.id, startDate: '2026-12-15' };
    const invoicesBefore = await s.count(`select count(*)::int as n from app.invoices where tenant_id = $1`);
    // The preview shows the first invoice exactly, and writes nothing: no contract, no invoice, no number taken.
    const preview = await s.staff.ok('POST', '/api/contracts/preview', body, 200);
    expect(preview.firstInvoice).toMatchObject({ period: '2027-01', total: 1700 + 3100 });
    expect(await s.count(`select count(*)::int as n from app.invoices where tenant_id = $1`)).toBe(invoicesBefore);
    expect(await s.count(`select count(*)::int as n from app.contracts where tenant_id = $1 and member_id = $2`, [child.id])).toBe(0);

    const key = randomUUID();
    const sell = () => platform.call(s.tenant, { method: 'POST', url: '/api/contracts', payload: body, token: s.tenant.ownerToken, headers: { 'idempotency-key': key } });
    const [first, retried] = [await sell(), await sell()];
    expect(first.statusCode, first.body).toBe(201);
    expect(retried.json()).toEqual(first.json());
    const sale = first.json();
    expect(sale.firstInvoice).toMatchObject({ number: preview.firstInvoice.number, period: '2027-01', total: 4800, member: { id: lead.id } });
    // December (17 of 31 days, with the month it is for) and January, on the lead's account beside its January invoice.
    const invoice = await s.invoice(sale.firstInvoice.id);
    expect(invoice.lines.map((l) => [l.period, l.amount, l.memberId, l.description.includes('（2026年12月分）')])).toEqual([
      ['2026-12', 1700, child.id, true],
      ['2027-01', 3100, child.id, false],
    ]);
    expect((await s.invoicesOf(lead.id)).map((i) => i.id).sort()).toEqual([leadJanuary.id, invoice.id].sort());
    expect(await s.invoice(leadJanuary.id)).toEqual(leadJanuary);

    // The run does not bill the child's months again; February's invoice carries both members' February.
    expect(await s.run('2026-12-15T11:00:00')).toMatchObject({ invoicesCreated: 0 });
    expect(await s.run('2027-01-11T12:00:00')).toMatchObject({ period: '2027-02', invoicesCreated: 1 });
    const february = (await s.invoicesOf(lead.id)).find((i) => i.period === '2027-02')!;
    expect((await s.invoice(february.id)).lines.map((l) => [l.memberId, l.period])).toEqual([[lead.id, '2027-02'], [child.id, '2027-02']]);
    expect(await s.count(`select count(*)::int as n from app.invoice_lines where tenant_id = $1 and member_id = $2`, [child.id])).toBe(3);
    expect(await s.count(`select count(*)::int as n from app.invoices where tenant_id = $1 and kind = 'sale'`)).toBe(1);
  });
});

describe('bad input', () => {
  it('refuses as problem+json and changes nothing', async () => {
    const s = await studio();
    const m = await s.member();
    const other = await s.member();
    await s.run('2026-12-11T12:00:00');
    const mine = await s.onlyInvoiceOf(m.memberId);
    const theirs = await s.onlyInvoiceOf(other.memberId);

    await s.refused(() => s.staff.send('PATCH', '/api/settings/billing', { registrationNumber: 'T123' }), 400);
    await s.refused(() => s.staff.send('PATCH', '/api/settings/billing', { registrationNumber: '1234567890123' }), 400);
    await s.refused(() => s.staff.send('PATCH', '/api/settings/billing', { retryDays: [3, 1, 7] }), 400);
    await s.refused(() => s.staff.send('PATCH', '/api/settings/billing', { retryDays: [1, 1] }), 400);
    await s.refused(() => s.staff.send('PATCH', '/api/settings/billing', { gateway: 'stripe' }), 422, 'gateway_not_configured');
    await s.refused(() => s.staff.send('PUT', `/api/members/${m.memberId}/card`, { token: '4111111111111111' }), 422, 'card_rejected');
    await s.refused(() => m.send('PUT', '/api/me/card', { token: '4111111111111111' }), 422, 'card_rejected');
    await s.refused(() => s.staff.send('POST', `/api/invoices/${mine.id}/refunds`, { amount: 100, reason: 'Not paid yet' }), 422, 'not_refundable');
    await s.refused(() => m.send('POST', `/api/me/invoices/${theirs.id}/pay`), 404);
    await s.refused(() => m.send('GET', `/api/me/invoices/${theirs.id}/document`), 404);
    await s.refused(() => m.send('POST', `/api/me/invoices/${mine.id}/pay`), 422, 'no_card');
    await s.refused(() => s.staff.send('POST', `/api/invoices/${randomUUID()}/void`, { reason: 'x' }), 404);

    // A refused card leaves no Idempotency-Key behind either: the same key then saves the corrected card.
    const key = randomUUID();
    const put = (token: string) => platform.call(s.tenant, { method: 'PUT', url: `/api/members/${m.memberId}/card`, payload: { token }, token: s.tenant.ownerToken, headers: { 'idempotency-key': key } });
    await s.refused(() => put('4000000000000000'), 422, 'card_rejected');
    const saved = await put('4242424242424242');
    expect(saved.statusCode, saved.body).toBe(200);
    expect(saved.json().card).toMatchObject({ last4: '4242' });
  });
});
