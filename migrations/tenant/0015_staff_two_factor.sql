-- Staff two-factor sign-in (TOTP, RFC 6238) with single-use recovery codes.

-- One authenticator per staff member. The secret is pending (enabled_at null) until a code from it is confirmed;
-- last_used_step remembers the newest time step accepted, so a code is accepted once.
create table app.staff_two_factor (
  tenant_id uuid not null default app.current_tenant_id(),
  staff_id uuid not null,
  secret text not null check (secret ~ '^[A-Z2-7]{16,64}$'),
  enabled_at timestamptz,
  last_used_step bigint,
  created_at timestamptz not null default now(),
  primary key (tenant_id, staff_id),
  foreign key (tenant_id, staff_id) references app.staff (tenant_id, id) on delete cascade
);
select app.isolate_by_tenant('app.staff_two_factor');

-- Ten per staff member, shown once; stored as argon2id hashes, each usable once.
create table app.staff_recovery_codes (
  tenant_id uuid not null default app.current_tenant_id(),
  id uuid not null default gen_random_uuid(),
  staff_id uuid not null,
  code_hash text not null,
  created_at timestamptz not null default now(),
  used_at timestamptz,
  primary key (tenant_id, id),
  foreign key (tenant_id, staff_id) references app.staff (tenant_id, id) on delete cascade
);
create index staff_recovery_codes_staff_idx on app.staff_recovery_codes (tenant_id, staff_id) where used_at is null;
select app.isolate_by_tenant('app.staff_recovery_codes');

-- What a right password gives a staff member with two-factor sign-in (or one the studio requires to enrol): a
-- short-lived single-use secret, stored as its SHA-256, that allows only the second step. It is no session.
create table app.staff_sign_in_challenges (
  tenant_id uuid not null default app.current_tenant_id(),
  id uuid not null default gen_random_uuid(),
  staff_id uuid not null,
  token_hash bytea not null,
  purpose text not null check (purpose in ('code', 'enrol')),
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  used_at timestamptz,
  primary key (tenant_id, id),
  unique (tenant_id, token_hash),
  foreign key (tenant_id, staff_id) references app.staff (tenant_id, id) on delete cascade
);
create index staff_sign_in_challenges_staff_idx on app.staff_sign_in_challenges (tenant_id, staff_id);
select app.isolate_by_tenant('app.staff_sign_in_challenges');

-- The studio's sign-in policy for staff (one row per studio, absent: nothing required).
create table app.staff_security_settings (
  tenant_id uuid not null default app.current_tenant_id(),
  require_staff_two_factor boolean not null default false,
  updated_at timestamptz not null default now(),
  primary key (tenant_id)
);
select app.isolate_by_tenant('app.staff_security_settings');
