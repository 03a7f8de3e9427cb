-- Messages reach members by mail, LINE or Web Push (issue 18). The mail outbox becomes the outbox of every
-- channel: one row is one message to one person on one channel, written in the transaction that causes it and
-- sent by the delivery worker exactly as mail was (lease, attempts, backoff, failed with the reason).
alter table app.mail_outbox rename to outbox;
alter index app.mail_outbox_due_idx rename to outbox_due_idx;
alter index app.mail_outbox_to_idx rename to outbox_to_idx;

alter table app.outbox
  -- to_address is the channel's address: an email address, a LINE user id, or (push) the member id, whose
  -- subscriptions are all sent to.
  add column channel text not null default 'mail' check (channel in ('mail', 'line', 'push')),
  -- The member the message is about (the recipient, or the family member a lead is told about): what staff see on
  -- the member's page, and whose mail address a failed LINE or push message falls back to.
  add column member_id uuid,
  -- Where the message leads (a waitlist offer's Accept, an invoice): a button on LINE, the click of a push.
  add column link text check (length(link) <= 2000),
  -- A message a member may turn off (reminders, offers of freed seats): held back in quiet hours. Transactional
  -- messages (links, payment failures, waitlist offers with a deadline) are not.
  add column optional boolean not null default false,
  -- The provider's id of what it accepted (LINE's sent message id), kept to show it went.
  add column provider_message_id text check (length(provider_message_id) <= 200),
  add foreign key (tenant_id, member_id) references app.members (tenant_id, id) on delete set null (member_id);
create index outbox_member_idx on app.outbox (tenant_id, member_id, created_at) where member_id is not null;

-- The member's language for what the platform sends them, set from the member app; null: the studio's.
alter table app.members add column locale text check (locale in ('ja', 'en'));

-- A member's choice per kind of message: the channel (null: LINE when linked, else push when subscribed, else
-- mail) and, for optional kinds only, whether to send it at all.
create table app.message_preferences (
  tenant_id uuid not null default app.current_tenant_id(),
  member_id uuid not null,
  kind text not null check (kind ~ '^[a-z_]{1,60}$'),
  channel text check (channel in ('mail', 'line', 'push')),
  enabled boolean not null default true,
  updated_at timestamptz not null default now(),
  primary key (tenant_id, member_id, kind),
  foreign key (tenant_id, member_id) references app.members (tenant_id, id) on delete cascade
);
select app.isolate_by_tenant('app.message_preferences');

-- A member's LINE account, linked from the member app through the studio's LINE Official Account.
create table app.member_line_links (
  tenant_id uuid not null default app.current_tenant_id(),
  member_id uuid not null,
  line_user_id text not null check (line_user_id ~ '^U[0-9a-f]{32}$'),
  linked_at timestamptz not null default now(),
  primary key (tenant_id, member_id),
  unique (tenant_id, line_user_id),
  foreign key (tenant_id, member_id) references app.members (tenant_id, id) on delete cascade
);
select app.isolate_by_tenant('app.member_line_links');

-- A browser or phone the member allowed notifications on (Web Push). Removed when the push service says it is gone.
create table app.push_subscriptions (
  tenant_id uuid not null default app.current_tenant_id(),
  id uuid not null default gen_random_uuid(),
  member_id uuid not null,
  endpoint text not null check (endpoint ~ '^https://' and length(endpoint) <= 2000),
  p256dh text not null check (length(p256dh) between 1 and 200),
  auth text not null check (length(auth) between 1 and 100),
  created_at timestamptz not null default now(),
  primary key (tenant_id, id),
  unique (tenant_id, endpoint),
  foreign key (tenant_id, member_id) references app.members (tenant_id, id) on delete cascade
);
create index push_subscriptions_member_idx on app.push_subscriptions (tenant_id, member_id);
select app.isolate_by_tenant('app.push_subscriptions');
