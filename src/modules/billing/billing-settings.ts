import type { Tx } from '../../platform/db/databases.js';
import type { DunningFinalAction, GatewayName } from '../../platform/db/types.js';
import type { MembershipRules } from '../contracts/charges.js';
import { rulesOf } from '../settings/settings.service.js';
import { settingsRepo } from '../settings/settings.repo.js';

export interface BillingSettings {
  rules: MembershipRules;
  issuerName: string | null;
  issuerAddress: string;
  registrationNumber: string | null;
  paymentTermsDays: number;
  retryDays: number[];
  finalAction: DunningFinalAction;
  finalAfterDays: number;
  gateway: GatewayName;
  stripeSecretKey: string | null;
  stripeWebhookSecret: string | null;
  /** For Stripe.js in the browser (card entry, 3-D Secure); public by design. */
  stripePublishableKey: string | null;
}

export const DEFAULT_BILLING: Omit<BillingSettings, 'rules'> = {
  issuerName: null,
  issuerAddress: '',
  registrationNumber: null,
  paymentTermsDays: 7,
  retryDays: [1, 3, 7],
  finalAction: 'none',
  finalAfterDays: 30,
  gateway: 'test',
  stripeSecretKey: null,
  stripeWebhookSecret: null,
  stripePublishableKey: null,
};

/** The studio's billing rules; a studio that never set them has the defaults (the test gateway). */
export async function billingSettings(db: Tx): Promise<BillingSettings> {
  const row = await settingsRepo.get(db);
  if (!row) return { rules: rulesOf(undefined), ...DEFAULT_BILLING };
  return {
    rules: rulesOf(row),
    issuerName: row.invoice_issuer_name,
    issuerAddress: row.invoice_issuer_address,
    registrationNumber: row.invoice_registration_number,
    paymentTermsDays: row.payment_terms_days,
    retryDays: row.dunning_retry_days,
    finalAction: row.dunning_final_action,
    finalAfterDays: row.dunning_final_after_days,
    gateway: row.payment_gateway,
    stripeSecretKey: row.stripe_secret_key,
    stripeWebhookSecret: row.stripe_webhook_secret,
    stripePublishableKey: row.stripe_publishable_key,
  };
}
