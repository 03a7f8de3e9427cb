import { randomBytes } from 'node:crypto';
import { validateSignature, type messagingApi } from '@line/bot-sdk';
import type { z } from 'zod';
import type { Config } from '../../config.js';
import { sha256 } from '../../platform/auth/secrets.js';
import { AppError, notFound, refusal } from '../../platform/errors.js';
import { render, studioLocale, text, type MessageId } from '../../platform/i18n.js';
import { callLine, LineApiError, lineApi } from '../../platform/messaging/line-sender.js';
import type { Tenant } from '../../platform/db/types.js';
import type { TenantContext, TenantSession } from '../../platform/tenancy/context.js';
import { lineRepo } from './line.repo.js';
import type * as s from './line.schemas.js';

export interface LineDeps {
  config: Pick<Config, 'LINE_API_URL' | 'LINE_ACCESS_URL' | 'MAIL_SEND_TIMEOUT_MS'>;
  tenantUrl(tenant: Pick<Tenant, 'slug'>): string;
}

/** LINE's account-link nonce lives this long: the member approves on LINE's page right after asking. */
const NONCE_TTL_MS = 10 * 60_000;

type Channel = NonNullable<Awaited<ReturnType<typeof lineRepo.channel>>>;
type Raw = { body: Buffer | undefined; headers: Record<string, string | string[] | undefined> };

const friendUrl = (basicId: string | null) => (basicId ? `https://line.me/R/ti/p/${encodeURIComponent(basicId)}` : null);

function memberOf(ctx: TenantContext) {
  if (ctx.principal?.kind !== 'member') throw new AppError('forbidden', text('members.acting_member_only'));
  return ctx.principal.memberId;
}

/**
 * A studio's LINE Official Account: staff connect it, members link their LINE account to their membership
 * through LINE's account link, and the webhook hears follows, approvals and blocks.
 */
