-- Billing: the monthly run, invoices and their lines, payments through gateways, dunning, refunds (credit notes)
-- and the ledger. Money is integer minor units throughout.

alter table app.tenant_settings
  -- 適格請求書発行事業者の登録番号: T and 13 digits. Printed on every invoice and receipt when set.
  add column invoice_registration_number text check (invoice_registration_number ~ '^T[0-9]{13}$'),
  add column invoice_issuer_name text check (length(invoice_issuer_name) between 1 and 200),
  add column invoice_issuer_address text not null default '' check (length(invoice_issuer_address) <= 300),
  -- An invoice is due this many days after it is issued, and never before its month starts.
  add column payment_terms_days smallint not null default 7 check (payment_terms_days between 0 and 60),
  -- Days after the first failed charge on which it is retried; the last failure escalates.
  add column dunning_retry_days smallint[] not null default '{1,3,7}'
    check (cardinality(dunning_retry_days) <= 10 and 0 < all (dunning_retry_days) and 60 >= all (dunning_retry_days)),
  -- What happens to an account's monthly contracts this many days after escalation, if anything.
  add column dunning_final_action text not null default 'none' check (dunning_final_action in ('none', 'leave', 'cancel')),
  add column dunning_final_after_days smallint not null default 30 check (dunning_final_after_days between 1 and 365),
  add column payment_gateway text not null default 'test' check (payment_gateway in ('test', 'stripe')),
  -- The studio's own Stripe account. Write-only through the API.
  add column stripe_secret_key text check (stripe_secret_key ~ '^(sk|rk)_[A-Za-z0-9_]{8,200}$'),
  add column stripe_webhook_secret text check (stripe_webhook_secret ~ '^whsec_[A-Za-z0-9_]{8,200}$');

-- The last month a contract has been invoiced for (its 1st). The run picks contracts behind the month it bills
-- and moves this forward in the same transaction as the invoice, which makes the run resumable.
alter table app.contracts add column billed_through date check (extract(day from billed_through) = 1);
create index contracts_unbilled_idx on app.contracts (tenant_id, billed_through);

alter table app.invoices
  -- Sequential per tenant with no gaps, given when the invoice is issued (draft → open) and never changed.
  add column number bigint check (number > 0),
  add column currency text not null default 'JPY' check (currency ~ '^[A-Z]{3}$'),
  add column issued_on date,
  add column subtotal_excluding_tax bigint not null default 0,
  add column tax_total bigint not null default 0 check (tax_total >= 0),
  -- Per rate: [{taxCategory, ratePercent, taxableAmount, tax, total}], rounded once per rate.
  add column tax_breakdown jsonb not null default '[]',
  -- Who it is for and who issued it, as printed on the day: later edits of the member or studio do not change
  -- an issued invoice.
  add column recipient_name text not null default '',
  add column issuer_name text not null default '',
  add column issuer_address text not null default '',
  add column registration_number text,
  add column amount_paid bigint not null default 0 check (amount_paid >= 0),
  add column amount_refunded bigint not null default 0 check (amount_refunded >= 0),
  add column paid_at timestamptz,
  add column voided_at timestamptz,
  add column void_reason text check (length(void_reason) <= 1000),
  -- Dunning: charge attempts by the run and its retries; the next retry; the first failure the schedule counts
  -- from; escalation (the account is overdue from then); the final action taken.
  add column auto_charge boolean not null default true,
  add column attempt_count smallint not null default 0,
  add column first_failed_at timestamptz,
  add column next_attempt_at timestamptz,
  add column escalated_at timestamptz,
  add column final_action_at timestamptz,
  add unique (tenant_id, number),
  add unique (tenant_id, billing_member_id, period),
  add check (amount_paid <= total),
  add check (amount_refunded <= amount_paid),
  add check ((status = 'draft') = (number is null)),
  add check ((status = 'draft') = (issued_on is null)),
  add check (status <> 'paid' or amount_paid = total);
