import nodemailer from 'nodemailer';
import type { Config } from '../../config.js';
import { signingKeys } from '../auth/signing-keys.js';
import type { Tenant } from '../db/types.js';
import type { ChannelSender, SendContext } from './channels.js';
import { asLocale, render, text as i18nText } from '../i18n.js';
import { signUnsubscribeToken } from './unsubscribe-token.js';

export type MailTransport = ReturnType<typeof createMailTransport>;

/** The SMTP server of SMTP_URL (any provider: SES SMTP, SendGrid, Postfix), through a small pool of connections. */
export function createMailTransport(config: Pick<Config, 'SMTP_URL' | 'MAIL_SEND_TIMEOUT_MS' | 'DKIM_DOMAIN' | 'DKIM_SELECTOR' | 'DKIM_PRIVATE_KEY'>) {
  if (!config.SMTP_URL) return null;
  const timeout = config.MAIL_SEND_TIMEOUT_MS;
  return nodemailer.createTransport({
    url: config.SMTP_URL,
    pool: true,
    maxConnections: 5,
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
    // Signed with the platform's sending domain, so receivers (carrier mail above all) do not file it as spoofed.
    ...(config.DKIM_DOMAIN && config.DKIM_SELECTOR && config.DKIM_PRIVATE_KEY
      ? { dkim: { domainName: config.DKIM_DOMAIN, keySelector: config.DKIM_SELECTOR, privateKey: config.DKIM_PRIVATE_KEY } }
      : {}),
  });
}

/** A mail not sent because its address bounced or complained before: no retry will change that. */
export class UndeliverableAddress extends Error {
  constructor(reason: 'bounce' | 'complaint') {
    super(`address undeliverable: the mail provider reported a ${reason === 'bounce' ? 'hard bounce' : 'complaint'}; staff may clear it once the member has fixed it`);
    this.name = 'UndeliverableAddress';
  }
}

/** The Message-ID of an outbox row: the studio rides along, so a bounce or complaint notice leads back to it. */
export const messageIdOf = (outboxId: string, tenantId: string, domain: string) => `<${outboxId}.${tenantId}@${domain}>`;
const MESSAGE_ID = /^<?([0-9a-f-]{36})\.([0-9a-f-]{36})@[^>]+>?$/i;
export function readMessageId(messageId: string): { outboxId: string; tenantId: string } | null {
  const match = MESSAGE_ID.exec(messageId.trim());
  return match ? { outboxId: match[1]!.toLowerCase(), tenantId: match[2]!.toLowerCase() } : null;
}

interface StudioMail {
  senderName: string | null;
  replyTo: string | null;
  unsubscribeKey: Buffer;
}

/** Changes to the sender name and reply-to reach mail within this long (one read per studio per minute, not per mail). */
const STUDIO_MAIL_TTL_MS = 60_000;

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The HTML part says exactly what the plain text says (which stands alone, for carrier mail): links made links, no images. */
function htmlOf(text: string): string {
  const paragraphs = text
    .trim()
    .split(/\n{2,}/)
    .map((p) => `<p>${escapeHtml(p).replace(/https?:\/\/[^\s<]+/g, (url) => `<a href="${url}">${url}</a>`).replace(/\n/g, '<br>')}</p>`);
  return `<!doctype html><html><body>${paragraphs.join('\n')}</body></html>`;
}

/**
 * Mail over SMTP. The Message-ID is derived from the outbox row, so a mail sent again after a crash carries the
 * same one, which receiving mail systems use to drop the copy.
 */
