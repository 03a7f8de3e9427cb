-- What is left of each credit lot, kept as the ledger is written (issue 17): a booking reads one row per open lot
-- instead of summing the lot's whole ledger (40% of a booking's database time). The ledger stays the record and
-- is append-only; this table is derived from it, row by row, by the trigger below, in the same transaction.
create table app.credit_lot_balances (
  tenant_id uuid not null default app.current_tenant_id(),
  lot_id uuid not null,
  member_id uuid not null,
  -- Never below zero: a credit cannot be spent twice even if a caller forgot the member lock.
  remaining integer not null check (remaining >= 0),
  primary key (tenant_id, lot_id),
  foreign key (tenant_id, lot_id) references app.credit_ledger (tenant_id, id) on delete cascade
);
create index credit_lot_balances_open_idx on app.credit_lot_balances (tenant_id, member_id) where remaining > 0;
select app.isolate_by_tenant('app.credit_lot_balances');

-- As the owner (security definer): the app role's grants on a new table come only after every migration of the
-- deploy has committed, and instances still serving meanwhile must go on writing the ledger. RLS is FORCEd on the
-- owner too, so the function works as the ledger row's tenant (which RLS already checked for the caller) and puts
-- the caller's setting back: a superuser's bulk load of several tenants' rows keeps each row's balance its own.
create function app.keep_lot_balance() returns trigger
  language plpgsql
  security definer
  set search_path = pg_catalog, app
  as $$
  declare
    caller text := current_setting('app.tenant_id', true);
  begin
    perform set_config('app.tenant_id', new.tenant_id::text, true);
    if new.lot_id is null then
      insert into app.credit_lot_balances (tenant_id, lot_id, member_id, remaining)
        values (new.tenant_id, new.id, new.member_id, new.amount);
    else
      update app.credit_lot_balances set remaining = remaining + new.amount
       where tenant_id = new.tenant_id and lot_id = new.lot_id;
      if not found then
        raise exception 'credit lot % has no balance row', new.lot_id;
      end if;
    end if;
    perform set_config('app.tenant_id', coalesce(caller, ''), true);
    return null;
  end
  $$;
create trigger credit_ledger_keep_lot_balance after insert on app.credit_ledger
  for each row execute function app.keep_lot_balance();

-- Existing lots, for every tenant of this database: RLS is lifted for the owner for this statement only (inside
-- the migration's transaction) and put back before it commits. It locks the ledger for the copy (seconds per
-- million ledger rows): deploy it outside a studio's rush.
alter table app.credit_ledger no force row level security;
alter table app.credit_lot_balances no force row level security;
insert into app.credit_lot_balances (tenant_id, lot_id, member_id, remaining)
select l.tenant_id, l.id, l.member_id, l.amount + coalesce(sum(d.amount), 0)
  from app.credit_ledger l
  left join app.credit_ledger d on d.tenant_id = l.tenant_id and d.lot_id = l.id
 where l.lot_id is null
 group by l.tenant_id, l.id;
alter table app.credit_ledger force row level security;
alter table app.credit_lot_balances force row level security;
