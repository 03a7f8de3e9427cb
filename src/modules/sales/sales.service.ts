/**
 * Selling a plan: the contract (from the contracts context) and its first invoice (from billing), in one
 * transaction, so a sale is never left without its invoice or invoiced twice. It sits above both contexts because
 * billing already builds on contracts.
 */
import { notFound } from '../../platform/errors.js';
import type { Principal, TenantContext, TenantSession } from '../../platform/tenancy/context.js';
import { invoiceSummaryOf, type BillingService } from '../billing/billing.service.js';
import { issueSaleInvoice } from '../billing/sale-invoice.js';
import { contractsService } from '../contracts/contracts.service.js';
import { actingMemberId } from '../members/acting-member.js';
import { plansRepo } from '../plans/plans.repo.js';

type Sale = Parameters<typeof contractsService.sell>[1];
type Bought = Awaited<ReturnType<typeof sell>> & { charge: { attemptId: string; invoiceId: string } | null; authentication: null };

async function sell(ctx: TenantContext, { firstInvoice = 'now', ...sale }: Sale & { firstInvoice?: 'now' | 'next_run' }) {
  const contract = await contractsService.sell(ctx, sale);
  const invoiceId = firstInvoice === 'now' ? await issueSaleInvoice(ctx, contract.id) : null;
  return { ...contract, firstInvoice: invoiceId ? await invoiceSummaryOf(ctx, invoiceId) : null };
}

export const salesService = {
  sell,

  /**
   * A member buys a plan the studio sells online, for themselves or a family member they lead: the very sale the
   * desk makes (contract, credits, first invoice), and the first invoice charged to the saved card. The charge is
   * started in the sale's transaction, so without a saved card nothing is sold, and made after its commit
   * (`chargeAfterCommit`), as a member's own payment is. A card the gateway then declines leaves the sale as a
   * desk sale with an unpaid invoice is left: the invoice open under Invoices, to pay with another card.
   */
  async buyOnline(ctx: TenantContext, billing: BillingService, input: { planId: string; startDate?: string | undefined; memberId?: string | undefined }): Promise<Bought> {
    const plan = await plansRepo.byId(ctx.db, input.planId);
    if (!plan || !plan.sold_online || plan.archived_at || plan.kind === 'option') throw notFound('contracts.thing.plan');
    const memberId = await actingMemberId(ctx, input.memberId);
    const sold = await sell(ctx, { memberId, planId: plan.id, startDate: input.startDate });
    const charge = sold.firstInvoice && sold.firstInvoice.amountDue > 0 ? await billing.startMyPayment(ctx, sold.firstInvoice.id) : null;
    // The preview (which never charges) answers this too: no card is asked anything.
    return { ...sold, charge, authentication: null };
  },

  /** After the purchase commits: the card is charged (once, even when a retry replays it), and the invoice read again. */
  async chargeAfterCommit(session: TenantSession & { principal: Principal | null }, billing: BillingService, bought: Bought) {
    if (!bought.charge) return bought;
    const { authentication } = await billing.finishCharge(session, bought.charge);
    const firstInvoice = await session.transaction((ctx) => invoiceSummaryOf(ctx, bought.charge!.invoiceId));
    return { ...bought, firstInvoice, authentication };
  },
};
