-- A studio may have staff approve the leaves (休会) and cancellations (退会) members ask for in the app (issue 16),
-- instead of letting them take effect at once. Off by default: the rules (cut-off day, leave months) already hold.
alter table app.tenant_settings add column member_changes_need_approval boolean not null default false;

-- A member's request, kept as asked. It is checked against the cut-off of the day it was made (requested_on, the
-- studio's date), so the time staff take to decide never costs the member a month.
create table app.contract_requests (
  tenant_id uuid not null default app.current_tenant_id(),
  id uuid not null default gen_random_uuid(),
  contract_id uuid not null,
  member_id uuid not null,
  kind text not null check (kind in ('leave', 'cancellation')),
  from_month date,
  return_month date,
  reason text not null default '' check (length(reason) <= 500),
  requested_on date not null,
  requested_at timestamptz not null default now(),
  status text not null default 'pending' check (status in ('pending', 'approved', 'declined', 'withdrawn')),
  decided_at timestamptz,
  decided_by uuid,
  decline_reason text check (length(decline_reason) between 1 and 1000),
  primary key (tenant_id, id),
  foreign key (tenant_id, contract_id) references app.contracts (tenant_id, id) on delete cascade,
  foreign key (tenant_id, member_id) references app.members (tenant_id, id) on delete cascade,
  foreign key (tenant_id, decided_by) references app.staff (tenant_id, id),
  check ((kind = 'leave') = (from_month is not null)),
  check (kind = 'leave' or return_month is null),
  check ((status = 'pending') = (decided_at is null)),
  check ((status = 'declined') = (decline_reason is not null))
);
-- One open request of each kind per contract: asking twice finds the first.
create unique index contract_requests_pending_idx on app.contract_requests (tenant_id, contract_id, kind) where status = 'pending';
create index contract_requests_status_idx on app.contract_requests (tenant_id, status, requested_at);
create index contract_requests_member_idx on app.contract_requests (tenant_id, member_id);
select app.isolate_by_tenant('app.contract_requests');
