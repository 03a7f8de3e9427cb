-- Operations data of the control plane: per-tenant usage by hour, the daily salt of cookieless visitor
-- counting, and the last measurement of each tenant's quota usage.

-- Requests and time per tenant and UTC hour; app instances add their in-memory counts on an interval.
create table platform.tenant_usage (
  tenant_id uuid not null references platform.tenants (id) on delete cascade,
  hour timestamptz not null check (extract(minute from hour) = 0 and extract(second from hour) = 0),
  requests bigint not null default 0 check (requests >= 0),
  client_errors bigint not null default 0 check (client_errors >= 0),
  server_errors bigint not null default 0 check (server_errors >= 0),
  duration_ms double precision not null default 0 check (duration_ms >= 0),
  primary key (tenant_id, hour)
);
create index tenant_usage_hour_idx on platform.tenant_usage (hour);

-- One random salt per UTC day, shared by every app instance so a visitor hashes the same on all of them;
-- salts of past days are deleted, after which no hash can be linked back to an address.
create table platform.analytics_salts (
  day date primary key,
  salt bytea not null check (length(salt) = 32),
  created_at timestamptz not null default now()
);

-- What each tenant uses of its quotas, measured under the tenant's RLS by a job (counting thousands of
-- tenants on every /metrics scrape would cost more than the scrape is worth).
create table platform.tenant_quota_usage (
  tenant_id uuid primary key references platform.tenants (id) on delete cascade,
  members integer not null check (members >= 0),
  locations integer not null check (locations >= 0),
  staff integer not null check (staff >= 0),
  stored_bytes bigint not null check (stored_bytes >= 0),
  measured_at timestamptz not null default now()
);
