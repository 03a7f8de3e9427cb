-- A studio's waiting room for announced openings (issue 17). With it on, members may queue for a booking window
-- some minutes before it opens; at the opening they are put in order (a lottery or their arrival, as the studio
-- chose) and let in a batch each second, at a rate the platform serves. Off by default.
alter table app.tenant_settings
  add column waiting_room_minutes_before int check (waiting_room_minutes_before between 1 and 120),
  add column waiting_room_order text not null default 'arrival' check (waiting_room_order in ('arrival', 'lottery'));

-- One queue per opening instant: every lesson whose window opens then shares it, as members come for the opening,
-- not for one lesson. Its rules are fixed when it is made, so a settings change never reorders a queue under way.
create table app.waiting_rooms (
  tenant_id uuid not null default app.current_tenant_id(),
  opens_at timestamptz not null,
  admission_order text not null check (admission_order in ('arrival', 'lottery')),
  admit_per_second int not null check (admit_per_second > 0),
  -- Places given: everyone who queued before the draw gets one at it, then each latecomer the next.
  last_position int not null default 0,
  drawn_at timestamptz,
  created_at timestamptz not null default now(),
  primary key (tenant_id, opens_at)
);
select app.isolate_by_tenant('app.waiting_rooms');

-- Joining before the opening only inserts a row (no shared counter to wait on): the places are given at the draw,
-- in arrival order or by each entry's lot, drawn when it joined, so drawing again would give the same places.
create table app.waiting_room_entries (
  tenant_id uuid not null default app.current_tenant_id(),
  opens_at timestamptz not null,
  member_id uuid not null,
  joined_at timestamptz not null,
  lot double precision not null default random(),
  position int check (position > 0),
  primary key (tenant_id, opens_at, member_id),
  unique (tenant_id, opens_at, position),
  foreign key (tenant_id, opens_at) references app.waiting_rooms (tenant_id, opens_at) on delete cascade,
  foreign key (tenant_id, member_id) references app.members (tenant_id, id) on delete cascade
);
create index waiting_room_entries_arrival_idx on app.waiting_room_entries (tenant_id, opens_at, joined_at, member_id);
create index waiting_room_entries_member_idx on app.waiting_room_entries (tenant_id, member_id);
select app.isolate_by_tenant('app.waiting_room_entries');
