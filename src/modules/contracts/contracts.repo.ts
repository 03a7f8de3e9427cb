import { sql, type Insertable, type Selectable, type Updateable } from 'kysely';
import type { Tx } from '../../platform/db/databases.js';
import type { AppContractLeaves, AppContractOptions, AppContracts } from '../../platform/db/types.js';

export type ContractRow = Selectable<AppContracts>;
export type LeaveRow = Selectable<AppContractLeaves>;
export type OptionRow = Selectable<AppContractOptions>;

export const contractsRepo = {
  insert: (db: Tx, row: Insertable<AppContracts>) => db.insertInto('app.contracts').values(row).returningAll().executeTakeFirstOrThrow(),

  byId: (db: Tx, id: string) => db.selectFrom('app.contracts').selectAll().where('id', '=', id).executeTakeFirst(),

  /** Locks the contract for a change that depends on its current state. */
  byIdForUpdate: (db: Tx, id: string) => db.selectFrom('app.contracts').selectAll().where('id', '=', id).forUpdate().executeTakeFirst(),

  update: (db: Tx, id: string, changes: Updateable<AppContracts>) => db.updateTable('app.contracts').set(changes).where('id', '=', id).execute(),

  forMember: (db: Tx, memberId: string) =>
    db.selectFrom('app.contracts').selectAll().where('member_id', '=', memberId).orderBy('start_date', 'desc').execute(),

  /** A monthly contract of the member (other than `except`) still running on or after a day, if any. */
  runningMonthly: (db: Tx, memberId: string, onOrAfter: string, except?: string) =>
    db
      .selectFrom('app.contracts')
      .selectAll()
      .where('member_id', '=', memberId)
      .where('kind', '=', 'monthly')
      .where('ended_at', 'is', null)
      .where((eb) => eb.or([eb('end_date', 'is', null), eb('end_date', '>=', onOrAfter)]))
      .$if(except !== undefined, (q) => q.where('id', '<>', except!))
      .executeTakeFirst(),

  /** The contracts of these members that have not ended, to see what else runs when one ends. */
  notEnded: (db: Tx, memberIds: string[]) =>
    memberIds.length === 0
      ? Promise.resolve([])
      : db.selectFrom('app.contracts').select(['id', 'member_id', 'start_date', 'end_date']).where('member_id', 'in', memberIds).where('ended_at', 'is', null).execute(),

  deleteOption: (db: Tx, id: string) => db.deleteFrom('app.contract_options').where('id', '=', id).execute(),

  markEnded: (db: Tx, ids: string[]) =>
    ids.length === 0 ? Promise.resolve() : db.updateTable('app.contracts').set({ ended_at: sql`now()` }).where('id', 'in', ids).where('ended_at', 'is', null).execute(),

  plans: (db: Tx, contractId: string) =>
    db
      .selectFrom('app.contract_plans as cp')
      .innerJoin('app.plans as p', (j) => j.onRef('p.tenant_id', '=', 'cp.tenant_id').onRef('p.id', '=', 'cp.plan_id'))
      .select(['cp.effective_from', 'cp.plan_id', 'cp.plan_version', 'p.name'])
      .where('cp.contract_id', '=', contractId)
      .orderBy('cp.effective_from')
      .execute(),

  /** Sets the plan from a day, replacing one already set for that day, and drops plan changes set for later. */
  async setPlanFrom(db: Tx, row: { contract_id: string; effective_from: string; plan_id: string; plan_version: number }) {
    await db.deleteFrom('app.contract_plans').where('contract_id', '=', row.contract_id).where('effective_from', '>', row.effective_from).execute();
    await db
      .insertInto('app.contract_plans')
      .values(row)
      .onConflict((oc) => oc.columns(['tenant_id', 'contract_id', 'effective_from']).doUpdateSet({ plan_id: row.plan_id, plan_version: row.plan_version, requested_at: sql`now()` }))
      .execute();
  },

  leaves: (db: Tx, contractId: string) =>
    db.selectFrom('app.contract_leaves').selectAll().where('contract_id', '=', contractId).orderBy('from_month').execute(),

  leave: (db: Tx, contractId: string, id: string) =>
    db.selectFrom('app.contract_leaves').selectAll().where('contract_id', '=', contractId).where('id', '=', id).executeTakeFirst(),

  insertLeave: (db: Tx, row: Insertable<AppContractLeaves>) => db.insertInto('app.contract_leaves').values(row).returningAll().executeTakeFirstOrThrow(),

  updateLeave: (db: Tx, id: string, changes: Updateable<AppContractLeaves>) => db.updateTable('app.contract_leaves').set(changes).where('id', '=', id).execute(),

  options: (db: Tx, contractId: string) =>
    db
      .selectFrom('app.contract_options as o')
      .innerJoin('app.plans as p', (j) => j.onRef('p.tenant_id', '=', 'o.tenant_id').onRef('p.id', '=', 'o.plan_id'))
      .selectAll('o')
      .select('p.name')
      .where('o.contract_id', '=', contractId)
      .orderBy('o.from_date')
      .execute(),

  option: (db: Tx, contractId: string, id: string) =>
    db.selectFrom('app.contract_options').selectAll().where('contract_id', '=', contractId).where('id', '=', id).executeTakeFirst(),

  insertOptions: (db: Tx, rows: Array<Insertable<AppContractOptions>>) =>
    rows.length === 0 ? Promise.resolve() : db.insertInto('app.contract_options').values(rows).execute(),

  updateOption: (db: Tx, id: string, changes: Updateable<AppContractOptions>) => db.updateTable('app.contract_options').set(changes).where('id', '=', id).execute(),

  /** Invoices the member's billing account still owes. */
  unpaidInvoices: async (db: Tx, billingMemberId: string) =>
    Number(
      (
        await db
          .selectFrom('app.invoices')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('billing_member_id', '=', billingMemberId)
          .where('status', 'in', ['open', 'uncollectible'])
          .executeTakeFirstOrThrow()
      ).n,
    ),

  hasAny: async (db: Tx) => (await db.selectFrom('app.contracts').select('id').limit(1).executeTakeFirst()) !== undefined,
};
