-- Membership rules of a studio. One row per tenant; no row means the defaults below.
create table app.tenant_settings (
  tenant_id uuid not null default app.current_tenant_id(),
  -- First month of a monthly contract: charged in full, pro-rata by day, or free until the 1st.
  proration_rule text not null default 'daily' check (proration_rule in ('full', 'daily', 'free_until_first')),
  -- 締め日: a change applied on or before this day takes effect after this month, later ones after next month.
  cutoff_day smallint not null default 10 check (cutoff_day between 1 and 27),
  -- Invoices for a month are made on this day of the month before; after the cut-off, so a change applied in
  -- time never meets an invoice already made.
  billing_day smallint not null default 11 check (billing_day between 2 and 28),
  currency text not null default 'JPY' check (currency ~ '^[A-Z]{3}$'),
  tax_rounding text not null default 'floor' check (tax_rounding in ('floor', 'half_up', 'ceil')),
  updated_at timestamptz not null default now(),
  primary key (tenant_id),
  check (cutoff_day < billing_day)
);
select app.isolate_by_tenant('app.tenant_settings');

create table app.locations (
  tenant_id uuid not null default app.current_tenant_id(),
  id uuid not null default gen_random_uuid(),
  name text not null check (length(name) between 1 and 100),
  address text not null default '' check (length(address) <= 300),
  archived_at timestamptz,
  created_at timestamptz not null default now(),
  primary key (tenant_id, id),
  unique (tenant_id, name)
);
select app.isolate_by_tenant('app.locations');

create table app.lesson_types (
  tenant_id uuid not null default app.current_tenant_id(),
  id uuid not null default gen_random_uuid(),
  name text not null check (length(name) between 1 and 100),
  duration_minutes integer not null check (duration_minutes between 5 and 600),
  colour text not null default '#4f46e5' check (colour ~ '^#[0-9a-f]{6}$'),
  description text not null default '' check (length(description) <= 2000),
  archived_at timestamptz,
  created_at timestamptz not null default now(),
  primary key (tenant_id, id),
  unique (tenant_id, name)
);
select app.isolate_by_tenant('app.lesson_types');

alter table app.members
  add column status text not null default 'provisional'
    check (status in ('provisional', 'trial', 'active', 'on_leave', 'cancelled')),
  add column status_since date,
  add column home_location_id uuid,
  add foreign key (tenant_id, home_location_id) references app.locations (tenant_id, id);
create index members_status_idx on app.members (tenant_id, status);

-- The tenant's catalog. What a plan costs and allows lives in its versions; a plan points at its current one.
create table app.plans (
  tenant_id uuid not null default app.current_tenant_id(),
  id uuid not null default gen_random_uuid(),
  kind text not null check (kind in ('monthly', 'pack', 'option')),
  name text not null check (length(name) between 1 and 100),
  description text not null default '' check (length(description) <= 2000),
  current_version integer not null default 1,
  archived_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id),
  unique (tenant_id, name)
);
select app.isolate_by_tenant('app.plans');

-- Immutable once written: a price edit makes a new version, and contracts keep the version they were sold.
create table app.plan_versions (
  tenant_id uuid not null default app.current_tenant_id(),
  plan_id uuid not null,
  version integer not null check (version > 0),
  -- Integer minor units (JPY has none): the monthly price, or a pack's price.
  price bigint not null check (price >= 0),
  price_includes_tax boolean not null default true,
  tax_category text not null check (tax_category in ('standard_10', 'reduced_8', 'exempt')),
  enrollment_fee bigint not null default 0 check (enrollment_fee >= 0),
  annual_fee bigint check (annual_fee > 0),
  leave_fee bigint not null default 0 check (leave_fee >= 0),
  pack_credits integer check (pack_credits > 0),
  pack_validity_days integer check (pack_validity_days between 1 and 3660),
  credit_grant text not null default 'none' check (credit_grant in ('none', 'contract_start', 'monthly', 'monthly_carryover')),
  credits_per_grant integer check (credits_per_grant > 0),
  carryover_cap integer check (carryover_cap >= 0),
  -- Booking rules the reservation engine reads. NULL means no limit; the lesson-type and location lists in
  -- their own tables apply only when the all_* flag is off.
  all_lesson_types boolean not null default true,
  all_locations boolean not null default true,
  max_upcoming integer check (max_upcoming > 0),
  max_per_day integer check (max_per_day > 0),
  max_per_week integer check (max_per_week > 0),
  max_per_month integer check (max_per_month > 0),
  created_at timestamptz not null default now(),
  created_by uuid,
  primary key (tenant_id, plan_id, version),
  foreign key (tenant_id, plan_id) references app.plans (tenant_id, id),
  check ((pack_credits is null) = (pack_validity_days is null)),
  check ((credit_grant = 'none') = (credits_per_grant is null)),
  check ((credit_grant = 'monthly_carryover') = (carryover_cap is not null))
);
select app.isolate_by_tenant('app.plan_versions');

