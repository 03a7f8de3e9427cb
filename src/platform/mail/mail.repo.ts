import { sql } from 'kysely';
import type { Tx } from '../db/databases.js';

export interface ClaimedMail {
  id: string;
  to_address: string;
  template: string;
  subject: string;
  body: string;
  attempts: number;
}

export const mailRepo = {
  /**
   * Takes up to `limit` due mails, transactional first, oldest first, and leases them until `leaseUntil`: a mail
   * whose sender dies goes again after the lease. SKIP LOCKED lets two workers of one studio take different mails.
   */
  claim: async (db: Tx, now: Date, leaseUntil: Date, limit: number): Promise<ClaimedMail[]> => {
    // Materialized, so the limit holds: a subquery joined in could be run again and take more rows.
    const { rows } = await sql<ClaimedMail>`
      with due as materialized (
        select tenant_id, id from app.mail_outbox
         where status = 'pending' and next_attempt_at <= ${now}
         order by priority, next_attempt_at, created_at
         limit ${limit} for update skip locked)
      update app.mail_outbox o set attempts = o.attempts + 1, next_attempt_at = ${leaseUntil}
        from due
       where o.tenant_id = due.tenant_id and o.id = due.id
      returning o.id, o.to_address, o.template, o.subject, o.body, o.attempts`.execute(db);
    return rows;
  },

  sent: (db: Tx, ids: string[], at: Date) =>
    ids.length === 0
      ? Promise.resolve()
      : db.updateTable('app.mail_outbox').set({ status: 'sent', sent_at: at, last_error: null }).where('id', 'in', ids).execute().then(() => undefined),

  retryAt: (db: Tx, id: string, at: Date, error: string) =>
    db.updateTable('app.mail_outbox').set({ next_attempt_at: at, last_error: error }).where('id', '=', id).execute(),

  failed: (db: Tx, id: string, at: Date, error: string) =>
    db.updateTable('app.mail_outbox').set({ status: 'failed', failed_at: at, last_error: error }).where('id', '=', id).execute(),

  /** The latest mail to these addresses, newest first: what staff see on a member's page. */
  toAddresses: (db: Tx, addresses: string[], limit: number) =>
    db
      .selectFrom('app.mail_outbox')
      .select(['id', 'template', 'subject', 'status', 'attempts', 'created_at', 'sent_at', 'failed_at', 'last_error', 'to_address'])
      .where('to_address', 'in', addresses)
      .orderBy('created_at', 'desc')
      .limit(limit)
      .execute(),

  /** When the next pending mail may go (a retry's backoff or a lease's end); null when none waits. */
  nextDue: async (db: Tx): Promise<Date | null> => {
    const row = await db
      .selectFrom('app.mail_outbox')
      .select((eb) => eb.fn.min('next_attempt_at').as('next'))
      .where('status', '=', 'pending')
      .executeTakeFirst();
    return row?.next ? new Date(row.next) : null;
  },
};
