import { randomInt } from 'node:crypto';
import nodemailer from 'nodemailer';
import type { Config } from '../../config.js';
import { inTenantTransaction } from '../db/databases.js';
import type { TenantDirectory } from '../tenancy/directory.js';
import { mailRepo, type ClaimedMail } from './mail.repo.js';

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

export interface MailDeliveryDeps {
  directory: TenantDirectory;
  transport: MailTransport;
  config: Pick<Config, 'BASE_DOMAIN' | 'MAIL_FROM' | 'MAIL_SEND_TIMEOUT_MS' | 'MAIL_MAX_ATTEMPTS' | 'MAIL_BATCH'>;
  now: () => Date;
  /** Counts each outcome (for /metrics, with no tenant label). */
  count?: (outcome: Outcome['kind']) => void;
}

export interface DeliveryResult {
  sent: number;
  retrying: number;
  failed: number;
  /** A full batch went: more may be due now (the job queues itself again, behind other studios' work). */
  more: boolean;
  /** When the next pending mail of the studio may go; null when none waits. */
  next: Date | null;
}

type Outcome = { kind: 'sent' } | { kind: 'retry'; at: Date; error: string } | { kind: 'failed'; error: string };

/** 30 s after the first failure, doubling up to an hour, each ±20% so that retries of one outage spread out. */
export function retryDelayMs(attempts: number): number {
  const base = Math.min(30_000 * 2 ** Math.max(attempts - 1, 0), 3_600_000);
  return Math.round(base * (0.8 + randomInt(0, 401) / 1000));
}

/**
 * A refusal of the recipient (5xx to RCPT TO: no such mailbox, say) will not change on a retry. Anything else,
 * a 4xx, a 5xx to the connection or the message, a timeout or a refused connection, is the provider's trouble
 * and is retried until the attempts run out.
 */
function permanent(error: unknown): boolean {
  const e = error as { responseCode?: number; command?: string; code?: string };
  return (e.responseCode ?? 0) >= 500 && (e.command === 'RCPT TO' || e.code === 'EENVELOPE');
}

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error)).slice(0, 1000);

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
 * Sends what is due in one studio's outbox, one batch. A mail is leased before it goes and marked after: a crash in
 * between sends it again after the lease, with the same Message-ID (derived from the outbox row), so a receiving
 * mail system can drop the copy, and its attempts say it went twice.
 */
export async function deliverTenantMail(deps: MailDeliveryDeps, tenantId: string): Promise<DeliveryResult> {
  const none: DeliveryResult = { sent: 0, retrying: 0, failed: 0, more: false, next: null };
  const { transport, config } = deps;
  const tenant = await deps.directory.byId(tenantId);
  // Without SMTP_URL mail stays in the outbox; a suspended studio's mail waits for it to be resumed.
  if (!transport || !tenant || tenant.status !== 'active') return none;
  const db = await deps.directory.dbFor(tenant);
  const now = deps.now();
  const lease = new Date(now.getTime() + 3 * config.MAIL_SEND_TIMEOUT_MS);
  const claimed = await inTenantTransaction(db, tenant.id, (trx) => mailRepo.claim(trx, now, lease, config.MAIL_BATCH));
  const sender = config.MAIL_FROM ?? `no-reply@${config.BASE_DOMAIN}`;
  const domain = sender.split('@')[1];
  const send = async (mail: ClaimedMail): Promise<Outcome> => {
    try {
      await transport.sendMail({
        from: { name: tenant.display_name, address: sender },
        to: mail.to_address,
        subject: mail.subject,
        text: mail.body,
        html: htmlOf(mail.body),
        messageId: `<${mail.id}@${domain}>`,
        headers: { 'X-Studiohive-Template': mail.template },
      });
      return { kind: 'sent' };
    } catch (error) {
      if (permanent(error) || mail.attempts >= config.MAIL_MAX_ATTEMPTS) return { kind: 'failed', error: describe(error) };
      return { kind: 'retry', at: new Date(deps.now().getTime() + retryDelayMs(mail.attempts)), error: describe(error) };
    }
  };
  const outcomes = await Promise.all(claimed.map(async (mail) => ({ mail, outcome: await send(mail) })));
  const done = deps.now();
  const next = await inTenantTransaction(db, tenant.id, async (trx) => {
    await mailRepo.sent(trx, outcomes.filter((o) => o.outcome.kind === 'sent').map((o) => o.mail.id), done);
    for (const { mail, outcome } of outcomes) {
      if (outcome.kind === 'retry') await mailRepo.retryAt(trx, mail.id, outcome.at, outcome.error);
      if (outcome.kind === 'failed') await mailRepo.failed(trx, mail.id, done, outcome.error);
    }
    return mailRepo.nextDue(trx);
  });
  const tally = (kind: Outcome['kind']) => outcomes.filter((o) => o.outcome.kind === kind).length;
  for (const { outcome } of outcomes) deps.count?.(outcome.kind);
  return { sent: tally('sent'), retrying: tally('retry'), failed: tally('failed'), more: claimed.length === config.MAIL_BATCH, next };
}