create index invoices_retry_idx on app.invoices (tenant_id, next_attempt_at) where status = 'open' and next_attempt_at is not null;
create index invoices_escalated_idx on app.invoices (tenant_id, escalated_at) where status in ('open', 'uncollectible') and escalated_at is not null;
create index invoices_period_idx on app.invoices (tenant_id, period);

-- An issued invoice keeps its number, recipient, period and amounts (a qualified invoice cannot be edited; it is
-- voided or credited instead).
create function app.invoices_keep_issued() returns trigger
  language plpgsql
  as $$
  begin
    if old.number is not null and (
      new.number is distinct from old.number or new.billing_member_id <> old.billing_member_id or new.period <> old.period
      or new.total <> old.total or new.tax_total <> old.tax_total or new.tax_breakdown <> old.tax_breakdown
      or new.subtotal_excluding_tax <> old.subtotal_excluding_tax or new.issued_on <> old.issued_on
      or new.recipient_name <> old.recipient_name or new.registration_number is distinct from old.registration_number
      or new.currency <> old.currency
    ) then
      raise exception 'invoice % is issued and cannot be changed', old.number using errcode = 'check_violation';
    end if;
    return new;
  end
  $$;
create trigger invoices_keep_issued before update on app.invoices for each row execute function app.invoices_keep_issued();

create table app.invoice_lines (
  tenant_id uuid not null default app.current_tenant_id(),
  invoice_id uuid not null,
  line_no smallint not null check (line_no > 0),
  -- The month the charge is for; a late line can sit on a later month's invoice.
  period date not null check (extract(day from period) = 1),
  code text not null check (code in ('monthly_fee', 'first_month_fee', 'enrollment_fee', 'annual_fee', 'leave_fee', 'option_fee', 'pack_purchase', 'penalty_fee')),
  description text not null check (length(description) between 1 and 300),
  -- As entered (tax-inclusive or not, per price_includes_tax); the tax is worked out per invoice and rate.
  amount bigint not null check (amount >= 0),
  tax_category text not null check (tax_category in ('standard_10', 'reduced_8', 'exempt')),
  price_includes_tax boolean not null,
  member_id uuid not null,
  contract_id uuid,
  option_id uuid,
  plan_id uuid,
  plan_version integer,
  penalty_id uuid,
  primary key (tenant_id, invoice_id, line_no),
  foreign key (tenant_id, invoice_id) references app.invoices (tenant_id, id),
  foreign key (tenant_id, member_id) references app.members (tenant_id, id),
  foreign key (tenant_id, contract_id) references app.contracts (tenant_id, id),
  foreign key (tenant_id, option_id) references app.contract_options (tenant_id, id),
  foreign key (tenant_id, plan_id, plan_version) references app.plan_versions (tenant_id, plan_id, version),
  foreign key (tenant_id, penalty_id) references app.reservation_penalties (tenant_id, id),
  check ((contract_id is null) = (penalty_id is not null))
);
-- Each charge is invoiced once, whichever invoice it lands on.
create unique index invoice_lines_charge_idx on app.invoice_lines (tenant_id, contract_id, period, code, option_id) nulls not distinct where contract_id is not null;
create unique index invoice_lines_penalty_idx on app.invoice_lines (tenant_id, penalty_id) where penalty_id is not null;
select app.isolate_by_tenant('app.invoice_lines');

