/**
 * Invoices as staff and members see them, and what staff do with them: take a payment at the desk, charge the
 * saved card, refund (with a credit note), void, write off; the studio's billing settings and saved cards;
 * documents; reconciliation of invoices against the ledger. Anything that calls the gateway is split in two: a
 * transaction that writes the pending row, and a settlement after commit (see settlingRoute).
 */
import { sql } from 'kysely';
import type { Tx } from '../../platform/db/databases.js';
import type { InvoiceStatus, TaxBreakdownRow, TaxRounding } from '../../platform/db/types.js';
import { divide } from '../contracts/charges.js';
import { dateIn, monthOf, tenantToday, todayIn, type IsoDate } from '../../platform/calendar.js';
import { AppError, notFound, refusal } from '../../platform/errors.js';
import { render, text, type Locale, type MessageId } from '../../platform/i18n.js';
import type { Principal, TenantContext, TenantSession } from '../../platform/tenancy/context.js';
import { settingsRepo } from '../settings/settings.repo.js';
import { billingSettings, type BillingSettings } from './billing-settings.js';
import { billingRunRepo } from './billing.repo.js';
import { CardRejected, GatewayUnavailable } from './gateways/gateway.js';
import { gatewayFor, ownTransaction, type Gateway, type GatewayDeps } from './gateways/index.js';
import { TEST_CARDS } from './gateways/test-gateway.js';
import { creditNoteLabel, invoiceLabel } from './invoice-builder.js';
import { formatMoney, renderInvoicePdf, type InvoiceDocument } from './invoice-document.js';
import { chargeAndRecord, payInvoices, pendingCardAttempts } from './payments.js';
import { isOverdue, overdueInvoice } from './overdue.js';

type Session = TenantSession & { principal: Principal | null };
/** An invoice's status as words, inside another message (`… this one is {status}`). */
const statusWords = (status: InvoiceStatus) => text('billing.invoice_status', { status });

const invoiceQuery = (db: Tx) =>
  db
    .selectFrom('app.invoices as i')
    .innerJoin('app.members as m', (j) => j.onRef('m.tenant_id', '=', 'i.tenant_id').onRef('m.id', '=', 'i.billing_member_id'))
    .selectAll('i')
    .select(['m.member_number', 'm.family_name', 'm.given_name']);
type InvoiceRow = Awaited<ReturnType<ReturnType<typeof invoiceQuery>['executeTakeFirstOrThrow']>>;


function summaryOf(i: InvoiceRow, today: IsoDate) {
  return {
    id: i.id,
    number: i.number ? invoiceLabel(i.number) : null,
    period: monthOf(i.period),
    status: i.status,
    overdue: isOverdue(i, today),
    currency: i.currency,
    total: i.total,
    amountPaid: i.amount_paid,
    amountRefunded: i.amount_refunded,
    amountDue: i.status === 'open' || i.status === 'uncollectible' ? i.total - i.amount_paid : 0,
    issuedOn: i.issued_on,
    dueOn: i.due_on,
    member: { id: i.billing_member_id, memberNumber: i.member_number, name: `${i.family_name} ${i.given_name}`.trim() },
    autoCharge: i.auto_charge,
    nextAttemptAt: i.next_attempt_at?.toISOString() ?? null,
    escalatedAt: i.escalated_at?.toISOString() ?? null,
  };
}

/** An invoice as listed, for another context's answer (a sale's first invoice). */
export const invoiceSummaryOf = async (ctx: TenantContext, id: string) => summaryOf(await loadInvoice(ctx.db, id), tenantToday(ctx));

async function loadInvoice(db: Tx, id: string, lock = false) {
  const row = await invoiceQuery(db).where('i.id', '=', id).$if(lock, (q) => q.forUpdate('i')).executeTakeFirst();
  if (!row) throw notFound('billing.thing.invoice');
  return row;
}

async function detailOf(db: Tx, i: InvoiceRow, today: IsoDate) {
  const [lines, attempts, refunds] = await Promise.all([
    db.selectFrom('app.invoice_lines').selectAll().where('invoice_id', '=', i.id).orderBy('line_no').execute(),
    db.selectFrom('app.payment_attempts').selectAll().where('invoice_id', '=', i.id).orderBy('created_at').execute(),
    db.selectFrom('app.refunds').selectAll().where('invoice_id', '=', i.id).orderBy('created_at').execute(),
  ]);
  return {
    ...summaryOf(i, today),
    subtotalExcludingTax: i.subtotal_excluding_tax,
    taxTotal: i.tax_total,
    taxBreakdown: i.tax_breakdown,
    recipientName: i.recipient_name,
    issuer: { name: i.issuer_name, address: i.issuer_address, registrationNumber: i.registration_number },
    lines: lines.map((l) => ({
      lineNo: l.line_no, period: monthOf(l.period), code: l.code, description: l.description, amount: l.amount,
      taxCategory: l.tax_category, priceIncludesTax: l.price_includes_tax, memberId: l.member_id,
    })),
    payments: attempts.map((a) => ({
      id: a.id, method: a.method, status: a.status, amount: a.amount, initiatedBy: a.initiated_by, failureKind: a.failure_kind,
      failureCode: a.failure_code, failureMessage: a.failure_message, createdAt: a.created_at.toISOString(), settledAt: a.settled_at?.toISOString() ?? null,
    })),
    refunds: refunds.map((r) => ({
      id: r.id, number: creditNoteLabel(r.number), amount: r.amount, reason: r.reason, status: r.status, failureMessage: r.failure_message,
      taxBreakdown: r.tax_breakdown, createdAt: r.created_at.toISOString(),
    })),
    voidReason: i.void_reason,
  };
}

