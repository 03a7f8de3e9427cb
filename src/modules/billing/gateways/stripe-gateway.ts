import Stripe from 'stripe';
import {
  CardRejected,
  GatewayUnavailable,
  type ChargeOutcome,
  type FailureKind,
  type PaymentGateway,
  type RefundOutcome,
  type SavedCard,
  type WebhookEvent,
} from './gateway.js';

export interface StripeGatewayOptions {
  secretKey: string;
  /** Another API base such as stripe-mock or the test fake (`http://127.0.0.1:12111`); Stripe itself when absent. */
  apiUrl?: string;
  timeoutMs?: number;
}

const { StripeError, StripeCardError, StripeInvalidRequestError, StripeSignatureVerificationError } = Stripe.errors;

/**
 * Issuer decline codes that say the card itself must not be charged again: retrying them cannot succeed, and
 * card networks count repeated attempts on a lost/stolen/closed card against the merchant. Everything else,
 * including codes Stripe adds later, is soft, because a wrongly soft code costs a few more dunning attempts
 * while a wrongly hard one gives up on a member who would have paid.
 *
 * do_not_honor stays soft: issuers send it for temporary holds and velocity checks as often as for closed
 * accounts, and Stripe's own retry logic (Smart Retries) retries it.
 * authentication_required is hard for us: our charges are off-session, so nobody is present to pass 3-D
 * Secure, and retrying off-session gets the same answer; the member has to act (re-enter the card).
 */
const HARD_DECLINES = new Set([
  'stolen_card',
  'lost_card',
  'pickup_card',
  'fraudulent',
  'restricted_card',
  'card_not_supported',
  'invalid_account',
  'expired_card',
  'incorrect_number',
  'authentication_required',
]);

export function declineKind(code: string | null | undefined): FailureKind {
  return code !== null && code !== undefined && HARD_DECLINES.has(code) ? 'hard' : 'soft';
}

/** The card could not be saved and Stripe's own words were not meant for members (they name parameters and ids). */
const CARD_NOT_SAVED = 'This card could not be saved. Please check its details or use another card.';

