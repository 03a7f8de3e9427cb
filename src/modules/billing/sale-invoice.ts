/**
 * A sale's first invoice: the months from the contract's start through the month the run bills now (or the first
 * month, when the contract starts later), with the enrollment fee, the first month pro-rated and the options,
 * made in the sale's transaction. The desk collects it on the spot (card, cash or transfer), so it is not charged
 * automatically. The contract is billed through that month, so the monthly run does not bill it again; the
 * account's penalty fees stay for the run's invoice.
 */
import { firstDay, monthOf, tenantToday } from '../../platform/calendar.js';
import { studioLocale } from '../../platform/i18n.js';
import type { TenantContext } from '../../platform/tenancy/context.js';
import { billingRunRepo as repo } from './billing.repo.js';
import { billingSettings } from './billing-settings.js';
import { billingPeriodOn, linesFor, totalsOf } from './invoice-builder.js';
import { dueContractsOf, issueInvoices } from './issue.js';

/** Issues the contract's first invoice, once; the invoice's id, or null when the sale costs nothing to invoice. */
export async function issueSaleInvoice(ctx: TenantContext, contractId: string): Promise<string | null> {
  const db = ctx.db;
  const contract = await repo.contractToBill(db, contractId);
  if (!contract) return null;
  const existing = await repo.saleInvoiceOf(db, contractId);
  if (existing || contract.billed_through !== null) return existing?.id ?? null;
  const settings = await billingSettings(db);
  const today = tenantToday(ctx);
  const period = [billingPeriodOn(today, settings.rules), monthOf(contract.start_date)].sort().at(-1)!;
  const [due] = await dueContractsOf(db, [contract]);
  const lines = linesFor([due!], [], period, settings.rules, { locale: studioLocale(ctx.tenant), timeZone: ctx.tenant.timezone });
  await repo.markBilled(db, [contractId], firstDay(period));
  if (lines.length === 0) return null;
  const account = await repo.accountOf(db, contract.member_id);
  const totals = totalsOf(lines, period, today, settings.rules, settings.paymentTermsDays);
  const draft = { account: account.id, recipientName: `${account.family_name} ${account.given_name}`.trim(), lines, totals, card: undefined };
  const { invoiceIds } = await issueInvoices(ctx, [draft], { period, today, settings, gateway: null, saleOf: contractId });
  return invoiceIds[0]!;
}
