-- Tier moves (issue 19): a tenant's move between placements is a recorded state machine, so a move whose process
-- dies is resumed by running the command again, never left half done or started twice.
create table platform.tenant_moves (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references platform.tenants (id),
  source_placement text not null references platform.placements (id),
  target_placement text not null references platform.placements (id),
  -- replication: PostgreSQL's logical replication copies and streams the tenant's rows while it is served, and its
  -- writes pause only for the cut-over; copy: the tenant is read-only while its rows are copied (the fallback).
  method text not null check (method in ('replication', 'copy')),
  -- replicating: a publication of the tenant's rows at the source, a subscription at the target, until the cut-over
  -- has paused the writes and verified the copy; copying: the source's writes are paused and its rows copied and
  -- verified (both are redone from the start on resume); fenced: the source refuses the tenant and the verified copy
  -- waits for the switch; switched: the catalog names the target; done: the source's rows are scheduled for
  -- removal; failed: given up (or abandoned) before the switch.
  state text not null check (state in ('replicating', 'copying', 'fenced', 'switched', 'done', 'failed')),
  tables integer,
  rows bigint,
  -- From the pause of the source's writes to the switch: how long the tenant could only read.
  write_pause_ms integer,
  error text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  finished_at timestamptz,
  source_purged_at timestamptz,
  check (source_placement <> target_placement)
);

-- One move of a tenant at a time: a second one is refused by this index, whatever instance starts it.
create unique index tenant_moves_one_at_a_time on platform.tenant_moves (tenant_id) where state in ('replicating', 'copying', 'fenced', 'switched');
create index tenant_moves_by_tenant on platform.tenant_moves (tenant_id, created_at desc);
