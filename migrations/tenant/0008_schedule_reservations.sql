-- Schedule, reservations, waitlist and check-in. Every table: tenant_id leads every key, RLS FORCEd.

-- Booking rules: tenant defaults here, overridable per lesson type (NULL there means "the studio's default").
alter table app.tenant_settings
  -- The booking window opens this many days before the lesson's day, at this local time …
  add column booking_opens_days_before smallint not null default 7 check (booking_opens_days_before between 0 and 90),
  add column booking_opens_at time not null default '12:00',
  -- … and closes this many minutes before the start.
  add column booking_closes_minutes_before integer not null default 0 check (booking_closes_minutes_before between 0 and 10080),
  -- Cancelling later than this before the start is a late cancellation.
  add column cancel_deadline_minutes_before integer not null default 180 check (cancel_deadline_minutes_before between 0 and 10080),
  add column late_cancel_penalty text not null default 'lose_credit' check (late_cancel_penalty in ('none', 'lose_credit', 'fee', 'strike')),
  add column no_show_penalty text not null default 'lose_credit' check (no_show_penalty in ('none', 'lose_credit', 'fee', 'strike')),
  -- The fee (minor units, tax included) a 'fee' penalty charges through billing.
  add column penalty_fee bigint not null default 0 check (penalty_fee between 0 and 100000000),
  -- Strikes: this many within the window block booking for block_days.
  add column strike_limit smallint not null default 3 check (strike_limit between 1 and 100),
  add column strike_window_days smallint not null default 30 check (strike_window_days between 1 and 365),
  add column strike_block_days smallint not null default 7 check (strike_block_days between 1 and 365),
  -- Waitlist: automatic first-come-first-served promotion while more than this many hours remain; later, an
  -- offer to the next person that lapses after offer_minutes. Offers wait out the quiet hours (local time).
  add column waitlist_auto_until_hours integer not null default 24 check (waitlist_auto_until_hours between 0 and 720),
  add column waitlist_offer_minutes integer not null default 30 check (waitlist_offer_minutes between 5 and 1440),
  add column quiet_hours_start time default '22:00',
  add column quiet_hours_end time default '08:00',
  add check ((quiet_hours_start is null) = (quiet_hours_end is null));

alter table app.lesson_types
  add column booking_opens_days_before smallint check (booking_opens_days_before between 0 and 90),
  add column booking_opens_at time,
  add column booking_closes_minutes_before integer check (booking_closes_minutes_before between 0 and 10080),
  add column cancel_deadline_minutes_before integer check (cancel_deadline_minutes_before between 0 and 10080),
  add column late_cancel_penalty text check (late_cancel_penalty in ('none', 'lose_credit', 'fee', 'strike')),
  add column no_show_penalty text check (no_show_penalty in ('none', 'lose_credit', 'fee', 'strike')),
  add column penalty_fee bigint check (penalty_fee between 0 and 100000000);

create table app.rooms (
  tenant_id uuid not null default app.current_tenant_id(),
  id uuid not null default gen_random_uuid(),
  location_id uuid not null,
  name text not null check (length(name) between 1 and 100),
  -- With a seat map, the number of its spots.
  capacity integer not null check (capacity between 1 and 1000),
  archived_at timestamptz,
  created_at timestamptz not null default now(),
  primary key (tenant_id, id),
  -- Lessons name their room and its location together, so the pair cannot disagree.
  unique (tenant_id, id, location_id),
  unique (tenant_id, location_id, name),
  foreign key (tenant_id, location_id) references app.locations (tenant_id, id)
);
select app.isolate_by_tenant('app.rooms');

-- A seat map: numbered spots (bikes, mats) a member may choose when booking.
create table app.room_spots (
  tenant_id uuid not null default app.current_tenant_id(),
  room_id uuid not null,
  spot smallint not null check (spot between 1 and 1000),
  label text not null check (length(label) between 1 and 20),
  primary key (tenant_id, room_id, spot),
  unique (tenant_id, room_id, label),
  foreign key (tenant_id, room_id) references app.rooms (tenant_id, id)
);
select app.isolate_by_tenant('app.room_spots');

