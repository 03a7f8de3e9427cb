import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';

/**
 * A local stand-in for the parts of Stripe's API that billing uses, close enough that the official SDK talks to
 * it unchanged: form-encoded requests, Stripe-shaped objects and error bodies, Idempotency-Key replay.
 * It is deliberately strict where Stripe is (lower-case currency, off_session only with confirm) so the adapter's
 * mistakes show up here rather than in production.
 */
export interface FakeStripe {
  /** Pass as the gateway's apiUrl. */
  url: string;
  close(): Promise<void>;
  /** Every request in arrival order, including the failed and the replayed. */
  requests: FakeRequest[];
  /** How many requests reached an endpoint, e.g. countRequests('POST /v1/payment_intents'). */
  countRequests(endpoint: string): number;
  /**
   * The next n requests fail with this status before any endpoint runs (a load balancer's 5xx, a 429), so, as at
   * Stripe, no idempotent result is saved and a repeat with the same key executes for real.
   */
  failNext(n: number, status?: number): void;
  /**
   * The next n confirmed charges on a card that would succeed are left processing (as a bank-debit or a delayed
   * capture is at Stripe): the answer says processing, and the intent settles only when setIntentStatus moves it.
   */
  processNext(n: number): void;
  /** Moves an intent as Stripe would asynchronously (processing settling, a cancel in the dashboard). */
  setIntentStatus(id: string, status: FakePaymentIntent['status'], lastPaymentError?: FakePaymentError): void;
  paymentIntents: Map<string, FakePaymentIntent>;
  setupIntents: Map<string, FakeSetupIntent>;
  customers: Map<string, FakeCustomer>;
  /** Every card number sent to any endpoint, to prove which side of the browser it came from (Stripe.js only). */
  cardNumbersSeen: Array<{ number: string; endpoint: string }>;
  refunds: Map<string, FakeRefund>;
  /** A Stripe-shaped event about an intent as it is now: the intent itself, or its charge for charge.* types. */
  event(type: string, intentId: string): FakeEvent;
  /** The body and Stripe-Signature header Stripe would deliver; timestamp (Unix seconds) to sign as of another time. */
  signedEvent(secret: string, event: object, options?: { timestamp?: number }): { body: string; header: string };
}

export interface FakeRequest {
  /** Method and path with ids as :id, e.g. 'POST /v1/payment_methods/:id/attach'. */
  endpoint: string;
  path: string;
  idempotencyKey: string | null;
  status: number;
  replayed: boolean;
}

export interface FakePaymentError {
  type: 'card_error' | 'invalid_request_error';
  code: string;
  decline_code?: string;
  message: string;
}

export interface FakePaymentIntent {
  id: string;
  object: 'payment_intent';
  amount: number;
  amount_received: number;
  currency: string;
  customer: string | null;
  description: string | null;
  metadata: Record<string, string>;
  payment_method: string | null;
  payment_method_types: string[];
  status: 'requires_payment_method' | 'requires_confirmation' | 'requires_action' | 'processing' | 'requires_capture' | 'canceled' | 'succeeded';
  last_payment_error: FakePaymentError | null;
  latest_charge: string | null;
  capture_method: 'automatic';
  confirmation_method: 'automatic';
  client_secret: string;
  /** use_stripe_sdk: the cardholder must pass 3-D Secure in Stripe.js (handleNextAction) with client_secret. */
  next_action: { type: 'use_stripe_sdk' } | null;
  canceled_at: number | null;
  created: number;
  livemode: false;
}

/** A card being saved for later (off-session) charges; Stripe.js confirms it in the browser. */
export interface FakeSetupIntent {
  id: string;
  object: 'setup_intent';
  client_secret: string;
  customer: string | null;
  metadata: Record<string, string>;
  payment_method: string | null;
  payment_method_types: string[];
  status: 'requires_payment_method' | 'requires_action' | 'succeeded' | 'canceled';
  usage: string;
  next_action: { type: 'use_stripe_sdk' } | null;
  last_setup_error: FakePaymentError | null;
  created: number;
  livemode: false;
}

export interface FakeCustomer {
  id: string;
  object: 'customer';
  name: string | null;
  email: string | null;
  metadata: Record<string, string>;
  created: number;
  livemode: false;
}

