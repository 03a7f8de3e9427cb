-- A sign-up becomes a member record only when its email is confirmed (issue 16). Then it is linked to the member
-- the desk registered with that email, if there is one, and a provisional member is created only if there is none:
-- an unconfirmed sign-up neither duplicates a desk member nor claims one it cannot prove is its own. Until then
-- the account keeps what the person typed in (names, phone, terms) to create the member from.
alter table app.member_accounts alter column member_id drop not null;
alter table app.member_accounts add column sign_up_profile jsonb;
alter table app.member_accounts
  add constraint member_accounts_member_when_confirmed check (confirmed_at is null or member_id is not null),
  add constraint member_accounts_member_or_profile check (member_id is not null or sign_up_profile is not null);

-- The studio's membership terms a sign-up agrees to: the version recorded on the member, and where to read them.
alter table app.tenant_settings
  add column member_terms_version text not null default '1' check (length(member_terms_version) between 1 and 50),
  add column member_terms_url text check (member_terms_url ~ '^https?://' and length(member_terms_url) <= 2000);
