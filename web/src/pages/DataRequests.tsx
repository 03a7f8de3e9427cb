import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { FormattedMessage, useIntl } from 'react-intl';
import { Link } from 'react-router';
import { $api, api, saveFile, useApiAction } from '../api/client';
import type { ResponseOf } from '../api/types';
import { declineBody } from '../../../src/modules/privacy/privacy.schemas';
import { useFormat } from '../format';
import { Facts, Table } from '../ui';
import { ActionFlow } from '../ui/action-flow';
import { TextField, useSchemaForm } from '../ui/form';
import { PageTitle } from '../ui/page';
import { EmptyState, ProblemAlert, QueryView } from '../ui/states';
import { useToast } from '../ui/toast';

type DataRequest = ResponseOf<'/api/data-requests', 'get'>['items'][number];
type Erasure = ResponseOf<'/api/members/{memberId}/erasure', 'post'>;

/** "erased member #N" is stored in one neutral form; the app says it in the reader's language. */
function MemberName({ r }: { r: Pick<DataRequest, 'memberName' | 'memberNumber'> }) {
  return r.memberName.startsWith('erased member #') ? <FormattedMessage id="privacy.erasedMember" values={{ number: r.memberNumber }} /> : <>{r.memberName}</>;
}

function StatusWord({ status }: { status: DataRequest['status'] }) {
  return <span className={`badge ${status === "pending" ? "status-on_leave" : status === "completed" ? "status-ended" : "status-cancelled"}`}><FormattedMessage id={`privacy.status.${status}`} /></span>;
}

/** The erasure requests members sent from the app, waiting for an owner or manager (/data-requests). */
export function DataRequestsPage() {
  const intl = useIntl();
  const format = useFormat();
  const requests = $api.useQuery('get', '/api/data-requests');
  const title = intl.formatMessage({ id: 'privacy.list.title' });
  const t = (id: string) => intl.formatMessage({ id: `privacy.list.${id}` });
  return (
    <section>
      <PageTitle title={title}>{title}</PageTitle>
      <p className="muted"><FormattedMessage id="privacy.list.intro" /></p>
      <QueryView query={requests}>
        {({ items }) =>
          items.length === 0 ? (
            <EmptyState><FormattedMessage id="privacy.list.empty" /></EmptyState>
          ) : (
            <Table head={[t('member'), t('number'), t('requestedAt'), t('status')]}>
              {items.map((r) => (
                <tr key={r.id}>
                  <td><Link to={`/members/${r.memberId}?tab=data`}><MemberName r={r} /></Link></td>
                  <td>{r.memberNumber}</td>
                  <td>{format.dayAndTime(r.requestedAt)}</td>
                  <td><StatusWord status={r.status} /></td>
                </tr>
              ))}
            </Table>
          )
        }
      </QueryView>
    </section>
  );
}

/** The member page's data tab: download the member's data, their requests, and erasure after a preview. */
export default function DataSection({ memberId, memberNumber }: { memberId: string; memberNumber: number }) {
  const intl = useIntl();
  const format = useFormat();
  const toast = useToast();
  const path = { params: { path: { memberId } } };
  const state = $api.useQuery('get', '/api/members/{memberId}/data-requests', path);
  const t = (id: string, values?: Record<string, string | number>) => intl.formatMessage({ id: `privacy.member.${id}` }, values);
  const download = useMutation({
    mutationFn: async () => {
      const { data, error } = await api.GET('/api/members/{memberId}/data', path);
      if (error !== undefined || !data) throw error;
      saveFile(new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' }), `member-${memberNumber}-data.json`);
    },
  });
  return (
    <>
      <h2><FormattedMessage id="privacy.member.title" /></h2>
      <p className="muted"><FormattedMessage id="privacy.member.exportIntro" /></p>
      <button type="button" className="secondary" disabled={download.isPending} onClick={() => download.mutate()}>
        <FormattedMessage id="privacy.member.download" />
      </button>
      {download.isError && <ProblemAlert error={download.error} />}
      <QueryView query={state} rows={2}>
        {(s) => (
          <>
            <h3><FormattedMessage id="privacy.member.requests" /></h3>
            {s.requests.length === 0 ? (
              <p className="muted"><FormattedMessage id="privacy.member.noRequests" /></p>
            ) : (
              <Table head={[t('requestedAt'), t('status'), t('declineReason')]}>
                {s.requests.map((r) => (
                  <tr key={r.id}>
                    <td>{format.dayAndTime(r.requestedAt)}</td>
                    <td><StatusWord status={r.status} /></td>
                    <td>{r.declineReason ?? ''}</td>
                  </tr>
                ))}
              </Table>
            )}
            {s.erasedAt ? (
              <p role="status"><FormattedMessage id="privacy.member.erased" values={{ when: format.dayAndTime(s.erasedAt) }} /></p>
            ) : (
              <>
                {s.requests.some((r) => r.status === 'pending') && <Decline memberId={memberId} />}
                <h3><FormattedMessage id="privacy.member.erase" /></h3>
                <p className="muted"><FormattedMessage id="privacy.member.eraseIntro" /></p>
                <ActionFlow<Erasure>
                  label={t('erase')}
                  method="POST"
                  path={`/api/members/${memberId}/erasure`}
                  preview={{ path: `/api/members/${memberId}/erasure/preview`, show: (p) => <ErasureOutcome erasure={p} /> }}
                  confirmLabel={t('eraseConfirm')}
                  onDone={() => toast(t('erasedToast'))}
                />
              </>
            )}
          </>
        )}
      </QueryView>
    </>
  );
}

/** What an erasure takes, gives up and keeps, in counts. */
function ErasureOutcome({ erasure: e }: { erasure: Erasure }) {
  const intl = useIntl();
  const row = (group: 'erased' | 'cancelled' | 'kept') =>
    e[group].map((c): [string, string] => [intl.formatMessage({ id: `privacy.what.${c.what}` }), intl.formatMessage({ id: `privacy.outcome.${group}` }, { count: c.count })]);
  return (
    <>
      <p><FormattedMessage id="privacy.outcome.summary" values={{ number: e.memberNumber }} /></p>
      <Facts rows={[...row('erased'), ...row('cancelled'), ...row('kept')]} />
    </>
  );
}

type DeclineValues = { reason: string };

/** Declines the member's pending request; the member sees the reason in the app. */
function Decline({ memberId }: { memberId: string }) {
  const intl = useIntl();
  const toast = useToast();
  const action = useApiAction();
  const [open, setOpen] = useState(false);
  const form = useSchemaForm<DeclineValues>(declineBody, { reason: '' }, action.error);
  const t = (id: string) => intl.formatMessage({ id: `privacy.decline.${id}` });
  const send = form.handleSubmit(async (values) => {
    const body = values as DeclineValues;
    const done = await action.run(`decline:${memberId}:${body.reason}`, () =>
      api.POST('/api/members/{memberId}/data-requests/decline', { params: { path: { memberId } }, body }),
    );
    if (!done) return;
    toast(t('done'));
    setOpen(false);
  });
  if (!open) return <button type="button" className="secondary" onClick={() => setOpen(true)}>{t('open')}</button>;
  return (
    <form className="inline" onSubmit={send} noValidate aria-label={t('title')}>
      <TextField form={form} name="reason" label={t('reason')} autoComplete="off" />
      <button type="submit" disabled={action.busy}>{t('submit')}</button>
      <button type="button" className="secondary" onClick={() => setOpen(false)}><FormattedMessage id="common.close" /></button>
      <ProblemAlert error={action.error} />
    </form>
  );
}