export interface FakeRefund {
  id: string;
  object: 'refund';
  amount: number;
  currency: string;
  payment_intent: string;
  charge: string | null;
  status: 'succeeded';
  metadata: Record<string, string>;
  reason: null;
  created: number;
}

export interface FakeEvent {
  id: string;
  object: 'event';
  type: string;
  created: number;
  livemode: false;
  api_version: string;
  pending_webhooks: number;
  request: { id: null; idempotency_key: null };
  data: { object: object };
}

interface TestCard {
  brand: string;
  last4: string;
  expMonth: number;
  expYear: number;
  /** How a charge on it is declined; none: it succeeds. */
  decline?: Omit<FakePaymentError, 'type'>;
  /** Saving it declines too (Stripe checks the card with the issuer when it is set up). */
  declinesSetup?: boolean;
  /**
   * 3-D Secure: setup asks for it when the card is saved and not again for off-session charges; always asks for
   * it on every payment with the cardholder present (and off-session declines, as `decline` says).
   */
  authentication?: 'setup' | 'always';
}

const expYear = new Date().getUTCFullYear() + 3;

/** Stripe's documented test PaymentMethods (https://docs.stripe.com/testing), by id. */
export const testCards: Readonly<Record<string, TestCard>> = {
  pm_card_visa: { brand: 'visa', last4: '4242', expMonth: 12, expYear },
  pm_card_mastercard: { brand: 'mastercard', last4: '4444', expMonth: 12, expYear },
  pm_card_chargeDeclined: {
    brand: 'visa', last4: '0002', expMonth: 12, expYear, declinesSetup: true,
    decline: { code: 'card_declined', decline_code: 'generic_decline', message: 'Your card was declined.' },
  },
  pm_card_chargeDeclinedInsufficientFunds: {
    brand: 'visa', last4: '9995', expMonth: 12, expYear,
    decline: { code: 'card_declined', decline_code: 'insufficient_funds', message: 'Your card has insufficient funds.' },
  },
  // Stripe tells the cardholder only "declined"; the reason is for the merchant.
  pm_card_chargeDeclinedStolenCard: {
    brand: 'visa', last4: '9979', expMonth: 12, expYear,
    decline: { code: 'card_declined', decline_code: 'stolen_card', message: 'Your card was declined.' },
  },
  pm_card_chargeDeclinedExpiredCard: {
    brand: 'visa', last4: '0069', expMonth: 12, expYear, declinesSetup: true,
    decline: { code: 'expired_card', message: 'Your card has expired.' },
  },
  // 3-D Secure is required and off-session nobody can pass it.
  pm_card_authenticationRequired: {
    brand: 'visa', last4: '3184', expMonth: 12, expYear, authentication: 'always',
    decline: { code: 'authentication_required', decline_code: 'authentication_required', message: 'Your card was declined. This transaction requires authentication.' },
  },
  // 3-D Secure when it is saved; then charged off-session without it.
  pm_card_authenticationRequiredSetupForOffSession: { brand: 'visa', last4: '3155', expMonth: 12, expYear, authentication: 'setup' },
};

/** The numbers Stripe documents for its test cards, as typed into Stripe.js's fields, and the card each stands for. */
export const testCardNumbers: Readonly<Record<string, string>> = {
  '4242424242424242': 'pm_card_visa',
  '5555555555554444': 'pm_card_mastercard',
  '4000000000000002': 'pm_card_chargeDeclined',
  '4000000000009995': 'pm_card_chargeDeclinedInsufficientFunds',
  '4000002500003155': 'pm_card_authenticationRequiredSetupForOffSession',
  '4000002760003184': 'pm_card_authenticationRequired',
};

interface Reply {
  status: number;
  body: unknown;
}

interface SavedIdempotentReply extends Reply {
  endpoint: string;
  parameters: string;
}

interface FakePaymentMethod {
  id: string;
  object: 'payment_method';
  type: 'card';
  card: { brand: string; last4: string; exp_month: number; exp_year: number; funding: 'credit'; country: 'US' };
  customer: string | null;
  billing_details: { name: null; email: null; phone: null; address: null };
  metadata: Record<string, string>;
  created: number;
  livemode: false;
}