export function createStripeGateway(options: StripeGatewayOptions): PaymentGateway {
  const stripe = new Stripe(options.secretKey, {
    ...apiLocation(options.apiUrl),
    // Every call carries our own idempotency key and the caller already asks again later (reconciliation,
    // the next dunning run), so an SDK retry would only hold a request open longer without adding safety.
    maxNetworkRetries: 0,
    timeout: options.timeoutMs ?? 30_000,
  });

  return {
    name: 'stripe',

    async attach({ token, memberId, name, email }) {
      try {
        const customer = await stripe.customers.create(
          { name, ...(email ? { email } : {}), metadata: { memberId } },
          // A retried attach (double submit, a timeout) finds the customer made the first time instead of a twin.
          { idempotencyKey: `attach-customer:${memberId}:${token}` },
        );
        return savedCardOf(await stripe.paymentMethods.attach(token, { customer: customer.id }), customer.id);
      } catch (error) {
        if (error instanceof CardRejected) throw error;
        throwIfUnavailable(error);
        // Stripe writes card_error messages for the cardholder ("Your card has expired."); other refusals are ours to word.
        if (error instanceof StripeCardError) throw new CardRejected(error.message || CARD_NOT_SAVED);
        if (error instanceof StripeInvalidRequestError) throw new CardRejected(CARD_NOT_SAVED);
        throw error;
      }
    },

    async charge(request) {
      try {
        const intent = await stripe.paymentIntents.create(
          {
            amount: request.amount,
            currency: request.currency.toLowerCase(),
            ...(request.card.customerRef ? { customer: request.card.customerRef } : {}),
            payment_method: request.card.token,
            // A saved card never redirects, and without this Stripe demands a return_url nobody could ever visit.
            automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
            // A member paying in the app can pass 3-D Secure: Stripe.js completes it (use_stripe_sdk) with the
            // intent's client secret. Off-session, nobody is there and Stripe declines instead of asking.
            ...(request.onSession ? { use_stripe_sdk: true } : { off_session: true }),
            confirm: true,
            description: request.description,
            metadata: request.metadata,
          },
          { idempotencyKey: request.idempotencyKey },
        );
        return outcomeOfIntent(intent);
      } catch (error) {
        throwIfUnavailable(error);
        if (error instanceof StripeCardError) {
          const code = error.decline_code || error.code || 'card_declined';
          return { status: 'failed', reference: error.payment_intent?.id ?? null, kind: declineKind(code), code, message: error.message };
        }
        // A PaymentMethod detached or deleted in the dashboard, a customer gone: asking again gets the same answer.
        if (error instanceof StripeInvalidRequestError) {
          return {
            status: 'failed',
            reference: error.payment_intent?.id ?? null,
            kind: 'hard',
            code: error.code ?? 'invalid_request',
            message: error.message,
          };
        }
        throw error;
      }
    },

    async refund(request): Promise<RefundOutcome> {
      try {
        // No currency: Stripe refunds in the charge's own currency and refuses any other.
        const refund = await stripe.refunds.create(
          { payment_intent: request.chargeReference, amount: request.amount, metadata: request.metadata },
          { idempotencyKey: request.idempotencyKey },
        );
        // pending is a card refund Stripe has accepted and is sending to the issuer; card refunds almost never fail
        // from there, and the rare failure arrives as a refund.failed webhook, so the money is treated as returned.
        if (refund.status === 'succeeded' || refund.status === 'pending') return { status: 'succeeded', reference: refund.id };
        const code = refund.failure_reason ?? refund.status ?? 'refund_failed';
        return { status: 'failed', reference: refund.id, code, message: `Stripe did not refund: ${code}` };
      } catch (error) {
        throwIfUnavailable(error);
        // amount_too_large, charge_already_refunded, a charge that is not settled: the same request fails the same way.
        if (error instanceof StripeInvalidRequestError || error instanceof StripeCardError) {
          return { status: 'failed', reference: null, code: error.code ?? 'invalid_request', message: error.message };
        }
        throw error;
      }
    },

    async startCardSetup({ memberId, name, email, customerRef }) {
      const newCustomer = async () => (await stripe.customers.create({ name, ...(email ? { email } : {}), metadata: { memberId } })).id;
      const setup = (customer: string) =>
        stripe.setupIntents.create({
          customer,
          usage: 'off_session',
          // Cards only: invoices are charged off-session to what is saved here, and billing knows cards.
          allowed_payment_method_types: ['card'],
          // finishCardSetup checks it: a member can only save a setup that was made for them.
          metadata: { memberId },
        });
      try {
        let intent;
        try {
          intent = await setup(customerRef ?? (await newCustomer()));
        } catch (error) {
          // The card's customer is gone at Stripe (deleted, or the studio moved to another Stripe account): start afresh.
          if (!(customerRef && error instanceof StripeInvalidRequestError && error.code === 'resource_missing')) throw error;
          intent = await setup(await newCustomer());
        }
        return { setupId: intent.id, clientSecret: intent.client_secret! };
      } catch (error) {
        throwIfUnavailable(error);
        if (error instanceof StripeInvalidRequestError) throw new CardRejected(CARD_NOT_SAVED);
        throw error;
      }
    },

    async finishCardSetup(setupId, memberId) {
      try {
        const intent = await stripe.setupIntents.retrieve(setupId);
        if (intent.metadata?.memberId !== memberId) throw new CardRejected(CARD_NOT_SAVED);
        if (intent.status === 'requires_action' || intent.last_setup_error?.code === 'setup_intent_authentication_failure') {
          throw new CardRejected('The card was not authenticated.', 'authentication');
        }
        if (intent.status !== 'succeeded' || !intent.payment_method) throw new CardRejected(intent.last_setup_error?.message ?? CARD_NOT_SAVED);
        const paymentMethod = typeof intent.payment_method === 'string' ? await stripe.paymentMethods.retrieve(intent.payment_method) : intent.payment_method;
        return savedCardOf(paymentMethod, typeof intent.customer === 'string' ? intent.customer : (intent.customer?.id ?? null));
      } catch (error) {
        if (error instanceof CardRejected) throw error;
        throwIfUnavailable(error);
        // A setup id that is not this account's at Stripe: the member's (or a forger's) mistake, not an outage.
        if (error instanceof StripeInvalidRequestError) throw new CardRejected(CARD_NOT_SAVED);
        throw error;
      }
    },

    async cancelCharge(reference) {
      try {
        await stripe.paymentIntents.cancel(reference);
      } catch (error) {
        throwIfUnavailable(error);
        // Already canceled, or it went through meanwhile: reading it back tells which.
        if (error instanceof StripeInvalidRequestError) return;
        throw error;
      }
    },

    async retrieveCharge(reference) {
      try {
        const intent = await stripe.paymentIntents.retrieve(reference);
        return { ...outcomeOfIntent(intent), metadata: { ...intent.metadata } };
      } catch (error) {
        // A reference Stripe does not know stays an error: it is our bug or the wrong account's key, not a decline.
        throwIfUnavailable(error);
        throw error;
      }
    },
  };
}

