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
  /**
   * Gateways whose cards are entered in their own hosted fields (Stripe Elements): begins saving a card for the
   * member (a SetupIntent) that the browser completes with the gateway, 3-D Secure included, so the card number
   * never passes through our server. Absent: the gateway takes a token on attach.
   */
  startCardSetup?(input: CardSetupRequest): Promise<CardSetup>;
  /** Reads a card setup the browser completed and returns the card it saved, once it is the member's own and finished. */
  finishCardSetup?(setupId: string, memberId: string): Promise<SavedCard>;
  /** Gives up a charge still waiting for the cardholder (3-D Secure never completed), so it can never go through later. */
  cancelCharge?(reference: string): Promise<void>;
}

export interface CardSetupRequest {
  memberId: string;
  name: string;
  email: string | null;
  /** The gateway customer of the member's current card, reused so a member stays one customer at the gateway. */
  customerRef: string | null;
}

export interface CardSetup {
  setupId: string;
  /** Handed to the gateway's script in the browser; it lets that page complete this one setup and nothing else. */
  clientSecret: string;
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
  /** The cardholder is present (paying from the app) and can pass 3-D Secure; otherwise the charge is off-session. */
  onSession?: boolean;
}

/** soft: may succeed later (insufficient funds, a generic decline); hard: never retried (stolen card). */
export type FailureKind = 'soft' | 'hard';

export type ChargeOutcome =
  | { status: 'succeeded'; reference: string }
  | { status: 'failed'; reference: string | null; kind: FailureKind; code: string; message: string }
  /**
   * The gateway has it but has not decided (Stripe's processing); settle later from a webhook or reconciliation.
   * With authentication, it waits for the cardholder to pass 3-D Secure in the browser with this secret.
   */
  | { status: 'pending'; reference: string; authentication?: { clientSecret: string } };

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
  /** authentication: the cardholder did not complete 3-D Secure; the same card may still be saved by trying again. */
  constructor(message: string, readonly reason: 'rejected' | 'authentication' = 'rejected') {
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
