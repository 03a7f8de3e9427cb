import { DEFAULT_QUIET_HOURS, inQuietHours, quietHoursEnd, type QuietHours } from '../calendar.js';
import { afterCommit, type Tx } from '../db/databases.js';
import { asLocale, type Locale, type Text } from '../i18n.js';
import { addressOn, chooseChannel, type Channel } from './channels.js';
import { isOptionalKind } from './kinds.js';
import { outboxRepo } from './outbox.repo.js';
import { renderMessage, studioWording } from './render.js';

export interface OutgoingMail {
  to_address: string;
  /** What kind of message it is (password_reset, waitlist_offer, …): for staff, preferences and templates. */
  template: string;
  subject: string;
  body: string;
  /** 0, the default: transactional (links, offers, payment failures); 1: bulk, which waits behind it. */
  priority?: 0 | 1;
}

/** The language and time zone words are written in. */
export interface Voice {
  locale: Locale;
  timeZone: string;
}

/** A message to members, not yet in anyone's language: each recipient gets it in theirs. */
export interface MemberMessage {
  kind: string;
  subject: Text;
  /** The body, given the name of the member it is about. */
  body: (name: string) => Text;
  /** Where the message leads: a button on LINE, the click of a notification, a link at the end of a mail. */
  link?: string;
  /**
   * A message the member may turn off and that waits out the studio's quiet hours (a reminder, a freed seat).
   * Transactional ones (sign-in links, payment failures, offers with a deadline) go at once, whatever is set.
   * Only for kinds outside the member's list (`kinds.ts`): a listed kind is optional or not as the list says.
   */
  optional?: boolean;
  /**
   * When the message stops meaning anything: its lesson starts, its booking window opens. An optional message that
   * quiet hours would hold until then or later is not sent at all (a reminder after the lesson began is noise).
   */
  until?: Date;
}

const listeners = new Set<(tenantId: string, channels: ReadonlySet<Channel>) => void>();
/**
 * The channels each open transaction queued messages on: its commit kicks the worker once, however many messages
 * it queued, and says on which channels (a deployment without SMTP has no job to run for mail alone).
 */
const queuedOn = new WeakMap<Tx, Set<Channel>>();

/** Called with the tenant's id and the channels whenever a transaction that queued messages commits (the runtime kicks the worker). */
export function onMessageQueued(listener: (tenantId: string, channels: ReadonlySet<Channel>) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function kick(db: Tx, channels: Iterable<Channel>) {
  let queued = queuedOn.get(db);
  if (!queued) {
    const set = new Set<Channel>();
    queuedOn.set(db, (queued = set));
    afterCommit(db, (tenantId) => {
      for (const listener of listeners) listener(tenantId, set);
    });
  }
  for (const channel of channels) queued.add(channel);
}

/**
 * Queues mail to addresses (staff, or a person who is not a member yet) in the caller's tenant transaction: it is
 * sent only if that transaction commits, and then at once (the worker is kicked after the commit), or by the sweep
 * if the kick is lost.
 */
export async function queueMail(db: Tx, mails: OutgoingMail[]): Promise<void> {
  if (mails.length === 0) return;
  await db.insertInto('app.outbox').values(mails).execute();
  kick(db, ['mail']);
}

/**
 * Queues a message to each member (or to their family lead) in the caller's transaction, on the channel that
 * reaches them (their choice for the kind, else LINE, push, mail), in their language (else the studio's), with the
 * studio's wording of the kind if it edited it. An optional message is skipped for a member who turned the kind
 * off, and waits for the end of the studio's quiet hours if queued in them.
 */
export async function queueMemberMessages(db: Tx, memberIds: string[], message: MemberMessage, studio: Voice & { now: Date }): Promise<number> {
  const recipients = await outboxRepo.recipients(db, [...new Set(memberIds)], message.kind);
  const optional = isOptionalKind(message.kind, message.optional);
  let notBefore: Date | undefined;
  if (optional) {
    const quiet = await studioQuietHours(db);
    if (quiet && inQuietHours(studio.now, quiet, studio.timeZone)) notBefore = quietHoursEnd(studio.now, quiet, studio.timeZone);
    if (notBefore && message.until && notBefore >= message.until) return 0;
  }
  const wording = await studioWording(db, message.kind);
  const rows = [];
  for (const r of recipients) {
    if (optional && !r.enabled) continue;
    const channel = chooseChannel(r);
    if (!channel) continue;
    const voice: Voice = { locale: r.locale ? asLocale(r.locale) : studio.locale, timeZone: studio.timeZone };
    const words = renderMessage(wording, voice, { subject: message.subject, body: message.body(`${r.family_name} ${r.given_name}`.trim()) });
    rows.push({
      channel,
      to_address: addressOn(channel, r),
      member_id: r.member_id,
      recipient_id: r.contact_id,
      template: message.kind,
      subject: words.subject,
      body: words.body,
      link: message.link ?? null,
      optional,
      locale: voice.locale,
      priority: optional ? (1 as const) : (0 as const),
      ...(notBefore ? { next_attempt_at: notBefore } : {}),
    });
  }
  if (rows.length === 0) return 0;
  await db.insertInto('app.outbox').values(rows).execute();
  kick(db, rows.map((r) => r.channel));
  return rows.length;
}

/** A LINE or push message that could not be delivered goes by mail instead, if the member has an address. */
export async function queueFallbackMail(
  db: Tx,
  message: { member_id: string; template: string; subject: string; body: string; link: string | null; optional: boolean; locale: Locale | null },
) {
  const address = await outboxRepo.fallbackAddress(db, message.member_id);
  if (!address) return false;
  const { member_id, template, subject, body, link, optional, locale } = message;
  await db
    .insertInto('app.outbox')
    .values({ channel: 'mail', to_address: address.email, member_id, recipient_id: address.recipientId, template, subject, body, link, optional, locale, priority: optional ? 1 : 0 })
    .execute();
  kick(db, ['mail']);
  return true;
}

/** The studio's quiet hours ('HH:MM' local times; null: none), the default until it sets its own. */
export async function studioQuietHours(db: Tx): Promise<QuietHours> {
  const row = await outboxRepo.quietHours(db);
  if (!row) return DEFAULT_QUIET_HOURS;
  return row.quiet_hours_start && row.quiet_hours_end ? { start: row.quiet_hours_start.slice(0, 5), end: row.quiet_hours_end.slice(0, 5) } : null;
}