/** Nested form fields as the SDK sends them: metadata[attemptId]=…, payment_method_types[0]=card. */
interface Form {
  [key: string]: string | Form;
}

export async function startFakeStripe(): Promise<FakeStripe> {
  const paymentIntents = new Map<string, FakePaymentIntent>();
  const setupIntents = new Map<string, FakeSetupIntent>();
  const cardNumbersSeen: Array<{ number: string; endpoint: string }> = [];
  const customers = new Map<string, FakeCustomer>();
  const refunds = new Map<string, FakeRefund>();
  const paymentMethods = new Map<string, { object: FakePaymentMethod; card: TestCard }>();
  const idempotentReplies = new Map<string, SavedIdempotentReply>();
  const requests: FakeRequest[] = [];
  let failures: { remaining: number; status: number } = { remaining: 0, status: 500 };
  let processing = 0;

  // publishable: called by Stripe.js in the browser with the publishable key and the intent's client secret.
  const routes: Array<{ method: string; pattern: RegExp; endpoint: string; publishable?: boolean; run: (form: Form, id: string) => Reply }> = [
    { method: 'POST', pattern: /^\/v1\/customers$/, endpoint: 'POST /v1/customers', run: createCustomer },
    { method: 'POST', pattern: /^\/v1\/payment_methods\/([^/]+)\/attach$/, endpoint: 'POST /v1/payment_methods/:id/attach', run: attachPaymentMethod },
    { method: 'GET', pattern: /^\/v1\/payment_methods\/([^/]+)$/, endpoint: 'GET /v1/payment_methods/:id', run: (_form, id) => retrievePaymentMethod(id) },
    { method: 'POST', pattern: /^\/v1\/payment_intents$/, endpoint: 'POST /v1/payment_intents', run: createPaymentIntent },
    { method: 'GET', pattern: /^\/v1\/payment_intents\/([^/]+)$/, endpoint: 'GET /v1/payment_intents/:id', run: (_form, id) => retrievePaymentIntent(id) },
    { method: 'POST', pattern: /^\/v1\/refunds$/, endpoint: 'POST /v1/refunds', run: createRefund },
    { method: 'POST', pattern: /^\/v1\/payment_intents\/([^/]+)\/cancel$/, endpoint: 'POST /v1/payment_intents/:id/cancel', run: (_form, id) => cancelPaymentIntent(id) },
    { method: 'POST', pattern: /^\/v1\/setup_intents$/, endpoint: 'POST /v1/setup_intents', run: createSetupIntent },
    { method: 'GET', pattern: /^\/v1\/setup_intents\/([^/]+)$/, endpoint: 'GET /v1/setup_intents/:id', run: (_form, id) => retrieveSetupIntent(id) },
    { method: 'POST', pattern: /^\/v1\/setup_intents\/([^/]+)\/confirm$/, endpoint: 'POST /v1/setup_intents/:id/confirm', publishable: true, run: confirmSetupIntent },
    // Not Stripe's API: the outcome of the 3-D Secure challenge that the Stripe.js stand-in shows.
    { method: 'POST', pattern: /^\/v1\/setup_intents\/([^/]+)\/authenticate$/, endpoint: 'POST /v1/setup_intents/:id/authenticate', publishable: true, run: authenticateSetupIntent },
    { method: 'POST', pattern: /^\/v1\/payment_intents\/([^/]+)\/authenticate$/, endpoint: 'POST /v1/payment_intents/:id/authenticate', publishable: true, run: authenticatePaymentIntent },
  ];

  function createSetupIntent(form: Form): Reply {
    const customerId = text(form.customer);
    if (customerId && !customers.has(customerId)) return invalidRequest(400, 'resource_missing', `No such customer: '${customerId}'`, 'customer');
    const types = strings(form.allowed_payment_method_types);
    const intent: FakeSetupIntent = {
      id: newId('seti'), object: 'setup_intent', client_secret: '', customer: customerId, metadata: strings(form.metadata), payment_method: null,
      payment_method_types: Object.values(types).length ? Object.values(types) : ['card'], status: 'requires_payment_method', usage: text(form.usage) ?? 'off_session',
      next_action: null, last_setup_error: null, created: now(), livemode: false,
    };
    intent.client_secret = `${intent.id}_secret_${randomBytes(8).toString('hex')}`;
    setupIntents.set(intent.id, intent);
    return { status: 200, body: intent };
  }

  function retrieveSetupIntent(id: string): Reply {
    const intent = setupIntents.get(id);
    return intent ? { status: 200, body: intent } : invalidRequest(404, 'resource_missing', `No such setupintent: '${id}'`, 'intent');
  }

  /** The client secret proves the browser was handed this intent; a wrong one is Stripe's 404 for another account's id. */
  function withSecret<T extends { id: string; client_secret: string }>(map: Map<string, T>, id: string, form: Form): T | Reply {
    const intent = map.get(id);
    if (!intent || text(form.client_secret) !== intent.client_secret) return invalidRequest(404, 'resource_missing', `No such intent: '${id}'`, 'intent');
    return intent;
  }
  const isReply = (value: object): value is Reply => 'status' in value && 'body' in value && !('object' in value);

  function confirmSetupIntent(form: Form, id: string): Reply {
    const intent = withSecret(setupIntents, id, form);
    if (isReply(intent)) return intent;
    if (intent.status !== 'requires_payment_method') return invalidRequest(400, 'setup_intent_unexpected_state', `This SetupIntent's status is ${intent.status}.`);
    const data = typeof form.payment_method_data === 'object' ? form.payment_method_data : {};
    const number = typeof data.card === 'object' ? (text(data.card.number) ?? '').replace(/\s/g, '') : '';
    const cardId = testCardNumbers[number];
    const card = cardId ? testCards[cardId] : undefined;
    if (!card) {
      intent.last_setup_error = { type: 'card_error', code: 'incorrect_number', message: 'Your card number is incorrect.' };
      return { status: 402, body: { error: { ...intent.last_setup_error, setup_intent: structuredClone(intent) } } };
    }
    if (card.declinesSetup && card.decline) {
      intent.last_setup_error = { type: 'card_error', ...card.decline };
      return { status: 402, body: { error: { ...intent.last_setup_error, setup_intent: structuredClone(intent) } } };
    }
    const paymentMethod = paymentMethodObject(newId('pm'), card, null);
    paymentMethods.set(paymentMethod.id, { object: paymentMethod, card });
    intent.payment_method = paymentMethod.id;
    intent.last_setup_error = null;
    if (card.authentication) {
      intent.status = 'requires_action';
      intent.next_action = { type: 'use_stripe_sdk' };
    } else {
      succeedSetup(intent);
    }
    return { status: 200, body: intent };
  }

  function succeedSetup(intent: FakeSetupIntent) {
    intent.status = 'succeeded';
    intent.next_action = null;
    const saved = intent.payment_method ? paymentMethods.get(intent.payment_method) : undefined;
    if (saved && intent.customer) saved.object.customer = intent.customer;
  }

  function authenticateSetupIntent(form: Form, id: string): Reply {
    const intent = withSecret(setupIntents, id, form);
    if (isReply(intent)) return intent;
    if (intent.status !== 'requires_action') return invalidRequest(400, 'setup_intent_unexpected_state', `This SetupIntent's status is ${intent.status}.`);
    if (text(form.result) === 'succeed') {
      succeedSetup(intent);
    } else {
      intent.status = 'requires_payment_method';
      intent.next_action = null;
      intent.payment_method = null;
      intent.last_setup_error = { type: 'invalid_request_error', code: 'setup_intent_authentication_failure', message: 'We are unable to authenticate your payment method.' };
    }
    return { status: 200, body: intent };
  }

  function authenticatePaymentIntent(form: Form, id: string): Reply {
    const intent = withSecret(paymentIntents, id, form);
    if (isReply(intent)) return intent;
    if (intent.status !== 'requires_action') return invalidRequest(400, 'payment_intent_unexpected_state', `This PaymentIntent's status is ${intent.status}.`);
    intent.next_action = null;
    if (text(form.result) === 'succeed') {
      intent.status = 'succeeded';
      intent.amount_received = intent.amount;
    } else {
      intent.status = 'requires_payment_method';
      intent.last_payment_error = { type: 'card_error', code: 'payment_intent_authentication_failure', message: 'We are unable to authenticate your payment method.' };
    }
    return { status: 200, body: intent };
  }

  function cancelPaymentIntent(id: string): Reply {
    const intent = paymentIntents.get(id);
    if (!intent) return invalidRequest(404, 'resource_missing', `No such payment_intent: '${id}'`, 'intent');
    if (intent.status === 'succeeded' || intent.status === 'canceled') {
      return invalidRequest(400, 'payment_intent_unexpected_state', `You cannot cancel this PaymentIntent because it has a status of ${intent.status}.`);
    }
    intent.status = 'canceled';
    intent.next_action = null;
    intent.canceled_at = now();
    return { status: 200, body: intent };
  }

  function createCustomer(form: Form): Reply {
    const customer: FakeCustomer = {
      id: newId('cus'), object: 'customer', name: text(form.name), email: text(form.email), metadata: strings(form.metadata), created: now(), livemode: false,
    };
    customers.set(customer.id, customer);
    return { status: 200, body: customer };
  }

  /** Like Stripe, attaching a test PaymentMethod (pm_card_visa) makes a new PaymentMethod owned by the customer. */
  function attachPaymentMethod(form: Form, id: string): Reply {
    const customerId = text(form.customer);
    if (!customerId) return invalidRequest(400, 'parameter_missing', 'Missing required param: customer.', 'customer');
    if (!customers.has(customerId)) return invalidRequest(400, 'resource_missing', `No such customer: '${customerId}'`, 'customer');
    const saved = paymentMethods.get(id);
    if (saved) {
      if (saved.object.customer && saved.object.customer !== customerId) {
        return invalidRequest(400, 'payment_method_unexpected_state', 'The payment method you provided has already been attached to a customer.');
      }
      saved.object.customer = customerId;
      return { status: 200, body: saved.object };
    }
    const card = testCards[id];
    if (!card) return noSuchPaymentMethod(id, 404);
    const attached = paymentMethodObject(newId('pm'), card, customerId);
    paymentMethods.set(attached.id, { object: attached, card });
    return { status: 200, body: attached };
  }

  function retrievePaymentMethod(id: string): Reply {
    const found = resolvePaymentMethod(id);
    return found ? { status: 200, body: found.object } : noSuchPaymentMethod(id, 404);
  }

  function createPaymentIntent(form: Form): Reply {
    const amount = Number(text(form.amount));
    if (!Number.isInteger(amount) || amount < 1) return invalidRequest(400, 'parameter_invalid_integer', 'Invalid integer: amount must be a positive integer.', 'amount');
    const currency = text(form.currency) ?? '';
    if (!/^[a-z]{3}$/.test(currency)) return invalidRequest(400, 'parameter_invalid', `Invalid currency: ${currency}.`, 'currency');
    const confirm = text(form.confirm) === 'true';
    if (text(form.off_session) === 'true' && !confirm) {
      return invalidRequest(400, 'parameter_invalid', 'off_session can only be used when confirm=true.', 'off_session');
    }
    const customerId = text(form.customer);
    if (customerId && !customers.has(customerId)) return invalidRequest(400, 'resource_missing', `No such customer: '${customerId}'`, 'customer');
    const paymentMethodId = text(form.payment_method);
    const paymentMethod = paymentMethodId ? resolvePaymentMethod(paymentMethodId) : undefined;
    if (paymentMethodId && !paymentMethod) return noSuchPaymentMethod(paymentMethodId, 400);
    if (paymentMethod?.object.customer && paymentMethod.object.customer !== customerId) {
      return invalidRequest(400, 'parameter_invalid', 'The provided PaymentMethod belongs to a Customer; pass that Customer too.', 'customer');
    }

    const intent: FakePaymentIntent = {
      id: newId('pi'), object: 'payment_intent', amount, amount_received: 0, currency, customer: customerId, description: text(form.description),
      metadata: strings(form.metadata), payment_method: paymentMethodId, payment_method_types: ['card'],
      status: 'requires_payment_method', last_payment_error: null, latest_charge: null, capture_method: 'automatic', confirmation_method: 'automatic',
      client_secret: '', next_action: null, canceled_at: null, created: now(), livemode: false,
    };
    intent.client_secret = `${intent.id}_secret_${randomBytes(8).toString('hex')}`;
    paymentIntents.set(intent.id, intent);

    if (!confirm || !paymentMethod) {
      intent.status = paymentMethod ? 'requires_confirmation' : 'requires_payment_method';
      return { status: 200, body: intent };
    }
    intent.latest_charge = newId('ch');
    if (paymentMethod.card.authentication === 'always' && text(form.off_session) !== 'true') {
      intent.status = 'requires_action';
      intent.next_action = { type: 'use_stripe_sdk' };
      return { status: 200, body: intent };
    }
    const decline = paymentMethod.card.decline;
    if (!decline && processing > 0) {
      processing -= 1;
      intent.status = 'processing';
      return { status: 200, body: intent };
    }
    if (!decline) {
      intent.status = 'succeeded';
      intent.amount_received = amount;
      return { status: 200, body: intent };
    }
    intent.last_payment_error = { type: 'card_error', ...decline };
    return {
      status: 402,
      body: {
        error: {
          type: 'card_error', ...decline, charge: intent.latest_charge, payment_intent: structuredClone(intent), payment_method: paymentMethod.object,
          doc_url: `https://docs.stripe.com/error-codes/${decline.code.replaceAll('_', '-')}`,
        },
      },
    };
  }

  function retrievePaymentIntent(id: string): Reply {
    const intent = paymentIntents.get(id);
    return intent ? { status: 200, body: intent } : invalidRequest(404, 'resource_missing', `No such payment_intent: '${id}'`, 'intent');
  }

  function createRefund(form: Form): Reply {
    const chargeId = text(form.charge);
    const intentId = text(form.payment_intent) ?? [...paymentIntents.values()].find((i) => chargeId && i.latest_charge === chargeId)?.id;
    if (!intentId) return invalidRequest(400, 'parameter_missing', 'One of the following params should be provided for this request: payment_intent or charge.');
    const intent = paymentIntents.get(intentId);
    if (!intent) return invalidRequest(400, 'resource_missing', `No such payment_intent: '${intentId}'`, 'payment_intent');
    if (intent.status !== 'succeeded') {
      return invalidRequest(400, 'charge_not_refundable', `This PaymentIntent (${intent.id}) does not have a successful charge to refund.`, 'payment_intent');
    }
    const refunded = [...refunds.values()].filter((r) => r.payment_intent === intent.id).reduce((sum, r) => sum + r.amount, 0);
    const remaining = intent.amount_received - refunded;
    if (remaining <= 0) return invalidRequest(400, 'charge_already_refunded', `Charge ${intent.latest_charge} has already been refunded.`);
    const amount = form.amount === undefined ? remaining : Number(text(form.amount));
    if (!Number.isInteger(amount) || amount < 1) return invalidRequest(400, 'parameter_invalid_integer', 'Invalid integer: amount must be a positive integer.', 'amount');
    if (amount > remaining) {
      return invalidRequest(
        400,
        'amount_too_large',
        `Refund amount (${amount} ${intent.currency}) is greater than unrefunded amount on charge (${remaining} ${intent.currency})`,
        'amount',
      );
    }
    const refund: FakeRefund = {
      id: newId('re'), object: 'refund', amount, currency: intent.currency, payment_intent: intent.id, charge: intent.latest_charge,
      status: 'succeeded', metadata: strings(form.metadata), reason: null, created: now(),
    };
    refunds.set(refund.id, refund);
    return { status: 200, body: refund };
  }

  function resolvePaymentMethod(id: string): { object: FakePaymentMethod; card: TestCard } | undefined {
    const saved = paymentMethods.get(id);
    if (saved) return saved;
    const card = testCards[id];
    return card ? { object: paymentMethodObject(id, card, null), card } : undefined;
  }

  function answer(method: string, path: string, headers: http.IncomingHttpHeaders, rawBody: string): Reply & { endpoint: string; replayed: boolean } {
    const route = routes.find((r) => r.method === method && r.pattern.test(path));
    const endpoint = route?.endpoint ?? `${method} ${path}`;
    if (failures.remaining > 0) {
      failures.remaining -= 1;
      const rateLimited = failures.status === 429;
      return {
        endpoint, replayed: false, status: failures.status,
        body: { error: rateLimited ? { type: 'rate_limit_error', code: 'rate_limit', message: 'Too many requests.' } : { type: 'api_error', message: 'An unknown error occurred.' } },
      };
    }
    const publishableKey = route?.publishable ? text(parseForm(rawBody).key) : null;
    if (route?.publishable ? !/^pk_test_\w+$/.test(publishableKey ?? '') : !/^Bearer sk_(test|live)_\w+$/.test(String(headers.authorization ?? ''))) {
      return { endpoint, replayed: false, status: 401, body: { error: { type: 'invalid_request_error', message: 'Invalid API Key provided.' } } };
    }
    if (!route) return { endpoint, replayed: false, ...invalidRequest(404, 'resource_missing', `Unrecognized request URL (${method}: ${path}).`) };

    const key = method === 'POST' ? headerText(headers['idempotency-key']) : null;
    const parameters = [...new URLSearchParams(rawBody)].map(([k, v]) => `${k}=${v}`).sort().join('&');
    if (key) {
      const saved = idempotentReplies.get(key);
      if (saved && saved.endpoint !== endpoint) {
        return { endpoint, replayed: false, ...idempotencyError(`Keys for idempotent requests can only be used for the same endpoint they were first used for ('${saved.endpoint}' vs '${endpoint}'). Try using a key other than '${key}' if you meant to execute a different request.`) };
      }
      if (saved && saved.parameters !== parameters) {
        return { endpoint, replayed: false, ...idempotencyError(`Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`) };
      }
      if (saved) return { endpoint, replayed: true, status: saved.status, body: saved.body };
    }

    const id = decodeURIComponent(route.pattern.exec(path)?.[1] ?? '');
    for (const [, value] of new URLSearchParams(rawBody)) {
      const digits = value.replace(/\s/g, '');
      if (/^\d{13,19}$/.test(digits)) cardNumbersSeen.push({ number: digits, endpoint });
    }
    const reply = route.run(parseForm(rawBody), id);
    // Stripe keeps the result of any request its endpoint executed (a 402 decline included); a 400 for invalid
    // parameters never began executing, so a corrected retry with the same key runs.
    if (key && (reply.status < 400 || reply.status === 402)) {
      idempotentReplies.set(key, { endpoint, parameters, status: reply.status, body: structuredClone(reply.body) });
    }
    return { endpoint, replayed: false, ...reply };
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const method = req.method ?? 'GET';
      // Stripe.js calls Stripe from the studio's page: the browser asks first (CORS), as it does of api.stripe.com.
      if (method === 'OPTIONS') {
        res.writeHead(204, { 'access-control-allow-origin': '*', 'access-control-allow-methods': 'GET, POST', 'access-control-allow-headers': 'content-type' }).end();
        return;
      }
      const path = new URL(req.url ?? '/', 'http://fake').pathname;
      const reply = answer(method, path, req.headers, Buffer.concat(chunks).toString('utf8'));
      requests.push({ endpoint: reply.endpoint, path, idempotencyKey: headerText(req.headers['idempotency-key']), status: reply.status, replayed: reply.replayed });
      const headers: Record<string, string> = { 'content-type': 'application/json', 'request-id': newId('req'), 'access-control-allow-origin': '*' };
      if (reply.replayed) headers['idempotent-replayed'] = 'true';
      // The SDK would otherwise retry our injected failures on its own; Stripe sends the same hint.
      if (reply.status >= 500) headers['stripe-should-retry'] = 'false';
      res.writeHead(reply.status, headers).end(JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // The SDK keeps connections alive; without this close() waits for them to idle out.
        server.closeAllConnections();
      }),
    requests,
    countRequests: (endpoint) => requests.filter((r) => r.endpoint === endpoint).length,
    failNext(n, status = 500) {
      failures = { remaining: n, status };
    },
    processNext(n) {
      processing = n;
    },
    setIntentStatus(id, status, lastPaymentError) {
      const intent = paymentIntents.get(id);
      if (!intent) throw new Error(`fake Stripe has no PaymentIntent ${id}`);
      intent.status = status;
      intent.amount_received = status === 'succeeded' ? intent.amount : 0;
      intent.last_payment_error = status === 'requires_payment_method' ? (lastPaymentError ?? intent.last_payment_error) : null;
      if (status === 'canceled') intent.canceled_at = now();
    },
    paymentIntents,
    setupIntents,
    customers,
    cardNumbersSeen,
    refunds,
    event(type, intentId) {
      const intent = paymentIntents.get(intentId);
      if (!intent) throw new Error(`fake Stripe has no PaymentIntent ${intentId}`);
      return {
        id: newId('evt'), object: 'event', type, created: now(), livemode: false, api_version: Stripe.API_VERSION, pending_webhooks: 1,
        request: { id: null, idempotency_key: null },
        data: { object: type.startsWith('charge.') ? chargeOf(intent) : structuredClone(intent) },
      };
    },
    signedEvent(secret, event, options = {}) {
      const body = JSON.stringify(event, null, 2);
      return { body, header: Stripe.webhooks.generateTestHeaderString({ payload: body, secret, ...(options.timestamp === undefined ? {} : { timestamp: options.timestamp }) }) };
    },
  };

  function chargeOf(intent: FakePaymentIntent) {
    const refunded = [...refunds.values()].filter((r) => r.payment_intent === intent.id).reduce((sum, r) => sum + r.amount, 0);
    const failed = intent.last_payment_error !== null;
    return {
      id: intent.latest_charge ?? newId('ch'), object: 'charge', amount: intent.amount, amount_captured: intent.amount_received, amount_refunded: refunded,
      currency: intent.currency, customer: intent.customer, payment_intent: intent.id, payment_method: intent.payment_method, metadata: { ...intent.metadata },
      status: intent.status === 'succeeded' ? 'succeeded' : failed ? 'failed' : 'pending', paid: intent.status === 'succeeded', refunded: refunded >= intent.amount_received && refunded > 0,
      failure_code: intent.last_payment_error?.code ?? null, failure_message: intent.last_payment_error?.message ?? null, created: now(), livemode: false,
    };
  }
}

