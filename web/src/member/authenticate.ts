import { api } from '../api/client';
import type { ResponseOf } from '../api/types';

type Paid = ResponseOf<'/api/me/invoices/{invoiceId}/pay/confirm', 'post'>;

/**
 * A card payment that asked for 3-D Secure: the bank's challenge is shown by Stripe.js (loaded only now), then the
 * server reads the payment back from Stripe and records how it ended. Stripe's words for a failed challenge are
 * in the member's language, so they are the ones to show.
 */
export async function passAuthentication(invoiceId: string, authentication: { publishableKey: string; clientSecret: string }, locale: string): Promise<{ invoice: Paid; stripeError: string | null }> {
  const { authenticatePayment } = await import('../ui/stripe-card');
  const stripeError = await authenticatePayment(authentication, locale);
  const { data } = await api.POST('/api/me/invoices/{invoiceId}/pay/confirm', { params: { path: { invoiceId } } });
  return { invoice: data!, stripeError };
}
