-- What is sent (issue 18): lesson reminders N hours before, and "your booking window opens soon" for the lesson
-- series a member follows.

-- Hours before a lesson its booked members are reminded; null: no reminders.
alter table app.tenant_settings add column reminder_hours_before integer check (reminder_hours_before between 1 and 72);

-- When the member was reminded of this booking: set in the transaction that queues the reminder, so a reminder job
-- that runs twice (or twice at once) reminds nobody twice.
alter table app.reservations add column reminded_at timestamptz;
create index reservations_to_remind_idx on app.reservations (tenant_id, lesson_id) where status = 'booked' and reminded_at is null;

-- A lesson series a member follows (starred on the member's timetable): they are told when booking its lessons opens.
create table app.favourites (
  tenant_id uuid not null default app.current_tenant_id(),
  member_id uuid not null,
  series_id uuid not null,
  created_at timestamptz not null default now(),
  primary key (tenant_id, member_id, series_id),
  foreign key (tenant_id, member_id) references app.members (tenant_id, id) on delete cascade,
  foreign key (tenant_id, series_id) references app.lesson_series (tenant_id, id) on delete cascade
);
create index favourites_series_idx on app.favourites (tenant_id, series_id);
select app.isolate_by_tenant('app.favourites');

-- That a member was told booking a lesson opens: its key lets the message be queued once per member and lesson.
create table app.booking_window_notices (
  tenant_id uuid not null default app.current_tenant_id(),
  member_id uuid not null,
  lesson_id uuid not null,
  sent_at timestamptz not null,
  primary key (tenant_id, lesson_id, member_id),
  foreign key (tenant_id, member_id) references app.members (tenant_id, id) on delete cascade,
  foreign key (tenant_id, lesson_id) references app.lessons (tenant_id, id) on delete cascade
);
select app.isolate_by_tenant('app.booking_window_notices');
