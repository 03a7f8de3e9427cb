-- The audit log (issue 20): one row per write a staff member or API key attempted, done or refused, with who
-- (their name as it was that day, so a later rename or removal does not rewrite history), from where, which route
-- and, for routes that declare a loader, the changed fields before and after (secrets redacted by the app).
-- Append-only: the refuse_change trigger stops update and delete except in a tenant purge, and the app role is
-- not granted update or truncate (db/roles.ts); it keeps delete for the purge only.
create table app.audit_log (
  tenant_id uuid not null default app.current_tenant_id(),
  id uuid not null default gen_random_uuid(),
  at timestamptz not null default now(),
  actor_kind text not null check (actor_kind in ('staff', 'api_key')),
  actor_id uuid not null,
  actor_name text not null check (length(actor_name) <= 200),
  actor_role text not null check (actor_role in ('owner', 'manager', 'front_desk', 'instructor')),
  ip text not null check (length(ip) <= 64),
  user_agent text check (length(user_agent) <= 500),
  method text not null check (method in ('POST', 'PUT', 'PATCH', 'DELETE')),
  -- The route's pattern (/api/members/:memberId), its area (members) and the values of its parameters.
  route text not null check (length(route) <= 300),
  area text not null check (length(area) <= 60),
  params jsonb not null default '{}',
  -- failed: the server could not answer (5xx); nothing was changed.
  outcome text not null check (outcome in ('done', 'refused', 'failed')),
  status smallint not null check (status between 100 and 599),
  problem_type text check (length(problem_type) <= 300),
  problem_code text check (length(problem_code) <= 100),
  -- {before, after} of the fields the write changed, or null when the route declares no loader.
  changes jsonb,
  request_id text not null check (length(request_id) <= 128),
  primary key (tenant_id, id),
  check ((outcome = 'done') = (problem_code is null))
);
create index audit_log_at_idx on app.audit_log (tenant_id, at desc, id desc);
create index audit_log_request_idx on app.audit_log (tenant_id, request_id);
select app.isolate_by_tenant('app.audit_log');
create trigger audit_log_append_only before update or delete on app.audit_log
  for each row execute function app.refuse_change();
