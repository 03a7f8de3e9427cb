-- Why a message's last attempt failed, as a code staff read in their own language (issue 18); `last_error` keeps
-- the provider's own words for operators. Null for rows written before, and once a message is sent.
alter table app.outbox add column failure text check (failure in (
  'address_undeliverable', 'address_refused', 'mail_refused', 'provider_unavailable', 'line_not_connected',
  'line_token_rejected', 'line_user_unreachable', 'no_push_device', 'channel_not_set_up'
));
