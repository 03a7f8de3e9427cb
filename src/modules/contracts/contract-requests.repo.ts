import type { Insertable } from 'kysely';
import type { Tx } from '../../platform/db/databases.js';
import type { AppContractRequests } from '../../platform/db/types.js';

const columns = [
  'r.id', 'r.contract_id', 'r.member_id', 'r.kind', 'r.from_month', 'r.return_month', 'r.reason', 'r.requested_on', 'r.requested_at',
  'r.status', 'r.decided_at', 'r.decline_reason', 'm.member_number', 'm.family_name', 'm.given_name',
] as const;

export const contractRequestsRepo = {
  list: (db: Tx, filter: { memberId?: string; status?: 'pending' | 'decided' }) =>
    db
      .selectFrom('app.contract_requests as r')
      .innerJoin('app.members as m', (j) => j.onRef('m.tenant_id', '=', 'r.tenant_id').onRef('m.id', '=', 'r.member_id'))
      .select(columns)
      .$if(filter.memberId !== undefined, (q) => q.where('r.member_id', '=', filter.memberId!))
      .$if(filter.status === 'pending', (q) => q.where('r.status', '=', 'pending'))
      .$if(filter.status === 'decided', (q) => q.where('r.status', '<>', 'pending'))
      .orderBy('r.requested_at', filter.status === 'pending' ? 'asc' : 'desc')
      .limit(500)
      .execute(),

  one: (db: Tx, id: string) =>
    db
      .selectFrom('app.contract_requests as r')
      .innerJoin('app.members as m', (j) => j.onRef('m.tenant_id', '=', 'r.tenant_id').onRef('m.id', '=', 'r.member_id'))
      .select(columns)
      .where('r.id', '=', id)
      .executeTakeFirst(),

  /** The request, locked: one decision (or withdrawal) at a time. */
  forUpdate: (db: Tx, id: string) => db.selectFrom('app.contract_requests').selectAll().where('id', '=', id).forUpdate().executeTakeFirst(),

  /** A second open request of the same kind for the contract is not made (the partial unique index). */
  ask: (db: Tx, row: Insertable<AppContractRequests>) =>
    db.insertInto('app.contract_requests').values(row).onConflict((oc) => oc.doNothing()).returning('id').executeTakeFirst(),

  decide: (db: Tx, id: string, decision: { status: 'approved' | 'declined' | 'withdrawn'; decided_at: Date; decided_by: string | null; decline_reason?: string }) =>
    db.updateTable('app.contract_requests').set(decision).where('id', '=', id).where('status', '=', 'pending').execute(),

  planNames: (db: Tx, contractIds: string[]) =>
    contractIds.length === 0
      ? Promise.resolve([])
      : db
          .selectFrom('app.contract_plans as cp')
          .innerJoin('app.plans as p', (j) => j.onRef('p.tenant_id', '=', 'cp.tenant_id').onRef('p.id', '=', 'cp.plan_id'))
          .select(['cp.contract_id', 'p.name'])
          .where('cp.contract_id', 'in', contractIds)
          .orderBy('cp.effective_from')
          .execute(),
};
