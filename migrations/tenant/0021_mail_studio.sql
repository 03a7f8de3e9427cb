-- Mail done properly (issue 18): the studio's sender name and reply-to, signed one-click unsubscribe links, and
-- the addresses a mail provider reported as bouncing or complaining.

-- null: the studio's display name; the reply-to null: none (replies go nowhere, as to no-reply@).
alter table app.tenant_settings
  add column mail_sender_name text check (length(mail_sender_name) between 1 and 100),
  add column mail_reply_to text check (mail_reply_to ~ '^[^@\s]+@[^@\s]+$' and length(mail_reply_to) <= 254);

-- The one-click unsubscribe link of optional mail (RFC 8058) is signed with a key of its own.
alter table app.signing_keys drop constraint signing_keys_purpose_check;
alter table app.signing_keys add constraint signing_keys_purpose_check check (purpose in ('check_in', 'unsubscribe'));

-- An address a hard bounce or a complaint came back from: mail to it is not sent (the outbox row fails with the
-- reason, which staff see) until staff clear it once the member has fixed it.
create table app.undeliverable_addresses (
  tenant_id uuid not null default app.current_tenant_id(),
  address text not null check (address = lower(address) and length(address) <= 254),
  reason text not null check (reason in ('bounce', 'complaint')),
  reported_at timestamptz not null default now(),
  primary key (tenant_id, address)
);
select app.isolate_by_tenant('app.undeliverable_addresses');

-- The studio's own wording of a kind of message in one language (ICU MessageFormat with the catalog message's
-- placeholders, checked when saved); without a row the catalog's wording is used.
create table app.message_templates (
  tenant_id uuid not null default app.current_tenant_id(),
  kind text not null check (kind ~ '^[a-z_]{1,60}$'),
  locale text not null check (locale in ('ja', 'en')),
  subject text not null check (length(subject) between 1 and 200),
  body text not null check (length(body) between 1 and 5000),
  updated_at timestamptz not null default now(),
  -- The staff member who saved it (kept when they leave: it is the studio's wording, not theirs).
  updated_by uuid,
  primary key (tenant_id, kind, locale)
);
select app.isolate_by_tenant('app.message_templates');
