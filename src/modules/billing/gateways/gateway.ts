import type { GatewayName } from '../../../platform/db/types.js';

/**
 * What billing asks of a payment gateway. Every call carries an idempotency key derived from our own row id
 * (the payment attempt or the refund), so repeating a call (after a crash, a timeout, or by reconciliation)
 * never charges or refunds twice: the gateway answers the first call's outcome again.
 */
export interface PaymentGateway {
  readonly name: GatewayName;
  /** Saves a card for off-session charges (a test card number, or a Stripe PaymentMethod id from Stripe.js). */
  attach(input: AttachRequest): Promise<SavedCard>;
  charge(request: ChargeRequest): Promise<ChargeOutcome>;
  refund(request: RefundRequest): Promise<RefundOutcome>;
  /** Re-reads a charge's current state at the gateway (webhooks trust this, not the event's order). */
  retrieveCharge(reference: string): Promise<ChargeOutcome & { metadata: Record<string, string> }>;
}

export interface AttachRequest {
  token: string;
  /** Our member id and name, for the gateway's customer record. */
  memberId: string;
  name: string;
  email: string | null;
}

export interface SavedCard {
  token: string;
  customerRef: string | null;
  brand: string;
  last4: string;
  expMonth: number | null;
  expYear: number | null;
}

export interface ChargeRequest {
  idempotencyKey: string;
  amount: number;
  currency: string;
  card: { token: string; customerRef: string | null };
  description: string;
  /** attemptId and invoiceId at least: a webhook finds our row through them. */
  metadata: Record<string, string>;
}

/** soft: may succeed later (insufficient funds, a generic decline); hard: never retried (stolen card). */
export type FailureKind = 'soft' | 'hard';

export type ChargeOutcome =
  | { status: 'succeeded'; reference: string }
  | { status: 'failed'; reference: string | null; kind: FailureKind; code: string; message: string }
  /** The gateway has it but has not decided (Stripe's processing); settle later from a webhook or reconciliation. */
  | { status: 'pending'; reference: string };

export interface RefundRequest {
  idempotencyKey: string;
  /** The reference of the successful charge being refunded. */
  chargeReference: string;
  amount: number;
  currency: string;
  metadata: Record<string, string>;
}

export type RefundOutcome = { status: 'succeeded'; reference: string } | { status: 'failed'; reference: string | null; code: string; message: string };

/** The gateway could not be reached or answered with a server error: nothing is known, ask again later. */
export class GatewayUnavailable extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'GatewayUnavailable';
  }
}

/** The card cannot be saved (a bad test card number, Stripe refused the PaymentMethod): the member's mistake. */
export class CardRejected extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CardRejected';
  }
}

/** A webhook as billing reads it, once its signature checks out. Only ids: the state is re-read from the gateway. */
export interface WebhookEvent {
  id: string;
  type: string;
  /** The charge (PaymentIntent) it is about, if any. */
  chargeReference: string | null;
}
