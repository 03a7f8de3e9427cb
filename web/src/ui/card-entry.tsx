import { lazy, Suspense, useState } from 'react';
import { FormattedMessage, useIntl } from 'react-intl';
import { useApiAction } from '../api/client';
import type { StripeSetup } from './stripe-card';
import { ProblemAlert } from './states';

const StripeCardSetup = lazy(() => import('./stripe-card'));

type SetupAnswer = { gateway: 'test' } | ({ gateway: 'stripe' } & StripeSetup);

/**
 * Entering a card with Stripe, for a member on their phone or the desk on a member's behalf: a setup is begun
 * only when asked for (not on every visit), the card is typed into Stripe's own fields, and once Stripe has
 * confirmed it (3-D Secure included) the setup is saved as the account's card.
 */
export function StripeCardEntry({ hasCard, begin, save, onSaved }: {
  hasCard: boolean;
  begin: () => Promise<{ data?: SetupAnswer }>;
  save: (setupId: string, idempotencyKey: string) => Promise<{ data?: unknown }>;
  onSaved: () => void;
}) {
  const intl = useIntl();
  const action = useApiAction();
  const [setup, setSetup] = useState<StripeSetup | null>(null);

  async function start() {
    const started = await action.run('card-setup', begin);
    if (started?.gateway === 'stripe') setSetup(started);
  }
  async function confirmed(setupId: string) {
    const done = await action.run(`card:${setupId}`, (key) => save(setupId, key));
    if (!done) return;
    setSetup(null);
    onSaved();
  }

  return (
    <>
      {setup ? (
        <>
          <Suspense fallback={<p className="muted"><FormattedMessage id="ui.stripe.loading" /></p>}>
            <StripeCardSetup
              setup={setup}
              label={intl.formatMessage({ id: 'ui.stripe.formLabel' })}
              submitLabel={intl.formatMessage({ id: hasCard ? 'ui.stripe.replace' : 'ui.stripe.save' })}
              onConfirmed={confirmed}
            />
          </Suspense>
          <button type="button" className="secondary" onClick={() => setSetup(null)}><FormattedMessage id="ui.stripe.startOver" /></button>
        </>
      ) : (
        <button type="button" disabled={action.busy} onClick={() => void start()}>
          <FormattedMessage id={hasCard ? 'ui.stripe.enterNew' : 'ui.stripe.enter'} />
        </button>
      )}
      <ProblemAlert error={action.error} />
    </>
  );
}
