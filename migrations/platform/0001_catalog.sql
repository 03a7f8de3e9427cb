-- The control plane: the only place that knows where each tenant lives.
create schema platform;

create table platform.placements (
  id text primary key check (id ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  tier text not null check (tier in ('pool', 'silo')),
  cluster text not null,
  database text not null,
  tenant_capacity integer not null default 5000 check (tenant_capacity > 0),
  created_at timestamptz not null default now(),
  unique (cluster, database)
);

-- The default pool cell: the control-plane database itself, so a pool tenant and its owner account
-- are created in one transaction.
insert into platform.placements (id, tier, cluster, database) values ('pool-main', 'pool', 'main', current_database());

create table platform.tenants (
  id uuid primary key default gen_random_uuid(),
  slug text not null unique check (slug ~ '^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$'),
  display_name text not null check (length(display_name) between 1 and 200),
  status text not null default 'active' check (status in ('active', 'suspended', 'deleted')),
  tier text not null check (tier in ('pool', 'silo')),
  placement_id text not null references platform.placements (id),
  plan text not null default 'standard',
  limits jsonb not null default '{}',
  timezone text not null default 'Asia/Tokyo',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  suspended_at timestamptz,
  deleted_at timestamptz,
  purged_at timestamptz
);
create index tenants_placement_idx on platform.tenants (placement_id);

create table platform.tenant_domains (
  domain text primary key check (domain ~ '^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$'),
  tenant_id uuid not null references platform.tenants (id) on delete cascade,
  created_at timestamptz not null default now()
);
create index tenant_domains_tenant_idx on platform.tenant_domains (tenant_id);
