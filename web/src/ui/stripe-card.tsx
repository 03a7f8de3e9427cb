/**
 * Stripe's own card fields and 3-D Secure, for studios on Stripe. Loaded only when a card is entered or a payment
 * must be authenticated (a lazy chunk), and Stripe.js itself always comes from js.stripe.com: the card number is
 * typed into Stripe's frame and sent to Stripe, so it never passes through Studiohive.
 */
import { Elements, PaymentElement, useElements, useStripe } from '@stripe/react-stripe-js';
import { loadStripe, type Stripe, type StripeElementLocale } from '@stripe/stripe-js';
import { useEffect, useState, type FormEvent } from 'react';
import { useIntl } from 'react-intl';

/** What the API hands the browser for one card setup (POST …/card/setup). */
export interface StripeSetup {
  publishableKey: string;
  clientSecret: string;
  setupId: string;
}

/** A payment waiting for the cardholder's 3-D Secure. */
export interface PaymentAuthentication {
  publishableKey: string;
  clientSecret: string;
}

const loaded = new Map<string, Promise<Stripe | null>>();

/** Stripe.js for the studio's key, speaking the reader's language; loaded once per key. */
function stripeFor(publishableKey: string, locale: string): Promise<Stripe | null> {
  const key = `${publishableKey} ${locale}`;
  let stripe = loaded.get(key);
  if (!stripe) {
    stripe = loadStripe(publishableKey, { locale: stripeLocale(locale) });
    // A failed load (offline, blocked) is tried again next time, not remembered.
    stripe.catch(() => loaded.delete(key));
    loaded.set(key, stripe);
  }
  return stripe;
}

const stripeLocale = (locale: string): StripeElementLocale => (locale.startsWith('ja') ? 'ja' : 'en');

/**
 * Asks the bank's 3-D Secure challenge for a payment begun on the server. Answers Stripe's own words (in the
 * reader's language) when it did not pass, or null; the server then reads the payment back either way.
 */
export async function authenticatePayment(authentication: PaymentAuthentication, locale: string): Promise<string | null> {
  const stripe = await stripeFor(authentication.publishableKey, locale);
  if (!stripe) return null;
  const { error } = await stripe.handleNextAction({ clientSecret: authentication.clientSecret });
  return error?.message ?? null;
}

/**
 * The card form of a setup: Stripe's Payment Element (cards only, as the setup allows), confirmed with Stripe,
 * 3-D Secure included. onConfirmed saves the setup on our side (PUT …/card with its id).
 */
export default function StripeCardSetup({ setup, label, submitLabel, onConfirmed }: { setup: StripeSetup; label: string; submitLabel: string; onConfirmed: (setupId: string) => Promise<void> }) {
  const intl = useIntl();
  const [stripe] = useState(() => stripeFor(setup.publishableKey, intl.locale));
  const [unavailable, setUnavailable] = useState(false);
  useEffect(() => {
    stripe.then((s) => setUnavailable(s === null)).catch(() => setUnavailable(true));
  }, [stripe]);
  if (unavailable) return <p role="alert" className="error">{intl.formatMessage({ id: 'ui.stripe.unavailable' })}</p>;
  return (
    <Elements stripe={stripe} options={{ clientSecret: setup.clientSecret, locale: stripeLocale(intl.locale) }}>
      <SetupForm setupId={setup.setupId} label={label} submitLabel={submitLabel} onConfirmed={onConfirmed} />
    </Elements>
  );
}

function SetupForm({ setupId, label, submitLabel, onConfirmed }: { setupId: string; label: string; submitLabel: string; onConfirmed: (setupId: string) => Promise<void> }) {
  const intl = useIntl();
  const stripe = useStripe();
  const elements = useElements();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // Once Stripe has confirmed the setup, a second press (our save failed: a timeout) only saves it again.
  const [confirmed, setConfirmed] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!stripe || !elements) return;
    setBusy(true);
    setError(null);
    try {
      if (!confirmed) {
        // Cards never redirect; 3-D Secure opens in Stripe's own frame over this page.
        const result = await stripe.confirmSetup({ elements, redirect: 'if_required' });
        if (result.error) return setError(result.error.message ?? intl.formatMessage({ id: 'ui.stripe.notSaved' }));
        setConfirmed(true);
      }
      await onConfirmed(setupId);
    } catch {
      setError(intl.formatMessage({ id: 'ui.stripe.notSaved' }));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form aria-label={label} onSubmit={(e) => void submit(e)}>
      <PaymentElement />
      <p className="muted small">{intl.formatMessage({ id: 'ui.stripe.direct' })}</p>
      <button type="submit" disabled={!stripe || busy}>{submitLabel}</button>
      {error && <p role="alert" className="error">{error}</p>}
    </form>
  );
}