/** The billing account a signed-in member sees invoices of: their family lead's, or their own. */
async function myAccount(ctx: TenantContext) {
  if (ctx.principal?.kind !== 'member') throw new AppError('forbidden', text('billing.members_only'));
  const me = await ctx.db.selectFrom('app.members').select(['id', 'family_lead_id']).where('id', '=', ctx.principal.memberId).executeTakeFirstOrThrow();
  return me.family_lead_id ?? me.id;
}

async function myInvoice(ctx: TenantContext, id: string, lock = false) {
  const invoice = await loadInvoice(ctx.db, id, lock).catch(() => null);
  if (!invoice || invoice.billing_member_id !== (await myAccount(ctx)) || invoice.status === 'draft') throw notFound('billing.thing.invoice');
  return invoice;
}

/**
 * A refund's tax per rate, in proportion to the invoice's rates (the largest rate takes the rounding rest), each
 * rate's tax rounded as the studio rounds its invoices' tax: a credit note mirrors the invoice it corrects.
 */
export function refundTax(amount: number, invoiceTotal: number, byRate: TaxBreakdownRow[], rounding: TaxRounding): TaxBreakdownRow[] {
  if (invoiceTotal === 0 || byRate.length === 0) return [];
  const rows = byRate.map((r) => {
    const total = Math.floor((amount * r.total) / invoiceTotal);
    return { ...r, total };
  });
  const rest = amount - rows.reduce((s, r) => s + r.total, 0);
  rows.sort((a, b) => b.total - a.total)[0]!.total += rest;
  return rows.map((r) => {
    const tax = r.ratePercent === 0 ? 0 : divide(r.total * r.ratePercent, 100 + r.ratePercent, rounding);
    return { taxCategory: r.taxCategory, ratePercent: r.ratePercent, taxableAmount: r.total - tax, tax, total: r.total };
  });
}

/** Dates on paper are the studio's: a payment at 07:27 in Tokyo on the 5th is the 5th, not UTC's 4th. */
async function documentOf({ db, tenant, request }: TenantContext, i: InvoiceRow, kind: 'invoice' | 'receipt'): Promise<Buffer> {
  if (i.status === 'draft' || i.number === null) throw refusal('not_issued', text('billing.not_issued'));
  const [lines, paid] = await Promise.all([
    db.selectFrom('app.invoice_lines').selectAll().where('invoice_id', '=', i.id).orderBy('line_no').execute(),
    db.selectFrom('app.payment_attempts').select(['method', 'amount', 'settled_at']).where('invoice_id', '=', i.id).where('status', '=', 'succeeded').execute(),
  ]);
  if (kind === 'receipt' && paid.length === 0) throw refusal('not_paid', text('billing.not_paid'));
  const doc: InvoiceDocument = {
    kind,
    number: invoiceLabel(i.number),
    issuedOn: kind === 'receipt' ? dateIn(paid[0]!.settled_at!, tenant.timezone) : i.issued_on!,
    period: monthOf(i.period),
    dueOn: kind === 'invoice' ? i.due_on : null,
    currency: i.currency,
    issuer: { name: i.issuer_name, address: i.issuer_address, registrationNumber: i.registration_number },
    recipient: { name: i.recipient_name, memberNumber: i.member_number },
    lines: lines.map((l) => ({ period: monthOf(l.period), description: l.description, amount: l.amount, taxCategory: l.tax_category, priceIncludesTax: l.price_includes_tax })),
    taxBreakdown: i.tax_breakdown,
    subtotalExcludingTax: i.subtotal_excluding_tax,
    taxTotal: i.tax_total,
    total: i.total,
    amountPaid: i.amount_paid,
    amountRefunded: i.amount_refunded,
    payments: paid.map((p) => ({ date: dateIn(p.settled_at!, tenant.timezone), method: p.method, amount: p.amount })),
    correctsInvoiceNumber: null,
    reason: null,
  };
  return renderInvoicePdf(doc, request.locale);
}

/**
 * Every issued invoice's PDF, and each settled refund's credit note, in number order, for the studio's archive
 * (the platform's archiveDocuments hook): the papers the studio handed out, as its staff would download them.
 */
export async function* invoiceDocuments(ctx: TenantContext): AsyncIterable<{ path: string; bytes: Buffer }> {
  for (let after = 0; ; ) {
    const page = await ctx.db.selectFrom('app.invoices').select('id').where('number', '>', after).orderBy('number').limit(200).execute();
    for (const { id } of page) {
      const invoice = await loadInvoice(ctx.db, id);
      after = invoice.number!;
      yield { path: `documents/invoices/${invoiceLabel(invoice.number!)}.pdf`, bytes: await documentOf(ctx, invoice, 'invoice') };
      const refunds = await ctx.db.selectFrom('app.refunds').select(['id', 'number']).where('invoice_id', '=', id).where('status', '=', 'succeeded').orderBy('number').execute();
      for (const r of refunds) yield { path: `documents/credit-notes/${creditNoteLabel(r.number!)}.pdf`, bytes: await creditNoteOf(ctx, invoice, r.id) };
    }
    if (page.length < 200) return;
  }
}

