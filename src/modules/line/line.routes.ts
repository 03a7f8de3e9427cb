import { auditRow } from '../../platform/audit/audit.js';
import type { TenantRouter } from '../../platform/http/tenant-route.js';
import type { Runtime } from '../../platform/runtime.js';
import * as s from './line.schemas.js';
import { lineService } from './line.service.js';

const MANAGERS = ['owner', 'manager'] as const;
/** Connecting and disconnecting show the channel before and after in the audit log (the secret and token masked). */
const channelRow = auditRow('app.line_channels');

/** The studio's LINE Official Account (staff), its webhook (LINE), and a member's link to it. */
export function lineRoutes({ route, settlingRoute }: TenantRouter, runtime: Runtime) {
  const line = lineService({ config: runtime.config, tenantUrl: runtime.tenantUrl });
  const tags = ['line'];

  route({
    method: 'GET', url: '/api/settings/line', summary: 'Whether the studio’s LINE Official Account is connected, and the webhook URL to give LINE', tags, access: MANAGERS,
    schema: { response: s.channelAnswer },
    handler: (ctx) => line.channel(ctx),
  });
  route({
    method: 'PUT', url: '/api/settings/line', summary: 'Connect the studio’s LINE Official Account (channel secret and access token are write-only)', tags, access: MANAGERS, audit: channelRow,
    schema: { body: s.connectBody, response: s.channelAnswer },
    handler: (ctx, { body }) => line.connect(ctx, body),
  });
  route({
    method: 'DELETE', url: '/api/settings/line', summary: 'Disconnect LINE: the account and every member’s link to it are removed', tags, access: MANAGERS, audit: channelRow,
    status: 204,
    schema: {},
    handler: (ctx) => line.disconnect(ctx),
  });

  settlingRoute({
    method: 'POST', url: '/api/line/webhook', summary: 'LINE webhook of the studio (signed with the channel secret; redeliveries are ignored)', tags, access: 'public', rawBody: true,
    schema: { body: s.webhookBody, response: s.webhookAnswer },
    handler: (ctx, { raw, body }) => line.verifyWebhook(ctx, raw, body),
    afterCommit: (session, started) => line.handleWebhook(session, started),
  });

  route({
    method: 'GET', url: '/api/me/line', summary: 'Whether my LINE account is linked, and how to add the studio as a friend', tags, access: 'member',
    schema: { response: s.myLine },
    handler: (ctx) => line.mine(ctx),
  });
  route({
    method: 'POST', url: '/api/me/line/link', summary: 'Start linking my LINE account: answers LINE’s page to approve it on', tags, access: 'member',
    schema: { body: s.linkBody, response: s.linkAnswer },
    handler: (ctx, { body }) => line.startLink(ctx, body.linkToken),
  });
  route({
    method: 'DELETE', url: '/api/me/line', summary: 'Unlink my LINE account (messages come by push or mail again)', tags, access: 'member',
    status: 204,
    schema: {},
    handler: (ctx) => line.unlink(ctx),
  });
}
