import { z } from 'zod';
import type { TenantRouter } from '../../platform/http/tenant-route.js';
import type { Runtime } from '../../platform/runtime.js';
import { billingDeps } from './billing-run.js';
import * as s from './billing.schemas.js';
import { billingService } from './billing.service.js';
import { webhooks } from './webhooks.js';
import { auditRow } from '../../platform/audit/audit.js';

const DESK = ['owner', 'manager', 'front_desk'] as const;
const MANAGERS = ['owner', 'manager'] as const;
const pdf = z.any().describe('application/pdf');
/** Money changes show the invoice's amounts and status before and after in the audit log. */
const invoice = auditRow('app.invoices', 'invoiceId');

/** Invoices, payments, refunds and cards for staff; invoices and the card for members; the gateway's webhooks. */
export function billingRoutes({ route, settlingRoute }: TenantRouter, runtime: Runtime) {
  const deps = billingDeps(runtime).gateways;
  const billing = billingService(deps);
  const hooks = webhooks(deps);
  const tags = ['billing'];

  route({
    method: 'GET', url: '/api/invoices', summary: 'Invoices, newest month first; filter by status, account, month or overdue', tags, access: DESK,
    schema: { querystring: s.invoiceListQuery, response: s.invoiceList },
    handler: (ctx, { query }) => billing.list(ctx, query),
  });
  route({
    method: 'GET', url: '/api/invoices/:invoiceId', summary: 'An invoice with its lines, tax per rate, payments and refunds', tags, access: DESK,
    schema: { params: s.invoiceIdParams, response: s.invoiceDetail },
    handler: (ctx, { params }) => billing.get(ctx, params.invoiceId),
  });
  route({
    method: 'GET', url: '/api/invoices/:invoiceId/document', summary: 'The invoice or its receipt as a PDF (a qualified invoice when the registration number is set)', tags,
    access: DESK, produces: 'application/pdf',
    schema: { params: s.invoiceIdParams, querystring: s.documentQuery, response: pdf },
    handler: (ctx, { params, query }) => billing.document(ctx, params.invoiceId, query.kind),
  });
  route({
    method: 'GET', url: '/api/invoices/:invoiceId/refunds/:refundId/document', summary: 'A refund’s credit note as a PDF', tags, access: DESK, produces: 'application/pdf',
    schema: { params: s.refundParams, response: pdf },
    handler: (ctx, { params }) => billing.creditNote(ctx, params.invoiceId, params.refundId),
  });
  route({
    method: 'POST', url: '/api/invoices/:invoiceId/payments', summary: 'Record the amount due as paid in cash or by bank transfer', tags, access: DESK, idempotent: true, audit: invoice,
    schema: { params: s.invoiceIdParams, body: s.manualPaymentBody, response: s.invoiceDetail },
    handler: (ctx, { params, body }) => billing.recordPayment(ctx, params.invoiceId, body),
  });
  settlingRoute({
    method: 'POST', url: '/api/invoices/:invoiceId/charge', summary: 'Charge the account’s saved card for the amount due now', tags, access: DESK, idempotent: true, audit: invoice,
    schema: { params: s.invoiceIdParams, response: s.invoiceDetail },
    handler: (ctx, { params }) => billing.startCharge(ctx, params.invoiceId),
    afterCommit: (session, started) => billing.finishCharge(session, started),
  });
  route({
    method: 'POST', url: '/api/invoices/:invoiceId/refunds/preview', summary: 'What a refund would do (amount, credit note, tax per rate), writing nothing', tags,
    access: MANAGERS,
    schema: { params: s.invoiceIdParams, body: s.refundBody, response: s.refundPreview },
    handler: (ctx, { params, body }) => billing.previewRefund(ctx, params.invoiceId, body),
  });
  settlingRoute({
    method: 'POST', url: '/api/invoices/:invoiceId/refunds', summary: 'Refund part or all of a paid invoice (never more than was paid), with a credit note', tags,
    access: MANAGERS, idempotent: true, status: 201, audit: invoice,
    schema: { params: s.invoiceIdParams, body: s.refundBody, response: s.invoiceDetail },
    handler: (ctx, { params, body }) => billing.startRefund(ctx, params.invoiceId, body),
    afterCommit: (session, started) => billing.finishRefund(session, started),
  });
  route({
    method: 'POST', url: '/api/invoices/:invoiceId/void', summary: 'Void an open, unpaid invoice issued by mistake', tags, access: MANAGERS, idempotent: true, audit: invoice,
    schema: { params: s.invoiceIdParams, body: s.reasonBody, response: s.invoiceDetail },
    handler: (ctx, { params, body }) => billing.void(ctx, params.invoiceId, body),
  });
  route({
    method: 'POST', url: '/api/invoices/:invoiceId/write-off', summary: 'Write off an open invoice as a bad debt: no longer collected, retried or dunned, and no longer blocking booking (a late payment is still recorded)', tags,
    access: MANAGERS, idempotent: true, audit: invoice,
    schema: { params: s.invoiceIdParams, body: s.reasonBody, response: s.invoiceDetail },
    handler: (ctx, { params, body }) => billing.writeOff(ctx, params.invoiceId, body),
  });
  route({
    method: 'GET', url: '/api/billing/reconciliation', summary: 'Per month: invoice totals against the ledger (charges, payments, refunds, balance)', tags, access: MANAGERS,
    schema: { querystring: s.reconciliationQuery, response: s.reconciliation },
    handler: (ctx, { query }) => billing.reconciliation(ctx, query),
  });
  route({
    method: 'GET', url: '/api/billing/runs', summary: 'The monthly runs: when each month was billed and what it made', tags, access: MANAGERS,
    schema: { response: s.runList },
    handler: (ctx) => billing.runs(ctx),
  });
  route({
    method: 'POST', url: '/api/billing/runs', summary: 'Run billing now (it runs hourly anyway; it only invoices what is due)', tags, access: MANAGERS, status: 202,
    schema: { response: s.runQueued },
    handler: (ctx) => billing.runNow(ctx),
  });
  route({
    method: 'GET', url: '/api/settings/billing', summary: 'Invoice issuer and registration number, payment terms, dunning, gateway', tags: ['settings'], access: MANAGERS,
    schema: { response: s.billingSettingsDto },
    handler: (ctx) => billing.settings(ctx),
  });
  route({
    method: 'PATCH', url: '/api/settings/billing', summary: 'Change the billing settings (Stripe keys are write-only)', tags: ['settings'], access: ['owner'], audit: auditRow('app.tenant_settings'),
    schema: { body: s.updateBillingSettings, response: s.billingSettingsDto },
    handler: (ctx, { body }) => billing.updateSettings(ctx, body),
  });

  route({
    method: 'GET', url: '/api/members/:memberId/card', summary: 'The card saved for the account (the family lead)', tags, access: DESK,
    schema: { params: s.memberIdParams, response: s.cardAnswer },
    handler: (ctx, { params }) => billing.card(ctx, params.memberId),
  });
  settlingRoute({
    method: 'PUT', url: '/api/members/:memberId/card', summary: 'Save a card for the account, replacing the previous one', tags, access: DESK, idempotent: true,
    schema: { params: s.memberIdParams, body: s.cardBody, response: s.cardAnswer },
    handler: (ctx, { params, body }) => billing.startCard(ctx, params.memberId, body),
    afterCommit: (session, started) => billing.finishCard(session, started),
    refusalForgetsKey: true,
  });
  settlingRoute({
    method: 'POST', url: '/api/members/:memberId/card/setup', summary: 'Begin saving a card in the gateway’s own fields (Stripe Elements); the test gateway takes a number', tags, access: DESK,
    schema: { params: s.memberIdParams, response: s.cardSetupAnswer },
    handler: (ctx, { params }) => billing.startSetup(ctx, params.memberId),
    afterCommit: (session, started) => billing.finishSetup(session, started),
  });
  route({
    method: 'DELETE', url: '/api/members/:memberId/card', summary: 'Remove the account’s card (invoices then wait for payment at the desk)', tags, access: DESK,
    schema: { params: s.memberIdParams, response: s.cardAnswer },
    handler: (ctx, { params }) => billing.removeCard(ctx, params.memberId),
  });

  route({
    method: 'GET', url: '/api/me/invoices', summary: 'My (my family’s) invoices', tags, access: 'member',
    schema: { response: s.invoiceList },
    handler: (ctx) => billing.mine(ctx),
  });
  route({
    method: 'GET', url: '/api/me/invoices/:invoiceId', summary: 'One of my invoices', tags, access: 'member',
    schema: { params: s.invoiceIdParams, response: s.invoiceDetail },
    handler: (ctx, { params }) => billing.myInvoice(ctx, params.invoiceId),
  });
  route({
    method: 'GET', url: '/api/me/invoices/:invoiceId/document', summary: 'Download my invoice or receipt (PDF)', tags, access: 'member', produces: 'application/pdf',
    schema: { params: s.invoiceIdParams, querystring: s.documentQuery, response: pdf },
    handler: (ctx, { params, query }) => billing.myDocument(ctx, params.invoiceId, query.kind),
  });
  route({
    method: 'GET', url: '/api/me/invoices/:invoiceId/refunds/:refundId/document', summary: 'Download a credit note of mine (PDF)', tags, access: 'member', produces: 'application/pdf',
    schema: { params: s.refundParams, response: pdf },
    handler: (ctx, { params }) => billing.myCreditNote(ctx, params.invoiceId, params.refundId),
  });
  settlingRoute({
    method: 'POST', url: '/api/me/invoices/:invoiceId/pay', summary: 'Pay an invoice now with my saved card (this lifts an overdue block)', tags, access: 'member', idempotent: true,
    schema: { params: s.invoiceIdParams, response: s.paymentAnswer },
    handler: (ctx, { params }) => billing.startMyPayment(ctx, params.invoiceId),
    afterCommit: (session, started) => billing.finishCharge(session, started),
  });
  settlingRoute({
    method: 'POST', url: '/api/me/invoices/:invoiceId/pay/confirm', summary: 'After 3-D Secure: read my card payment back from the gateway and record how it ended', tags, access: 'member',
    schema: { params: s.invoiceIdParams, response: s.paymentAnswer },
    handler: (ctx, { params }) => billing.startMyPaymentCheck(ctx, params.invoiceId),
    afterCommit: (session, started) => billing.finishMyPaymentCheck(session, started),
  });
  route({
    method: 'GET', url: '/api/me/card', summary: 'My saved card', tags, access: 'member',
    schema: { response: s.cardAnswer },
    handler: (ctx) => billing.myCard(ctx),
  });
  settlingRoute({
    method: 'POST', url: '/api/me/card/setup', summary: 'Begin saving my card in the gateway’s own fields (Stripe Elements); the test gateway takes a number', tags, access: 'member',
    schema: { response: s.cardSetupAnswer },
    handler: (ctx) => billing.startSetup(ctx, null),
    afterCommit: (session, started) => billing.finishSetup(session, started),
  });
  settlingRoute({
    method: 'PUT', url: '/api/me/card', summary: 'Save my card (a setup completed in Stripe.js, or a test card with the test gateway)', tags, access: 'member', idempotent: true,
    schema: { body: s.cardBody, response: s.cardAnswer },
    handler: (ctx, { body }) => billing.startCard(ctx, null, body),
    afterCommit: (session, started) => billing.finishCard(session, started),
    refusalForgetsKey: true,
  });

  settlingRoute({
    method: 'POST', url: '/api/billing/webhooks/stripe', summary: 'Stripe webhook endpoint of the studio (signed; redeliveries are ignored)', tags, access: 'public', rawBody: true,
    schema: { body: s.webhookBody, response: s.webhookAnswer },
    handler: (ctx, { raw }) => hooks.verify(ctx, raw),
    afterCommit: (session, started) => hooks.apply(session, started),
  });
}
