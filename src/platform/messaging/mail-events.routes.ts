import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { constantTimeEqual } from '../auth/secrets.js';
import { inTenantTransaction } from '../db/databases.js';
import { AppError } from '../errors.js';
import { problemSchema } from '../http/problems.js';
import { bearerOf } from '../http/tenant-route.js';
import { text } from '../i18n.js';
import type { Runtime } from '../runtime.js';
import { readMessageId } from './mail-sender.js';

/**
 * A provider-neutral bounce or complaint notice: whoever receives the provider's notification (an SNS subscription
 * for SES, SendGrid's event webhook) posts one of these per recipient. Only hard (permanent) bounces are sent here.
 */
export const mailEvent = z.object({
  type: z.enum(['bounce', 'complaint']),
  recipient: z.email().max(254),
  messageId: z.string().min(1).max(300).describe('The Message-ID of the mail that bounced, <{outbox id}.{studio id}@domain>, with or without the angle brackets'),
});
const recorded = z.object({ recorded: z.boolean().describe('false: the Message-ID is not one of ours, or its studio is gone; nothing to do') });

/**
 * The mail provider's notices: a shared token from config (MAIL_EVENTS_TOKEN, or the operators' admin token, as
 * /metrics takes either), on any host, never tenant-scoped.
 */
export async function mailEventsRoutes(app: FastifyInstance, runtime: Runtime) {
  app.addHook('onRequest', async (req) => {
    const tokens = [runtime.config.MAIL_EVENTS_TOKEN, runtime.platformAdminToken].filter((t): t is string => Boolean(t));
    if (tokens.length === 0) throw new AppError('unauthenticated', text('mail.events_off'));
    const given = bearerOf(req);
    if (!given || !tokens.some((t) => constantTimeEqual(given, t))) throw new AppError('unauthenticated', text('mail.events_token_required'));
  });
  const errors = { 400: problemSchema, 401: problemSchema };
  app.withTypeProvider<ZodTypeProvider>().post(
    '/platform/mail/events',
    { schema: { tags: ['platform'], summary: 'A bounce or complaint from the mail provider: the address is marked undeliverable in its studio', security: [{ mailEvents: [] }], body: mailEvent, response: { 200: recorded, ...errors } } },
    async (req) => {
      const ids = readMessageId(req.body.messageId);
      const tenant = ids && (await runtime.directory.byId(ids.tenantId));
      if (!ids || !tenant || tenant.status === 'deleted') return { recorded: false };
      const db = await runtime.directory.dbFor(tenant);
      const address = req.body.recipient.toLowerCase();
      await inTenantTransaction(db, tenant.id, (trx) =>
        trx
          .insertInto('app.undeliverable_addresses')
          .values({ address, reason: req.body.type, reported_at: runtime.clock.now() })
          .onConflict((oc) => oc.columns(['tenant_id', 'address']).doUpdateSet({ reason: req.body.type, reported_at: runtime.clock.now() }))
          .execute(),
      );
      return { recorded: true };
    },
  );
}
