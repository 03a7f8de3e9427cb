-- The member realm: members sign up and sign in themselves, apart from staff. Same rules as every tenant
-- table: tenant_id leads every key, RLS enabled and FORCEd through app.isolate_by_tenant.

-- Sign-in throttling counts staff and members apart, so a flood of member guesses never locks staff out.
alter table app.login_attempts
  add column realm text not null default 'staff' check (realm in ('staff', 'member'));
drop index app.login_attempts_window_idx;
create index login_attempts_window_idx on app.login_attempts (tenant_id, realm, attempted_at);
drop index app.login_attempts_email_idx;
create index login_attempts_email_idx on app.login_attempts (tenant_id, realm, email, attempted_at);
drop index app.login_attempts_ip_idx;
create index login_attempts_ip_idx on app.login_attempts (tenant_id, realm, ip, attempted_at) where succeeded is not true;

-- A member's sign-in: one per member, one per email. It cannot sign in until the email is confirmed.
create table app.member_accounts (
  tenant_id uuid not null default app.current_tenant_id(),
  id uuid not null default gen_random_uuid(),
  member_id uuid not null,
  email text not null check (email = lower(email) and length(email) between 3 and 254),
  password_hash text not null,
  status text not null default 'active' check (status in ('active', 'disabled')),
  confirmed_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id),
  unique (tenant_id, email),
  unique (tenant_id, member_id),
  foreign key (tenant_id, member_id) references app.members (tenant_id, id) on delete cascade
);
select app.isolate_by_tenant('app.member_accounts');

-- Member sessions (shm_…) and mailed tokens have the shape of the staff ones (0001, 0004), because one piece of
-- code (platform/auth/credentials.repo.ts) serves both realms; they belong to a member account instead. Written
-- out rather than copied with LIKE, which would carry the staff tables' constraint and index names along.
create table app.member_sessions (
  tenant_id uuid not null default app.current_tenant_id(),
  id uuid not null default gen_random_uuid(),
  account_id uuid not null,
  token_hash bytea not null,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  revoked_at timestamptz,
  last_seen_at timestamptz not null default now(),
  ip text,
  user_agent text,
  primary key (tenant_id, id),
  unique (tenant_id, token_hash),
  foreign key (tenant_id, account_id) references app.member_accounts (tenant_id, id) on delete cascade
);
create index member_sessions_account_idx on app.member_sessions (tenant_id, account_id);
select app.isolate_by_tenant('app.member_sessions');

-- Single-use mailed tokens: email confirmation (48 h) and password reset (1 h).
create table app.member_account_tokens (
  tenant_id uuid not null default app.current_tenant_id(),
  id uuid not null default gen_random_uuid(),
  account_id uuid not null,
  purpose text not null check (purpose in ('confirm', 'reset')),
  token_hash bytea not null,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  used_at timestamptz,
  primary key (tenant_id, id),
  unique (tenant_id, token_hash),
  foreign key (tenant_id, account_id) references app.member_accounts (tenant_id, id) on delete cascade
);
create index member_account_tokens_account_idx on app.member_account_tokens (tenant_id, account_id, purpose, created_at);
select app.isolate_by_tenant('app.member_account_tokens');

-- Sign-up rules sit with the studio's other settings (one row per tenant; no row means the defaults).
alter table app.tenant_settings add column block_disposable_email_domains boolean not null default true;

-- A studio's own list of email domains that may not sign up (subdomains included).
create table app.blocked_email_domains (
  tenant_id uuid not null default app.current_tenant_id(),
  id uuid not null default gen_random_uuid(),
  domain text not null check (domain = lower(domain) and length(domain) between 1 and 253),
  created_at timestamptz not null default now(),
  primary key (tenant_id, id),
  unique (tenant_id, domain)
);
select app.isolate_by_tenant('app.blocked_email_domains');