export function mailSender(
  transport: NonNullable<MailTransport>,
  config: Pick<Config, 'BASE_DOMAIN' | 'MAIL_FROM'>,
  tenantUrl: (tenant: Pick<Tenant, 'slug'>) => string,
): ChannelSender {
  const sender = config.MAIL_FROM ?? `no-reply@${config.BASE_DOMAIN}`;
  const domain = sender.split('@')[1]!;
  // The read itself is kept, not its result: a batch's messages are sent together, and all wait on the one read.
  const studios = new Map<string, { read: Promise<StudioMail>; at: number }>();
  const studioMail = (tenant: Tenant, inTenant: SendContext['inTenant']): Promise<StudioMail> => {
    const known = studios.get(tenant.id);
    if (known && Date.now() - known.at < STUDIO_MAIL_TTL_MS) return known.read;
    const read = inTenant(async (trx) => {
      const settings = await trx.selectFrom('app.tenant_settings').select(['mail_sender_name', 'mail_reply_to']).executeTakeFirst();
      return { senderName: settings?.mail_sender_name ?? null, replyTo: settings?.mail_reply_to ?? null, unsubscribeKey: await signingKeys.ensure(trx, 'unsubscribe') };
    });
    studios.set(tenant.id, { read, at: Date.now() });
    // A failed read is not kept: the next message reads again.
    read.catch(() => studios.delete(tenant.id));
    return read;
  };
  return {
    async send(mail, { tenant, inTenant }) {
      if (mail.undeliverable) throw new UndeliverableAddress(mail.undeliverable);
      const studio = await studioMail(tenant, inTenant);
      // A message that leads somewhere (LINE's button, a push's click) says where at the end of a mail.
      let text = mail.link && !mail.body.includes(mail.link) ? `${mail.body.trimEnd()}\n\n${mail.link}` : mail.body;
      const headers: Record<string, string> = { 'X-Studiohive-Template': mail.template };
      // Only mail the member may turn off offers it (RFC 8058): a password reset or a payment failure must arrive.
      // The header serves mail apps' one-click button; the last line serves a reader of the plain text (carrier mail
      // shows no header button), and opens a page that asks before it turns the kind off.
      // It turns the kind off for the person it reached, whose choices sent it (a family lead gets a child's).
      const reached = mail.recipient_id ?? mail.member_id;
      if (mail.optional && reached) {
        const token = signUnsubscribeToken(studio.unsubscribeKey, { memberId: reached, kind: mail.template });
        headers['List-Unsubscribe'] = `<${tenantUrl(tenant)}/api/unsubscribe?token=${token}>`;
        headers['List-Unsubscribe-Post'] = 'List-Unsubscribe=One-Click';
        const page = `${tenantUrl(tenant)}/member/unsubscribe?token=${token}`;
        text = `${text.trimEnd()}\n\n${render(i18nText('mail.unsubscribe.footer', { link: page }), asLocale(mail.locale ?? tenant.locale))}`;
      }
      await transport.sendMail({
        from: { name: studio.senderName ?? tenant.display_name, address: sender },
        ...(studio.replyTo ? { replyTo: studio.replyTo } : {}),
        to: mail.to_address,
        subject: mail.subject,
        text,
        html: htmlOf(text),
        messageId: messageIdOf(mail.id, tenant.id, domain),
        headers,
      });
      return {};
    },
    /**
     * A refusal of the recipient (5xx to RCPT TO: no such mailbox, say) will not change on a retry. Anything else,
     * a 4xx, a 5xx to the connection or the message, a timeout or a refused connection, is the provider's trouble
     * and is retried until the attempts run out.
     */
    permanent(error) {
      if (error instanceof UndeliverableAddress) return true;
      const e = error as { responseCode?: number; command?: string; code?: string };
      return (e.responseCode ?? 0) >= 500 && (e.command === 'RCPT TO' || e.code === 'EENVELOPE');
    },
    failure(error) {
      if (error instanceof UndeliverableAddress) return 'address_undeliverable';
      if (this.permanent(error)) return 'address_refused';
      return ((error as { responseCode?: number }).responseCode ?? 0) >= 500 ? 'mail_refused' : 'provider_unavailable';
    },
    close: () => transport.close(),
  };
}
