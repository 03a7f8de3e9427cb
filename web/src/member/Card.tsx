import { useState, type FormEvent } from 'react';
import { FormattedMessage, useIntl } from 'react-intl';
import { $api, api, useApiAction } from '../api/client';
import type { ResponseOf } from '../api/types';
import { Input } from '../ui';
import { StripeCardEntry } from '../ui/card-entry';
import { PageTitle } from '../ui/page';
import { fieldErrors, ProblemAlert, QueryView } from '../ui/states';
import { useToast } from '../ui/toast';

type SavedCard = NonNullable<ResponseOf<'/api/me/card', 'get'>['card']>;

/** Visa •••• 4242 (expires 04/2030). */
function CardText({ card: c }: { card: SavedCard }) {
  const brand = `${c.brand.charAt(0).toUpperCase()}${c.brand.slice(1)}`;
  return c.expMonth && c.expYear ? (
    <FormattedMessage id="member.card.savedWithExpiry" values={{ brand, last4: c.last4, month: String(c.expMonth).padStart(2, '0'), year: String(c.expYear) }} />
  ) : (
    <FormattedMessage id="member.card.saved" values={{ brand, last4: c.last4 }} />
  );
}

/** The member's saved card, charged for each month's invoice; saving a new one replaces it. */
export function CardScreen() {
  const intl = useIntl();
  const toast = useToast();
  const card = $api.useQuery('get', '/api/me/card');
  const title = intl.formatMessage({ id: 'member.card.title' });
  return (
    <section>
      <PageTitle title={title}>{title}</PageTitle>
      <QueryView query={card} rows={2}>
        {({ card: current, entry }) => (
          <>
            <p aria-label={intl.formatMessage({ id: 'member.card.savedLabel' })}>
              {current ? <CardText card={current} /> : <span className="muted"><FormattedMessage id="member.card.none" /></span>}
            </p>
            {entry === 'stripe' ? (
              <StripeCardEntry
                hasCard={current !== null}
                begin={() => api.POST('/api/me/card/setup')}
                save={(setupId, key) => api.PUT('/api/me/card', { body: { setupId }, headers: { 'idempotency-key': key } })}
                onSaved={() => toast(intl.formatMessage({ id: 'member.card.savedToast' }))}
              />
            ) : (
              <CardForm current={current} />
            )}
          </>
        )}
      </QueryView>
    </section>
  );
}

function CardForm({ current }: { current: SavedCard | null }) {
  const intl = useIntl();
  const toast = useToast();
  const action = useApiAction();
  const [token, setToken] = useState('');
  const invalid = fieldErrors(action.error).token;

  async function save(e: FormEvent) {
    e.preventDefault();
    const value = token.trim();
    const done = await action.run(`card:${value}`, (key) => api.PUT('/api/me/card', { body: { token: value }, headers: { 'idempotency-key': key } }));
    if (!done) return;
    setToken('');
    toast(intl.formatMessage({ id: 'member.card.savedToast' }));
  }

  return (
    <>
      <form aria-label={intl.formatMessage({ id: 'member.card.formLabel' })} onSubmit={(e) => void save(e)}>
        <Input
          label={intl.formatMessage({ id: current ? 'member.card.newNumber' : 'member.card.number' })}
          inputMode="numeric"
          autoComplete="cc-number"
          required
          minLength={4}
          value={token}
          onChange={setToken}
          aria-invalid={invalid ? true : undefined}
          aria-describedby={invalid ? 'card-token-error' : undefined}
        />
        {invalid && <p id="card-token-error" className="error small">{invalid}</p>}
        <button type="submit" disabled={action.busy}>
          <FormattedMessage id={current ? 'member.card.replace' : 'member.card.save'} />
        </button>
      </form>
      {(current === null || current.gateway === 'test') && (
        <p className="muted small"><FormattedMessage id="member.card.testCards" /></p>
      )}
      <ProblemAlert error={invalid ? null : action.error} />
    </>
  );
}
