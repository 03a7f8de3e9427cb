import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Tx } from '../../../platform/db/databases.js';
import { insertRows } from '../billing.repo.js';
import { CardRejected, type ChargeOutcome, type ChargeRequest, type FailureKind, type PaymentGateway, type RefundOutcome } from './gateway.js';

/**
 * The built-in gateway, so a studio (and the demo) works offline. Its cards are Stripe's documented test numbers
 * and behave the same way. It keeps its own record of every operation by idempotency key, in its own
 * transactions as an outside gateway would, so a repeated call answers the first call's outcome and a crash of
 * ours in between is reconciled by asking again.
 */
export const TEST_CARDS: ReadonlyArray<{ number: string; outcome: 'succeeded' | { kind: FailureKind; code: string; message: string }; note: string }> = [
  { number: '4242424242424242', outcome: 'succeeded', note: 'Succeeds' },
  { number: '4000000000000002', outcome: { kind: 'soft', code: 'generic_decline', message: 'The card was declined.' }, note: 'Declined (generic); retried' },
  { number: '4000000000009995', outcome: { kind: 'soft', code: 'insufficient_funds', message: 'The card has insufficient funds.' }, note: 'Insufficient funds; retried' },
  { number: '4000000000009979', outcome: { kind: 'hard', code: 'stolen_card', message: 'The card was reported stolen.' }, note: 'Stolen card; never retried' },
];

const TOKEN_PREFIX = 'tok_test_';

/** A fresh transaction in the tenant, outside the caller's: the gateway's record must outlive our rollback. */
export type OwnTransaction = <T>(fn: (db: Tx) => Promise<T>) => Promise<T>;

export function createTestGateway(own: OwnTransaction): PaymentGateway & { chargeMany(requests: ChargeRequest[]): Promise<ChargeOutcome[]> } {
  const cardOf = (token: string) => TEST_CARDS.find((c) => TOKEN_PREFIX + c.number === token);

  const outcomeOf = (row: { reference: string; outcome: string; failure_code: string | null }): ChargeOutcome => {
    if (row.outcome === 'succeeded') return { status: 'succeeded', reference: row.reference };
    const failure = TEST_CARDS.map((c) => c.outcome).find((o) => o !== 'succeeded' && o.code === row.failure_code);
    const f = failure === undefined || failure === 'succeeded' ? { kind: 'soft' as const, code: row.failure_code ?? 'generic_decline', message: 'The card was declined.' } : failure;
    return { status: 'failed', reference: row.reference, ...f };
  };

  async function chargeMany(requests: ChargeRequest[]): Promise<ChargeOutcome[]> {
    if (requests.length === 0) return [];
    const rows = requests.map((r) => {
      const card = cardOf(r.card.token);
      const failure = card === undefined ? { code: 'card_not_supported' } : card.outcome === 'succeeded' ? null : card.outcome;
      return {
        idempotency_key: r.idempotencyKey,
        kind: 'charge' as const,
        reference: `tch_${randomUUID().replaceAll('-', '')}`,
        amount: r.amount,
        currency: r.currency,
        card: r.card.token.slice(-4),
        outcome: failure ? ('failed' as const) : ('succeeded' as const),
        failure_code: failure?.code ?? null,
      };
    });
    // The first call of a key decides; a repeat finds the stored row and answers it again.
    const stored = await own(async (db) => {
      await insertRows(db, 'app.test_gateway_operations', rows, { onConflictDoNothing: ['tenant_id', 'idempotency_key'] });
      return db
        .selectFrom('app.test_gateway_operations')
        .select(['idempotency_key', 'reference', 'outcome', 'failure_code'])
        .where('idempotency_key', 'in', rows.map((r) => r.idempotency_key))
        .execute();
    });
    const byKey = new Map(stored.map((s) => [s.idempotency_key, s]));
    return requests.map((r) => outcomeOf(byKey.get(r.idempotencyKey)!));
  }

  return {
    name: 'test',
    chargeMany,

    async attach({ token }) {
      const number = token.replace(/[\s-]/g, '');
      const card = TEST_CARDS.find((c) => c.number === number || TOKEN_PREFIX + c.number === number);
      if (!card) throw new CardRejected(`Use one of the test cards: ${TEST_CARDS.map((c) => `${c.number} (${c.note})`).join(', ')}`);
      return { token: TOKEN_PREFIX + card.number, customerRef: null, brand: 'visa', last4: card.number.slice(-4), expMonth: 12, expYear: 2034 };
    },

    charge: async (request) => (await chargeMany([request]))[0]!,

    async refund(request): Promise<RefundOutcome> {
      return own(async (db) => {
        const existing = await db.selectFrom('app.test_gateway_operations').selectAll().where('idempotency_key', '=', request.idempotencyKey).executeTakeFirst();
        if (existing) {
          return existing.outcome === 'succeeded'
            ? { status: 'succeeded', reference: existing.reference }
            : { status: 'failed', reference: existing.reference, code: existing.failure_code ?? 'refund_failed', message: 'The refund was refused.' };
        }
        // Refunds of one charge are serialised on the charge's row, so two at once cannot exceed it.
        const charge = await db
          .selectFrom('app.test_gateway_operations')
          .selectAll()
          .where('reference', '=', request.chargeReference)
          .where('kind', '=', 'charge')
          .forUpdate()
          .executeTakeFirst();
        const refunded = await db
          .selectFrom('app.test_gateway_operations')
          .select(sql<string>`coalesce(sum(amount), 0)`.as('sum'))
          .where('charge_reference', '=', request.chargeReference)
          .where('outcome', '=', 'succeeded')
          .executeTakeFirstOrThrow();
        const refusal = !charge || charge.outcome !== 'succeeded' ? 'charge_not_refundable' : Number(refunded.sum) + request.amount > charge.amount ? 'amount_too_large' : null;
        const reference = `tre_${randomUUID().replaceAll('-', '')}`;
        await db
          .insertInto('app.test_gateway_operations')
          .values({
            idempotency_key: request.idempotencyKey, kind: 'refund', reference, amount: request.amount, currency: request.currency,
            charge_reference: request.chargeReference, outcome: refusal ? 'failed' : 'succeeded', failure_code: refusal,
          })
          .execute();
        return refusal ? { status: 'failed', reference, code: refusal, message: 'The refund was refused by the gateway.' } : { status: 'succeeded', reference };
      });
    },

    async retrieveCharge(reference) {
      const row = await own((db) => db.selectFrom('app.test_gateway_operations').selectAll().where('reference', '=', reference).where('kind', '=', 'charge').executeTakeFirst());
      if (!row) throw new CardRejected(`No test charge ${reference}`);
      return { ...outcomeOf(row), metadata: {} };
    },
  };
}
