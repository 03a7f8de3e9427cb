import type { TenantRouter } from '../../platform/http/tenant-route.js';
import type { Runtime } from '../../platform/runtime.js';
import { billingDeps } from '../billing/billing-run.js';
import { billingService } from '../billing/billing.service.js';
import { plansService } from '../plans/plans.service.js';
import * as s from './sales.schemas.js';
import { salesService as svc } from './sales.service.js';

export function saleRoutes({ route, settlingRoute }: TenantRouter, runtime: Runtime) {
  const billing = billingService(billingDeps(runtime).gateways);
  route({
    method: 'POST', url: '/api/contracts', tags: ['contracts'], access: ['owner', 'manager', 'front_desk'], idempotent: true, preview: true, status: 201,
    summary: 'Sell a monthly plan from a start date, or a pack, and issue its first invoice (enrollment fee, first month pro-rated, options) to collect now',
    schema: { body: s.saleBody, response: s.saleDto },
    handler: (ctx, { body }) => svc.sell(ctx, body),
  });

  const tags = ['plans (member)'];
  route({
    method: 'GET', url: '/api/me/plans', summary: 'The plans, packs and options the studio sells in the member app, with their prices (options are added to a monthly contract)', tags, access: 'member',
    schema: { response: s.plansOnSale },
    handler: (ctx) => plansService.onSale(ctx),
  });
  settlingRoute({
    method: 'POST', url: '/api/me/purchases', tags, access: 'member', idempotent: true, preview: true, status: 201,
    summary: 'Buy a plan or pack the studio sells online (for me, or a family member I lead): the desk\'s sale, its first invoice charged to my saved card',
    schema: { body: s.purchaseBody, response: s.purchaseDto },
    handler: (ctx, { body }) => svc.buyOnline(ctx, billing, body),
    afterCommit: (session, bought) => svc.chargeAfterCommit(session, billing, bought),
  });
}
