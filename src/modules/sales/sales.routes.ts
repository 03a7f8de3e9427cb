import type { TenantRouter } from '../../platform/http/tenant-route.js';
import * as s from './sales.schemas.js';
import { salesService as svc } from './sales.service.js';

export function saleRoutes({ route }: TenantRouter) {
  route({
    method: 'POST', url: '/api/contracts', tags: ['contracts'], access: ['owner', 'manager', 'front_desk'], idempotent: true, preview: true, status: 201,
    summary: 'Sell a monthly plan from a start date, or a pack, and issue its first invoice (enrollment fee, first month pro-rated, options) to collect now',
    schema: { body: s.saleBody, response: s.saleDto },
    handler: (ctx, { body }) => svc.sell(ctx, body),
  });
}
