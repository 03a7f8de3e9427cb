import { sql, type Insertable } from 'kysely';
import type { Tx } from '../../platform/db/databases.js';
import type { AppBillingLedger, AppInvoiceLines, AppInvoices, AppPaymentAttempts, DB } from '../../platform/db/types.js';
import type { IsoDate } from '../../platform/calendar.js';

type AppTable = Extract<keyof DB, `app.${string}`>;

/**
 * Inserts a batch as one jsonb parameter expanded by `jsonb_populate_recordset` over the table's own row type,
 * instead of a VALUES list with one parameter per value (a batch of 500 invoices is 11,000 parameters, which
 * Kysely compiles and node-postgres serialises one by one, and PostgreSQL parses, plans and sets up row by row).
 * Same rows, defaults, triggers, constraints and row-level security as the VALUES insert. Values are strings,
 * numbers, booleans, nulls and Dates (sent as ISO instants); `jsonColumns` hold JSON text, as Kysely takes it, and
 * are embedded as JSON. Anything else (a SQL expression, an array, a column left to its default in some rows
 * only) goes through Kysely's VALUES insert as before.
 */
export async function insertRows<T extends AppTable>(
  db: Tx,
  table: T,
  rows: ReadonlyArray<Insertable<DB[T]>>,
  opts: { jsonColumns?: ReadonlyArray<keyof DB[T] & string>; onConflictDoNothing?: ReadonlyArray<keyof DB[T] & string> } = {},
): Promise<void> {
  if (rows.length === 0) return;
  const json = new Set<string>(opts.jsonColumns ?? []);
  const columns = Object.keys(rows[0]!).filter((k) => (rows[0] as Record<string, unknown>)[k] !== undefined);
  const plain = (row: Record<string, unknown>) => {
    let n = 0;
    for (const k in row) {
      const v = row[k];
      if (v === undefined) continue;
      n += 1;
      if (v !== null && typeof v === 'object' && !(v instanceof Date)) return false;
      if (typeof v === 'number' && !Number.isFinite(v)) return false;
      if (json.has(k) && typeof v !== 'string' && v !== null) return false;
    }
    return n === columns.length && columns.every((k) => row[k] !== undefined);
  };
  if (columns.length === 0 || !rows.every((r) => plain(r as Record<string, unknown>))) {
    const values = db.insertInto(table).values(rows as never);
    await (opts.onConflictDoNothing ? values.onConflict((oc) => oc.columns(opts.onConflictDoNothing as never).doNothing()) : values).execute();
    return;
  }
  const embedded = json.size === 0 ? rows : rows.map((r) => {
    const copy: Record<string, unknown> = { ...r };
    for (const c of json) if (typeof copy[c] === 'string') copy[c] = JSON.parse(copy[c] as string);
    return copy;
  });
  const payload = JSON.stringify(embedded, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  const list = sql.join(columns.map((c) => sql.ref(c)));
  const conflict = opts.onConflictDoNothing ? sql` on conflict (${sql.join(opts.onConflictDoNothing.map((c) => sql.ref(c)))}) do nothing` : sql``;
  await sql`insert into ${sql.table(table)} (${list})
    select ${list} from jsonb_populate_recordset(null::${sql.table(table)}, ${payload}::jsonb)${conflict}`.execute(db);
}

/** The queries of the monthly run: which accounts are due, and everything their invoices are made from. */
export const billingRunRepo = {
  /**
   * Billing accounts (family leads) with something to invoice up to `period`: a contract not yet billed through
   * it, or a penalty fee not yet on an invoice. An account that already has this month's invoice waits for the
   * next one, where a late line lands with its own month on it. A sale's own invoice is not the month's invoice.
   */
  dueAccounts: async (db: Tx, period: IsoDate, periodEnd: IsoDate, after: string | null, limit: number) =>
    (
      await sql<{ account: string }>`
        with due as (
          select coalesce(m.family_lead_id, m.id) as account
          from app.contracts c
          join app.members m on m.tenant_id = c.tenant_id and m.id = c.member_id
          where (c.billed_through is null or c.billed_through < ${period}::date)
            and c.start_date <= ${periodEnd}::date
            and (c.end_date is null or c.billed_through is null or c.billed_through < date_trunc('month', c.end_date))
          union
          select coalesce(m.family_lead_id, m.id)
          from app.reservation_penalties p
          join app.members m on m.tenant_id = p.tenant_id and m.id = p.member_id
          where p.kind = 'fee' and p.invoice_id is null and p.waived_at is null
        )
        select account from due d
        where (${after}::uuid is null or d.account > ${after}::uuid)
          and not exists (select 1 from app.invoices i where i.billing_member_id = d.account and i.period = ${period}::date and i.kind = 'monthly')
        order by account
        limit ${limit}`.execute(db)
    ).rows.map((r) => r.account),

  accountMembers: (db: Tx, accounts: string[]) =>
    db
      .selectFrom('app.members')
      .select(['id', 'family_lead_id', 'family_name', 'given_name', 'member_number', 'email'])
      .where((eb) => eb.or([eb('id', 'in', accounts), eb('family_lead_id', 'in', accounts)]))
      .execute(),

  /** A contract just sold, locked: its first invoice is made once. */
  contractToBill: (db: Tx, id: string) =>
    db.selectFrom('app.contracts').select(['id', 'member_id', 'kind', 'start_date', 'end_date', 'billed_through']).where('id', '=', id).forUpdate().executeTakeFirst(),

  /** The member's billing account (the family lead, or the member), with the name invoices are addressed to. */
  accountOf: (db: Tx, memberId: string) =>
    db
      .selectFrom('app.members as m')
      .innerJoin('app.members as a', (j) => j.onRef('a.tenant_id', '=', 'm.tenant_id').on((eb) => eb('a.id', '=', eb.fn.coalesce('m.family_lead_id', 'm.id'))))
      .select(['a.id', 'a.family_name', 'a.given_name'])
      .where('m.id', '=', memberId)
      .executeTakeFirstOrThrow(),

  saleInvoiceOf: (db: Tx, contractId: string) =>
    db.selectFrom('app.invoices').select('id').where('kind', '=', 'sale').where('contract_id', '=', contractId).executeTakeFirst(),

  unbilledContracts: (db: Tx, memberIds: string[], period: IsoDate, periodEnd: IsoDate) =>
    db
      .selectFrom('app.contracts')
      .select(['id', 'member_id', 'kind', 'start_date', 'end_date', 'billed_through'])
      .where('member_id', 'in', memberIds)
      .where((eb) => eb.or([eb('billed_through', 'is', null), eb('billed_through', '<', period)]))
      .where('start_date', '<=', periodEnd)
      .orderBy('start_date')
      .orderBy('id')
      .execute(),

  contractPlans: (db: Tx, contractIds: string[]) =>
    db
      .selectFrom('app.contract_plans as cp')
      .innerJoin('app.plan_versions as pv', (j) => j.onRef('pv.tenant_id', '=', 'cp.tenant_id').onRef('pv.plan_id', '=', 'cp.plan_id').onRef('pv.version', '=', 'cp.plan_version'))
      .innerJoin('app.plans as p', (j) => j.onRef('p.tenant_id', '=', 'cp.tenant_id').onRef('p.id', '=', 'cp.plan_id'))
      .selectAll('pv')
      .select(['cp.contract_id', 'cp.effective_from', 'p.name'])
      .where('cp.contract_id', 'in', contractIds)
      .orderBy('cp.effective_from')
      .execute(),

  contractLeaves: (db: Tx, contractIds: string[]) =>
    db.selectFrom('app.contract_leaves').select(['contract_id', 'from_month', 'return_month', 'withdrawn_at']).where('contract_id', 'in', contractIds).execute(),

  contractOptions: (db: Tx, contractIds: string[]) =>
    db
      .selectFrom('app.contract_options as o')
      .innerJoin('app.plan_versions as pv', (j) => j.onRef('pv.tenant_id', '=', 'o.tenant_id').onRef('pv.plan_id', '=', 'o.plan_id').onRef('pv.version', '=', 'o.plan_version'))
      .innerJoin('app.plans as p', (j) => j.onRef('p.tenant_id', '=', 'o.tenant_id').onRef('p.id', '=', 'o.plan_id'))
      .selectAll('pv')
      .select(['o.id as option_id', 'o.contract_id', 'o.from_date', 'o.until_date', 'p.name'])
      .where('o.contract_id', 'in', contractIds)
      .orderBy('o.from_date')
      .execute(),

  unbilledFees: (db: Tx, memberIds: string[]) =>
    db
      .selectFrom('app.reservation_penalties as p')
      .innerJoin('app.reservations as r', (j) => j.onRef('r.tenant_id', '=', 'p.tenant_id').onRef('r.id', '=', 'p.reservation_id'))
      .innerJoin('app.lessons as l', (j) => j.onRef('l.tenant_id', '=', 'r.tenant_id').onRef('l.id', '=', 'r.lesson_id'))
      .innerJoin('app.lesson_types as t', (j) => j.onRef('t.tenant_id', '=', 'l.tenant_id').onRef('t.id', '=', 'l.lesson_type_id'))
      .select(['p.id', 'p.member_id', 'p.reason', 'p.amount', 'p.created_at', 'l.starts_at', 't.name'])
      .where('p.member_id', 'in', memberIds)
      .where('p.kind', '=', 'fee')
      .where('p.invoice_id', 'is', null)
      .where('p.waived_at', 'is', null)
      .orderBy('p.created_at')
      .execute(),

  currentCards: (db: Tx, memberIds: string[]) =>
    db.selectFrom('app.payment_methods').selectAll().where('member_id', 'in', memberIds).where('detached_at', 'is', null).execute(),

  /** Takes `count` numbers of a per-tenant sequence; the counter row is locked until commit, so there are no gaps. */
  async takeNumbers(db: Tx, name: 'invoice' | 'credit_note', count: number): Promise<number> {
    const row = await db
      .insertInto('app.counters')
      .values({ name, value: count })
      .onConflict((oc) => oc.columns(['tenant_id', 'name']).doUpdateSet({ value: sql`app.counters.value + ${count}` }))
      .returning('value')
      .executeTakeFirstOrThrow();
    return Number(row.value) - count + 1;
  },

  insertInvoices: (db: Tx, rows: Array<Insertable<AppInvoices>>) => insertRows(db, 'app.invoices', rows, { jsonColumns: ['tax_breakdown'] }),
  insertLines: (db: Tx, rows: Array<Insertable<AppInvoiceLines>>) => insertRows(db, 'app.invoice_lines', rows),
  insertLedger: (db: Tx, rows: Array<Insertable<AppBillingLedger>>) => insertRows(db, 'app.billing_ledger', rows, { onConflictDoNothing: ['tenant_id', 'kind', 'reference_id'] }),
  insertAttempts: (db: Tx, rows: Array<Insertable<AppPaymentAttempts>>) => insertRows(db, 'app.payment_attempts', rows),

  markBilled: (db: Tx, contractIds: string[], period: IsoDate) =>
    contractIds.length ? db.updateTable('app.contracts').set({ billed_through: period }).where('id', 'in', contractIds).execute() : Promise.resolve(),

  markFeesInvoiced: async (db: Tx, fees: Array<{ id: string; invoiceId: string }>) => {
    if (fees.length === 0) return;
    await sql`update app.reservation_penalties p set invoice_id = v.invoice_id
      from (select unnest(${fees.map((f) => f.id)}::uuid[]) as id, unnest(${fees.map((f) => f.invoiceId)}::uuid[]) as invoice_id) v
      where p.id = v.id`.execute(db);
  },

  startRun: (db: Tx, period: IsoDate) =>
    db.insertInto('app.billing_runs').values({ period }).onConflict((oc) => oc.columns(['tenant_id', 'period']).doNothing()).execute(),

  countRun: (db: Tx, period: IsoDate, invoices: number, charges: number) =>
    db
      .updateTable('app.billing_runs')
      .set((eb) => ({ invoices_created: eb('invoices_created', '+', invoices), charges_attempted: eb('charges_attempted', '+', charges) }))
      .where('period', '=', period)
      .execute(),

  finishRun: (db: Tx, period: IsoDate) => db.updateTable('app.billing_runs').set({ finished_at: sql`now()` }).where('period', '=', period).execute(),
};
