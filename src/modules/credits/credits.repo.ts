import { sql, type Insertable, type RawBuilder } from 'kysely';
import type { Tx } from '../../platform/db/databases.js';
import { fixedQuery } from '../../platform/db/fixed-query.js';
import type { AppCreditLedger } from '../../platform/db/types.js';

export interface Lot {
  id: string;
  member_id: string;
  kind: 'grant' | 'carryover';
  expires_on: string | null;
  contract_id: string | null;
  granted: number;
  remaining: number;
  created_at: Date;
}

/** Lots (grants) with what is left of them, kept per lot as the ledger is written (migration 0031). */
const lotsQuery = (db: Tx) =>
  db
    .selectFrom('app.credit_ledger as l')
    .innerJoin('app.credit_lot_balances as b', (j) => j.onRef('b.tenant_id', '=', 'l.tenant_id').onRef('b.lot_id', '=', 'l.id'))
    .select([
      'l.id',
      'l.member_id',
      sql<'grant' | 'carryover'>`l.kind`.as('kind'),
      'l.expires_on',
      'l.contract_id',
      sql<number>`l.amount`.as('granted'),
      'b.remaining',
      'l.created_at',
    ])
    // Callers name the member on both tables (b.member_id and l.member_id): whichever side the planner starts
    // from, it reads only that member's rows. With the member on the balances alone, a plan that started from the
    // ledger walked every ledger row of the studio by its primary key (all its grants and spends) to find one lot.
    // A literal, not a parameter: a prepared statement's generic plan can use the partial index (remaining > 0)
    // only if the condition is written as the index's. With `remaining > $1`, spending a credit once walked every
    // balance of the studio (10,000 buffers a booking in the bench).
    .where(sql<boolean>`b.remaining > 0`);

/** spendOne's statement (see there). */
const spendOneQuery = fixedQuery((db, p: { memberId: string; today: string; referenceId: string; reason: string; actorKind: AppCreditLedger['actor_kind']; actorId: string | null }) =>
  db
    .insertInto('app.credit_ledger')
    .columns(['member_id', 'kind', 'amount', 'lot_id', 'contract_id', 'reference_id', 'reason', 'actor_kind', 'actor_id'])
    .expression(
      lotsQuery(db)
        .clearSelect()
        .select([
          'l.member_id',
          sql<'consume'>`'consume'`.as('kind'),
          sql<number>`-1`.as('amount'),
          'l.id',
          'l.contract_id',
          sql<string>`${p.referenceId}::uuid`.as('reference_id'),
          sql<string>`${p.reason}::text`.as('reason'),
          sql<string>`${p.actorKind}::text`.as('actor_kind'),
          sql<string | null>`${p.actorId}::uuid`.as('actor_id'),
        ])
        .where('b.member_id', '=', p.memberId)
        .where('l.member_id', '=', p.memberId)
        .where((eb) => eb.or([eb('l.expires_on', 'is', null), eb('l.expires_on', '>=', p.today)]))
        .orderBy(sql`l.expires_on nulls last`)
        .orderBy('l.created_at')
        .limit(sql.lit(1)),
    )
    .returningAll());

/** One member's row locked, as lockMembers locks several. */
const lockMemberQuery = fixedQuery((db, p: { memberId: string }) => db.selectFrom('app.members').select('id').where('id', '=', p.memberId).forNoKeyUpdate());

/** Joins a contract `c` to the plan version `v` in force in the month starting on monthStart. */
const planInForce = (monthStart: string) => sql`
  join lateral (
    select cp.plan_id, cp.plan_version from app.contract_plans cp
     where cp.contract_id = c.id and cp.effective_from <= greatest(c.start_date, ${monthStart}::date)
     order by cp.effective_from desc limit 1) cp on true
  join app.plan_versions v on v.plan_id = cp.plan_id and v.version = cp.plan_version`;

/** Contract `c` is not on leave in the month starting on monthStart. */
const notOnLeave = (monthStart: string) => sql`not exists (
  select 1 from app.contract_leaves l where l.contract_id = c.id and l.withdrawn_at is null
     and l.from_month <= ${monthStart}::date and (l.return_month is null or l.return_month > ${monthStart}::date))`;

/**
 * No grant with this key yet. The key is built in a subquery of its own (OFFSET 0 keeps it there): built inline,
 * its string functions are not leakproof, and under RLS the lookup would read every key of the tenant.
 */
const notGranted = (key: RawBuilder<unknown>) =>
  sql`not exists (select 1 from (select ${key} as key offset 0) k join app.credit_ledger g on g.grant_key = k.key)`;

const onlyContracts = (ids: string[] | undefined) => (ids === undefined ? sql`true` : sql`c.id = any(${ids}::uuid[])`);

