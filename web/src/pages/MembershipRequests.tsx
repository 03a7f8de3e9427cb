import { useState } from 'react';
import { FormattedMessage, useIntl } from 'react-intl';
import { Link, useParams } from 'react-router';
import { $api, api, useApiAction } from '../api/client';
import type { ResponseOf } from '../api/types';
import { requestDecline } from '../../../src/modules/contracts/contracts.schemas';
import { useFormat } from '../format';
import { RequestStatus, RequestWhat } from '../ui/requests';
import { Facts } from '../ui';
import { TextField, useSchemaForm } from '../ui/form';
import { PageTitle } from '../ui/page';
import { EmptyState, ProblemAlert, QueryView } from '../ui/states';
import { useToast } from '../ui/toast';

type Request = ResponseOf<'/api/contract-requests', 'get'>['items'][number];

/**
 * The leaves and cancellations members asked for in the app, at a studio whose staff approve them (Settings →
 * member sign-up): the oldest first, each approved as asked (the cut-off of the day it was asked) or declined with
 * a reason the member is told; the decided ones below.
 */
export function MembershipRequestsPage() {
  const intl = useIntl();
  const pending = $api.useQuery('get', '/api/contract-requests', { params: { query: { status: 'pending' } } });
  const decided = $api.useQuery('get', '/api/contract-requests', { params: { query: { status: 'decided' } } });
  const title = intl.formatMessage({ id: 'requests.title' });
  return (
    <section>
      <PageTitle title={title}>{title}</PageTitle>
      <p className="muted"><FormattedMessage id="requests.intro" /></p>
      <h2><FormattedMessage id="requests.pending" /></h2>
      <QueryView query={pending}>
        {({ items }) =>
          items.length === 0 ? <EmptyState><FormattedMessage id="requests.empty" /></EmptyState> : items.map((r) => <PendingRequest key={r.id} r={r} />)
        }
      </QueryView>
      <h2><FormattedMessage id="requests.decided" /></h2>
      <QueryView query={decided}>
        {({ items }) =>
          items.length === 0 ? <p className="muted"><FormattedMessage id="requests.noneDecided" /></p> : items.map((r) => <RequestCard key={r.id} r={r} />)
        }
      </QueryView>
    </section>
  );
}

/** One request, as a link shares it (/membership-requests/:requestId): decided, or still to approve or decline. */
export function MembershipRequestPage() {
  const intl = useIntl();
  const { requestId = '' } = useParams();
  const request = $api.useQuery('get', '/api/contract-requests/{requestId}', { params: { path: { requestId } } });
  const title = intl.formatMessage({ id: 'requests.title' });
  return (
    <section>
      <PageTitle title={title}>{title}</PageTitle>
      <p><Link to="/membership-requests"><FormattedMessage id="requests.all" /></Link></p>
      <QueryView query={request}>{(r) => (r.status === 'pending' ? <PendingRequest r={r} /> : <RequestCard r={r} />)}</QueryView>
    </section>
  );
}

function RequestCard({ r, children }: { r: Request; children?: React.ReactNode }) {
  const intl = useIntl();
  const fmt = useFormat();
  const t = (id: string) => intl.formatMessage({ id: `requests.${id}` });
  return (
    <article className="contract" aria-label={intl.formatMessage({ id: 'requests.card' }, { name: r.memberName })}>
      <h3>
        <Link to={`/members/${r.memberId}?tab=contracts`}>{r.memberName}</Link> <RequestStatus status={r.status} />
      </h3>
      <Facts
        rows={[
          [t('asks'), <RequestWhat key="what" r={r} fmt={fmt} />],
          [t('plan'), r.plans.join(' → ')],
          [t('reason'), r.reason || '—'],
          [t('askedOn'), <Link key="on" to={`/membership-requests/${r.id}`}>{fmt.date(r.requestedOn)}</Link>],
          ...(r.declineReason ? [[t('declineReason'), r.declineReason] as [string, string]] : []),
        ]}
      />
      {children}
    </article>
  );
}

function PendingRequest({ r }: { r: Request }) {
  const intl = useIntl();
  const toast = useToast();
  const action = useApiAction();
  const [declining, setDeclining] = useState(false);
  const form = useSchemaForm<{ reason: string }>(requestDecline, { reason: '' }, action.error);
  const t = (id: string) => intl.formatMessage({ id: `requests.${id}` });
  const path = { params: { path: { requestId: r.id } } };

  async function approve() {
    const done = await action.run(`approve:${r.id}`, (key) => api.POST('/api/contract-requests/{requestId}/approve', { ...path, headers: { 'idempotency-key': key } }));
    if (done) toast(t('approved'));
  }
  const decline = form.handleSubmit(async (values) => {
    const body = values as { reason: string };
    const done = await action.run(`decline:${r.id}:${body.reason}`, (key) =>
      api.POST('/api/contract-requests/{requestId}/decline', { ...path, body, headers: { 'idempotency-key': key } }),
    );
    if (done) toast(t('declined'));
  });

  return (
    <RequestCard r={r}>
      <p className="muted small"><FormattedMessage id="requests.cutoffNote" /></p>
      {declining ? (
        <form className="inline" onSubmit={decline} noValidate aria-label={t('declineTitle')}>
          <TextField form={form} name="reason" label={t('declineReasonLabel')} autoComplete="off" />
          <button type="submit" disabled={action.busy}>{t('declineSubmit')}</button>
          <button type="button" className="secondary" onClick={() => setDeclining(false)}><FormattedMessage id="common.close" /></button>
        </form>
      ) : (
        <div className="actions">
          <button type="button" disabled={action.busy} onClick={() => void approve()}>{t('approve')}</button>
          <button type="button" className="secondary" onClick={() => setDeclining(true)}>{t('decline')}</button>
        </div>
      )}
      <ProblemAlert error={action.error} />
    </RequestCard>
  );
}
