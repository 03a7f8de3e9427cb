import nodemailer from 'nodemailer';
import type { Config } from '../../config.js';
import type { ChannelSender } from './channels.js';

export type MailTransport = ReturnType<typeof createMailTransport>;

/** The SMTP server of SMTP_URL (any provider: SES SMTP, SendGrid, Postfix), through a small pool of connections. */
export function createMailTransport(config: Pick<Config, 'SMTP_URL' | 'MAIL_SEND_TIMEOUT_MS'>) {
  if (!config.SMTP_URL) return null;
  const timeout = config.MAIL_SEND_TIMEOUT_MS;
  return nodemailer.createTransport({
    url: config.SMTP_URL,
    pool: true,
    maxConnections: 5,
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
  });
}

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
export function mailSender(transport: NonNullable<MailTransport>, config: Pick<Config, 'BASE_DOMAIN' | 'MAIL_FROM'>): ChannelSender {
  const sender = config.MAIL_FROM ?? `no-reply@${config.BASE_DOMAIN}`;
  const domain = sender.split('@')[1];
  return {
    async send(mail, { tenant }) {
      // A message that leads somewhere (LINE's button, a push's click) says where at the end of a mail.
      const text = mail.link && !mail.body.includes(mail.link) ? `${mail.body.trimEnd()}\n\n${mail.link}` : mail.body;
      await transport.sendMail({
        from: { name: tenant.display_name, address: sender },
        to: mail.to_address,
        subject: mail.subject,
        text,
        html: htmlOf(text),
        messageId: `<${mail.id}@${domain}>`,
        headers: { 'X-Studiohive-Template': mail.template },
      });
      return {};
    },
    /**
     * A refusal of the recipient (5xx to RCPT TO: no such mailbox, say) will not change on a retry. Anything else,
     * a 4xx, a 5xx to the connection or the message, a timeout or a refused connection, is the provider's trouble
     * and is retried until the attempts run out.
     */
    permanent(error) {
      const e = error as { responseCode?: number; command?: string; code?: string };
      return (e.responseCode ?? 0) >= 500 && (e.command === 'RCPT TO' || e.code === 'EENVELOPE');
    },
    close: () => transport.close(),
  };
}
