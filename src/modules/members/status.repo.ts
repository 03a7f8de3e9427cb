import { sql, type Insertable, type Selectable } from 'kysely';
import type { Tx } from '../../platform/db/databases.js';
import type { AppMemberStatusChanges, AppMemberStatusEvents, MemberStatus } from '../../platform/db/types.js';

export type StatusChange = Selectable<AppMemberStatusChanges>;

export const statusRepo = {
  history: (db: Tx, memberId: string) =>
    db.selectFrom('app.member_status_events').selectAll().where('member_id', '=', memberId).orderBy('recorded_at').orderBy('id').execute(),

  pending: (db: Tx, memberId: string) =>
    db
      .selectFrom('app.member_status_changes')
      .selectAll()
      .where('member_id', '=', memberId)
      .where('applied_at', 'is', null)
      .where('withdrawn_at', 'is', null)
      .orderBy('effective_on')
      .orderBy('requested_at')
      .execute(),

  change: (db: Tx, memberId: string, id: string) =>
    db.selectFrom('app.member_status_changes').selectAll().where('member_id', '=', memberId).where('id', '=', id).executeTakeFirst(),

  insertChange: (db: Tx, row: Insertable<AppMemberStatusChanges>) =>
    db.insertInto('app.member_status_changes').values(row).returningAll().executeTakeFirstOrThrow(),

  withdraw: (db: Tx, ids: string[]) =>
    ids.length === 0
      ? Promise.resolve()
      : db.updateTable('app.member_status_changes').set({ withdrawn_at: sql`now()` }).where('id', 'in', ids).where('applied_at', 'is', null).execute(),

  /** A contract's pending changes, optionally only those of one leave or dated after a day. */
  pendingOfContract: (db: Tx, contractId: string, filter: { leaveId?: string; after?: string; to?: string } = {}) =>
    db
      .selectFrom('app.member_status_changes')
      .select('id')
      .where('contract_id', '=', contractId)
      .where('applied_at', 'is', null)
      .where('withdrawn_at', 'is', null)
      .$if(filter.leaveId !== undefined, (q) => q.where('leave_id', '=', filter.leaveId!))
      .$if(filter.after !== undefined, (q) => q.where('effective_on', '>', filter.after!))
      .$if(filter.to !== undefined, (q) => q.where('to_status', '=', filter.to as 'cancelled'))
      .execute(),

  /**
   * Up to `limit` changes due by `today`, the earliest pending one per member (a member's next change waits for
   * the next batch, so each sees the status the one before it left). Optionally only for some members.
   */
  dueBatch: (db: Tx, today: string, limit: number, memberIds?: string[]) =>
    db
      .selectFrom('app.member_status_changes')
      .selectAll()
      .distinctOn('member_id')
      .where('applied_at', 'is', null)
      .where('withdrawn_at', 'is', null)
      .where('effective_on', '<=', today)
      .$if(memberIds !== undefined, (q) => q.where('member_id', 'in', memberIds!))
      .orderBy('member_id')
      .orderBy('effective_on')
      .orderBy('requested_at')
      .limit(limit)
      .execute(),

  /** Locks the members and re-reads their status, so a change is judged against what is there now. */
  lockMembers: (db: Tx, ids: string[]) =>
    db.selectFrom('app.members').select(['id', 'status']).where('id', 'in', ids).orderBy('id').forUpdate().execute(),

  /** Locks the changes and keeps those still pending (a parallel request may have applied or withdrawn one). */
  lockPending: (db: Tx, ids: string[]) =>
    db
      .selectFrom('app.member_status_changes')
      .select('id')
      .where('id', 'in', ids)
      .where('applied_at', 'is', null)
      .where('withdrawn_at', 'is', null)
      .forUpdate()
      .execute(),

  insertEvents: (db: Tx, rows: Array<Insertable<AppMemberStatusEvents>>) =>
    rows.length === 0 ? Promise.resolve() : db.insertInto('app.member_status_events').values(rows).execute(),

  markApplied: (db: Tx, ids: string[]) =>
    ids.length === 0 ? Promise.resolve() : db.updateTable('app.member_status_changes').set({ applied_at: sql`now()` }).where('id', 'in', ids).execute(),

  currentStatus: async (db: Tx, memberId: string): Promise<MemberStatus | undefined> =>
    (await db.selectFrom('app.members').select('status').where('id', '=', memberId).executeTakeFirst())?.status,
};
