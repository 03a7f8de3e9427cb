-- Stripe.js needs the studio's publishable key to show Stripe's own card fields (issue 16): a card number is typed
-- into Stripe's frame and goes to Stripe, never to our server. Unlike the secret key it is public by design, so
-- staff and members may read it back.
alter table app.tenant_settings add column stripe_publishable_key text
  check (stripe_publishable_key ~ '^pk_(test|live)_[A-Za-z0-9_]{8,200}$');

-- When the member began this payment in the app (by the app's clock), with the card's 3-D Secure if the bank asks
-- (Stripe.js shows it); null: off-session. Decided once, when the attempt is made, so every later call for it (a
-- replay, reconciliation) sends Stripe the same parameters under the same idempotency key; and the time a challenge
-- may wait is counted from it.
alter table app.payment_attempts add column on_session_since timestamptz;
