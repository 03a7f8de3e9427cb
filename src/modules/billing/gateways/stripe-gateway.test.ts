import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeStripe, testCards, type FakeStripe } from '../../../../test/support/fake-stripe.js';
import { CardRejected, GatewayUnavailable, type ChargeRequest, type PaymentGateway } from './gateway.js';
import { createStripeGateway, declineKind, verifyStripeWebhook, WebhookSignatureInvalid } from './stripe-gateway.js';

let fake: FakeStripe;
let gateway: PaymentGateway;

beforeAll(async () => {
  fake = await startFakeStripe();
  gateway = createStripeGateway({ secretKey: 'sk_test_studiohive', apiUrl: fake.url });
});

afterAll(async () => {
  await fake.close();
});

function chargeOf(token: string, overrides: Partial<ChargeRequest> = {}): ChargeRequest {
  const attemptId = randomUUID();
  return {
    idempotencyKey: `attempt:${attemptId}`,
    amount: 8800,
    currency: 'JPY',
    card: { token, customerRef: null },
    description: 'Monthly fee',
    metadata: { attemptId, invoiceId: randomUUID() },
    ...overrides,
  };
}

async function savedCard(paymentMethod: string) {
  return gateway.attach({ token: paymentMethod, memberId: randomUUID(), name: 'Hanako Yamada', email: 'hanako@example.com' });
}

describe('attach', () => {
  it('saves the PaymentMethod on a new customer and reads the card from it', async () => {
    const memberId = randomUUID();
    const card = await gateway.attach({ token: 'pm_card_visa', memberId, name: 'Hanako Yamada', email: 'hanako@example.com' });

    expect(card).toEqual({
      token: expect.stringMatching(/^pm_/),
      customerRef: expect.stringMatching(/^cus_/),
      brand: 'visa',
      last4: '4242',
      expMonth: 12,
      expYear: testCards.pm_card_visa!.expYear,
    });
    expect(fake.customers.get(card.customerRef!)).toMatchObject({ name: 'Hanako Yamada', email: 'hanako@example.com', metadata: { memberId } });
  });

  it('refuses a PaymentMethod Stripe does not know, in words for the member', async () => {
    const attempt = savedCard('pm_does_not_exist');
    await expect(attempt).rejects.toThrow(CardRejected);
    await expect(attempt).rejects.toThrow('This card could not be saved. Please check its details or use another card.');
  });
});