create table app.plan_version_lesson_types (
  tenant_id uuid not null default app.current_tenant_id(),
  plan_id uuid not null,
  version integer not null,
  lesson_type_id uuid not null,
  primary key (tenant_id, plan_id, version, lesson_type_id),
  foreign key (tenant_id, plan_id, version) references app.plan_versions (tenant_id, plan_id, version),
  foreign key (tenant_id, lesson_type_id) references app.lesson_types (tenant_id, id)
);
select app.isolate_by_tenant('app.plan_version_lesson_types');

create table app.plan_version_locations (
  tenant_id uuid not null default app.current_tenant_id(),
  plan_id uuid not null,
  version integer not null,
  location_id uuid not null,
  primary key (tenant_id, plan_id, version, location_id),
  foreign key (tenant_id, plan_id, version) references app.plan_versions (tenant_id, plan_id, version),
  foreign key (tenant_id, location_id) references app.locations (tenant_id, id)
);
select app.isolate_by_tenant('app.plan_version_locations');

-- A member's subscription to a monthly plan, or the purchase of a pack.
create table app.contracts (
  tenant_id uuid not null default app.current_tenant_id(),
  id uuid not null default gen_random_uuid(),
  member_id uuid not null,
  kind text not null check (kind in ('monthly', 'pack')),
  start_date date not null,
  -- Set when cancelled (the last day, a month end) or for a pack (the last valid day).
  end_date date,
  cancel_reason text check (length(cancel_reason) <= 1000),
  cancel_requested_at timestamptz,
  -- Set by the job that carries out the end: reservations released, credits expired.
  ended_at timestamptz,
  created_at timestamptz not null default now(),
  created_by uuid,
  primary key (tenant_id, id),
  foreign key (tenant_id, member_id) references app.members (tenant_id, id),
  check (end_date is null or end_date >= start_date),
  check ((cancel_reason is null) = (cancel_requested_at is null))
);
create index contracts_member_idx on app.contracts (tenant_id, member_id, start_date);
select app.isolate_by_tenant('app.contracts');

-- Which plan version a contract is on from a date: the first row starts with the contract, a plan change adds
-- one from the 1st of a later month.
create table app.contract_plans (
  tenant_id uuid not null default app.current_tenant_id(),
  contract_id uuid not null,
  effective_from date not null,
  plan_id uuid not null,
  plan_version integer not null,
  requested_at timestamptz not null default now(),
  primary key (tenant_id, contract_id, effective_from),
  foreign key (tenant_id, contract_id) references app.contracts (tenant_id, id),
  foreign key (tenant_id, plan_id, plan_version) references app.plan_versions (tenant_id, plan_id, version)
);
select app.isolate_by_tenant('app.contract_plans');

-- 休会: whole months from from_month until return_month (exclusive); no return month means until asked.
create table app.contract_leaves (
  tenant_id uuid not null default app.current_tenant_id(),
  id uuid not null default gen_random_uuid(),
  contract_id uuid not null,
  from_month date not null check (extract(day from from_month) = 1),
  return_month date check (extract(day from return_month) = 1),
  reason text not null default '' check (length(reason) <= 1000),
  requested_at timestamptz not null default now(),
  withdrawn_at timestamptz,
  primary key (tenant_id, id),
  foreign key (tenant_id, contract_id) references app.contracts (tenant_id, id),
  check (return_month is null or return_month > from_month)
);
create index contract_leaves_contract_idx on app.contract_leaves (tenant_id, contract_id);
select app.isolate_by_tenant('app.contract_leaves');

