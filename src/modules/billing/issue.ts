/**
 * Issuing invoices, the one way both the monthly run and a sale do it: each draft becomes an invoice numbered
 * without gaps, its lines, the ledger's charge and, when the account's card can be charged automatically, a pending
 * card attempt (committed before the gateway is called). Also the contracts' timelines the drafts are made from.
 */
import { randomUUID } from 'node:crypto';
import type { Insertable } from 'kysely';
import { firstDay, type IsoDate, type IsoMonth } from '../../platform/calendar.js';
import type { Tx } from '../../platform/db/databases.js';
import type { AppBillingLedger, AppInvoiceLines, AppInvoices, AppPaymentAttempts } from '../../platform/db/types.js';
import type { TenantContext } from '../../platform/tenancy/context.js';
import { assembleTimeline } from '../contracts/contracts.service.js';
import { billingRunRepo as repo } from './billing.repo.js';
import type { BillingSettings } from './billing-settings.js';
import type { Gateway } from './gateways/index.js';
import type { DraftLine, DueContract, InvoiceTotals } from './invoice-builder.js';
import type { CardAttempt } from './payments.js';

type Card = Awaited<ReturnType<typeof repo.currentCards>>[number];

export interface InvoiceDraft {
  account: string;
  /** As printed: later edits of the member do not change an issued invoice. */
  recipientName: string;
  lines: DraftLine[];
  totals: InvoiceTotals;
  /** The account's card, charged at once when the gateway is the card's; none leaves payment to the desk. */
  card: Card | undefined;
}

interface IssueInput {
  period: IsoMonth;
  today: IsoDate;
  settings: BillingSettings;
  gateway: Gateway | null;
  /** The contract whose first invoice this is; none for the run's monthly invoices. */
  saleOf?: string;
}

export interface Issued {
  invoiceIds: string[];
  /** Card charges written pending, to make after commit. */
  attempts: CardAttempt[];
  /** Penalty fees now on an invoice. */
  feesInvoiced: Array<{ id: string; invoiceId: string }>;
}

export async function issueInvoices(ctx: TenantContext, drafts: InvoiceDraft[], { period, today, settings, gateway, saleOf }: IssueInput): Promise<Issued> {
  const firstNumber = drafts.length ? await repo.takeNumbers(ctx.db, 'invoice', drafts.length) : 0;
  const invoices: Array<Insertable<AppInvoices>> = [];
  const lineRows: Array<Insertable<AppInvoiceLines>> = [];
  const ledger: Array<Insertable<AppBillingLedger>> = [];
  const attempts: Array<Insertable<AppPaymentAttempts> & { id: string }> = [];
  const toCharge: CardAttempt[] = [];
  const feesInvoiced: Issued['feesInvoiced'] = [];
  drafts.forEach((d, i) => {
    const id = randomUUID();
    const number = firstNumber + i;
    const card = d.card;
    const chargeable = d.totals.total > 0 && gateway !== null && card !== undefined && card.gateway === gateway.name;
    invoices.push({
      id, billing_member_id: d.account, period: firstDay(period), number, status: d.totals.total > 0 ? 'open' : 'paid', total: d.totals.total,
      due_on: d.totals.dueOn, issued_on: today, currency: settings.rules.currency, subtotal_excluding_tax: d.totals.subtotalExcludingTax,
      tax_total: d.totals.tax, tax_breakdown: JSON.stringify(d.totals.byRate), recipient_name: d.recipientName,
      issuer_name: settings.issuerName ?? ctx.tenant.display_name, issuer_address: settings.issuerAddress, registration_number: settings.registrationNumber,
      paid_at: d.totals.total > 0 ? null : ctx.now, auto_charge: chargeable, attempt_count: chargeable ? 1 : 0,
      kind: saleOf ? 'sale' : 'monthly', contract_id: saleOf ?? null,
    });
    d.lines.forEach((l, n) => {
      lineRows.push({
        invoice_id: id, line_no: n + 1, period: firstDay(l.period), code: l.code, description: l.description.slice(0, 300), amount: l.amount,
        tax_category: l.taxCategory, price_includes_tax: l.priceIncludesTax, member_id: l.memberId, contract_id: l.contractId, option_id: l.optionId,
        plan_id: l.planId, plan_version: l.planVersion, penalty_id: l.penaltyId,
      });
      if (l.penaltyId) feesInvoiced.push({ id: l.penaltyId, invoiceId: id });
    });
    ledger.push({ invoice_id: id, period: firstDay(period), kind: 'charge', amount: d.totals.total, reference_id: id });
    if (chargeable) {
      const attemptId = randomUUID();
      attempts.push({ id: attemptId, invoice_id: id, amount: d.totals.total, currency: settings.rules.currency, method: 'card', gateway: gateway.name, payment_method_id: card.id, initiated_by: 'run' });
      toCharge.push({ id: attemptId, invoiceId: id, invoiceNumber: number, amount: d.totals.total, currency: settings.rules.currency, token: card.token, customerRef: card.customer_ref });
    }
  });
  await repo.insertInvoices(ctx.db, invoices);
  await repo.insertLines(ctx.db, lineRows);
  await repo.insertLedger(ctx.db, ledger);
  await repo.insertAttempts(ctx.db, attempts);
  await repo.markFeesInvoiced(ctx.db, feesInvoiced);
  return { invoiceIds: invoices.map((i) => i.id as string), attempts: toCharge, feesInvoiced };
}

type ContractToBill = Awaited<ReturnType<typeof repo.unbilledContracts>>[number];

/** The contracts with their plans, leaves and options over time, as the charge computation takes them. */
export async function dueContractsOf(db: Tx, contracts: ContractToBill[]): Promise<Array<DueContract & { contractId: string }>> {
  if (contracts.length === 0) return [];
  const ids = contracts.map((c) => c.id);
  const [plans, leaves, options] = await Promise.all([repo.contractPlans(db, ids), repo.contractLeaves(db, ids), repo.contractOptions(db, ids)]);
  const group = <T>(rows: T[], key: (r: T) => string) => {
    const map = new Map<string, T[]>();
    for (const r of rows) map.set(key(r), [...(map.get(key(r)) ?? []), r]);
    return map;
  };
  const plansOf = group(plans, (p) => p.contract_id);
  const leavesOf = group(leaves, (l) => l.contract_id);
  const optionsOf = group(options, (o) => o.contract_id);
  return contracts.map((c) => ({
    contractId: c.id,
    memberId: c.member_id,
    billedThrough: c.billed_through,
    timeline: assembleTimeline(
      c,
      (plansOf.get(c.id) ?? []).map((p) => ({ effective_from: p.effective_from, name: p.name, version: p })),
      leavesOf.get(c.id) ?? [],
      (optionsOf.get(c.id) ?? []).map((o) => ({ id: o.option_id, from_date: o.from_date, until_date: o.until_date, name: o.name, version: o })),
    ),
  }));
}
