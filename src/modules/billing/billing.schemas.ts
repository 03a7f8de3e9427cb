import { z } from 'zod';
import { timestamp } from '../../platform/auth/auth.schemas.js';
import { month } from '../contracts/contracts.schemas.js';

export const invoiceIdParams = z.object({ invoiceId: z.uuid() });
export const refundParams = z.object({ invoiceId: z.uuid(), refundId: z.uuid() });
export const memberIdParams = z.object({ memberId: z.uuid() });

const money = z.int().describe('Integer minor units of the invoice currency (JPY has none)');
const invoiceStatus = z.enum(['draft', 'open', 'paid', 'void', 'uncollectible']);

export const invoiceListQuery = z
  .object({
    status: invoiceStatus.optional(),
    memberId: z.uuid().optional().describe('The billing account (the family lead)'),
    period: month.optional(),
    overdue: z.stringbool().optional().describe('Only invoices that block booking: open and escalated or past due (a written-off invoice does not)'),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
  })
  .strict();

export const documentQuery = z.object({ kind: z.enum(['invoice', 'receipt']).default('invoice') }).strict();

export const invoiceSummary = z.object({
  id: z.uuid(),
  number: z.string().nullable().meta({ example: 'INV-000123' }),
  period: z.string().meta({ example: '2026-12' }),
  status: invoiceStatus,
  overdue: z.boolean().describe('Blocks booking: open and escalated after failed charges or past its due date (a written-off invoice does not)'),
  currency: z.string(),
  total: money,
  amountPaid: money,
  amountRefunded: money,
  amountDue: money,
  issuedOn: z.string().nullable(),
  dueOn: z.string(),
  member: z.object({ id: z.uuid(), memberNumber: z.int(), name: z.string() }),
  autoCharge: z.boolean(),
  nextAttemptAt: timestamp.nullable(),
  escalatedAt: timestamp.nullable(),
});

const taxRow = z.object({ taxCategory: z.enum(['standard_10', 'reduced_8', 'exempt']), ratePercent: z.int(), taxableAmount: money, tax: money, total: money });

export const attemptDto = z.object({
  id: z.uuid(),
  method: z.enum(['card', 'cash', 'bank_transfer']),
  status: z.enum(['pending', 'succeeded', 'failed']),
  amount: money,
  initiatedBy: z.enum(['run', 'retry', 'member', 'staff', 'webhook']),
  failureKind: z.enum(['soft', 'hard']).nullable(),
  failureCode: z.string().nullable(),
  failureMessage: z.string().nullable(),
  createdAt: timestamp,
  settledAt: timestamp.nullable(),
});

export const refundDto = z.object({
  id: z.uuid(),
  number: z.string().meta({ example: 'CN-000004' }),
  amount: money,
  reason: z.string(),
  status: z.enum(['pending', 'succeeded', 'failed']),
  failureMessage: z.string().nullable(),
  taxBreakdown: z.array(taxRow),
  createdAt: timestamp,
});

export const invoiceDetail = invoiceSummary.extend({
  subtotalExcludingTax: money,
  taxTotal: money,
  taxBreakdown: z.array(taxRow).describe('Tax rounded once per rate (the qualified-invoice rule)'),
  recipientName: z.string(),
  issuer: z.object({ name: z.string(), address: z.string(), registrationNumber: z.string().nullable() }),
  lines: z.array(
    z.object({
      lineNo: z.int(),
      period: z.string(),
      code: z.string(),
      description: z.string(),
      amount: money,
      taxCategory: z.enum(['standard_10', 'reduced_8', 'exempt']),
      priceIncludesTax: z.boolean(),
      memberId: z.uuid(),
    }),
  ),
  payments: z.array(attemptDto),
  refunds: z.array(refundDto),
  voidReason: z.string().nullable(),
});

export const invoiceList = z.object({ items: z.array(invoiceSummary), total: z.int() });

export const manualPaymentBody = z
  .object({
    method: z.enum(['cash', 'bank_transfer']).describe('Received at the desk or by transfer'),
    amount: z.int().min(1).max(100_000_000).optional().describe('What was received, up to the amount due; the amount due in full when left out'),
  })
  .strict();
export const refundBody = z
  .object({
    amount: z.int().min(1).max(100_000_000).describe('Up to what was paid and not yet refunded'),
    reason: z.string().trim().min(1).max(1000).meta({ example: 'Studio closed for a week' }),
  })
  .strict();
export const refundPreview = z.object({
  amount: money,
  currency: z.string(),
  method: z.enum(['card', 'cash', 'bank_transfer']).describe('How the money goes back: to the card through the gateway, or by hand'),
  refundableBefore: money,
  refundableAfter: money,
  creditNote: z.object({ total: money, taxTotal: money, subtotalExcludingTax: money, taxBreakdown: z.array(taxRow) }).describe('The credit note the refund would issue'),
});
export const reasonBody = z.object({ reason: z.string().trim().min(1).max(1000) }).strict();

