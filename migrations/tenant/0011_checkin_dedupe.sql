-- One walk-in per member and local day of the studio (issue 15): two desks scanning the same member at once
-- record one arrival. The day is the studio's (its time zone lives outside this database), so the service writes
-- it with the row; a check-in for a lesson leaves it null and is kept single by check_ins_one_per_reservation_idx.
-- Walk-ins recorded before this column existed keep null: they may hold duplicates, which stay as history.
alter table app.check_ins add column walk_in_day date;
alter table app.check_ins add constraint check_ins_walk_in_day_only_for_walk_ins check (walk_in_day is null or reservation_id is null);
create unique index check_ins_one_walk_in_per_day_idx on app.check_ins (tenant_id, member_id, walk_in_day) where walk_in_day is not null;
