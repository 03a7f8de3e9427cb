import { z } from 'zod';
import { invoiceSummary, paymentAuthentication } from '../billing/billing.schemas.js';
import { contractDto, sellBody } from '../contracts/contracts.schemas.js';
import { planList } from '../plans/plans.schemas.js';

export const saleBody = sellBody.extend({
  firstInvoice: z
    .enum(['now', 'next_run'])
    .default('now')
    .describe('now: issue the first invoice at the sale, for the desk to collect; next_run: leave the first months to the monthly invoice, which charges the saved card'),
});

export const saleDto = contractDto.extend({
  firstInvoice: invoiceSummary.nullable().describe('The invoice issued at the sale (enrollment fee, first month pro-rated, options), for the desk to collect now; null when the sale costs nothing or was left to the monthly run'),
});

export const purchaseDto = saleDto.extend({
  authentication: paymentAuthentication
    .nullable()
    .describe('The card asks for 3-D Secure: run stripe.handleNextAction, then POST /api/me/invoices/{firstInvoice}/pay/confirm'),
});

export const plansOnSale = planList;

export const purchaseBody = sellBody
  .pick({ planId: true, startDate: true })
  .extend({ memberId: z.uuid().optional().describe('A member of the family I lead; myself when absent') })
  .strict();
