import { AppError } from '../../../platform/errors.js';
import { text } from '../../../platform/i18n.js';
import type { TenantTransaction } from '../../../platform/tenancy/job-context.js';
import type { BillingSettings } from '../billing-settings.js';
import type { ChargeOutcome, ChargeRequest, PaymentGateway } from './gateway.js';
import { createTestGateway, type OwnTransaction } from './test-gateway.js';
import { createStripeGateway } from './stripe-gateway.js';

export interface GatewayDeps {
  /** Another Stripe API base (a local fake in tests, stripe-mock in development). */
  stripeApiUrl?: string | undefined;
}

/** The gateway's own transactions: fresh tenant transactions, outside whichever the caller is in. */
export const ownTransaction = (transaction: TenantTransaction): OwnTransaction => (fn) => transaction((ctx) => fn(ctx.db));

export type Gateway = PaymentGateway & { chargeMany?(requests: ChargeRequest[]): Promise<ChargeOutcome[]> };

/** The studio's gateway. `own` opens transactions of the gateway's own (the test gateway keeps its record there). */
export function gatewayFor(settings: Pick<BillingSettings, 'gateway' | 'stripeSecretKey'>, own: OwnTransaction, deps: GatewayDeps): Gateway {
  if (settings.gateway === 'test') return createTestGateway(own);
  if (!settings.stripeSecretKey) throw new AppError('unprocessable', text('billing.stripe_key_missing'), { reason: 'gateway_not_configured' });
  return createStripeGateway({ secretKey: settings.stripeSecretKey, apiUrl: deps.stripeApiUrl });
}