-- Who teaches. Usually a staff account (to see their own lessons); a guest instructor may have none.
create table app.instructors (
  tenant_id uuid not null default app.current_tenant_id(),
  id uuid not null default gen_random_uuid(),
  staff_id uuid,
  display_name text not null check (length(display_name) between 1 and 100),
  bio text not null default '' check (length(bio) <= 2000),
  archived_at timestamptz,
  created_at timestamptz not null default now(),
  primary key (tenant_id, id),
  unique (tenant_id, staff_id),
  foreign key (tenant_id, staff_id) references app.staff (tenant_id, id)
);
select app.isolate_by_tenant('app.instructors');

-- A weekly rule. Its occurrences are written out as lessons when it is made (it must end within two years),
-- so the timetable is plain rows to read, lock and count.
create table app.lesson_series (
  tenant_id uuid not null default app.current_tenant_id(),
  id uuid not null default gen_random_uuid(),
  lesson_type_id uuid not null,
  location_id uuid not null,
  room_id uuid not null,
  instructor_id uuid,
  -- ISO weekdays, 1 = Monday.
  weekdays smallint[] not null check (cardinality(weekdays) between 1 and 7 and weekdays <@ '{1,2,3,4,5,6,7}'::smallint[]),
  start_time time not null,
  duration_minutes integer not null check (duration_minutes between 5 and 600),
  capacity integer not null check (capacity between 1 and 1000),
  starts_on date not null,
  ends_on date not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id),
  foreign key (tenant_id, lesson_type_id) references app.lesson_types (tenant_id, id),
  foreign key (tenant_id, room_id, location_id) references app.rooms (tenant_id, id, location_id),
  foreign key (tenant_id, instructor_id) references app.instructors (tenant_id, id),
  check (ends_on >= starts_on and ends_on <= starts_on + 731)
);
select app.isolate_by_tenant('app.lesson_series');

-- One lesson: one-off, or one occurrence of a series (occurrence_date names which, even after it is moved).
create table app.lessons (
  tenant_id uuid not null default app.current_tenant_id(),
  id uuid not null default gen_random_uuid(),
  series_id uuid,
  occurrence_date date,
  lesson_type_id uuid not null,
  location_id uuid not null,
  room_id uuid not null,
  instructor_id uuid,
  -- A substitute for this lesson only; the series keeps its instructor.
  substitute_instructor_id uuid,
  starts_at timestamptz not null,
  ends_at timestamptz not null,
  -- The seat counter: booked reservations and seats held for a waitlist promotion. The check constraint is
  -- what makes overselling impossible, whatever the application does.
  capacity integer not null check (capacity between 1 and 1000),
  booked integer not null default 0,
  held integer not null default 0,
  status text not null default 'scheduled' check (status in ('scheduled', 'cancelled')),
  cancel_reason text check (length(cancel_reason) <= 500),
  cancelled_at timestamptz,
  -- Edited on its own (moved, substituted, resized): later edits of its series leave it alone.
  detached boolean not null default false,
  notes text not null default '' check (length(notes) <= 2000),
  -- Set once no-shows have been marked, after the lesson.
  attendance_closed_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id),
  unique (tenant_id, series_id, occurrence_date),
  foreign key (tenant_id, series_id) references app.lesson_series (tenant_id, id),
  foreign key (tenant_id, lesson_type_id) references app.lesson_types (tenant_id, id),
  foreign key (tenant_id, room_id, location_id) references app.rooms (tenant_id, id, location_id),
  foreign key (tenant_id, instructor_id) references app.instructors (tenant_id, id),
  foreign key (tenant_id, substitute_instructor_id) references app.instructors (tenant_id, id),
  check (ends_at > starts_at),
  check (booked >= 0 and held >= 0 and booked + held <= capacity),
  check ((series_id is null) = (occurrence_date is null)),
  check ((status = 'cancelled') = (cancelled_at is not null))
);
create index lessons_time_idx on app.lessons (tenant_id, starts_at);
create index lessons_location_time_idx on app.lessons (tenant_id, location_id, starts_at);
create index lessons_unclosed_idx on app.lessons (tenant_id, ends_at) where attendance_closed_at is null and status = 'scheduled';
create index lessons_held_idx on app.lessons (tenant_id, starts_at) where held > 0;
select app.isolate_by_tenant('app.lessons');