describe('charge', () => {
  it('confirms off-session on the saved card and customer', async () => {
    const card = await savedCard('pm_card_visa');
    const request = chargeOf(card.token, { card: { token: card.token, customerRef: card.customerRef } });

    const outcome = await gateway.charge(request);

    expect(outcome).toEqual({ status: 'succeeded', reference: expect.stringMatching(/^pi_/) });
    expect(fake.paymentIntents.get(outcome.reference!)).toMatchObject({
      amount: 8800,
      currency: 'jpy',
      customer: card.customerRef,
      payment_method: card.token,
      description: 'Monthly fee',
      metadata: request.metadata,
      status: 'succeeded',
    });
  });

  it.each([
    ['pm_card_chargeDeclinedInsufficientFunds', 'insufficient_funds', 'soft'],
    ['pm_card_chargeDeclined', 'generic_decline', 'soft'],
    ['pm_card_chargeDeclinedStolenCard', 'stolen_card', 'hard'],
    ['pm_card_chargeDeclinedExpiredCard', 'expired_card', 'hard'],
    ['pm_card_authenticationRequired', 'authentication_required', 'hard'],
  ] as const)('%s fails %s, %s', async (paymentMethod, code, kind) => {
    const card = await savedCard(paymentMethod);

    const outcome = await gateway.charge(chargeOf(card.token, { card: { token: card.token, customerRef: card.customerRef } }));

    expect(outcome).toMatchObject({ status: 'failed', kind, code, reference: expect.stringMatching(/^pi_/) });
    if (outcome.status !== 'failed') throw new Error('unreachable');
    expect(fake.paymentIntents.get(outcome.reference!)?.status).toBe('requires_payment_method');
  });

  it('answers the same key twice with one PaymentIntent and the same outcome', async () => {
    const request = chargeOf('pm_card_visa');
    const intentsBefore = fake.paymentIntents.size;

    const first = await gateway.charge(request);
    const second = await gateway.charge(request);

    expect(second).toEqual(first);
    expect(fake.paymentIntents.size).toBe(intentsBefore + 1);
    const calls = fake.requests.filter((r) => r.idempotencyKey === request.idempotencyKey);
    expect(calls.map((c) => [c.endpoint, c.replayed])).toEqual([
      ['POST /v1/payment_intents', false],
      ['POST /v1/payment_intents', true],
    ]);
  });

  it('replays a decline too, without a second attempt at the issuer', async () => {
    const request = chargeOf('pm_card_chargeDeclinedInsufficientFunds');
    const intentsBefore = fake.paymentIntents.size;

    const first = await gateway.charge(request);
    const second = await gateway.charge(request);

    expect(first).toMatchObject({ status: 'failed', code: 'insufficient_funds' });
    expect(second).toEqual(first);
    expect(fake.paymentIntents.size).toBe(intentsBefore + 1);
  });

  it('treats a key reused with other parameters as nothing known', async () => {
    const request = chargeOf('pm_card_visa');
    await gateway.charge(request);

    await expect(gateway.charge({ ...request, amount: request.amount + 1 })).rejects.toThrow(GatewayUnavailable);
    expect(fake.requests.at(-1)).toMatchObject({ idempotencyKey: request.idempotencyKey, status: 400, replayed: false });
  });

  it('is unavailable on a server error, and the same key charges once after recovery', async () => {
    const request = chargeOf('pm_card_visa');
    const intentsBefore = fake.paymentIntents.size;

    fake.failNext(1);
    await expect(gateway.charge(request)).rejects.toThrow(GatewayUnavailable);
    expect(fake.paymentIntents.size).toBe(intentsBefore);

    const outcome = await gateway.charge(request);
    const again = await gateway.charge(request);

    expect(outcome.status).toBe('succeeded');
    expect(again).toEqual(outcome);
    expect(fake.paymentIntents.size).toBe(intentsBefore + 1);
  });

  it('is unavailable when rate limited', async () => {
    fake.failNext(1, 429);
    await expect(gateway.charge(chargeOf('pm_card_visa'))).rejects.toThrow(GatewayUnavailable);
  });

  it('is unavailable when Stripe cannot be reached', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const unreachable = createStripeGateway({ secretKey: 'sk_test_studiohive', apiUrl: `http://127.0.0.1:${port}` });

    await expect(unreachable.charge(chargeOf('pm_card_visa'))).rejects.toThrow(GatewayUnavailable);
  });

  it('is unavailable with a key Stripe refuses: the studio has to fix it, not the member', async () => {
    const misconfigured = createStripeGateway({ secretKey: 'not-a-key', apiUrl: fake.url });
    await expect(misconfigured.charge(chargeOf('pm_card_visa'))).rejects.toThrow(GatewayUnavailable);
  });
});

describe('refund', () => {
  it('refunds part, refuses more than is left, and replays the same key', async () => {
    const charged = await gateway.charge(chargeOf('pm_card_visa', { amount: 5000 }));
    const reference = charged.reference!;
    const refundOf = (amount: number) => ({ idempotencyKey: `refund:${randomUUID()}`, chargeReference: reference, amount, currency: 'JPY', metadata: { refundId: randomUUID() } });

    const partial = refundOf(2000);
    const first = await gateway.refund(partial);
    expect(first).toEqual({ status: 'succeeded', reference: expect.stringMatching(/^re_/) });
    expect(await gateway.refund(partial)).toEqual(first);

    const tooMuch = await gateway.refund(refundOf(3001));
    expect(tooMuch).toMatchObject({ status: 'failed', reference: null, code: 'amount_too_large' });

    expect(await gateway.refund(refundOf(3000))).toMatchObject({ status: 'succeeded' });
    expect([...fake.refunds.values()].filter((r) => r.payment_intent === reference).map((r) => r.amount)).toEqual([2000, 3000]);
  });

  it('is unavailable on a server error', async () => {
    const charged = await gateway.charge(chargeOf('pm_card_visa'));
    fake.failNext(1, 503);
    await expect(
      gateway.refund({ idempotencyKey: `refund:${randomUUID()}`, chargeReference: charged.reference!, amount: 100, currency: 'JPY', metadata: {} }),
    ).rejects.toThrow(GatewayUnavailable);
  });
});