/** The card as billing keeps it; a PaymentMethod of another kind (a bank debit) cannot be charged as a card. */
function savedCardOf(paymentMethod: Stripe.PaymentMethod, customerRef: string | null): SavedCard {
  if (!paymentMethod.card) throw new CardRejected('Only cards can be saved.');
  const { brand, last4, exp_month: expMonth, exp_year: expYear } = paymentMethod.card;
  return { token: paymentMethod.id, customerRef, brand, last4, expMonth, expYear };
}

function outcomeOfIntent(intent: Stripe.PaymentIntent): ChargeOutcome {
  switch (intent.status) {
    case 'succeeded':
      return { status: 'succeeded', reference: intent.id };
    case 'processing':
    case 'requires_capture':
    case 'requires_confirmation':
      return { status: 'pending', reference: intent.id };
    case 'requires_action':
      return { status: 'pending', reference: intent.id, ...(intent.client_secret ? { authentication: { clientSecret: intent.client_secret } } : {}) };
    case 'canceled':
      return { status: 'failed', reference: intent.id, kind: 'hard', code: 'canceled', message: 'The payment was canceled at Stripe.' };
    default: {
      // requires_payment_method: the last attempt failed and the intent waits for another card.
      const lastError = intent.last_payment_error;
      const code = lastError?.decline_code || lastError?.code || intent.status;
      return { status: 'failed', reference: intent.id, kind: declineKind(code), code, message: lastError?.message ?? 'The payment did not go through.' };
    }
  }
}

/**
 * Errors after which nothing is known about the request: it may not have reached Stripe, Stripe failed midway,
 * asked us to slow down, or was still running the same idempotency key. The caller asks again with the same key,
 * which Stripe answers with the first outcome. A rejected API key is here too: it is the studio's setup to fix,
 * not the member's card to blame.
 */
function throwIfUnavailable(error: unknown): void {
  if (!(error instanceof StripeError)) return;
  if (error instanceof StripeCardError || error instanceof StripeInvalidRequestError) return;
  throw new GatewayUnavailable(`Stripe is unavailable: ${error.message}`, { cause: error });
}

function apiLocation(apiUrl: string | undefined): Pick<Stripe.StripeConfig, 'host' | 'port' | 'protocol'> {
  if (!apiUrl) return {};
  const url = new URL(apiUrl);
  const protocol = url.protocol === 'http:' ? 'http' : 'https';
  return { host: url.hostname, port: url.port || (protocol === 'http' ? 80 : 443), protocol };
}

/** A webhook whose Stripe-Signature is missing, does not match the body and secret, or is too old to trust. */
export class WebhookSignatureInvalid extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WebhookSignatureInvalid';
  }
}

/**
 * Checks a webhook against its endpoint secret and keeps only ids: billing re-reads the charge from Stripe
 * rather than trusting the event's copy, since events arrive late, twice and out of order.
 * rawBody must be the bytes as received; a re-serialised JSON body no longer matches its signature.
 */
export function verifyStripeWebhook(
  rawBody: Buffer | string,
  signatureHeader: string | undefined,
  secret: string,
  toleranceSeconds = 300,
): WebhookEvent {
  if (!signatureHeader) throw new WebhookSignatureInvalid('The Stripe-Signature header is missing.');
  let event: Stripe.Event;
  try {
    event = Stripe.webhooks.constructEvent(rawBody, signatureHeader, secret, toleranceSeconds);
  } catch (error) {
    if (error instanceof StripeSignatureVerificationError) throw new WebhookSignatureInvalid(error.message, { cause: error });
    throw error;
  }
  return { id: event.id, type: event.type, chargeReference: chargeReferenceOf(event.type, event.data.object) };
}

function chargeReferenceOf(type: string, object: unknown): string | null {
  if (typeof object !== 'object' || object === null) return null;
  const fields = object as Record<string, unknown>;
  if (type.startsWith('payment_intent.')) return typeof fields.id === 'string' ? fields.id : null;
  // charge.* objects are charges, and also refunds (charge.refund.updated) and disputes (charge.dispute.*): all carry it.
  if (type.startsWith('charge.')) {
    const intent = fields.payment_intent;
    if (typeof intent === 'string') return intent;
    if (typeof intent === 'object' && intent !== null && typeof (intent as { id?: unknown }).id === 'string') return (intent as { id: string }).id;
  }
  return null;
}
