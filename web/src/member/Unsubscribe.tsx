import { useState } from 'react';
import { FormattedMessage, useIntl } from 'react-intl';
import { Link, useSearchParams } from 'react-router';
import { api, useApiAction } from '../api/client';
import { PageTitle } from '../ui/page';
import { ProblemAlert } from '../ui/states';

/**
 * The page of the unsubscribe line at the end of an optional mail (a reminder, a freed seat): it asks before it
 * turns that kind of message off, for a mail's link may be opened by a scanner or by mistake. Mail apps' own button
 * posts straight to the API (RFC 8058); this is for the reader of the plain text. No sign-in: the link is signed.
 */
export function UnsubscribeScreen() {
  const intl = useIntl();
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const action = useApiAction();
  const [stopped, setStopped] = useState<string | null>(null);
  const title = intl.formatMessage({ id: 'unsubscribe.title' });
  const stop = async () => {
    const done = await action.run('unsubscribe', () => api.POST('/api/unsubscribe', { params: { query: { token } }, body: { 'List-Unsubscribe': 'One-Click' } }));
    if (done) setStopped(done.kind);
  };
  return (
    <main className="card narrow">
      <PageTitle title={title}>{title}</PageTitle>
      {stopped ? (
        <>
          <p role="status">
            <FormattedMessage id="unsubscribe.done" values={{ kind: intl.formatMessage({ id: `notifications.kind.${stopped}`, defaultMessage: stopped }) }} />
          </p>
          <p><Link to="/member/notifications"><FormattedMessage id="unsubscribe.settings" /></Link></p>
        </>
      ) : (
        <>
          <p><FormattedMessage id="unsubscribe.ask" /></p>
          <ProblemAlert error={action.error} />
          <button type="button" disabled={!token || action.busy} onClick={() => void stop()}>
            <FormattedMessage id="unsubscribe.stop" />
          </button>
        </>
      )}
    </main>
  );
}