describe('retrieveCharge', () => {
  it('reads the intent as it is now, with our metadata', async () => {
    const request = chargeOf('pm_card_visa');
    const { reference } = await gateway.charge(request);
    const id = reference!;

    expect(await gateway.retrieveCharge(id)).toEqual({ status: 'succeeded', reference: id, metadata: request.metadata });

    fake.setIntentStatus(id, 'processing');
    expect(await gateway.retrieveCharge(id)).toMatchObject({ status: 'pending', reference: id });

    fake.setIntentStatus(id, 'requires_payment_method', { type: 'card_error', code: 'card_declined', decline_code: 'lost_card', message: 'Your card was declined.' });
    expect(await gateway.retrieveCharge(id)).toMatchObject({ status: 'failed', reference: id, kind: 'hard', code: 'lost_card' });

    fake.setIntentStatus(id, 'canceled');
    expect(await gateway.retrieveCharge(id)).toMatchObject({ status: 'failed', kind: 'hard', code: 'canceled' });
  });

  it('reads a declined intent with its decline', async () => {
    const declined = await gateway.charge(chargeOf('pm_card_chargeDeclinedInsufficientFunds'));
    expect(await gateway.retrieveCharge(declined.reference!)).toMatchObject({ status: 'failed', kind: 'soft', code: 'insufficient_funds' });
  });
});

describe('declineKind', () => {
  it('gives up only on codes that say the card is gone, and keeps unknown codes soft', () => {
    expect(['stolen_card', 'lost_card', 'fraudulent', 'expired_card', 'authentication_required'].map(declineKind)).toEqual(Array(5).fill('hard'));
    expect(['insufficient_funds', 'generic_decline', 'do_not_honor', 'try_again_later', 'a_code_stripe_adds_next_year', null].map(declineKind)).toEqual(Array(6).fill('soft'));
  });
});

describe('verifyStripeWebhook', () => {
  const secret = 'whsec_test_studiohive';

  it('accepts a signed event and keeps only its ids', async () => {
    const { reference } = await gateway.charge(chargeOf('pm_card_visa'));
    const event = fake.event('payment_intent.succeeded', reference!);
    const { body, header } = fake.signedEvent(secret, event);

    expect(verifyStripeWebhook(Buffer.from(body), header, secret)).toEqual({ id: event.id, type: 'payment_intent.succeeded', chargeReference: reference });
    const chargeEvent = fake.event('charge.refunded', reference!);
    const signedCharge = fake.signedEvent(secret, chargeEvent);
    expect(verifyStripeWebhook(signedCharge.body, signedCharge.header, secret)).toMatchObject({ id: chargeEvent.id, chargeReference: reference });
  });

  it('has no charge for other events', () => {
    const event = { id: 'evt_customer', object: 'event', type: 'customer.created', data: { object: { id: 'cus_1', object: 'customer' } } };
    const { body, header } = fake.signedEvent(secret, event);
    expect(verifyStripeWebhook(body, header, secret).chargeReference).toBeNull();
  });

  it('rejects a tampered body, another secret, a stale timestamp and a missing header', async () => {
    const { reference } = await gateway.charge(chargeOf('pm_card_visa'));
    const { body, header } = fake.signedEvent(secret, fake.event('payment_intent.succeeded', reference!));

    expect(() => verifyStripeWebhook(body.replace('succeeded', 'canceled'), header, secret)).toThrow(WebhookSignatureInvalid);
    expect(() => verifyStripeWebhook(body, header, 'whsec_someone_else')).toThrow(WebhookSignatureInvalid);
    expect(() => verifyStripeWebhook(body, undefined, secret)).toThrow(WebhookSignatureInvalid);

    const stale = fake.signedEvent(secret, fake.event('payment_intent.succeeded', reference!), { timestamp: Math.floor(Date.now() / 1000) - 301 });
    expect(() => verifyStripeWebhook(stale.body, stale.header, secret)).toThrow(WebhookSignatureInvalid);
    expect(verifyStripeWebhook(stale.body, stale.header, secret, 600).type).toBe('payment_intent.succeeded');
  });
});
