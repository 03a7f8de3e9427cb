-- Per-tenant counters: member numbers are sequential within a studio (never a global sequence). The counter row
-- is updated in the same transaction as the insert, so a rolled-back insert leaves no gap.
create table app.counters (
  tenant_id uuid not null default app.current_tenant_id(),
  name text not null,
  value bigint not null default 0,
  primary key (tenant_id, name)
);
select app.isolate_by_tenant('app.counters');

create table app.members (
  tenant_id uuid not null default app.current_tenant_id(),
  id uuid not null default gen_random_uuid(),
  member_number integer not null check (member_number > 0),
  family_name text not null check (length(family_name) between 1 and 100),
  given_name text not null default '' check (length(given_name) <= 100),
  family_name_kana text not null default '' check (length(family_name_kana) <= 100),
  given_name_kana text not null default '' check (length(given_name_kana) <= 100),
  email text check (email = lower(email) and length(email) <= 254),
  phone text check (phone ~ '^\+?[0-9]{6,20}$'),
  birth_date date,
  gender text check (gender in ('female', 'male', 'other', 'unspecified')),
  address jsonb,
  emergency_contact jsonb,
  tags text[] not null default '{}',
  staff_notes text not null default '' check (length(staff_notes) <= 5000),
  terms_version text,
  terms_accepted_at timestamptz,
  -- Billing and acting-for go to the lead of a family; a lead has no lead of its own.
  family_lead_id uuid,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- Normalised search keys (lower-case, no spaces; kana as full-width katakana), for prefix search.
  search_name text generated always as (lower(replace(family_name || given_name, ' ', ''))) stored,
  search_kana text generated always as (replace(family_name_kana || given_name_kana, ' ', '')) stored,
  primary key (tenant_id, id),
  unique (tenant_id, member_number),
  foreign key (tenant_id, family_lead_id) references app.members (tenant_id, id),
  check (family_lead_id is null or family_lead_id <> id),
  check ((terms_version is null) = (terms_accepted_at is null))
);
select app.isolate_by_tenant('app.members');
create index members_search_name_idx on app.members (tenant_id, search_name text_pattern_ops);
create index members_search_kana_idx on app.members (tenant_id, search_kana text_pattern_ops);
create index members_email_idx on app.members (tenant_id, email text_pattern_ops);
create index members_phone_idx on app.members (tenant_id, phone text_pattern_ops);
create index members_member_number_text_idx on app.members (tenant_id, (member_number::text) text_pattern_ops);
create index members_family_idx on app.members (tenant_id, family_lead_id) where family_lead_id is not null;