-- Options (locker, rental) attached to a monthly contract for whole months.
create table app.contract_options (
  tenant_id uuid not null default app.current_tenant_id(),
  id uuid not null default gen_random_uuid(),
  contract_id uuid not null,
  plan_id uuid not null,
  plan_version integer not null,
  from_date date not null,
  -- The last day charged, a month end; NULL while attached.
  until_date date,
  created_at timestamptz not null default now(),
  primary key (tenant_id, id),
  foreign key (tenant_id, contract_id) references app.contracts (tenant_id, id),
  foreign key (tenant_id, plan_id, plan_version) references app.plan_versions (tenant_id, plan_id, version),
  check (until_date is null or until_date >= from_date)
);
create index contract_options_contract_idx on app.contract_options (tenant_id, contract_id);
select app.isolate_by_tenant('app.contract_options');

-- The member history: append-only. A member's status is its latest event's to_status (kept on the member row
-- by a trigger, for indexing); changes for a later date wait in member_status_changes until their day.
create table app.member_status_events (
  tenant_id uuid not null default app.current_tenant_id(),
  id uuid not null default gen_random_uuid(),
  member_id uuid not null,
  from_status text,
  to_status text not null check (to_status in ('provisional', 'trial', 'active', 'on_leave', 'cancelled')),
  effective_on date not null,
  reason text not null default '' check (length(reason) <= 1000),
  actor_kind text not null check (actor_kind in ('staff', 'api_key', 'member', 'system')),
  actor_id uuid,
  change_id uuid,
  contract_id uuid,
  -- What carrying out the change did (reservations released, credits expired), for the record.
  effects jsonb not null default '{}',
  recorded_at timestamptz not null default clock_timestamp(),
  primary key (tenant_id, id),
  foreign key (tenant_id, member_id) references app.members (tenant_id, id)
);
create index member_status_events_member_idx on app.member_status_events (tenant_id, member_id, recorded_at);
select app.isolate_by_tenant('app.member_status_events');

create table app.member_status_changes (
  tenant_id uuid not null default app.current_tenant_id(),
  id uuid not null default gen_random_uuid(),
  member_id uuid not null,
  to_status text not null check (to_status in ('trial', 'active', 'on_leave', 'cancelled')),
  effective_on date not null,
  reason text not null default '' check (length(reason) <= 1000),
  contract_id uuid,
  leave_id uuid,
  requested_by_kind text not null check (requested_by_kind in ('staff', 'api_key', 'member', 'system')),
  requested_by uuid,
  requested_at timestamptz not null default now(),
  applied_at timestamptz,
  withdrawn_at timestamptz,
  primary key (tenant_id, id),
  foreign key (tenant_id, member_id) references app.members (tenant_id, id),
  foreign key (tenant_id, contract_id) references app.contracts (tenant_id, id),
  foreign key (tenant_id, leave_id) references app.contract_leaves (tenant_id, id),
  check (applied_at is null or withdrawn_at is null)
);
create index member_status_changes_due_idx on app.member_status_changes (tenant_id, effective_on)
  where applied_at is null and withdrawn_at is null;
create index member_status_changes_member_idx on app.member_status_changes (tenant_id, member_id);
select app.isolate_by_tenant('app.member_status_changes');

alter table app.member_status_events
  add foreign key (tenant_id, change_id) references app.member_status_changes (tenant_id, id),
  add foreign key (tenant_id, contract_id) references app.contracts (tenant_id, id);

-- Credits: every grant, consumption, refund and expiry is a row; balances are sums. A grant opens a lot (with
-- its expiry); the rows that use, refund or expire credits name their lot, so a lot's remainder is a sum too.
create table app.credit_ledger (
  tenant_id uuid not null default app.current_tenant_id(),
  id uuid not null default gen_random_uuid(),
  member_id uuid not null,
  kind text not null check (kind in ('grant', 'carryover', 'consume', 'refund', 'expire', 'adjust')),
  amount integer not null check (amount <> 0),
  lot_id uuid,
  expires_on date,
  contract_id uuid,
  -- What the row is for (a reservation, later); a consumption is refunded at most once per reference.
  reference_id uuid,
  -- Makes scheduled grants idempotent: a job that runs twice grants once.
  grant_key text,
  reason text not null default '' check (length(reason) <= 500),
  actor_kind text not null check (actor_kind in ('staff', 'api_key', 'member', 'system')),
  actor_id uuid,
  created_at timestamptz not null default clock_timestamp(),
  primary key (tenant_id, id),
  unique (tenant_id, grant_key),
  foreign key (tenant_id, member_id) references app.members (tenant_id, id),
  foreign key (tenant_id, lot_id) references app.credit_ledger (tenant_id, id),
  foreign key (tenant_id, contract_id) references app.contracts (tenant_id, id),
  -- Grants open lots (which may expire); every other row draws on a lot or gives back to it.
  check ((kind in ('grant', 'carryover')) = (lot_id is null)),
  check ((kind in ('grant', 'carryover', 'refund')) = (amount > 0)),
  check (lot_id is null or expires_on is null)
);
create index credit_ledger_member_idx on app.credit_ledger (tenant_id, member_id, created_at);
create index credit_ledger_lot_idx on app.credit_ledger (tenant_id, lot_id) where lot_id is not null;
create index credit_ledger_expiring_idx on app.credit_ledger (tenant_id, expires_on) where lot_id is null and expires_on is not null;
create unique index credit_ledger_one_refund_idx on app.credit_ledger (tenant_id, lot_id, reference_id) where kind = 'refund';
select app.isolate_by_tenant('app.credit_ledger');

