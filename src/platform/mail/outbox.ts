import { afterCommit, type Tx } from '../db/databases.js';

export interface OutgoingMail {
  to_address: string;
  /** What kind of mail it is (password_reset, waitlist_offer, …): for staff, and for metrics. */
  template: string;
  subject: string;
  body: string;
  /** 0, the default: transactional (links, offers, payment failures); 1: bulk, which waits behind it. */
  priority?: 0 | 1;
}

const listeners = new Set<(tenantId: string) => void>();
/** Transactions whose commit already kicks the worker: one kick per commit, however many mails it queued. */
const kicked = new WeakSet<Tx>();

/** Called with the tenant's id whenever a transaction that queued mail commits (the runtime kicks the worker). */
export function onMailQueued(listener: (tenantId: string) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/**
 * Queues mail in the caller's tenant transaction: it is sent only if that transaction commits, and then at once
 * (the worker is kicked after the commit), or by the mail sweep if the kick is lost.
 */
export async function queueMail(db: Tx, mails: OutgoingMail[]): Promise<void> {
  if (mails.length === 0) return;
  await db.insertInto('app.mail_outbox').values(mails).execute();
  if (kicked.has(db)) return;
  kicked.add(db);
  afterCommit(db, (tenantId) => {
    for (const listener of listeners) listener(tenantId);
  });
}