async function creditNoteOf({ db, tenant, request }: TenantContext, i: InvoiceRow, refundId: string): Promise<Buffer> {
  const r = await db.selectFrom('app.refunds').selectAll().where('id', '=', refundId).where('invoice_id', '=', i.id).executeTakeFirst();
  if (!r) throw notFound('billing.thing.refund');
  if (r.status !== 'succeeded') throw refusal('refund_not_settled', text('billing.refund_not_settled'));
  const tax = r.tax_breakdown.reduce((s, t) => s + t.tax, 0);
  return renderInvoicePdf({
    kind: 'credit_note', number: creditNoteLabel(r.number), issuedOn: dateIn(r.settled_at!, tenant.timezone), period: monthOf(i.period), dueOn: null,
    currency: i.currency, issuer: { name: i.issuer_name, address: i.issuer_address, registrationNumber: i.registration_number },
    recipient: { name: i.recipient_name, memberNumber: i.member_number }, lines: [], taxBreakdown: r.tax_breakdown,
    subtotalExcludingTax: r.amount - tax, taxTotal: tax, total: r.amount, amountPaid: i.amount_paid, amountRefunded: i.amount_refunded, payments: [],
    correctsInvoiceNumber: invoiceLabel(i.number!), reason: r.reason,
  }, request.locale);
}

/** A charge of the invoice in flight: nothing else may settle the invoice meanwhile. */
const hasPendingAttempt = async (db: Tx, invoiceId: string) =>
  (await db.selectFrom('app.payment_attempts').select('id').where('invoice_id', '=', invoiceId).where('status', '=', 'pending').executeTakeFirst()) !== undefined;