-- A member's saved card. The token is the gateway's (a Stripe PaymentMethod, or a test card's number).
create table app.payment_methods (
  tenant_id uuid not null default app.current_tenant_id(),
  id uuid not null default gen_random_uuid(),
  member_id uuid not null,
  gateway text not null check (gateway in ('test', 'stripe')),
  token text not null check (length(token) between 4 and 200),
  customer_ref text check (length(customer_ref) <= 200),
  brand text not null default 'card' check (length(brand) <= 30),
  last4 text not null check (last4 ~ '^[0-9]{4}$'),
  exp_month smallint check (exp_month between 1 and 12),
  exp_year smallint check (exp_year between 2000 and 2200),
  created_at timestamptz not null default now(),
  detached_at timestamptz,
  primary key (tenant_id, id),
  foreign key (tenant_id, member_id) references app.members (tenant_id, id)
);
-- One card in use per member: adding one detaches the previous.
create unique index payment_methods_current_idx on app.payment_methods (tenant_id, member_id) where detached_at is null;
select app.isolate_by_tenant('app.payment_methods');

-- A charge of an invoice. Written (pending) before the gateway is called, so a crash between "charged" and
-- "recorded" leaves a row for reconciliation to settle by asking the gateway with the same idempotency key.
create table app.payment_attempts (
  tenant_id uuid not null default app.current_tenant_id(),
  id uuid not null default gen_random_uuid(),
  invoice_id uuid not null,
  amount bigint not null check (amount > 0),
  currency text not null check (currency ~ '^[A-Z]{3}$'),
  -- card goes through the gateway; cash and bank transfer are recorded by staff.
  method text not null check (method in ('card', 'cash', 'bank_transfer')),
  gateway text check (gateway in ('test', 'stripe')),
  payment_method_id uuid,
  status text not null default 'pending' check (status in ('pending', 'succeeded', 'failed')),
  -- soft: worth retrying (insufficient funds, a generic decline); hard: never retried (stolen card).
  failure_kind text check (failure_kind in ('soft', 'hard')),
  failure_code text check (length(failure_code) <= 100),
  failure_message text check (length(failure_message) <= 500),
  gateway_ref text check (length(gateway_ref) <= 200),
  -- run (the monthly run), retry (dunning), member (paid from the app), staff.
  initiated_by text not null check (initiated_by in ('run', 'retry', 'member', 'staff', 'webhook')),
  actor_id uuid,
  created_at timestamptz not null default clock_timestamp(),
  settled_at timestamptz,
  primary key (tenant_id, id),
  foreign key (tenant_id, invoice_id) references app.invoices (tenant_id, id),
  foreign key (tenant_id, payment_method_id) references app.payment_methods (tenant_id, id),
  check ((status = 'pending') = (settled_at is null)),
  check ((status = 'failed') = (failure_kind is not null)),
  check ((method = 'card') = (gateway is not null))
);
-- At most one successful charge and at most one charge in flight per invoice.
create unique index payment_attempts_one_success_idx on app.payment_attempts (tenant_id, invoice_id) where status = 'succeeded';
create unique index payment_attempts_one_pending_idx on app.payment_attempts (tenant_id, invoice_id) where status = 'pending';
create index payment_attempts_pending_idx on app.payment_attempts (tenant_id, created_at) where status = 'pending';
create unique index payment_attempts_gateway_ref_idx on app.payment_attempts (tenant_id, gateway, gateway_ref) where gateway_ref is not null;
select app.isolate_by_tenant('app.payment_attempts');

-- Money given back against a paid invoice: a credit note (返還インボイス) with its own sequential number.
create table app.refunds (
  tenant_id uuid not null default app.current_tenant_id(),
  id uuid not null default gen_random_uuid(),
  number bigint not null check (number > 0),
  invoice_id uuid not null,
  payment_attempt_id uuid not null,
  amount bigint not null check (amount > 0),
  -- Of the amount, the tax given back per rate, in proportion to the invoice's rates.
  tax_breakdown jsonb not null default '[]',
  reason text not null check (length(reason) between 1 and 1000),
  status text not null default 'pending' check (status in ('pending', 'succeeded', 'failed')),
  failure_message text check (length(failure_message) <= 500),
  gateway_ref text check (length(gateway_ref) <= 200),
  created_by uuid,
  created_at timestamptz not null default clock_timestamp(),
  settled_at timestamptz,
  primary key (tenant_id, id),
  unique (tenant_id, number),
  foreign key (tenant_id, invoice_id) references app.invoices (tenant_id, id),
  foreign key (tenant_id, payment_attempt_id) references app.payment_attempts (tenant_id, id),
  check ((status = 'pending') = (settled_at is null))
);
create index refunds_invoice_idx on app.refunds (tenant_id, invoice_id);
select app.isolate_by_tenant('app.refunds');

-- Append-only (a trigger refuses updates and deletes outside a tenant purge). Signed, as what the account owes:
-- a charge (the invoice issued) adds; a payment, a write-off and a void subtract; a refund gives money back
-- (adds) and its credit note reduces the charge (subtracts), so a refunded invoice nets to zero. An invoice's
-- outstanding amount is the sum of its entries; reconciliation compares these sums with the invoices.
create table app.billing_ledger (
  tenant_id uuid not null default app.current_tenant_id(),
  id uuid not null default gen_random_uuid(),
  invoice_id uuid not null,
  -- The invoice's month, so reconciliation per month is one grouped sum.
  period date not null,
  kind text not null check (kind in ('charge', 'payment', 'refund', 'credit', 'write_off', 'void')),
  amount bigint not null,
  -- The invoice for a charge, write-off or void; the attempt for a payment (and for a write-off reversed by a
  -- late payment); the refund for a refund and its credit. One entry per kind and reference, so recording an
  -- outcome twice records it once.
  reference_id uuid not null,
  created_at timestamptz not null default clock_timestamp(),
  primary key (tenant_id, id),
  unique (tenant_id, kind, reference_id),
  foreign key (tenant_id, invoice_id) references app.invoices (tenant_id, id),
  check (kind not in ('charge', 'refund') or amount >= 0),
  check (kind not in ('payment', 'credit', 'void') or amount <= 0)
);
create index billing_ledger_invoice_idx on app.billing_ledger (tenant_id, invoice_id);
create index billing_ledger_period_idx on app.billing_ledger (tenant_id, period);
select app.isolate_by_tenant('app.billing_ledger');
create trigger billing_ledger_append_only before update or delete on app.billing_ledger
  for each row execute function app.refuse_change();
create trigger invoice_lines_append_only before update or delete on app.invoice_lines
  for each row execute function app.refuse_change();

-- Webhook deliveries seen, by the gateway's event id: a redelivery is acknowledged and ignored.
create table app.webhook_events (
  tenant_id uuid not null default app.current_tenant_id(),
  gateway text not null check (gateway in ('test', 'stripe')),
  event_id text not null check (length(event_id) between 1 and 200),
  type text not null check (length(type) <= 200),
  received_at timestamptz not null default now(),
  primary key (tenant_id, gateway, event_id)
);
select app.isolate_by_tenant('app.webhook_events');

-- The built-in test gateway's own memory, as an outside gateway would keep it: each idempotency key is charged
-- (or refunded) once and answers the same afterwards. Written in its own transaction, outside ours.
create table app.test_gateway_operations (
  tenant_id uuid not null default app.current_tenant_id(),
  idempotency_key text not null check (length(idempotency_key) between 1 and 200),
  kind text not null check (kind in ('charge', 'refund')),
  reference text not null,
  amount bigint not null check (amount > 0),
  currency text not null,
  card text,
  charge_reference text,
  outcome text not null check (outcome in ('succeeded', 'failed')),
  failure_code text,
  created_at timestamptz not null default clock_timestamp(),
  primary key (tenant_id, idempotency_key),
  unique (tenant_id, reference)
);
select app.isolate_by_tenant('app.test_gateway_operations');

-- One row per month billed: when the run started and finished and what it made, for staff and operators.
create table app.billing_runs (
  tenant_id uuid not null default app.current_tenant_id(),
  period date not null check (extract(day from period) = 1),
  started_at timestamptz not null default now(),
  finished_at timestamptz,
  invoices_created integer not null default 0,
  charges_attempted integer not null default 0,
  primary key (tenant_id, period)
);
select app.isolate_by_tenant('app.billing_runs');
