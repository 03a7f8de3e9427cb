-- LINE (issue 18): a studio connects its own LINE Official Account; members link their LINE account to their
-- membership through LINE's account link (a link token from LINE, a nonce from us), and messages go to them there.

-- The studio's Messaging API channel. The secret and token are write-only through the API (kept as the Stripe keys
-- are: in the studio's own row, under RLS, never answered).
create table app.line_channels (
  tenant_id uuid not null default app.current_tenant_id() primary key,
  channel_id text not null check (channel_id ~ '^[0-9]{6,20}$'),
  -- Signs every webhook delivery (HMAC-SHA256): a delivery whose signature does not match changes nothing.
  channel_secret text not null check (channel_secret ~ '^[0-9A-Za-z]{16,64}$'),
  access_token text not null check (length(access_token) between 16 and 1000 and access_token ~ '^[A-Za-z0-9+/=._-]+$'),
  -- The OA's basic ID (@abc1234), for the friend-add link members are shown.
  basic_id text check (basic_id ~ '^@[0-9a-z._-]{3,40}$'),
  connected_at timestamptz not null default now()
);
select app.isolate_by_tenant('app.line_channels');

-- A nonce handed to LINE's account-link dialog for one signed-in member; LINE returns it in the accountLink event,
-- which is how the event is known to be that member's. Kept as its SHA-256, used once, short-lived.
create table app.line_link_nonces (
  tenant_id uuid not null default app.current_tenant_id(),
  nonce_hash bytea not null check (length(nonce_hash) = 32),
  member_id uuid not null,
  expires_at timestamptz not null,
  primary key (tenant_id, nonce_hash),
  foreign key (tenant_id, member_id) references app.members (tenant_id, id) on delete cascade
);
create index line_link_nonces_member_idx on app.line_link_nonces (tenant_id, member_id);
select app.isolate_by_tenant('app.line_link_nonces');

-- LINE redelivers webhook events: each is handled once, by its webhookEventId.
alter table app.webhook_events drop constraint webhook_events_gateway_check;
alter table app.webhook_events add constraint webhook_events_gateway_check check (gateway in ('test', 'stripe', 'line'));
