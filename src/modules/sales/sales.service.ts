/**
 * Selling a plan: the contract (from the contracts context) and its first invoice (from billing), in one
 * transaction, so a sale is never left without its invoice or invoiced twice. It sits above both contexts because
 * billing already builds on contracts.
 */
import type { TenantContext } from '../../platform/tenancy/context.js';
import { invoiceSummaryOf } from '../billing/billing.service.js';
import { issueSaleInvoice } from '../billing/sale-invoice.js';
import { contractsService } from '../contracts/contracts.service.js';

export const salesService = {
  async sell(ctx: TenantContext, { firstInvoice = 'now', ...sale }: Parameters<typeof contractsService.sell>[1] & { firstInvoice?: 'now' | 'next_run' }) {
    const contract = await contractsService.sell(ctx, sale);
    const invoiceId = firstInvoice === 'now' ? await issueSaleInvoice(ctx, contract.id) : null;
    return { ...contract, firstInvoice: invoiceId ? await invoiceSummaryOf(ctx, invoiceId) : null };
  },
};
