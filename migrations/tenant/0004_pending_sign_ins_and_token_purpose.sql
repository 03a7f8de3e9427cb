-- A sign-in attempt is pending (null) while its password is being checked, then true or false. Pending attempts
-- hold back parallel guesses briefly without counting as failures; one left pending by a crash counts as a
-- failure after a while.
alter table app.login_attempts alter column succeeded drop not null;
drop index app.login_attempts_ip_idx;
create index login_attempts_ip_idx on app.login_attempts (tenant_id, ip, attempted_at) where succeeded is not true;

-- Reset mails are rate limited; invitations are not counted against that limit.
alter table app.password_reset_tokens
  add column purpose text not null default 'reset' check (purpose in ('reset', 'invite'));
