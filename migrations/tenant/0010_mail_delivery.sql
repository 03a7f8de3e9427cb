-- Mail delivery (issue 18): the outbox becomes a queue that a worker sends from. status: pending until the SMTP
-- server took the mail (sent), or failed once retries ran out or the address was refused (failed, with the reason
-- in last_error, shown to staff). attempts counts sends begun, including one cut off by a crash: the mail then goes
-- again with the same Message-ID, which receiving mail systems use to drop a duplicate. next_attempt_at is when
-- it may go: a backoff after a failure, or a lease while a worker sends it. priority 0 (transactional: sign-in
-- links, waitlist offers, payment failures) goes before 1 (bulk) within a studio.
alter table app.mail_outbox
  add column status text not null default 'pending' check (status in ('pending', 'sent', 'failed')),
  add column priority smallint not null default 0 check (priority in (0, 1)),
  add column attempts integer not null default 0 check (attempts >= 0),
  add column next_attempt_at timestamptz not null default now(),
  add column last_error text check (length(last_error) <= 1000),
  add column failed_at timestamptz;

update app.mail_outbox set status = 'sent' where sent_at is not null;
-- Mail queued before delivery existed holds links long expired: it is not sent now, and says why.
update app.mail_outbox set status = 'failed', failed_at = now(), last_error = 'queued before mail delivery was set up'
 where sent_at is null and created_at < now() - interval '1 day';

drop index app.mail_outbox_unsent_idx;
create index mail_outbox_due_idx on app.mail_outbox (tenant_id, priority, next_attempt_at) where status = 'pending';
create index mail_outbox_to_idx on app.mail_outbox (tenant_id, to_address, created_at);