export const creditsRepo = {
  /**
   * Serialises credit changes of members by locking their rows (in id order), the same lock the status job holds
   * while it ends memberships: two bookings cannot spend one credit, and an expiry cannot race a booking.
   */
  lockMember: (db: Tx, memberId: string) => lockMemberQuery(db, { memberId }),
  lockMembers: (db: Tx, memberIds: string[]) =>
    db.selectFrom('app.members').select('id').where('id', 'in', memberIds).orderBy('id').forNoKeyUpdate().execute(),

  membersOfContracts: async (db: Tx, contractIds: string[]) =>
    contractIds.length === 0 ? [] : (await db.selectFrom('app.contracts').select('member_id').where('id', 'in', contractIds).execute()).map((r) => r.member_id),

  /** Lots with credits left, soonest to expire first (the order they are spent in). */
  openLots: (db: Tx, memberIds: string[]): Promise<Lot[]> =>
    memberIds.length === 0
      ? Promise.resolve([])
      : lotsQuery(db)
          .where('b.member_id', 'in', memberIds)
          .where('l.member_id', 'in', memberIds)
          .orderBy(sql`l.expires_on nulls last`)
          .orderBy('l.created_at')
          .execute(),

  /** Lots past their expiry with credits left; up to `limit`. */
  expiredLots: (db: Tx, today: string, limit: number): Promise<Lot[]> =>
    lotsQuery(db)
      .where('l.expires_on', '<', today)
      .limit(limit)
      .execute(),

  /**
   * Spends one credit of the member's soonest-expiring usable lot (openLots' order), choosing the lot and writing
   * the row in one statement; no row when nothing usable is left. The caller holds the member lock.
   */
  spendOne: (db: Tx, memberId: string, today: string, row: { referenceId: string; reason: string; actorKind: AppCreditLedger['actor_kind']; actorId: string | null }) =>
    spendOneQuery(db, { memberId, today, ...row }),

  insert: (db: Tx, rows: Array<Insertable<AppCreditLedger>>) =>
    rows.length === 0 ? Promise.resolve([]) : db.insertInto('app.credit_ledger').values(rows).returningAll().execute(),

  /** Grants keyed for idempotency: a key already used grants nothing. */
  insertKeyed: (db: Tx, rows: Array<Insertable<AppCreditLedger>>) =>
    rows.length === 0
      ? Promise.resolve([])
      : db.insertInto('app.credit_ledger').values(rows).onConflict((oc) => oc.columns(['tenant_id', 'grant_key']).doNothing()).returning('id').execute(),

  consumptionsFor: (db: Tx, memberId: string, referenceId: string) =>
    db
      .selectFrom('app.credit_ledger')
      .select(['lot_id', sql<number>`sum(amount)::int`.as('amount')])
      .where('member_id', '=', memberId)
      .where('reference_id', '=', referenceId)
      .where('kind', 'in', ['consume', 'refund'])
      .groupBy('lot_id')
      .execute(),

  /**
   * Newest first. The cursor is the last row's exact time (as PostgreSQL prints it, to the microsecond) and id:
   * rows written by one statement share a millisecond, and a JS Date would skip some of them.
   */
  page: (db: Tx, memberId: string, before: { at: string; id: string } | undefined, limit: number) =>
    db
      .selectFrom('app.credit_ledger')
      .selectAll()
      .select(sql<string>`created_at::text`.as('cursor_at'))
      .where('member_id', '=', memberId)
      .$if(before !== undefined, (q) => q.where(sql<boolean>`(created_at, id) < (${before!.at}::timestamptz, ${before!.id}::uuid)`))
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute(),

  /**
   * Monthly grants for the month of `today`, for running monthly contracts whose plan (the version in force that
   * month) grants credits and that are not on leave. Keyed per contract and month, so a rerun grants nothing.
   */
  grantMonthly: (db: Tx, p: { today: string; month: string; monthStart: string; monthEnd: string; contractIds?: string[]; limit: number; reason: string }) =>
    sql<{ id: string }>`
      insert into app.credit_ledger (member_id, kind, amount, expires_on, contract_id, grant_key, reason, actor_kind)
      select c.member_id, 'grant', v.credits_per_grant, ${p.monthEnd}::date, c.id,
             'monthly:' || c.id || ':' || ${p.month}, ${p.reason}, 'system'
        from app.contracts c
        ${planInForce(p.monthStart)}
       where c.kind = 'monthly' and c.start_date <= ${p.today}::date and (c.end_date is null or c.end_date >= ${p.today}::date)
         and v.credit_grant in ('monthly', 'monthly_carryover')
         and ${onlyContracts(p.contractIds)}
         and ${notOnLeave(p.monthStart)}
         and ${notGranted(sql`'monthly:' || c.id || ':' || ${p.month}`)}
       limit ${p.limit}
      on conflict (tenant_id, grant_key) do nothing
      returning id`.execute(db),

  /**
   * Carries last month's unused monthly credits (before they expire) into this month, up to the plan's cap,
   * for contracts on a carry-over plan this month.
   */
  grantCarryover: (db: Tx, p: { month: string; monthStart: string; monthEnd: string; previousEnd: string; contractIds?: string[]; limit: number; reason: string }) =>
    sql<{ id: string }>`
      insert into app.credit_ledger (member_id, kind, amount, expires_on, contract_id, grant_key, reason, actor_kind)
      select c.member_id, 'carryover', least(v.carryover_cap, unused.n), ${p.monthEnd}::date, c.id,
             'carryover:' || c.id || ':' || ${p.month}, ${p.reason}, 'system'
        from app.contracts c
        ${planInForce(p.monthStart)}
        join lateral (
          select coalesce(sum(l.amount + coalesce((
                   select sum(d.amount) from app.credit_ledger d where d.lot_id = l.id and d.kind <> 'expire'), 0)), 0)::int as n
            from app.credit_ledger l
           where l.contract_id = c.id and l.lot_id is null and l.expires_on = ${p.previousEnd}::date) unused on true
       where c.kind = 'monthly' and v.credit_grant = 'monthly_carryover' and v.carryover_cap > 0 and unused.n > 0
         and c.start_date <= ${p.monthStart}::date and (c.end_date is null or c.end_date >= ${p.monthStart}::date)
         and ${onlyContracts(p.contractIds)}
         and ${notOnLeave(p.monthStart)}
         and ${notGranted(sql`'carryover:' || c.id || ':' || ${p.month}`)}
       limit ${p.limit}
      on conflict (tenant_id, grant_key) do nothing
      returning id`.execute(db),
};
