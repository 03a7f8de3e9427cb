-- Tier moves (issue 19). Every tenant transaction begins with app.enter_tenant, which sets the tenant and
-- enforces what a move needs of this database, whatever instance or cached catalog row the transaction comes from:
--  * while a move copies the tenant's rows out, the mover holds the tenant's move lock here, so the transaction
--    is read only (its writes fail with SQLSTATE 25006, answered 503 with Retry-After) and reads go on;
--  * once the tenant has moved out, its rows here are stale until the purge: tenancy.departed refuses every
--    transaction of it (SQLSTATE SHM01), so an instance whose cache still names this database learns of the move
--    and no request is ever served from two places.
create schema tenancy;

create table tenancy.departed (
  tenant_id uuid primary key,
  moved_to text not null,
  departed_at timestamptz not null default now()
);

-- The key of a tenant's move lock (an advisory lock of this database): the mover takes it exclusively, every
-- tenant transaction shared. A collision of two tenants' keys would only pause the other's writes during a move.
create function app.move_lock_key(tenant uuid) returns bigint
  language sql immutable parallel safe
  as $$ select hashtextextended('studiohive.move/' || tenant::text, 0) $$;

-- As the owner (security definer): the app role reads nothing of tenancy.departed but this one answer.
create function app.enter_tenant(tenant uuid) returns void
  language plpgsql security definer set search_path = pg_catalog, pg_temp
  as $$
begin
  perform set_config('app.tenant_id', tenant::text, true);
  if exists (select from tenancy.departed d where d.tenant_id = tenant) then
    raise exception 'tenant % has moved to another database', tenant using errcode = 'SHM01';
  end if;
  if not pg_try_advisory_xact_lock_shared(app.move_lock_key(tenant)) then
    perform set_config('transaction_read_only', 'on', true);
  end if;
end
$$;
