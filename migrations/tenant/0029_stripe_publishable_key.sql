-- Stripe.js needs the studio's publishable key to show Stripe's own card fields (issue 16): a card number is typed
-- into Stripe's frame and goes to Stripe, never to our server. Unlike the secret key it is public by design, so
-- staff and members may read it back.
alter table app.tenant_settings add column stripe_publishable_key text
  check (stripe_publishable_key ~ '^pk_(test|live)_[A-Za-z0-9_]{8,200}$');
