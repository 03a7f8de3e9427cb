import { sql } from 'kysely';
import type { Tx } from '../../platform/db/databases.js';

const requestColumns = [
  'r.id', 'r.member_id', 'r.kind', 'r.status', 'r.requested_at', 'r.decided_at', 'r.decline_reason', 'm.member_number', 'm.family_name', 'm.given_name',
] as const;

export type RequestRow = Awaited<ReturnType<typeof privacyRepo.requests>>[number];

/** Columns that are the database's own bookkeeping or secrets, never part of what a member is shown. */
const NOT_EXPORTED = new Set([
  'tenant_id', 'password_hash', 'token_hash', 'token', 'search_name', 'search_kana', 'customer_ref',
  // A device's Web Push keys: secrets between the studio and that browser.
  'p256dh', 'auth',
]);

const camel = (key: string) => key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** A row as the export shows it: camelCase keys, dates as ISO strings, no internal columns. */
export function readable(row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(row)
      .filter(([k]) => !NOT_EXPORTED.has(k))
      .map(([k, v]) => [camel(k), v instanceof Date ? v.toISOString() : typeof v === 'bigint' ? Number(v) : v]),
  );
}

/**
 * The tables holding a member's rows, by the column naming the member. The table and column names are this
 * module's own constants, never input.
 */
export const MEMBER_TABLES = {
  contracts: ['app.contracts', 'member_id'],
  statusHistory: ['app.member_status_events', 'member_id'],
  scheduledStatusChanges: ['app.member_status_changes', 'member_id'],
  credits: ['app.credit_ledger', 'member_id'],
  reservations: ['app.reservations', 'member_id'],
  waitlist: ['app.waitlist_entries', 'member_id'],
  penalties: ['app.reservation_penalties', 'member_id'],
  bookingBlocks: ['app.booking_blocks', 'member_id'],
  checkIns: ['app.check_ins', 'member_id'],
  savedCards: ['app.payment_methods', 'member_id'],
  invoices: ['app.invoices', 'billing_member_id'],
  messagePreferences: ['app.message_preferences', 'member_id'],
  lineLink: ['app.member_line_links', 'member_id'],
  notificationDevices: ['app.push_subscriptions', 'member_id'],
  favouriteSeries: ['app.favourites', 'member_id'],
  bookingOpensNotices: ['app.booking_window_notices', 'member_id'],
  contractRequests: ['app.contract_requests', 'member_id'],
  waitingRooms: ['app.waiting_room_entries', 'member_id'],
} as const;

export const privacyRepo = {
  requests: (db: Tx, filter: { memberId?: string; status?: 'pending' }) => {
    let q = db
      .selectFrom('app.member_data_requests as r')
      .innerJoin('app.members as m', 'm.id', 'r.member_id')
      .select(requestColumns)
      .orderBy('r.requested_at', 'desc')
      .limit(500);
    if (filter.memberId) q = q.where('r.member_id', '=', filter.memberId);
    if (filter.status) q = q.where('r.status', '=', filter.status);
    return q.execute();
  },

  pendingFor: (db: Tx, memberId: string) =>
    db.selectFrom('app.member_data_requests').selectAll().where('member_id', '=', memberId).where('status', '=', 'pending').forUpdate().executeTakeFirst(),

  ask: (db: Tx, memberId: string, at: Date) =>
    db.insertInto('app.member_data_requests').values({ member_id: memberId, requested_at: at }).returning('id').executeTakeFirstOrThrow(),

  decide: (db: Tx, id: string, change: { status: 'completed' | 'declined'; at: Date; by: string | null; reason?: string }) =>
    db
      .updateTable('app.member_data_requests')
      .set({ status: change.status, decided_at: change.at, decided_by: change.by, decline_reason: change.reason ?? null })
      .where('id', '=', id)
      .execute(),

  rowsOf: async (db: Tx, table: string, column: string, ids: readonly string[]) =>
    ids.length === 0
      ? []
      : (await sql<Record<string, unknown>>`select * from ${sql.table(table)} where ${sql.ref(column)} in (${sql.join(ids)}) order by 1, 2`.execute(db)).rows,

  /** Messages about the member or to these addresses, on every channel, oldest first. */
  messagesOf: (db: Tx, memberId: string, addresses: string[]) =>
    db
      .selectFrom('app.outbox')
      .select(['channel', 'to_address', 'subject', 'body', 'created_at', 'status', 'sent_at'])
      .where((eb) => eb.or([eb('member_id', '=', memberId), eb('recipient_id', '=', memberId), ...(addresses.length ? [eb('to_address', 'in', addresses)] : [])]))
      .orderBy('created_at')
      .execute(),

  /** The member's future bookings and waitlist places, which an erasure gives up. */
  futureBookings: (db: Tx, memberId: string, now: Date) =>
    db
      .selectFrom('app.reservations as r')
      .innerJoin('app.lessons as l', 'l.id', 'r.lesson_id')
      .select('r.id')
      .where('r.member_id', '=', memberId)
      .where('r.status', '=', 'booked')
      .where('l.starts_at', '>', now)
      .execute(),
  openWaitlist: (db: Tx, memberId: string) =>
    db.selectFrom('app.waitlist_entries').select(['id', 'lesson_id', 'status']).where('member_id', '=', memberId).where('status', 'in', ['waiting', 'offered']).execute(),

  /** What stops an erasure: the studio must settle these first, or the books would need the person. */
  blockers: async (db: Tx, memberId: string) => {
    const [contracts, invoices, led] = await Promise.all([
      db.selectFrom('app.contracts').select((eb) => eb.fn.countAll<string>().as('n')).where('member_id', '=', memberId).where('kind', '=', 'monthly').where('end_date', 'is', null).executeTakeFirstOrThrow(),
      db.selectFrom('app.invoices').select((eb) => eb.fn.countAll<string>().as('n')).where('billing_member_id', '=', memberId).where('status', 'in', ['draft', 'open']).executeTakeFirstOrThrow(),
      db.selectFrom('app.members').select((eb) => eb.fn.countAll<string>().as('n')).where('family_lead_id', '=', memberId).executeTakeFirstOrThrow(),
    ]);
    return { runningContracts: Number(contracts.n), unpaidInvoices: Number(invoices.n), familyMembers: Number(led.n) };
  },
};
