import { useState } from 'react';
import { FormattedMessage, useIntl, type IntlShape } from 'react-intl';
import { Link, useParams } from 'react-router';
import { $api, api, useApiAction } from '../api/client';
import type { ResponseOf } from '../api/types';
import { useFormat, type Format } from '../format';
import { useStudio } from '../studio';
import { declineWords, Facts, InvoiceBody, InvoiceDownloads, InvoiceStatusBadge, type InvoiceDocuments } from '../ui';
import { PageTitle } from '../ui/page';
import { EmptyState, ProblemAlert, QueryView } from '../ui/states';
import { useToast } from '../ui/toast';
import { passAuthentication } from './authenticate';

type InvoiceSummary = ResponseOf<'/api/me/invoices', 'get'>['items'][number];
type InvoiceDetail = ResponseOf<'/api/me/invoices/{invoiceId}', 'get'>;
type Paid = ResponseOf<'/api/me/invoices/{invoiceId}/pay', 'post'>;
type Outcome = { ok: boolean; text: string };

/** What the member's payment came to: paid, or the card's own words. */
function outcomeOf(result: Paid, intl: IntlShape, fmt: Format): Outcome {
  if (result.status === 'paid') return { ok: true, text: intl.formatMessage({ id: 'member.invoices.paidThanks' }, { amount: fmt.money(result.amountPaid, result.currency) }) };
  const last = result.payments[result.payments.length - 1];
  if (last?.status === 'pending') return { ok: true, text: intl.formatMessage({ id: 'member.invoices.processing' }) };
  const reason = ((last && declineWords(intl, last)) ?? intl.formatMessage({ id: 'member.invoices.declined' })).replace(/[.。]$/, '');
  return { ok: false, text: intl.formatMessage({ id: 'member.invoices.payFailed' }, { reason }) };
}

/**
 * Pay an invoice with the saved card now; without a card, the API says so and the Card screen is a tap away.
 * The outcome goes to the screen (a paid invoice leaves the overdue banner this button sits in).
 */
function PayNow({ invoice, onDone }: { invoice: Pick<InvoiceSummary, 'id' | 'amountDue' | 'currency'>; onDone: (outcome: Outcome) => void }) {
  const intl = useIntl();
  const fmt = useFormat();
  const action = useApiAction();
  async function pay() {
    const done = await action.run(`pay:${invoice.id}`, (key) =>
      api.POST('/api/me/invoices/{invoiceId}/pay', { params: { path: { invoiceId: invoice.id } }, headers: { 'idempotency-key': key } }),
    );
    if (!done) return;
    if (!done.authentication) return onDone(outcomeOf(done, intl, fmt));
    const checked = await action.run(`pay-check:${invoice.id}`, async () => {
      const { invoice: after, stripeError } = await passAuthentication(invoice.id, done.authentication!, intl.locale);
      return { data: { after, stripeError } };
    });
    if (!checked) return;
    const { after, stripeError } = checked;
    onDone(stripeError && after.status !== 'paid' ? { ok: false, text: intl.formatMessage({ id: 'member.invoices.payFailed' }, { reason: stripeError.replace(/[.。]$/, '') }) } : outcomeOf(after, intl, fmt));
  }
  return (
    <>
      <div className="actions">
        <button type="button" disabled={action.busy} onClick={() => void pay()}>
          <FormattedMessage id="member.invoices.payNow" values={{ amount: fmt.money(invoice.amountDue, invoice.currency) }} />
        </button>
        <Link to="/member/card"><FormattedMessage id="member.invoices.changeCard" /></Link>
      </div>
      <ProblemAlert error={action.error} />
    </>
  );
}

/** A payment's outcome: a success is confirmed by a toast, a refusal of the card stays on the screen until the next try. */
function usePayments() {
  const toast = useToast();
  const [failure, setFailure] = useState<string | null>(null);
  const done = (o: Outcome) => {
    setFailure(o.ok ? null : o.text);
    if (o.ok) toast(o.text);
  };
  const shown = failure && <p role="alert" className="error">{failure}</p>;
  return { done, shown };
}

/** The member's (their family's) invoices; an overdue one pauses bookings until it is paid. */
export function Invoices() {
  const intl = useIntl();
  const list = $api.useQuery('get', '/api/me/invoices');
  const payments = usePayments();
  const title = intl.formatMessage({ id: 'member.invoices.title' });
  return (
    <section>
      <PageTitle title={title}>{title}</PageTitle>
      {payments.shown}
      <QueryView query={list}>
        {({ items }) => (
          <>
            {items.filter((i) => i.overdue && i.amountDue > 0).map((i) => <OverdueBanner key={i.id} invoice={i} onDone={payments.done} />)}
            {items.length === 0 ? (
              <EmptyState>
                <FormattedMessage id="member.invoices.none" /> <FormattedMessage id="member.invoices.noneNext" />
              </EmptyState>
            ) : (
              <InvoiceList items={items} />
            )}
          </>
        )}
      </QueryView>
    </section>
  );
}