/** A pending card charge of an invoice, committed before the gateway is called. */
async function startCardCharge(ctx: TenantContext, invoice: InvoiceRow, initiatedBy: 'member' | 'staff') {
  if (invoice.status !== 'open' && invoice.status !== 'uncollectible') throw refusal('not_payable', text('billing.not_payable', { status: statusWords(invoice.status) }));
  // The member's own payment still waiting for 3-D Secure (the page was closed, Stripe.js failed): paying again
  // takes it up where it stopped, asking the bank's challenge again, rather than starting a second charge.
  const waiting = initiatedBy === 'member' ? await waitingForAuthentication(ctx.db, invoice.id) : undefined;
  if (waiting) return { attemptId: waiting.id, invoiceId: invoice.id };
  if (await hasPendingAttempt(ctx.db, invoice.id)) throw new AppError('conflict', text('billing.payment_in_progress'));
  const settings = await billingSettings(ctx.db);
  const card = await ctx.db.selectFrom('app.payment_methods').selectAll().where('member_id', '=', invoice.billing_member_id).where('detached_at', 'is', null).executeTakeFirst();
  if (!card || card.gateway !== settings.gateway) throw refusal('no_card', text('billing.no_card'));
  const attempt = await ctx.db
    .insertInto('app.payment_attempts')
    .values({
      invoice_id: invoice.id, amount: invoice.total - invoice.amount_paid, currency: invoice.currency, method: 'card', gateway: card.gateway,
      payment_method_id: card.id, initiated_by: initiatedBy, actor_id: actorId(ctx.principal),
      // Only where Stripe.js can show the challenge: without the publishable key a bank's 3-D Secure could not be
      // asked, and the payment would wait for nothing.
      on_session_since: initiatedBy === 'member' && card.gateway === 'stripe' && settings.stripePublishableKey !== null ? ctx.now : null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { attemptId: attempt.id, invoiceId: invoice.id };
}

const actorId = (p: Principal | null) => (p === null ? null : p.kind === 'staff' ? p.staffId : p.kind === 'member' ? p.memberId : p.apiKeyId);

/**
 * Calls the gateway for an attempt (again, if a retry replays it) and records the outcome once. A charge waiting
 * for 3-D Secure is answered with what Stripe.js needs to ask the cardholder.
 */
async function settleCharge(session: Session, deps: GatewayDeps, attemptId: string) {
  const settings = await session.transaction((ctx) => billingSettings(ctx.db));
  const attempts = await session.transaction((ctx) => pendingCardAttempts(ctx.db, { ids: [attemptId] }));
  if (!attempts.length) return null;
  const { settled } = await chargeAndRecord(session.transaction, gatewayFor(settings, ownTransaction(session.transaction), deps), settings, attempts, session.tenant.id, session.now);
  const outcome = settled.find((s) => s.attemptId === attemptId)?.outcome;
  if (outcome?.status !== 'pending' || !outcome.authentication || !settings.stripePublishableKey) return null;
  return { publishableKey: settings.stripePublishableKey, clientSecret: outcome.authentication.clientSecret };
}

/** What a refund of this amount may do, checked the same way for its preview and for the refund itself. */
async function refundPlan(ctx: TenantContext, invoice: InvoiceRow, amount: number) {
  if (invoice.status !== 'paid') throw refusal('not_refundable', text('billing.not_refundable', { status: statusWords(invoice.status) }));
  const refundable = invoice.amount_paid - invoice.amount_refunded;
  if (amount > refundable) {
    const money = (minor: number) => formatMoney(minor, invoice.currency, ctx.request.locale);
    const amounts = { refundable: money(refundable), paid: money(invoice.amount_paid), refunded: money(invoice.amount_refunded) };
    throw refusal('refund_exceeds_paid', text('billing.refund_exceeds_paid', amounts), { refundable });
  }
  // Paid in parts, the refund goes back the way the largest part came.
  const payment = await ctx.db.selectFrom('app.payment_attempts').selectAll().where('invoice_id', '=', invoice.id).where('status', '=', 'succeeded').orderBy('amount', 'desc').orderBy('created_at').limit(1).executeTakeFirstOrThrow();
  const { rules } = await billingSettings(ctx.db);
  return { payment, refundable, taxBreakdown: refundTax(amount, invoice.total, invoice.tax_breakdown, rules.taxRounding) };
}

function previewRefund(invoice: InvoiceRow, amount: number, plan: Awaited<ReturnType<typeof refundPlan>>) {
  const taxTotal = plan.taxBreakdown.reduce((sum, r) => sum + r.tax, 0);
  return {
    amount, currency: invoice.currency, method: plan.payment.method, refundableBefore: plan.refundable, refundableAfter: plan.refundable - amount,
    creditNote: { total: amount, taxTotal, subtotalExcludingTax: amount - taxTotal, taxBreakdown: plan.taxBreakdown },
  };
}

async function startRefund(ctx: TenantContext, invoice: InvoiceRow, input: { amount: number; reason: string }) {
  const { payment, taxBreakdown } = await refundPlan(ctx, invoice, input.amount);
  const number = await billingRunRepo.takeNumbers(ctx.db, 'credit_note', 1);
  // The amount is taken off what can be refunded now, so two refunds at once cannot pass the paid amount.
  await ctx.db.updateTable('app.invoices').set((eb) => ({ amount_refunded: eb('amount_refunded', '+', input.amount) })).where('id', '=', invoice.id).execute();
  const refund = await ctx.db
    .insertInto('app.refunds')
    .values({
      number, invoice_id: invoice.id, payment_attempt_id: payment.id, amount: input.amount, reason: input.reason,
      tax_breakdown: JSON.stringify(taxBreakdown), created_by: actorId(ctx.principal),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  // Cash and transfers are given back by hand: the credit note stands at once.
  if (payment.method !== 'card') await recordRefund(ctx.db, refund.id, { status: 'succeeded', reference: null }, ctx.now);
  return { refundId: refund.id, invoiceId: invoice.id };
}

async function recordRefund(db: Tx, refundId: string, outcome: { status: 'succeeded'; reference: string | null } | { status: 'failed'; message: string }, now: Date) {
  const r = await db
    .updateTable('app.refunds')
    .set(outcome.status === 'succeeded' ? { status: 'succeeded', gateway_ref: outcome.reference, settled_at: now } : { status: 'failed', failure_message: outcome.message.slice(0, 500), settled_at: now })
    .where('id', '=', refundId)
    .where('status', '=', 'pending')
    .returningAll()
    .executeTakeFirst();
  if (!r) return;
  const invoice = await db.selectFrom('app.invoices').select(['period']).where('id', '=', r.invoice_id).executeTakeFirstOrThrow();
  if (r.status === 'succeeded') {
    await db.insertInto('app.billing_ledger').values([
      { invoice_id: r.invoice_id, period: invoice.period, kind: 'refund', amount: r.amount, reference_id: r.id },
      { invoice_id: r.invoice_id, period: invoice.period, kind: 'credit', amount: -r.amount, reference_id: r.id },
    ]).execute();
  } else {
    await db.updateTable('app.invoices').set((eb) => ({ amount_refunded: eb('amount_refunded', '-', r.amount) })).where('id', '=', r.invoice_id).execute();
  }
}

/** Sends a pending card refund to the gateway (again, on a replay; the key makes it once) and records it. */
export async function settleRefund(session: Pick<Session, 'transaction' | 'now'>, deps: GatewayDeps, refundId: string) {
  const pending = await session.transaction((ctx) =>
    ctx.db
      .selectFrom('app.refunds as r')
      .innerJoin('app.payment_attempts as a', (j) => j.onRef('a.tenant_id', '=', 'r.tenant_id').onRef('a.id', '=', 'r.payment_attempt_id'))
      .select(['r.id', 'r.amount', 'a.gateway_ref', 'a.currency', 'a.gateway'])
      .where('r.id', '=', refundId)
      .where('r.status', '=', 'pending')
      .executeTakeFirst(),
  );
  if (!pending || !pending.gateway_ref) return;
  const settings = await session.transaction((ctx) => billingSettings(ctx.db));
  const gateway = gatewayFor({ ...settings, gateway: pending.gateway! }, ownTransaction(session.transaction), deps);
  try {
    const outcome = await gateway.refund({ idempotencyKey: `studiohive-refund-${refundId}`, chargeReference: pending.gateway_ref, amount: pending.amount, currency: pending.currency, metadata: { refundId } });
    await session.transaction((ctx) =>
      recordRefund(ctx.db, refundId, outcome.status === 'succeeded' ? outcome : { status: 'failed', message: `${outcome.code}: ${outcome.message}` }, ctx.now),
    );
  } catch (error) {
    // Unknown: the refund stays pending and the hourly run asks again with the same key.
    if (!(error instanceof GatewayUnavailable)) throw error;
  }
}

type CardRow = { id: string; gateway: 'test' | 'stripe'; brand: string; last4: string; exp_month: number | null; exp_year: number | null; created_at: Date };

/** The saved card, and how a new one is entered (the studio's gateway: Stripe's fields, or a test number). */
function cardOf(c: CardRow | undefined, entry: 'test' | 'stripe') {
  return { card: c ? { id: c.id, gateway: c.gateway, brand: c.brand, last4: c.last4, expMonth: c.exp_month, expYear: c.exp_year, createdAt: c.created_at.toISOString() } : null, entry };
}

const cardAnswerOf = async (db: Tx, memberId: string) => cardOf(await currentCard(db, memberId), (await billingSettings(db)).gateway);

const currentCard = (db: Tx, memberId: string) =>
  db.selectFrom('app.payment_methods').selectAll().where('member_id', '=', memberId).where('detached_at', 'is', null).executeTakeFirst();

/** What saves a card: a test card number or Stripe PaymentMethod id (API clients), or a setup finished in Stripe.js. */
export type CardSource = { token: string } | { setupId: string };

/** A member's payment in the app that the gateway holds, waiting (perhaps) for the cardholder's 3-D Secure. */
const waitingForAuthentication = (db: Tx, invoiceId: string) =>
  db
    .selectFrom('app.payment_attempts')
    .select('id')
    .where('invoice_id', '=', invoiceId)
    .where('status', '=', 'pending')
    .where('on_session_since', 'is not', null)
    .where('gateway_ref', 'is not', null)
    .executeTakeFirst();

/** The account holder and the studio's gateway, read before the gateway is called (outside any transaction). */
async function cardHolder(session: Session, deps: GatewayDeps, memberId: string) {
  const { settings, member, current } = await session.transaction(async (ctx) => ({
    settings: await billingSettings(ctx.db),
    member: await ctx.db.selectFrom('app.members').select(['id', 'family_name', 'given_name', 'email']).where('id', '=', memberId).executeTakeFirstOrThrow(),
    current: await currentCard(ctx.db, memberId),
  }));
  const gateway = gatewayFor(settings, ownTransaction(session.transaction), deps);
  return { settings, gateway, current, holder: { memberId, name: `${member.family_name} ${member.given_name}`.trim(), email: member.email } };
}

/** The gateway's words are English (Stripe's, or the test gateway's list of cards): say it in ours. */
function inOurWords(error: unknown, gateway: Gateway): never {
  if (error instanceof CardRejected) {
    if (error.reason === 'authentication') throw refusal('card_not_authenticated', text('billing.card_not_authenticated'));
    throw refusal('card_rejected', gateway.name === 'test' ? text('billing.test_card_required', { cards: TEST_CARDS.map((c) => c.number).join(', ') }) : text('billing.card_rejected'));
  }
  if (error instanceof GatewayUnavailable) throw new AppError('unavailable', text('billing.gateway_unavailable'));
  throw error;
}

/**
 * Begins saving a card in the gateway's own fields (Stripe Elements): the browser gets a one-setup secret and
 * the studio's publishable key, and sends the card to Stripe itself. The test gateway has no hosted fields: its
 * form posts a test card number.
 */
async function startCardSetup(session: Session, deps: GatewayDeps, memberId: string) {
  const { settings, gateway, current, holder } = await cardHolder(session, deps, memberId);
  if (!gateway.startCardSetup) return { gateway: 'test' as const };
  if (!settings.stripePublishableKey) throw new AppError('unprocessable', text('billing.stripe_publishable_key_missing'), { reason: 'gateway_not_configured' });
  const customerRef = current?.gateway === gateway.name ? current.customer_ref : null;
  const setup = await gateway.startCardSetup({ ...holder, customerRef }).catch((error: unknown) => inOurWords(error, gateway));
  return { gateway: 'stripe' as const, publishableKey: settings.stripePublishableKey, ...setup };
}

/** Saves a card with the gateway (outside any transaction), then makes it the account's card. */
async function attachCard(session: Session, deps: GatewayDeps, memberId: string, source: CardSource) {
  const { gateway, holder } = await cardHolder(session, deps, memberId);
  let saved;
  try {
    if ('setupId' in source) {
      if (!gateway.finishCardSetup) throw refusal('card_rejected', text('billing.card_setup_not_used'));
      saved = await gateway.finishCardSetup(source.setupId, memberId);
    } else {
      saved = await gateway.attach({ token: source.token, ...holder });
    }
  } catch (error) {
    inOurWords(error, gateway);
  }
  return session.transaction(async (ctx) => {
    const current = await currentCard(ctx.db, memberId);
    if (current?.token === saved.token && current.gateway === gateway.name) return cardOf(current, gateway.name);
    if (current) await ctx.db.updateTable('app.payment_methods').set({ detached_at: ctx.now }).where('id', '=', current.id).execute();
    const row = await ctx.db
      .insertInto('app.payment_methods')
      .values({ member_id: memberId, gateway: gateway.name, token: saved.token, customer_ref: saved.customerRef, brand: saved.brand, last4: saved.last4, exp_month: saved.expMonth, exp_year: saved.expYear })
      .returningAll()
      .executeTakeFirstOrThrow();
    // Invoices waiting for a card are charged by the next run.
    await ctx.db.updateTable('app.invoices').set({ auto_charge: true }).where('billing_member_id', '=', memberId).where('status', '=', 'open').execute();
    return cardOf(row, gateway.name);
  });
}

async function accountOf(db: Tx, memberId: string) {
  const m = await db.selectFrom('app.members').select(['id', 'family_lead_id']).where('id', '=', memberId).executeTakeFirst();
  if (!m) throw notFound('billing.thing.member');
  if (m.family_lead_id) throw refusal('not_billing_account', text('billing.not_billing_account'));
  return m.id;
}

/** The billing service with its gateways, as billingService(deps) makes it. */
export type BillingService = ReturnType<typeof billingService>;

export function billingService(deps: GatewayDeps) {
  const today = (ctx: TenantContext) => tenantToday(ctx);
  const fresh = async (session: Session, invoiceId: string) =>
    session.transaction(async (ctx) => detailOf(ctx.db, await loadInvoice(ctx.db, invoiceId), todayIn(ctx.tenant.timezone, ctx.now)));

  return {
    async list(ctx: TenantContext, q: { status?: string | undefined; memberId?: string | undefined; period?: string | undefined; overdue?: boolean | undefined; limit: number; offset: number }) {
      const t = today(ctx);
      let query = invoiceQuery(ctx.db).where('i.status', '<>', 'draft');
      if (q.status) query = query.where('i.status', '=', q.status as 'open');
      if (q.memberId) query = query.where('i.billing_member_id', '=', q.memberId);
      if (q.period) query = query.where('i.period', '=', `${q.period}-01`);
      if (q.overdue) query = query.where(overdueInvoice('i', t));
      const [rows, count] = await Promise.all([
        query.orderBy('i.period', 'desc').orderBy('i.number', 'desc').limit(q.limit).offset(q.offset).execute(),
        query.clearSelect().select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
      ]);
      return { items: rows.map((r) => summaryOf(r, t)), total: Number(count.n) };
    },

    get: async (ctx: TenantContext, id: string) => detailOf(ctx.db, await loadInvoice(ctx.db, id), today(ctx)),
    document: async (ctx: TenantContext, id: string, kind: 'invoice' | 'receipt') => documentOf(ctx, await loadInvoice(ctx.db, id), kind),
    creditNote: async (ctx: TenantContext, id: string, refundId: string) => creditNoteOf(ctx, await loadInvoice(ctx.db, id), refundId),

    async mine(ctx: TenantContext) {
      const account = await myAccount(ctx);
      const rows = await invoiceQuery(ctx.db).where('i.billing_member_id', '=', account).where('i.status', '<>', 'draft').orderBy('i.period', 'desc').limit(120).execute();
      return { items: rows.map((r) => summaryOf(r, today(ctx))), total: rows.length };
    },
    myInvoice: async (ctx: TenantContext, id: string) => detailOf(ctx.db, await myInvoice(ctx, id), today(ctx)),
    myDocument: async (ctx: TenantContext, id: string, kind: 'invoice' | 'receipt') => documentOf(ctx, await myInvoice(ctx, id), kind),
    myCreditNote: async (ctx: TenantContext, id: string, refundId: string) => creditNoteOf(ctx, await myInvoice(ctx, id), refundId),

    startMyPayment: async (ctx: TenantContext, id: string) => startCardCharge(ctx, await myInvoice(ctx, id, true), 'member'),
    startCharge: async (ctx: TenantContext, id: string) => startCardCharge(ctx, await loadInvoice(ctx.db, id, true), 'staff'),
    async finishCharge(session: Session, started: { attemptId: string; invoiceId: string }) {
      const authentication = await settleCharge(session, deps, started.attemptId);
      return { ...(await fresh(session, started.invoiceId)), authentication };
    },
    /** After 3-D Secure in the browser: the member's payment waiting on it, read back from the gateway. */
    async startMyPaymentCheck(ctx: TenantContext, id: string) {
      const invoice = await myInvoice(ctx, id);
      const waiting = await waitingForAuthentication(ctx.db, invoice.id);
      return { attemptId: waiting?.id ?? null, invoiceId: invoice.id };
    },
    async finishMyPaymentCheck(session: Session, started: { attemptId: string | null; invoiceId: string }) {
      const authentication = started.attemptId ? await settleCharge(session, deps, started.attemptId) : null;
      return { ...(await fresh(session, started.invoiceId)), authentication };
    },

    async recordPayment(ctx: TenantContext, id: string, input: { method: 'cash' | 'bank_transfer'; amount?: number | undefined }) {
      const invoice = await loadInvoice(ctx.db, id, true);
      if (invoice.status !== 'open' && invoice.status !== 'uncollectible') throw refusal('not_payable', text('billing.not_payable', { status: statusWords(invoice.status) }));
      if (await hasPendingAttempt(ctx.db, id)) throw new AppError('conflict', text('billing.cash_while_card_in_progress'));
      const due = invoice.total - invoice.amount_paid;
      const amount = input.amount ?? due;
      if (amount > due) throw refusal('payment_exceeds_due', text('billing.payment_exceeds_due', { due: formatMoney(due, invoice.currency, ctx.request.locale) }), { due });
      const attempt = await ctx.db
        .insertInto('app.payment_attempts')
        .values({ invoice_id: id, amount, currency: invoice.currency, method: input.method, status: 'succeeded', settled_at: ctx.now, initiated_by: 'staff', actor_id: actorId(ctx.principal) })
        .returning('id')
        .executeTakeFirstOrThrow();
      await payInvoices(ctx.db, [{ attemptId: attempt.id, invoiceId: id, amount }], ctx.now);
      return detailOf(ctx.db, await loadInvoice(ctx.db, id), today(ctx));
    },

    startRefund: async (ctx: TenantContext, id: string, input: { amount: number; reason: string }) => startRefund(ctx, await loadInvoice(ctx.db, id, true), input),
    async previewRefund(ctx: TenantContext, id: string, input: { amount: number; reason: string }) {
      const invoice = await loadInvoice(ctx.db, id);
      return previewRefund(invoice, input.amount, await refundPlan(ctx, invoice, input.amount));
    },
    async finishRefund(session: Session, started: { refundId: string; invoiceId: string }) {
      await settleRefund(session, deps, started.refundId);
      return fresh(session, started.invoiceId);
    },

    async void(ctx: TenantContext, id: string, input: { reason: string }) {
      const invoice = await loadInvoice(ctx.db, id, true);
      if (invoice.status !== 'open') throw refusal('not_voidable', text('billing.not_voidable', { status: statusWords(invoice.status) }));
      if (invoice.amount_paid > 0) throw refusal('not_voidable', text('billing.partly_paid'));
      if (await hasPendingAttempt(ctx.db, id)) throw new AppError('conflict', text('billing.void_while_card_in_progress'));
      await ctx.db.updateTable('app.invoices').set({ status: 'void', voided_at: ctx.now, void_reason: input.reason, next_attempt_at: null }).where('id', '=', id).execute();
      await ctx.db.insertInto('app.billing_ledger').values({ invoice_id: id, period: invoice.period, kind: 'void', amount: -invoice.total, reference_id: id }).execute();
      return detailOf(ctx.db, await loadInvoice(ctx.db, id), today(ctx));
    },

    async writeOff(ctx: TenantContext, id: string, input: { reason: string }) {
      const invoice = await loadInvoice(ctx.db, id, true);
      if (invoice.status !== 'open') throw refusal('not_open', text('billing.not_open', { status: statusWords(invoice.status) }));
      await ctx.db.updateTable('app.invoices').set({ status: 'uncollectible', void_reason: input.reason, next_attempt_at: null }).where('id', '=', id).execute();
      await ctx.db
        .insertInto('app.billing_ledger')
        .values({ invoice_id: id, period: invoice.period, kind: 'write_off', amount: -(invoice.total - invoice.amount_paid), reference_id: id })
        .execute();
      return detailOf(ctx.db, await loadInvoice(ctx.db, id), today(ctx));
    },

    async reconciliation(ctx: TenantContext, q: { from?: string | undefined; to?: string | undefined }) {
      const { rows } = await sql<Record<string, string>>`
        with inv as (
          select period, count(*) as invoices, sum(total) as invoiced, sum(amount_paid) as paid, sum(amount_refunded) as reserved_refunds,
                 sum(case when status = 'open' then total - amount_paid else 0 end) as outstanding
          from app.invoices where status <> 'draft' group by period
        ), refunds as (
          select i.period, sum(r.amount) as refunded from app.refunds r join app.invoices i on i.tenant_id = r.tenant_id and i.id = r.invoice_id
          where r.status = 'succeeded' group by i.period
        ), led as (
          select period,
                 sum(amount) filter (where kind = 'charge') as charges, -sum(amount) filter (where kind = 'payment') as payments,
                 sum(amount) filter (where kind = 'refund') as refunds, -sum(amount) filter (where kind = 'write_off') as written_off,
                 -sum(amount) filter (where kind = 'void') as voided, sum(amount) as balance
          from app.billing_ledger group by period
        )
        select to_char(inv.period, 'YYYY-MM') as period, inv.invoices, inv.invoiced, coalesce(led.charges, 0) as charges, inv.paid,
               coalesce(led.payments, 0) as payments, coalesce(refunds.refunded, 0) as refunded, coalesce(led.refunds, 0) as ledger_refunds,
               coalesce(led.written_off, 0) as written_off, coalesce(led.voided, 0) as voided, inv.outstanding, coalesce(led.balance, 0) as balance
        from inv left join led using (period) left join refunds using (period)
        where (${q.from ?? null}::text is null or inv.period >= (${q.from ?? null} || '-01')::date)
          and (${q.to ?? null}::text is null or inv.period <= (${q.to ?? null} || '-01')::date)
        order by inv.period`.execute(ctx.db);
      const months = rows.map((r) => {
        const n = (k: string) => Number(r[k]);
        const m = {
          period: r.period!, invoices: n('invoices'), invoiced: n('invoiced'), ledgerCharges: n('charges'), paid: n('paid'), ledgerPayments: n('payments'),
          refunded: n('refunded'), ledgerRefunds: n('ledger_refunds'), writtenOff: n('written_off'), voided: n('voided'), outstanding: n('outstanding'), ledgerBalance: n('balance'),
        };
        return { ...m, balanced: m.invoiced === m.ledgerCharges && m.paid === m.ledgerPayments && m.refunded === m.ledgerRefunds && m.outstanding === m.ledgerBalance };
      });
      return { months, balanced: months.every((m) => m.balanced) };
    },

    async runs(ctx: TenantContext) {
      const rows = await ctx.db.selectFrom('app.billing_runs').selectAll().orderBy('period', 'desc').limit(36).execute();
      return {
        items: rows.map((r) => ({
          period: monthOf(r.period), startedAt: r.started_at.toISOString(), finishedAt: r.finished_at?.toISOString() ?? null,
          invoicesCreated: r.invoices_created, chargesAttempted: r.charges_attempted,
        })),
      };
    },

    runNow(ctx: TenantContext) {
      ctx.queueAfterCommit?.('billing_run', { tenantId: ctx.tenant.id }, { jobKey: `billing_run:${ctx.tenant.id}` });
      return Promise.resolve({ queued: true as const });
    },

    settings: async (ctx: TenantContext) => settingsDto(await billingSettings(ctx.db), ctx.request.locale),

    async updateSettings(ctx: TenantContext, changes: Partial<Omit<BillingSettings, 'rules'>>) {
      const next = { ...(await billingSettings(ctx.db)), ...changes };
      if (next.gateway === 'stripe' && !next.stripeSecretKey) throw refusal('gateway_not_configured', text('billing.stripe_key_first'));
      await settingsRepo.upsert(ctx.db, {
        invoice_issuer_name: next.issuerName, invoice_issuer_address: next.issuerAddress, invoice_registration_number: next.registrationNumber,
        payment_terms_days: next.paymentTermsDays, dunning_retry_days: next.retryDays, dunning_final_action: next.finalAction,
        dunning_final_after_days: next.finalAfterDays, payment_gateway: next.gateway, stripe_secret_key: next.stripeSecretKey, stripe_webhook_secret: next.stripeWebhookSecret,
        stripe_publishable_key: next.stripePublishableKey,
      });
      return settingsDto(await billingSettings(ctx.db), ctx.request.locale);
    },

    card: async (ctx: TenantContext, memberId: string) => cardAnswerOf(ctx.db, await accountOf(ctx.db, memberId)),
    myCard: async (ctx: TenantContext) => cardAnswerOf(ctx.db, await myAccount(ctx)),
    /** The transaction half of saving a card: who it is for, checked before the gateway is asked. */
    async startCard(ctx: TenantContext, memberId: string | null, source: CardSource) {
      const account = memberId === null ? await myAccount(ctx) : await accountOf(ctx.db, memberId);
      // With hosted fields, a card number must never reach us: refused here, in the request's transaction, so it is
      // not even kept as the stored answer of its Idempotency-Key.
      if ('token' in source && (await billingSettings(ctx.db)).gateway === 'stripe' && !/^pm_\w+$/.test(source.token)) {
        throw refusal('card_form_required', text('billing.card_form_required'));
      }
      return { memberId: account, source };
    },
    finishCard: (session: Session, started: { memberId: string; source: CardSource }) => attachCard(session, deps, started.memberId, started.source),
    /** The transaction half of a card setup: whose card it will be. */
    startSetup: async (ctx: TenantContext, memberId: string | null) => ({ memberId: memberId === null ? await myAccount(ctx) : await accountOf(ctx.db, memberId) }),
    finishSetup: (session: Session, started: { memberId: string }) => startCardSetup(session, deps, started.memberId),
    async removeCard(ctx: TenantContext, memberId: string | null) {
      const account = memberId === null ? await myAccount(ctx) : await accountOf(ctx.db, memberId);
      await ctx.db.updateTable('app.payment_methods').set({ detached_at: ctx.now }).where('member_id', '=', account).where('detached_at', 'is', null).execute();
      return cardAnswerOf(ctx.db, account);
    },
  };
}

/** What each of the test gateway's cards does, in the reader's language. */
const TEST_CARD_NOTE: Record<string, MessageId> = {
  '4242424242424242': 'billing.test_card.succeeded',
  '4000000000000002': 'billing.test_card.generic_decline',
  '4000000000009995': 'billing.test_card.insufficient_funds',
  '4000000000009979': 'billing.test_card.stolen_card',
};

function settingsDto(s: BillingSettings, locale: Locale) {
  return {
    issuerName: s.issuerName, issuerAddress: s.issuerAddress, registrationNumber: s.registrationNumber, paymentTermsDays: s.paymentTermsDays,
    retryDays: s.retryDays, finalAction: s.finalAction, finalAfterDays: s.finalAfterDays, gateway: s.gateway,
    stripeConfigured: s.stripeSecretKey !== null, stripeWebhookConfigured: s.stripeWebhookSecret !== null, stripePublishableKey: s.stripePublishableKey,
    testCards: TEST_CARDS.map((c) => ({ number: c.number, note: render(text(TEST_CARD_NOTE[c.number]!), locale) })),
  };
}


