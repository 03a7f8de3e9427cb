import type { Tenant } from '../db/types.js';
import type { Tx } from '../db/databases.js';
import type { ClaimedMessage, Recipient } from './outbox.repo.js';

export const CHANNELS = ['line', 'push', 'mail'] as const;
export type Channel = (typeof CHANNELS)[number];

/** What a channel's sender may use: the studio, and its database in a short transaction of its own. */
export interface SendContext {
  tenant: Tenant;
  inTenant<T>(work: (trx: Tx) => Promise<T>): Promise<T>;
}

/**
 * Why a message did not go, for staff in their language (the member page's `members.messages.failure.*`); the
 * provider's own words stay in `last_error`. Kept in step with the check of `app.outbox.failure`.
 */
export const FAILURES = [
  'address_undeliverable', 'address_refused', 'mail_refused', 'provider_unavailable', 'line_not_connected',
  'line_token_rejected', 'line_user_unreachable', 'no_push_device', 'channel_not_set_up',
] as const;
export type Failure = (typeof FAILURES)[number];

/**
 * One channel's way out (mail over SMTP, LINE's Messaging API, Web Push). `send` resolves when the provider took the
 * message (with its id for it, if it gives one) and throws when it did not; `permanent` says whether that error
 * will stay on a retry (an unknown address, a blocked account), so the message fails at once; `failure` names it.
 */
export interface ChannelSender {
  send(message: ClaimedMessage, context: SendContext): Promise<{ providerMessageId?: string | null }>;
  permanent(error: unknown): boolean;
  failure(error: unknown): Failure;
  close?(): void;
}

export type ChannelSenders = Partial<Record<Channel, ChannelSender>>;

/**
 * The channels whose messages this deployment takes from the outbox: those it has a sender for, and LINE and push
 * even without one while mail can go (such a message fails at once and goes by mail rather than waiting for ever,
 * as after push was turned off with devices subscribed). Mail waits for SMTP_URL.
 */
export const deliverableChannels = (senders: ChannelSenders): Channel[] => CHANNELS.filter((c) => senders[c] || (c !== 'mail' && senders.mail));

/**
 * The channel a message goes by: the member's choice for this kind when it can reach them, else LINE when linked,
 * else push when a device is subscribed, else mail; null when nothing reaches them.
 */
export function chooseChannel(recipient: Pick<Recipient, 'preferred' | 'line_user_id' | 'has_push' | 'email'>): Channel | null {
  const reaches = (channel: Channel) =>
    channel === 'line' ? recipient.line_user_id !== null : channel === 'push' ? recipient.has_push : recipient.email !== null;
  if (recipient.preferred && reaches(recipient.preferred)) return recipient.preferred;
  return CHANNELS.find(reaches) ?? null;
}

/** The address a channel sends to: the email, the LINE user id, or the member whose devices are all sent to. */
export function addressOn(channel: Channel, recipient: Pick<Recipient, 'email' | 'line_user_id' | 'contact_id'>): string {
  return channel === 'mail' ? recipient.email! : channel === 'line' ? recipient.line_user_id! : recipient.contact_id;
}
