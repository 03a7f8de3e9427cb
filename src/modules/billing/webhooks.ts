import { AppError, notFound } from '../../platform/errors.js';
import { text } from '../../platform/i18n.js';
import type { TenantContext, TenantSession } from '../../platform/tenancy/context.js';
import { billingSettings } from './billing-settings.js';
import { GatewayUnavailable, type WebhookEvent } from './gateways/gateway.js';
import { gatewayFor, ownTransaction, type GatewayDeps } from './gateways/index.js';
import { verifyStripeWebhook, WebhookSignatureInvalid } from './gateways/stripe-gateway.js';
import { recordOutcomes } from './payments.js';

/**
 * Stripe's webhooks. The signature is checked over the bytes as sent; a redelivered event id is acknowledged and
 * ignored. The event only says which charge changed: its state is read back from Stripe, so events arriving
 * twice or out of order settle the attempt to the same end (an attempt settles once; later reports change nothing).
 */
export const webhooks = (deps: GatewayDeps) => ({
  async verify(ctx: TenantContext, raw: { body: Buffer | undefined; headers: Record<string, string | string[] | undefined> }): Promise<{ event: WebhookEvent }> {
    const settings = await billingSettings(ctx.db);
    if (!settings.stripeWebhookSecret) throw notFound('billing.thing.webhook_endpoint');
    const header = raw.headers['stripe-signature'];
    try {
      return { event: verifyStripeWebhook(raw.body ?? Buffer.alloc(0), Array.isArray(header) ? header[0] : header, settings.stripeWebhookSecret) };
    } catch (error) {
      if (error instanceof WebhookSignatureInvalid) throw new AppError('bad_request', text('billing.webhook_signature_mismatch'));
      throw error;
    }
  },

  async apply(session: TenantSession, { event }: { event: WebhookEvent }) {
    const seen = await session.transaction((ctx) =>
      ctx.db.selectFrom('app.webhook_events').select('event_id').where('gateway', '=', 'stripe').where('event_id', '=', event.id).executeTakeFirst(),
    );
    if (seen) return { received: true as const, duplicate: true };
    const settings = await session.transaction((ctx) => billingSettings(ctx.db));
    let state = null;
    if (event.chargeReference && settings.stripeSecretKey) {
      try {
        const gateway = gatewayFor({ gateway: 'stripe', stripeSecretKey: settings.stripeSecretKey }, ownTransaction(session.transaction), deps);
        state = await gateway.retrieveCharge(event.chargeReference);
      } catch (error) {
        // Not recorded as seen: Stripe delivers it again later.
        if (error instanceof GatewayUnavailable) throw new AppError('unavailable', text('billing.stripe_unreachable'));
        throw error;
      }
    }
    return session.transaction(async (ctx) => {
      const inserted = await ctx.db
        .insertInto('app.webhook_events')
        .values({ gateway: 'stripe', event_id: event.id, type: event.type })
        .onConflict((oc) => oc.columns(['tenant_id', 'gateway', 'event_id']).doNothing())
        .returning('event_id')
        .executeTakeFirst();
      if (!inserted) return { received: true as const, duplicate: true };
      const attemptId = state?.metadata.attemptId;
      if (state && attemptId && /^[0-9a-f-]{36}$/.test(attemptId)) {
        const attempt = await ctx.db.selectFrom('app.payment_attempts').select('id').where('id', '=', attemptId).executeTakeFirst();
        if (attempt) {
          const { metadata: _metadata, ...outcome } = state;
          await recordOutcomes(ctx, [{ attemptId, outcome }], settings);
        }
      }
      return { received: true as const, duplicate: false };
    });
  },
});
