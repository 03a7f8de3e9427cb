import { useMutation } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { FormattedMessage, useIntl } from 'react-intl';
import { $api, api, saveFile, useApiAction } from '../api/client';
import { useFormat } from '../format';
import { PageTitle } from '../ui/page';
import { ProblemAlert, QueryView } from '../ui/states';
import { useToast } from '../ui/toast';

/** The member's own data: download it all, or ask the studio to delete the account (after a confirmation). */
export function MyDataScreen() {
  const intl = useIntl();
  const format = useFormat();
  const requests = $api.useQuery('get', '/api/me/data-requests');
  const title = intl.formatMessage({ id: 'privacy.me.title' });
  const download = useMutation({
    mutationFn: async () => {
      const { data, error } = await api.GET('/api/me/data');
      if (error !== undefined || !data) throw error;
      saveFile(new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' }), 'my-data.json');
    },
  });
  return (
    <section>
      <PageTitle title={title}>{title}</PageTitle>
      <h2><FormattedMessage id="privacy.me.downloadTitle" /></h2>
      <p className="muted small"><FormattedMessage id="privacy.me.downloadIntro" /></p>
      <button type="button" className="secondary" disabled={download.isPending} onClick={() => download.mutate()}>
        <FormattedMessage id="privacy.me.download" />
      </button>
      {download.isError && <ProblemAlert error={download.error} />}
      <h2><FormattedMessage id="privacy.me.deleteTitle" /></h2>
      <QueryView query={requests} rows={2}>
        {({ items }) => {
          const latest = items[0];
          return (
            <>
              {latest && (
                <p role="status">
                  {latest.status === 'declined' ? (
                    <FormattedMessage id="privacy.me.declined" values={{ when: format.dayAndTime(latest.decidedAt ?? latest.requestedAt), reason: latest.declineReason ?? '' }} />
                  ) : (
                    <FormattedMessage id={`privacy.me.${latest.status}`} values={{ when: format.dayAndTime(latest.requestedAt) }} />
                  )}
                </p>
              )}
              {latest?.status !== 'pending' && <AskToDelete />}
            </>
          );
        }}
      </QueryView>
    </section>
  );
}

/** Asking is a step of its own: the member reads what it means, then confirms (or keeps the account). */
function AskToDelete() {
  const intl = useIntl();
  const toast = useToast();
  const action = useApiAction();
  const [asking, setAsking] = useState(false);
  const confirmRef = useRef<HTMLDivElement>(null);
  useEffect(() => { if (asking) confirmRef.current?.focus(); }, [asking]);
  async function confirm() {
    const done = await action.run('data-request', () => api.POST('/api/me/data-requests'));
    if (!done) return;
    setAsking(false);
    toast(intl.formatMessage({ id: 'privacy.me.askedToast' }));
  }
  return (
    <>
      <p className="muted small"><FormattedMessage id="privacy.me.deleteIntro" /></p>
      {asking ? (
        <div ref={confirmRef} tabIndex={-1} role="group" aria-label={intl.formatMessage({ id: 'privacy.me.confirmLabel' })}>
          <p><strong><FormattedMessage id="privacy.me.confirmText" /></strong></p>
          <button type="button" disabled={action.busy} onClick={() => void confirm()}><FormattedMessage id="privacy.me.confirm" /></button>{' '}
          <button type="button" className="secondary" disabled={action.busy} onClick={() => setAsking(false)}><FormattedMessage id="privacy.me.keep" /></button>
        </div>
      ) : (
        <button type="button" className="secondary" onClick={() => setAsking(true)}><FormattedMessage id="privacy.me.ask" /></button>
      )}
      <ProblemAlert error={action.error} />
    </>
  );
}