function paymentMethodObject(id: string, card: TestCard, customer: string | null): FakePaymentMethod {
  return {
    id, object: 'payment_method', type: 'card',
    card: { brand: card.brand, last4: card.last4, exp_month: card.expMonth, exp_year: card.expYear, funding: 'credit', country: 'US' },
    customer, billing_details: { name: null, email: null, phone: null, address: null }, metadata: {}, created: now(), livemode: false,
  };
}

function invalidRequest(status: 400 | 404, code: string, message: string, param?: string): Reply {
  return { status, body: { error: { type: 'invalid_request_error', code, message, ...(param ? { param } : {}) } } };
}

function noSuchPaymentMethod(id: string, status: 400 | 404): Reply {
  return invalidRequest(status, 'resource_missing', `No such PaymentMethod: '${id}'`, 'payment_method');
}

function idempotencyError(message: string): Reply {
  return { status: 400, body: { error: { type: 'idempotency_error', message } } };
}

/** Reads `a[b][0]=x` pairs into nested records (arrays stay records keyed '0', '1', …). */
export function parseForm(body: string): Form {
  const form: Form = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const path = key.split(/[[\]]+/).filter((segment) => segment !== '');
    let node = form;
    for (const [index, segment] of path.entries()) {
      if (index === path.length - 1) {
        node[segment] = value;
        break;
      }
      const next = node[segment];
      node = typeof next === 'object' ? next : (node[segment] = {});
    }
  }
  return form;
}

function text(value: string | Form | undefined): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

function strings(value: string | Form | undefined): Record<string, string> {
  if (typeof value !== 'object') return {};
  return Object.fromEntries(Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

function headerText(value: string | string[] | undefined): string | null {
  return (Array.isArray(value) ? value[0] : value) ?? null;
}

function newId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('hex')}`;
}

function now(): number {
  return Math.floor(Date.now() / 1000);
}