function OverdueBanner({ invoice: i, onDone }: { invoice: InvoiceSummary; onDone: (outcome: Outcome) => void }) {
  const intl = useIntl();
  const fmt = useFormat();
  return (
    <div className="banner" role="region" aria-label={intl.formatMessage({ id: 'member.invoices.overdueLabel' }, { number: i.number ?? '' })}>
      <p><strong><FormattedMessage id="member.invoices.bookingsPaused" /></strong></p>
      <p>
        <FormattedMessage id="member.invoices.overdueText" values={{ number: i.number ?? '', period: fmt.month(i.period), amount: fmt.money(i.amountDue, i.currency) }} />
      </p>
      <PayNow invoice={i} onDone={onDone} />
    </div>
  );
}

function InvoiceList({ items }: { items: InvoiceSummary[] }) {
  const intl = useIntl();
  const fmt = useFormat();
  return (
    <ul className="list" aria-label={intl.formatMessage({ id: 'member.invoices.listLabel' })}>
      {items.map((i) => (
        <li key={i.id}>
          <div className="row">
            <Link to={`/member/invoices/${i.id}`}>
              <FormattedMessage id="member.invoices.item" values={{ period: fmt.month(i.period), number: i.number ?? '', strong: (chunks) => <strong>{chunks}</strong> }} />
            </Link>
            <span><InvoiceStatusBadge invoice={i} /></span>
          </div>
          <div className="muted small">
            {fmt.money(i.total, i.currency)}
            {i.amountDue > 0 && <FormattedMessage id="member.invoices.dueBy" values={{ amount: fmt.money(i.amountDue, i.currency), date: fmt.date(i.dueOn) }} />}
            {i.amountRefunded > 0 && <FormattedMessage id="member.invoices.refunded" values={{ amount: fmt.money(i.amountRefunded, i.currency) }} />}
          </div>
        </li>
      ))}
    </ul>
  );
}

/** One of the member's invoices: its lines and payments, the PDF (and receipt), and paying it when due. */
export function InvoiceScreen() {
  const { invoiceId = '' } = useParams();
  // A new invoice starts afresh (no outcome of another invoice's payment).
  return <InvoiceView key={invoiceId} id={invoiceId} />;
}

function InvoiceView({ id }: { id: string }) {
  const intl = useIntl();
  const invoice = $api.useQuery('get', '/api/me/invoices/{invoiceId}', { params: { path: { invoiceId: id } } });
  const payments = usePayments();
  const title = invoice.data?.number ?? intl.formatMessage({ id: 'member.invoice.title' });
  return (
    <section>
      <PageTitle
        title={title}
        actions={<span aria-label={intl.formatMessage({ id: 'member.invoice.statusLabel' })}>{invoice.data && <InvoiceStatusBadge invoice={invoice.data} />}</span>}
      >
        {title}
      </PageTitle>
      <p className="small"><Link to="/member/invoices"><FormattedMessage id="member.invoice.back" /></Link></p>
      <QueryView query={invoice} rows={6}>
        {(i) => <InvoiceDetails invoice={i} payments={payments} />}
      </QueryView>
    </section>
  );
}

function InvoiceDetails({ invoice: i, payments }: { invoice: InvoiceDetail; payments: ReturnType<typeof usePayments> }) {
  const intl = useIntl();
  const fmt = useFormat();
  const { timezone } = useStudio();
  const money = (n: number) => fmt.money(n, i.currency);
  const t = (id: string) => intl.formatMessage({ id });
  const documents: InvoiceDocuments = {
    invoice: `/api/me/invoices/${i.id}/document`,
    refund: (refundId) => `/api/me/invoices/${i.id}/refunds/${refundId}/document`,
  };
  return (
    <>
      {i.overdue && i.amountDue > 0 && <p className="banner"><strong><FormattedMessage id="member.invoices.bookingsPaused" /></strong></p>}
      <Facts
        rows={[
          [t('member.invoice.month'), fmt.month(i.period)],
          [t('member.invoice.total'), <strong>{money(i.total)}</strong>],
          [t('member.invoice.status'), t(`invoiceStatus.${i.status}`)],
          [t('member.invoice.due'), fmt.date(i.dueOn)],
          ...(i.amountDue > 0 ? [[t('member.invoice.amountDue'), money(i.amountDue)] as [string, string]] : []),
          ...(i.amountRefunded > 0 ? [[t('member.invoice.refunded'), money(i.amountRefunded)] as [string, string]] : []),
        ]}
      />
      {payments.shown}
      {i.amountDue > 0 && (i.status === 'open' || i.status === 'uncollectible') && <PayNow invoice={i} onDone={payments.done} />}
      <InvoiceDownloads invoice={i} documents={documents} />
      <InvoiceBody invoice={i} timeZone={timezone} documents={documents} />
    </>
  );
}
