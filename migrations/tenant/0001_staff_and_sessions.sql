-- Tenant data. Every table: tenant_id leads every key, RLS enabled and FORCEd, one policy on app.tenant_id.
create schema app;

-- NULL when no tenant is set in this transaction, so a query without a tenant sees nothing and writes fail
-- the policy's WITH CHECK; it never sees everything.
create function app.current_tenant_id() returns uuid
  language sql stable parallel safe
  as $$ select nullif(current_setting('app.tenant_id', true), '')::uuid $$;

-- One definition of the isolation rule, applied to each tenant table by later migrations too.
create function app.isolate_by_tenant(tbl regclass) returns void
  language plpgsql
  as $$
  begin
    execute format('alter table %s enable row level security', tbl);
    execute format('alter table %s force row level security', tbl);
    execute format(
      'create policy tenant_isolation on %s using (tenant_id = app.current_tenant_id()) with check (tenant_id = app.current_tenant_id())',
      tbl);
  end
  $$;

create table app.staff (
  tenant_id uuid not null default app.current_tenant_id(),
  id uuid not null default gen_random_uuid(),
  email text not null check (email = lower(email) and length(email) between 3 and 254),
  display_name text not null check (length(display_name) between 1 and 200),
  role text not null check (role in ('owner', 'manager', 'front_desk', 'instructor')),
  password_hash text,
  status text not null default 'active' check (status in ('active', 'disabled')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id),
  unique (tenant_id, email)
);
select app.isolate_by_tenant('app.staff');

create table app.staff_sessions (
  tenant_id uuid not null default app.current_tenant_id(),
  id uuid not null default gen_random_uuid(),
  staff_id uuid not null,
  token_hash bytea not null,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  revoked_at timestamptz,
  last_seen_at timestamptz not null default now(),
  ip text,
  user_agent text,
  primary key (tenant_id, id),
  unique (tenant_id, token_hash),
  foreign key (tenant_id, staff_id) references app.staff (tenant_id, id) on delete cascade
);
create index staff_sessions_staff_idx on app.staff_sessions (tenant_id, staff_id);
select app.isolate_by_tenant('app.staff_sessions');

create table app.password_reset_tokens (
  tenant_id uuid not null default app.current_tenant_id(),
  id uuid not null default gen_random_uuid(),
  staff_id uuid not null,
  token_hash bytea not null,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  used_at timestamptz,
  primary key (tenant_id, id),
  unique (tenant_id, token_hash),
  foreign key (tenant_id, staff_id) references app.staff (tenant_id, id) on delete cascade
);
create index password_reset_tokens_staff_idx on app.password_reset_tokens (tenant_id, staff_id);
select app.isolate_by_tenant('app.password_reset_tokens');

-- Shared by every app instance, so login throttling holds across stateless containers.
create table app.login_attempts (
  tenant_id uuid not null default app.current_tenant_id(),
  id uuid not null default gen_random_uuid(),
  email text not null,
  ip text,
  succeeded boolean not null,
  attempted_at timestamptz not null default now(),
  primary key (tenant_id, id)
);
create index login_attempts_window_idx on app.login_attempts (tenant_id, attempted_at);
create index login_attempts_email_idx on app.login_attempts (tenant_id, email, attempted_at);
select app.isolate_by_tenant('app.login_attempts');

-- Written in the same transaction as the change that sends mail; a sender job delivers and marks sent_at.
create table app.mail_outbox (
  tenant_id uuid not null default app.current_tenant_id(),
  id uuid not null default gen_random_uuid(),
  to_address text not null,
  template text not null,
  subject text not null,
  body text not null,
  created_at timestamptz not null default now(),
  sent_at timestamptz,
  primary key (tenant_id, id)
);
create index mail_outbox_unsent_idx on app.mail_outbox (tenant_id, created_at) where sent_at is null;
select app.isolate_by_tenant('app.mail_outbox');

create table app.api_keys (
  tenant_id uuid not null default app.current_tenant_id(),
  id uuid not null default gen_random_uuid(),
  name text not null check (length(name) between 1 and 100),
  prefix text not null,
  key_hash bytea not null,
  role text not null check (role in ('owner', 'manager', 'front_desk', 'instructor')),
  created_by uuid,
  created_at timestamptz not null default now(),
  last_used_at timestamptz,
  revoked_at timestamptz,
  primary key (tenant_id, id),
  unique (tenant_id, key_hash),
  foreign key (tenant_id, created_by) references app.staff (tenant_id, id) on delete set null (created_by)
);
select app.isolate_by_tenant('app.api_keys');