export const cardBody = z
  .union([
    z.object({ setupId: z.string().trim().regex(/^seti_\w{1,200}$/, 'billing.setup_id_format').describe('A card setup (Stripe SetupIntent) completed in Stripe.js') }).strict(),
    z
      .object({ token: z.string().trim().min(4).max(200).describe('A Stripe PaymentMethod id (pm_…), or a test card number with the test gateway; never a card number with Stripe') })
      .strict(),
  ])
  .meta({ example: { token: '4242424242424242' } });
export const cardSetupAnswer = z.discriminatedUnion('gateway', [
  z.object({ gateway: z.literal('test').describe('No hosted fields: send a test card number as token') }),
  z.object({
    gateway: z.literal('stripe'),
    publishableKey: z.string(),
    setupId: z.string().describe('Send it back as setupId once Stripe.js has confirmed the setup'),
    clientSecret: z.string().describe('For stripe.confirmSetup in the browser'),
  }),
]);
/** A payment the cardholder must still authenticate (3-D Secure) in Stripe.js before it can go through. */
export const paymentAuthentication = z.object({ publishableKey: z.string(), clientSecret: z.string() });
export const paymentAnswer = invoiceDetail.extend({
  authentication: paymentAuthentication.nullable().describe('Present while 3-D Secure waits: run stripe.handleNextAction, then POST …/pay/confirm'),
});
export const cardDto = z.object({
  id: z.uuid(),
  gateway: z.enum(['test', 'stripe']),
  brand: z.string(),
  last4: z.string(),
  expMonth: z.int().nullable(),
  expYear: z.int().nullable(),
  createdAt: timestamp,
});
export const cardAnswer = z.object({
  card: cardDto.nullable(),
  entry: z.enum(['test', 'stripe']).describe('How a new card is entered: stripe, in Stripe’s own fields (POST …/card/setup); test, as a test card number'),
});

export const reconciliationQuery = z.object({ from: month.optional(), to: month.optional() }).strict();
export const reconciliation = z.object({
  months: z.array(
    z.object({
      period: z.string(),
      invoices: z.int(),
      invoiced: money.describe('Sum of issued invoice totals'),
      ledgerCharges: money,
      paid: money,
      ledgerPayments: money,
      refunded: money,
      ledgerRefunds: money,
      writtenOff: money,
      voided: money,
      outstanding: money.describe('What open invoices still owe'),
      ledgerBalance: money.describe('The sum of every ledger entry of the month; equals outstanding'),
      balanced: z.boolean(),
    }),
  ),
  balanced: z.boolean(),
});

export const runDto = z.object({ period: z.string(), startedAt: timestamp, finishedAt: timestamp.nullable(), invoicesCreated: z.int(), chargesAttempted: z.int() });
export const runList = z.object({ items: z.array(runDto) });
export const runQueued = z.object({ queued: z.literal(true) });

export const billingSettingsDto = z.object({
  issuerName: z.string().nullable().describe('As printed on invoices; the studio name when null'),
  issuerAddress: z.string(),
  registrationNumber: z.string().nullable().describe('適格請求書発行事業者登録番号: T and 13 digits'),
  paymentTermsDays: z.int(),
  retryDays: z.array(z.int()).describe('Days after the first failed charge on which it is retried'),
  finalAction: z.enum(['none', 'leave', 'cancel']),
  finalAfterDays: z.int(),
  gateway: z.enum(['test', 'stripe']),
  stripeConfigured: z.boolean(),
  stripeWebhookConfigured: z.boolean(),
  stripePublishableKey: z.string().nullable().describe('Stripe.js shows Stripe’s own card fields with it (public by design)'),
  testCards: z.array(z.object({ number: z.string(), note: z.string() })).describe('The test gateway’s cards'),
});
export const updateBillingSettings = z
  .object({
    issuerName: z.string().trim().min(1).max(200).nullable(),
    issuerAddress: z.string().trim().max(300),
    registrationNumber: z.string().trim().regex(/^T\d{13}$/, 'billing.registration_number_format').nullable(),
    paymentTermsDays: z.int().min(0).max(60),
    retryDays: z
      .array(z.int().min(1).max(60))
      .max(10)
      .refine((d) => d.every((v, i) => i === 0 || v > d[i - 1]!), 'billing.retry_days_increasing'),
    finalAction: z.enum(['none', 'leave', 'cancel']),
    finalAfterDays: z.int().min(1).max(365),
    gateway: z.enum(['test', 'stripe']),
    stripeSecretKey: z.string().regex(/^(sk|rk)_[A-Za-z0-9_]{8,200}$/, 'billing.stripe_key_format').nullable().describe('Write-only'),
    stripeWebhookSecret: z.string().regex(/^whsec_[A-Za-z0-9_]{8,200}$/, 'billing.webhook_secret_format').nullable().describe('Write-only'),
    stripePublishableKey: z.string().trim().regex(/^pk_(test|live)_[A-Za-z0-9_]{8,200}$/, 'billing.publishable_key_format').nullable(),
  })
  .partial()
  .strict()
  .refine((v) => Object.keys(v).length > 0, 'validation.at_least_one_change');

export const webhookBody = z.looseObject({ id: z.string().min(1).max(200), type: z.string().min(1).max(200) });
export const webhookAnswer = z.object({ received: z.literal(true), duplicate: z.boolean() });