-- Invoices are the billing engine's; contracts need to know whether a member owes money (a plan change waits
-- until it is paid), so the table starts here with what that question reads.
create table app.invoices (
  tenant_id uuid not null default app.current_tenant_id(),
  id uuid not null default gen_random_uuid(),
  billing_member_id uuid not null,
  period date not null check (extract(day from period) = 1),
  status text not null default 'draft' check (status in ('draft', 'open', 'paid', 'void', 'uncollectible')),
  total bigint not null check (total >= 0),
  due_on date not null,
  created_at timestamptz not null default now(),
  primary key (tenant_id, id),
  foreign key (tenant_id, billing_member_id) references app.members (tenant_id, id)
);
create index invoices_unpaid_idx on app.invoices (tenant_id, billing_member_id) where status in ('open', 'uncollectible');
select app.isolate_by_tenant('app.invoices');

-- Idempotency: a retried write answers what the first one answered. The key is stored in the same
-- transaction as the write, so either both happened or neither did.
create table app.idempotency_keys (
  tenant_id uuid not null default app.current_tenant_id(),
  key text not null check (length(key) between 8 and 200),
  -- The principal and route it was used for, and a hash of the request, so a key reused for something else
  -- is refused instead of replaying the wrong answer.
  scope text not null,
  request_hash text not null,
  status_code smallint,
  response jsonb,
  created_at timestamptz not null default now(),
  primary key (tenant_id, key)
);
create index idempotency_keys_created_idx on app.idempotency_keys (tenant_id, created_at);
select app.isolate_by_tenant('app.idempotency_keys');

-- Append-only tables: rows are never changed or removed, except when a whole tenant is purged (the purge sets
-- app.purge for its own transactions).
create function app.refuse_change() returns trigger
  language plpgsql
  as $$
  begin
    if tg_op = 'DELETE' and current_setting('app.purge', true) = 'on' then
      return old;
    end if;
    raise exception '% is append-only: % is not allowed', tg_table_name, tg_op
      using errcode = 'integrity_constraint_violation';
  end
  $$;
create trigger member_status_events_append_only before update or delete on app.member_status_events
  for each row execute function app.refuse_change();
create trigger credit_ledger_append_only before update or delete on app.credit_ledger
  for each row execute function app.refuse_change();

-- The member's status is derived from its history: each event sets it, and nothing else may.
create function app.apply_status_event() returns trigger
  language plpgsql
  as $$
  begin
    perform set_config('app.status_from_history', 'on', true);
    update app.members set status = new.to_status, status_since = new.effective_on, updated_at = now()
      where tenant_id = new.tenant_id and id = new.member_id;
    perform set_config('app.status_from_history', 'off', true);
    return new;
  end
  $$;
create trigger member_status_events_apply after insert on app.member_status_events
  for each row execute function app.apply_status_event();

create function app.guard_member_status() returns trigger
  language plpgsql
  as $$
  begin
    if (new.status is distinct from old.status or new.status_since is distinct from old.status_since)
       and current_setting('app.status_from_history', true) is distinct from 'on' then
      raise exception 'a member''s status changes only through its history (app.member_status_events)'
        using errcode = 'integrity_constraint_violation';
    end if;
    return new;
  end
  $$;
create trigger members_status_guard before update on app.members
  for each row execute function app.guard_member_status();
