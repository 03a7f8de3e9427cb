import { useState } from 'react';
import { FormattedMessage } from 'react-intl';
import { api } from '../api/client';

/**
 * "Send the link again" for a sign-up whose confirmation mail was lost or expired. The server answers the same
 * for any address (it does not say who has an account) and mails within an hourly allowance, so this always
 * reports the mail as sent.
 */
export function ResendConfirmation({ email }: { email: string }) {
  const [state, setState] = useState<'idle' | 'sending' | 'sent'>('idle');
  async function resend() {
    setState('sending');
    await api.POST('/api/member-auth/resend-confirmation', { body: { email } }).catch(() => undefined);
    setState('sent');
  }
  return (
    <div className="resend">
      <button type="button" className="secondary" disabled={state === 'sending'} onClick={() => void resend()}>
        <FormattedMessage id="auth.signUp.resend" />
      </button>
      {state === 'sent' && <p role="status"><FormattedMessage id="auth.signUp.resent" values={{ email }} /></p>}
    </div>
  );
}
