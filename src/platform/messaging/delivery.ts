import { randomInt } from 'node:crypto';
import type { Config } from '../../config.js';
import { inTenantTransaction } from '../db/databases.js';
import type { TenantDirectory } from '../tenancy/directory.js';
import { CHANNELS, deliverableChannels, type Channel, type ChannelSenders, type Failure } from './channels.js';
import { queueFallbackMail } from './outbox.js';
import { outboxRepo, type ClaimedMessage } from './outbox.repo.js';

export interface DeliveryDeps {
  directory: TenantDirectory;
  /** The channels this deployment can send on (mail without SMTP_URL, say, is not one: its messages wait). */
  senders: ChannelSenders;
  config: Pick<Config, 'MAIL_SEND_TIMEOUT_MS' | 'MAIL_MAX_ATTEMPTS' | 'MAIL_BATCH'>;
  now: () => Date;
  /** Counts each outcome per channel (for /metrics, with no tenant label). */
  count?: (channel: Channel, outcome: Outcome['kind']) => void;
}

export interface DeliveryResult {
  sent: number;
  retrying: number;
  failed: number;
  /** A full batch went: more may be due now (the job queues itself again, behind other studios' work). */
  more: boolean;
  /** When the next pending message of the studio may go; null when none waits. */
  next: Date | null;
}

type Outcome =
  | { kind: 'sent'; providerMessageId: string | null }
  | { kind: 'retry'; at: Date; error: string; failure: Failure }
  | { kind: 'failed'; error: string; failure: Failure };

/** 30 s after the first failure, doubling up to an hour, each ±20% so that retries of one outage spread out. */
export function retryDelayMs(attempts: number): number {
  const base = Math.min(30_000 * 2 ** Math.max(attempts - 1, 0), 3_600_000);
  return Math.round(base * (0.8 + randomInt(0, 401) / 1000));
}

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error)).slice(0, 1000);

/** Whether any channel can send here: without one, messages stay in the outbox and no job runs for them. */
export const canDeliver = (senders: ChannelSenders) => CHANNELS.some((c) => senders[c]);

/**
 * Sends what is due in one studio's outbox, one batch, each message by its channel's sender. A message is leased
 * before it goes and marked after: a crash in between sends it again after the lease (with the same Message-ID for
 * mail, the same retry key for LINE, so the provider can drop the copy), and its attempts say it went twice. A LINE
 * or push message that fails for good goes by mail instead, when the member has an address.
 */
export async function deliverTenantMessages(deps: DeliveryDeps, tenantId: string): Promise<DeliveryResult> {
  const none: DeliveryResult = { sent: 0, retrying: 0, failed: 0, more: false, next: null };
  const { senders, config } = deps;
  const channels = deliverableChannels(senders);
  const tenant = await deps.directory.byId(tenantId);
  // A suspended studio's messages wait for it to be resumed.
  if (channels.length === 0 || !tenant || tenant.status !== 'active') return none;
  const db = await deps.directory.dbFor(tenant);
  const now = deps.now();
  const lease = new Date(now.getTime() + 3 * config.MAIL_SEND_TIMEOUT_MS);
  const claimed = await inTenantTransaction(db, tenant.id, (trx) => outboxRepo.claim(trx, channels, now, lease, config.MAIL_BATCH));
  const context = { tenant, inTenant: <T>(work: Parameters<typeof inTenantTransaction<T>>[2]) => inTenantTransaction(db, tenant.id, work) };
  const send = async (message: ClaimedMessage): Promise<Outcome> => {
    const sender = senders[message.channel];
    if (!sender) return { kind: 'failed', error: `${message.channel} is not set up on this server`, failure: 'channel_not_set_up' };
    try {
      const { providerMessageId } = await sender.send(message, context);
      return { kind: 'sent', providerMessageId: providerMessageId ?? null };
    } catch (error) {
      const failure = sender.failure(error);
      if (sender.permanent(error) || message.attempts >= config.MAIL_MAX_ATTEMPTS) return { kind: 'failed', error: describe(error), failure };
      return { kind: 'retry', at: new Date(deps.now().getTime() + retryDelayMs(message.attempts)), error: describe(error), failure };
    }
  };
  const outcomes = await Promise.all(claimed.map(async (message) => ({ message, outcome: await send(message) })));
  const done = deps.now();
  const next = await inTenantTransaction(db, tenant.id, async (trx) => {
    await outboxRepo.sent(
      trx,
      outcomes.flatMap(({ message, outcome }) => (outcome.kind === 'sent' ? [{ id: message.id, providerMessageId: outcome.providerMessageId }] : [])),
      done,
    );
    for (const { message, outcome } of outcomes) {
      if (outcome.kind === 'retry') await outboxRepo.retryAt(trx, message.id, outcome.at, outcome);
      if (outcome.kind === 'failed') {
        await outboxRepo.failed(trx, message.id, done, outcome);
        if (message.channel !== 'mail' && message.member_id) await queueFallbackMail(trx, { ...message, member_id: message.member_id });
      }
    }
    return outboxRepo.nextDue(trx, channels);
  });
  const tally = (kind: Outcome['kind']) => outcomes.filter((o) => o.outcome.kind === kind).length;
  for (const { message, outcome } of outcomes) deps.count?.(message.channel, outcome.kind);
  return { sent: tally('sent'), retrying: tally('retry'), failed: tally('failed'), more: claimed.length === config.MAIL_BATCH, next };
}