export function lineService(deps: LineDeps) {
  const { config } = deps;
  const webhookUrl = (ctx: TenantContext) => `${deps.tenantUrl(ctx.tenant)}/api/line/webhook`;
  const answer = (ctx: TenantContext, row: Channel | undefined): z.input<typeof s.channelAnswer> => ({
    connected: row !== undefined,
    channelId: row?.channel_id ?? null,
    basicId: row?.basic_id ?? null,
    connectedAt: row?.connected_at.toISOString() ?? null,
    webhookUrl: webhookUrl(ctx),
  });
  const say = (tenant: Tenant, id: MessageId) => render(text(id, { studio: tenant.display_name }), studioLocale(tenant));
  const clip = (value: string, max: number) => (value.length <= max ? value : `${value.slice(0, max - 1)}…`);

  /** A call to LINE for a webhook event: LINE's refusal (a user who left, a used reply token) ends the matter; its outage is retried by LINE's redelivery. */
  async function tellLine(call: () => Promise<unknown>) {
    try {
      await callLine(config.MAIL_SEND_TIMEOUT_MS, call);
    } catch (error) {
      if (error instanceof LineApiError && error.status < 500) return;
      throw new AppError('unavailable', text('line.unreachable'));
    }
  }

  /** Answers a follow or a message from someone not yet linked with a button to link their membership. */
  async function offerLink(tenant: Tenant, channel: Channel, userId: string, replyToken: string) {
    const client = lineApi(config, channel.access_token);
    await tellLine(async () => {
      const { linkToken } = await client.issueLinkToken(userId);
      const uri = `${deps.tenantUrl(tenant)}/member/line-link?linkToken=${encodeURIComponent(linkToken)}`;
      const message: messagingApi.Message = {
        type: 'template',
        altText: clip(say(tenant, 'line.link.text'), 400),
        template: { type: 'buttons', text: clip(say(tenant, 'line.link.text'), 160), actions: [{ type: 'uri', label: clip(say(tenant, 'line.link.button'), 20), uri }] },
      };
      await client.replyMessage({ replyToken, messages: [message] });
    });
  }

  /** The account a channel access token belongs to, or a refusal staff can act on. */
  async function botInfo(accessToken: string) {
    try {
      return await callLine(config.MAIL_SEND_TIMEOUT_MS, () => lineApi(config, accessToken).getBotInfo());
    } catch (error) {
      if (error instanceof LineApiError && (error.status === 401 || error.status === 403)) throw refusal('line_token_rejected', text('line.access_token_rejected'));
      throw new AppError('unavailable', text('line.connect_unreachable'));
    }
  }

  return {
    async channel(ctx: TenantContext) {
      return answer(ctx, await lineRepo.channel(ctx.db));
    },

    async connect(ctx: TenantContext, body: z.output<typeof s.connectBody>) {
      // A token LINE refuses would fail every message later, unseen: it is tried now, and the account's own basic ID
      // (for the friend-add link) is taken from LINE when staff leave it out.
      const bot = await botInfo(body.accessToken);
      const before = await lineRepo.channel(ctx.db);
      const row = await lineRepo.saveChannel(ctx.db, {
        channel_id: body.channelId,
        channel_secret: body.channelSecret,
        access_token: body.accessToken,
        basic_id: body.basicId ?? bot.basicId?.toLowerCase() ?? before?.basic_id ?? null,
        connected_at: before && before.channel_id === body.channelId ? before.connected_at : ctx.now,
      });
      // Another account's users are other LINE user ids: links made through the old one no longer reach anyone.
      if (before && before.channel_id !== body.channelId) {
        await ctx.db.deleteFrom('app.member_line_links').execute();
        await ctx.db.deleteFrom('app.line_link_nonces').execute();
      }
      return answer(ctx, row);
    },

    async disconnect(ctx: TenantContext) {
      await lineRepo.removeChannel(ctx.db);
    },

    /** Only a delivery signed with the studio's channel secret is heard; anything else changes nothing. */
    async verifyWebhook(ctx: TenantContext, raw: Raw, body: z.output<typeof s.webhookBody>) {
      const channel = await lineRepo.channel(ctx.db);
      if (!channel) throw notFound('line.thing.webhook');
      const header = raw.headers['x-line-signature'];
      const signature = Array.isArray(header) ? header[0] : header;
      if (!signature || !raw.body || !validateSignature(raw.body, channel.channel_secret, signature)) {
        throw new AppError('unauthenticated', text('line.webhook_signature_mismatch'));
      }
      return { events: body.events };
    },

    /**
     * Each event once, by its webhookEventId (LINE redelivers). The calls out to LINE (a link token, a reply) come
     * first and the event is recorded after, with what it changes, in one transaction: an outage makes LINE
     * deliver it again rather than lose it.
     */
    async handleWebhook(session: TenantSession, { events }: { events: s.WebhookEvent[] }) {
      const channel = await session.transaction((ctx) => lineRepo.channel(ctx.db));
      let handled = 0;
      let duplicates = 0;
      if (!channel) return { received: true as const, handled, duplicates };
      for (const event of events) {
        const userId = event.source?.userId;
        const seen = await session.transaction(async (ctx) => ({
          event: await lineRepo.seen(ctx.db, event.webhookEventId),
          linked: userId ? await lineRepo.isLinked(ctx.db, userId) : false,
        }));
        if (seen.event) {
          duplicates++;
          continue;
        }
        if ((event.type === 'follow' || event.type === 'message') && userId && event.replyToken && !seen.linked) {
          await offerLink(session.tenant, channel, userId, event.replyToken);
        }
        const outcome = await session.transaction(async (ctx) => {
          if (!(await lineRepo.firstDelivery(ctx.db, event.webhookEventId, event.type))) return 'duplicate';
          if (event.type === 'accountLink' && userId && event.link?.result === 'ok' && event.link.nonce) {
            const memberId = await lineRepo.takeNonce(ctx.db, sha256(event.link.nonce), ctx.now);
            if (!memberId) return 'handled';
            await lineRepo.link(ctx.db, memberId, userId, ctx.now);
            return 'linked';
          }
          if (event.type === 'unfollow' && userId) await lineRepo.unlinkUser(ctx.db, userId);
          return 'handled';
        });
        if (outcome === 'duplicate') duplicates++;
        else handled++;
        if (outcome === 'linked' && event.replyToken) {
          const replyToken = event.replyToken;
          await tellLine(() => lineApi(config, channel.access_token).replyMessage({ replyToken, messages: [{ type: 'text', text: say(session.tenant, 'line.link.done') }] }));
        }
      }
      return { received: true as const, handled, duplicates };
    },

    async mine(ctx: TenantContext): Promise<z.input<typeof s.myLine>> {
      const channel = await lineRepo.channel(ctx.db);
      const link = channel ? await lineRepo.linkOf(ctx.db, memberOf(ctx)) : undefined;
      return {
        available: channel !== undefined,
        linked: link !== undefined,
        linkedAt: link?.linked_at.toISOString() ?? null,
        basicId: channel?.basic_id ?? null,
        friendUrl: friendUrl(channel?.basic_id ?? null),
      };
    },

    /** A nonce for this member, and LINE's page where they approve the link: its accountLink event brings the nonce back. */
    async startLink(ctx: TenantContext, linkToken: string) {
      const memberId = memberOf(ctx);
      if (!(await lineRepo.channel(ctx.db))) throw refusal('line_not_connected', text('line.not_connected'));
      const nonce = randomBytes(24).toString('base64url');
      await ctx.db.deleteFrom('app.line_link_nonces').where('member_id', '=', memberId).where('expires_at', '<', ctx.now).execute();
      await lineRepo.addNonce(ctx.db, { nonce_hash: sha256(nonce), member_id: memberId, expires_at: new Date(ctx.now.getTime() + NONCE_TTL_MS) });
      const url = new URL('/dialog/bot/accountLink', config.LINE_ACCESS_URL);
      url.searchParams.set('linkToken', linkToken);
      url.searchParams.set('nonce', nonce);
      return { url: url.toString() };
    },

    async unlink(ctx: TenantContext) {
      await lineRepo.unlinkMember(ctx.db, memberOf(ctx));
    },
  };
}