create table app.reservations (
  tenant_id uuid not null default app.current_tenant_id(),
  id uuid not null default gen_random_uuid(),
  lesson_id uuid not null,
  member_id uuid not null,
  -- booked → attended | no_show, or → cancelled | late_cancelled (by the member or staff) | released (the
  -- lesson was cancelled, or the membership ended).
  status text not null default 'booked' check (status in ('booked', 'attended', 'no_show', 'cancelled', 'late_cancelled', 'released')),
  spot smallint,
  -- The contract that allowed it, and the credits it consumed through the ledger (reference_id = this id).
  contract_id uuid,
  credits_used smallint not null default 0 check (credits_used >= 0),
  source text not null check (source in ('member', 'staff', 'waitlist')),
  actor_kind text not null check (actor_kind in ('staff', 'api_key', 'member', 'system')),
  actor_id uuid,
  created_at timestamptz not null default clock_timestamp(),
  cancelled_at timestamptz,
  checked_in_at timestamptz,
  primary key (tenant_id, id),
  foreign key (tenant_id, lesson_id) references app.lessons (tenant_id, id),
  foreign key (tenant_id, member_id) references app.members (tenant_id, id),
  foreign key (tenant_id, contract_id) references app.contracts (tenant_id, id),
  check ((status in ('cancelled', 'late_cancelled', 'released')) = (cancelled_at is not null))
);
-- One seat per member per lesson, one member per spot: unique keys, so no race can double either.
create unique index reservations_one_per_member_idx on app.reservations (tenant_id, lesson_id, member_id) where status in ('booked', 'attended', 'no_show');
create unique index reservations_one_per_spot_idx on app.reservations (tenant_id, lesson_id, spot) where spot is not null and status in ('booked', 'attended', 'no_show');
create index reservations_member_idx on app.reservations (tenant_id, member_id, created_at);
create index reservations_lesson_idx on app.reservations (tenant_id, lesson_id, status);
select app.isolate_by_tenant('app.reservations');

create table app.waitlist_entries (
  tenant_id uuid not null default app.current_tenant_id(),
  id uuid not null default gen_random_uuid(),
  lesson_id uuid not null,
  member_id uuid not null,
  -- waiting → offered → promoted | declined | expired; waiting → promoted (automatic) | skipped (not eligible
  -- when a seat came) | left (by the member) | dropped (booked an overlapping lesson) | released (lesson over).
  status text not null default 'waiting'
    check (status in ('waiting', 'offered', 'promoted', 'declined', 'expired', 'skipped', 'left', 'dropped', 'released')),
  joined_at timestamptz not null default clock_timestamp(),
  offered_at timestamptz,
  offer_expires_at timestamptz,
  resolved_at timestamptz,
  note text not null default '' check (length(note) <= 500),
  reservation_id uuid,
  primary key (tenant_id, id),
  foreign key (tenant_id, lesson_id) references app.lessons (tenant_id, id),
  foreign key (tenant_id, member_id) references app.members (tenant_id, id),
  foreign key (tenant_id, reservation_id) references app.reservations (tenant_id, id),
  check ((status = 'offered') = (offer_expires_at is not null and resolved_at is null)),
  check ((status in ('waiting', 'offered')) = (resolved_at is null))
);
create unique index waitlist_one_per_member_idx on app.waitlist_entries (tenant_id, lesson_id, member_id) where status in ('waiting', 'offered');
create index waitlist_queue_idx on app.waitlist_entries (tenant_id, lesson_id, joined_at, id) where status = 'waiting';
create index waitlist_member_idx on app.waitlist_entries (tenant_id, member_id) where status in ('waiting', 'offered');
create index waitlist_offers_idx on app.waitlist_entries (tenant_id, offer_expires_at) where status = 'offered';
select app.isolate_by_tenant('app.waitlist_entries');

