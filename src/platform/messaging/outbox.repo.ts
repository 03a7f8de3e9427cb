import { sql } from 'kysely';
import type { Tx } from '../db/databases.js';
import type { Channel, Failure } from './channels.js';

export interface ClaimedMessage {
  id: string;
  channel: Channel;
  to_address: string;
  member_id: string | null;
  /** Who the message reached (the member, or their family lead); null for rows from before it was kept. */
  recipient_id: string | null;
  template: string;
  subject: string;
  body: string;
  link: string | null;
  attempts: number;
  /** A message the member may turn off (mail carries a one-click unsubscribe link). */
  optional: boolean;
  /** The language the words were written in; null for rows from before it was kept. */
  locale: 'ja' | 'en' | null;
  /** Why mail to this address is not sent (a provider reported a hard bounce or a complaint); null: it may go. */
  undeliverable: 'bounce' | 'complaint' | null;
}

/** A member to tell, with the person who is told (themselves, or their family lead) and how they can be reached. */
export interface Recipient {
  member_id: string;
  given_name: string;
  family_name: string;
  contact_id: string;
  email: string | null;
  locale: string | null;
  line_user_id: string | null;
  has_push: boolean;
  preferred: Channel | null;
  enabled: boolean;
}

export const outboxRepo = {
  /**
   * Takes up to `limit` due messages on the given channels, transactional first, oldest first, and leases them until
   * `leaseUntil`: a message whose sender dies goes again after the lease. SKIP LOCKED lets two workers of one studio
   * take different messages.
   */
  claim: async (db: Tx, channels: readonly Channel[], now: Date, leaseUntil: Date, limit: number): Promise<ClaimedMessage[]> => {
    if (channels.length === 0) return [];
    // Materialized, so the limit holds: a subquery joined in could be run again and take more rows.
    const { rows } = await sql<ClaimedMessage>`
      with due as materialized (
        select tenant_id, id from app.outbox
         where status = 'pending' and next_attempt_at <= ${now} and channel = any(${[...channels]}::text[])
         order by priority, next_attempt_at, created_at
         limit ${limit} for update skip locked)
      update app.outbox o set attempts = o.attempts + 1, next_attempt_at = ${leaseUntil}
        from due
       where o.tenant_id = due.tenant_id and o.id = due.id
      returning o.id, o.channel, o.to_address, o.member_id, o.recipient_id, o.template, o.subject, o.body, o.link, o.attempts, o.optional, o.locale,
                (select u.reason from app.undeliverable_addresses u where o.channel = 'mail' and u.address = lower(o.to_address)) as undeliverable`.execute(db);
    return rows;
  },

  /** Marks messages sent, with the provider's id for each where it gave one: one statement for a whole batch. */
  sent: async (db: Tx, sent: { id: string; providerMessageId: string | null }[], at: Date) => {
    if (sent.length === 0) return;
    await sql`
      update app.outbox o set status = 'sent', sent_at = ${at}, last_error = null, failure = null, provider_message_id = s.provider_message_id
        from unnest(${sent.map((s) => s.id)}::uuid[], ${sent.map((s) => s.providerMessageId)}::text[]) as s(id, provider_message_id)
       where o.id = s.id`.execute(db);
  },

  retryAt: (db: Tx, id: string, at: Date, why: { error: string; failure: Failure }) =>
    db.updateTable('app.outbox').set({ next_attempt_at: at, last_error: why.error, failure: why.failure }).where('id', '=', id).execute(),

  failed: (db: Tx, id: string, at: Date, why: { error: string; failure: Failure }) =>
    db.updateTable('app.outbox').set({ status: 'failed', failed_at: at, last_error: why.error, failure: why.failure }).where('id', '=', id).execute(),

  /** What was sent about a member, or to these addresses before messages named their member; newest first. */
  forMember: (db: Tx, memberId: string, addresses: string[], limit: number) =>
    db
      .selectFrom('app.outbox')
      .select(['id', 'channel', 'template', 'subject', 'status', 'attempts', 'created_at', 'sent_at', 'failed_at', 'last_error', 'failure', 'to_address'])
      .where((eb) => (addresses.length ? eb.or([eb('member_id', '=', memberId), eb.and([eb('member_id', 'is', null), eb('to_address', 'in', addresses)])]) : eb('member_id', '=', memberId)))
      .orderBy('created_at', 'desc')
      .limit(limit)
      .execute(),

  /** When the next pending message on these channels may go (a retry's backoff, a lease's end, quiet hours' end); null when none waits. */
  nextDue: async (db: Tx, channels: readonly Channel[]): Promise<Date | null> => {
    if (channels.length === 0) return null;
    // Only the channels this deployment sends on: mail waiting for SMTP_URL must not bring the job straight back.
    const row = await db
      .selectFrom('app.outbox')
      .select((eb) => eb.fn.min('next_attempt_at').as('next'))
      .where(sql<boolean>`status = 'pending'`)
      .where('channel', 'in', [...channels])
      .executeTakeFirst();
    return row?.next ? new Date(row.next) : null;
  },

  /**
   * Who is told about each member, and how: the member themselves when they can be reached (an email, LINE or a
   * push subscription), else their family lead (a child's messages go to the parent). Erased members are told
   * nothing.
   */
  recipients: async (db: Tx, memberIds: string[], kind: string): Promise<Recipient[]> => {
    if (memberIds.length === 0) return [];
    const { rows } = await sql<Recipient>`
      select m.id as member_id, m.given_name, m.family_name, c.id as contact_id, c.email, c.locale,
             l.line_user_id, exists (select 1 from app.push_subscriptions s where s.member_id = c.id) as has_push,
             p.channel as preferred, coalesce(p.enabled, true) as enabled
        from app.members m
        join app.members c on c.id = case
               when m.family_lead_id is null or m.email is not null
                 or exists (select 1 from app.member_line_links ml where ml.member_id = m.id)
                 or exists (select 1 from app.push_subscriptions ms where ms.member_id = m.id)
               then m.id else m.family_lead_id end
        left join app.member_line_links l on l.member_id = c.id
        left join app.message_preferences p on p.member_id = c.id and p.kind = ${kind}
       where m.id = any(${memberIds}::uuid[]) and m.erased_at is null and c.erased_at is null`.execute(db);
    return rows;
  },

  /** The mail address a member's messages fall back to, and whose it is: their own, or their family lead's. */
  fallbackAddress: async (db: Tx, memberId: string): Promise<{ email: string; recipientId: string } | null> => {
    const row = await db
      .selectFrom('app.members as m')
      .leftJoin('app.members as lead', 'lead.id', 'm.family_lead_id')
      .select([sql<string | null>`coalesce(m.email, lead.email)`.as('email'), sql<string>`case when m.email is not null then m.id else lead.id end`.as('recipient_id')])
      .where('m.id', '=', memberId)
      .where('m.erased_at', 'is', null)
      .executeTakeFirst();
    return row?.email ? { email: row.email, recipientId: row.recipient_id } : null;
  },

  /** The studio's quiet hours ('HH:MM:SS' local times), if it set any. */
  quietHours: (db: Tx) => db.selectFrom('app.tenant_settings').select(['quiet_hours_start', 'quiet_hours_end']).executeTakeFirst(),
};
