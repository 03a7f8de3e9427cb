-- A message is due from the moment it is queued, to the millisecond: the worker compares next_attempt_at with its
-- own clock, a JavaScript Date (milliseconds), and a row written with the database's now() (microseconds) in the
-- same millisecond as the worker's claim was otherwise not yet due, and waited for the next turn.
alter table app.outbox alter column next_attempt_at set default date_trunc('milliseconds', now());