-- What a late cancellation or a no-show cost: a credit kept, a fee for billing to invoice, or a strike.
create table app.reservation_penalties (
  tenant_id uuid not null default app.current_tenant_id(),
  id uuid not null default gen_random_uuid(),
  reservation_id uuid not null,
  member_id uuid not null,
  reason text not null check (reason in ('late_cancel', 'no_show')),
  kind text not null check (kind in ('lose_credit', 'fee', 'strike')),
  -- Credits lost, or the fee in minor units (tax included); 1 for a strike.
  amount bigint not null check (amount > 0),
  -- Billing sets this when the fee goes onto an invoice.
  invoice_id uuid,
  waived_at timestamptz,
  waived_by uuid,
  created_at timestamptz not null default clock_timestamp(),
  primary key (tenant_id, id),
  unique (tenant_id, reservation_id),
  foreign key (tenant_id, reservation_id) references app.reservations (tenant_id, id),
  foreign key (tenant_id, member_id) references app.members (tenant_id, id),
  foreign key (tenant_id, invoice_id) references app.invoices (tenant_id, id)
);
create index reservation_penalties_member_idx on app.reservation_penalties (tenant_id, member_id, created_at);
create index reservation_penalties_unbilled_idx on app.reservation_penalties (tenant_id, member_id) where kind = 'fee' and invoice_id is null and waived_at is null;
select app.isolate_by_tenant('app.reservation_penalties');

-- A member may not book until ends_at (after too many strikes, or set by staff).
create table app.booking_blocks (
  tenant_id uuid not null default app.current_tenant_id(),
  id uuid not null default gen_random_uuid(),
  member_id uuid not null,
  starts_at timestamptz not null default now(),
  ends_at timestamptz not null,
  reason text not null check (length(reason) between 1 and 500),
  lifted_at timestamptz,
  lifted_by uuid,
  created_at timestamptz not null default now(),
  primary key (tenant_id, id),
  foreign key (tenant_id, member_id) references app.members (tenant_id, id),
  check (ends_at > starts_at)
);
create index booking_blocks_member_idx on app.booking_blocks (tenant_id, member_id, ends_at);
select app.isolate_by_tenant('app.booking_blocks');

-- Every check-in at the front desk: onto a reservation (attendance), or a walk-in without one.
create table app.check_ins (
  tenant_id uuid not null default app.current_tenant_id(),
  id uuid not null default gen_random_uuid(),
  member_id uuid not null,
  location_id uuid not null,
  reservation_id uuid,
  method text not null check (method in ('qr', 'manual')),
  actor_kind text not null check (actor_kind in ('staff', 'api_key', 'member', 'system')),
  actor_id uuid,
  checked_in_at timestamptz not null default clock_timestamp(),
  primary key (tenant_id, id),
  foreign key (tenant_id, member_id) references app.members (tenant_id, id),
  foreign key (tenant_id, location_id) references app.locations (tenant_id, id),
  foreign key (tenant_id, reservation_id) references app.reservations (tenant_id, id)
);
create unique index check_ins_one_per_reservation_idx on app.check_ins (tenant_id, reservation_id) where reservation_id is not null;
create index check_ins_location_idx on app.check_ins (tenant_id, location_id, checked_in_at);
create index check_ins_member_idx on app.check_ins (tenant_id, member_id, checked_in_at);
select app.isolate_by_tenant('app.check_ins');

-- Per-tenant secrets for signed tokens (the check-in QR code): made on first use, never leave the database.
create table app.signing_keys (
  tenant_id uuid not null default app.current_tenant_id(),
  purpose text not null check (purpose in ('check_in')),
  secret bytea not null check (length(secret) = 32),
  created_at timestamptz not null default now(),
  primary key (tenant_id, purpose)
);
select app.isolate_by_tenant('app.signing_keys');
