import type { TenantRouter } from '../../platform/http/tenant-route.js';
import * as s from './mail.schemas.js';
import { mailService } from './mail.service.js';

import { auditRow } from '../../platform/audit/audit.js';

const EDITORS = ['owner', 'manager', 'front_desk'] as const;

export function mailRoutes({ route }: TenantRouter) {
  const tags = ['mail'];
  route({
    method: 'POST', url: '/api/unsubscribe', summary: 'One-click unsubscribe (RFC 8058) from one kind of optional mail, by the signed link the mail carried', tags,
    access: 'public',
    schema: { querystring: s.unsubscribeQuery, body: s.oneClickBody, response: s.unsubscribed },
    handler: (ctx, { query }) => mailService.unsubscribe(ctx, query.token),
  });
  route({
    method: 'GET', url: '/api/settings/mail', summary: 'The name the studio’s mail comes from, and where replies go', tags, access: ['owner', 'manager'],
    schema: { response: s.mailSettings },
    handler: (ctx) => mailService.settings(ctx),
  });
  route({
    method: 'PATCH', url: '/api/settings/mail', summary: 'Change the studio’s mail sender name or reply-to', tags, access: ['owner', 'manager'], audit: auditRow('app.tenant_settings'),
    schema: { body: s.updateMailSettings, response: s.mailSettings },
    handler: (ctx, { body }) => mailService.updateSettings(ctx, body),
  });
  route({
    method: 'GET', url: '/api/members/:memberId/undeliverable', summary: 'Whether the member’s mail address bounced or complained, so no mail goes to it', tags, access: EDITORS,
    schema: { params: s.memberParams, response: s.memberUndeliverable },
    handler: (ctx, { params }) => mailService.undeliverable(ctx, params.memberId),
  });
  route({
    method: 'DELETE', url: '/api/members/:memberId/undeliverable', summary: 'Send mail to the member’s address again (they fixed it)', tags, access: EDITORS,
    schema: { params: s.memberParams, response: s.memberUndeliverable },
    handler: (ctx, { params }) => mailService.clearUndeliverable(ctx, params.memberId),
  });
  const managers = ['owner', 'manager'] as const;
  route({
    method: 'GET', url: '/api/message-templates', summary: 'The wording of each kind of message to members, in each language: the catalog’s and the studio’s own', tags, access: managers,
    schema: { response: s.templateList },
    handler: (ctx) => mailService.templates(ctx),
  });
  route({
    method: 'PUT', url: '/api/message-templates', summary: 'Word a kind of message in one language the studio’s way (checked: syntax and placeholders)', tags, access: managers,
    schema: { body: s.saveTemplate, response: s.template },
    handler: (ctx, { body }) => mailService.saveTemplate(ctx, body),
  });
  route({
    method: 'DELETE', url: '/api/message-templates', summary: 'Go back to the catalog’s wording of a kind in one language', tags, access: managers,
    schema: { querystring: s.templateRef, response: s.template },
    handler: (ctx, { query }) => mailService.resetTemplate(ctx, query.kind, query.locale),
  });
  route({
    method: 'POST', url: '/api/message-templates/preview', summary: 'A wording as a member would read it, with sample values', tags, access: managers,
    schema: { body: s.previewTemplate, response: s.renderedTemplate },
    handler: async (ctx, { body }) => mailService.previewTemplate(ctx, body),
  });
}
