import { useState, type ReactNode } from 'react';
import { FormattedMessage, useIntl } from 'react-intl';
import { Link, useParams } from 'react-router';
import { $api } from '../api/client';
import type { ResponseOf } from '../api/types';
import { minorDigits, toMinor, useFormat } from '../format';
import { can, useStaffMe, type Role } from '../staff/StaffApp';
import { declineWords, Facts, Input, InvoiceBody, InvoiceDownloads, InvoiceStatusBadge, Select, Table, TaxTable, type InvoiceDocuments } from '../ui';
import { ActionFlow } from '../ui/action-flow';
import { PageTitle } from '../ui/page';
import { EmptyState, QueryView } from '../ui/states';
import { useToast } from '../ui/toast';

type InvoiceDetail = ResponseOf<'/api/invoices/{invoiceId}', 'get'>;
type InvoiceStatus = InvoiceDetail['status'];

const PAGE = 50;
/** The statuses staff filter by (a draft is never listed on its own). */
const invoiceStatuses: InvoiceStatus[] = ['open', 'paid', 'void', 'uncollectible'];

/** The studio's invoices, newest month first: by month, status, or only those that block booking. */
export function Invoices() {
  const intl = useIntl();
  const f = useFormat();
  const t = (id: string, values?: Record<string, string | number>) => intl.formatMessage({ id }, values);
  const [filters, setFilters] = useState({ period: '', status: '' as InvoiceStatus | '', overdue: false });
  const [offset, setOffset] = useState(0);
  const filter = (changes: Partial<typeof filters>) => {
    setFilters({ ...filters, ...changes });
    setOffset(0);
  };
  const filtered = filters.period !== '' || filters.status !== '' || filters.overdue;
  const list = $api.useQuery('get', '/api/invoices', {
    params: {
      query: {
        limit: PAGE,
        offset,
        ...(filters.period ? { period: filters.period } : {}),
        ...(filters.status ? { status: filters.status } : {}),
        ...(filters.overdue ? { overdue: 'true' } : {}),
      },
    },
  });
  const title = t('billing.invoices.title');
  const head = ['number', 'member', 'month', 'total', 'due', 'status'].map((h) => t(`billing.invoices.head.${h}`));
  return (
    <>
      <PageTitle title={title}>{title}</PageTitle>
      <form className="inline" aria-label={t('billing.invoices.filter')} onSubmit={(e) => e.preventDefault()}>
        <Input label={t('billing.invoices.month')} type="month" value={filters.period} onChange={(period) => filter({ period })} />
        <Select<InvoiceStatus | 'all'>
          label={t('billing.invoices.status')}
          value={filters.status || 'all'}
          onChange={(s) => filter({ status: s === 'all' ? '' : s })}
          options={[['all', t('billing.invoices.allStatuses')], ...invoiceStatuses.map((s): [InvoiceStatus, string] => [s, t(`invoiceStatus.${s}`)])]}
        />
        <label className="check">
          <input type="checkbox" checked={filters.overdue} onChange={(e) => filter({ overdue: e.target.checked })} />{' '}
          <FormattedMessage id="billing.invoices.overdueOnly" />
        </label>
      </form>
      <QueryView query={list} rows={6}>
        {(data) =>
          data.items.length === 0 ? (
            <EmptyState><FormattedMessage id={filtered ? 'billing.invoices.noMatch' : 'billing.invoices.none'} /></EmptyState>
          ) : (
            <>
              <Table head={head}>
                {data.items.map((i) => (
                  <tr key={i.id}>
                    <td><Link to={`/invoices/${i.id}`}>{i.number ?? t('invoiceStatus.draft')}</Link></td>
                    <td><FormattedMessage id="billing.invoices.memberName" values={{ name: i.member.name, number: i.member.memberNumber }} /></td>
                    <td>{f.month(i.period)}</td>
                    <td>{f.money(i.total, i.currency)}</td>
                    <td>
                      {f.date(i.dueOn)}
                      {i.amountDue > 0 && <div className="muted small"><FormattedMessage id="billing.invoices.amountDue" values={{ amount: f.money(i.amountDue, i.currency) }} /></div>}
                    </td>
                    <td><InvoiceStatusBadge invoice={i} /></td>
                  </tr>
                ))}
              </Table>
              {data.total > PAGE && (
                <div className="pager">
                  <button type="button" className="secondary" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
                    <FormattedMessage id="billing.invoices.previous" />
                  </button>
                  <span className="muted small">
                    <FormattedMessage id="billing.invoices.range" values={{ from: offset + 1, to: Math.min(offset + PAGE, data.total), total: data.total }} />
                  </span>
                  <button type="button" className="secondary" disabled={offset + PAGE >= data.total} onClick={() => setOffset(offset + PAGE)}>
                    <FormattedMessage id="billing.invoices.next" />
                  </button>
                </div>
              )}
            </>
          )
        }
      </QueryView>
    </>
  );
}

type Acting = 'cash' | 'refund' | 'void' | 'write-off' | null;

/** One invoice: what it bills and how it was paid; the desk takes payments, managers refund, void and write off. */
export function InvoicePage() {
  const intl = useIntl();
  const { invoiceId = '' } = useParams();
  const me = useStaffMe();
  const invoice = $api.useQuery('get', '/api/invoices/{invoiceId}', { params: { path: { invoiceId } } });
  const i = invoice.data;
  const title = !i
    ? intl.formatMessage({ id: 'billing.invoice.titleLoading' })
    : i.number
      ? intl.formatMessage({ id: 'billing.invoice.title' }, { number: i.number })
      : intl.formatMessage({ id: 'billing.invoice.titleDraft' });
  return (
    <>
      <PageTitle
        title={title}
        actions={
          <span className="actions">
            <span aria-label={intl.formatMessage({ id: 'billing.invoice.statusLabel' })}>{i && <InvoiceStatusBadge invoice={i} />}</span>
            <Link to="/invoices"><FormattedMessage id="billing.invoice.back" /></Link>
          </span>
        }
      >
        {title}
      </PageTitle>
      <QueryView query={invoice} rows={8}>
        {(data) => <InvoiceView key={data.id} invoice={data} role={me.role} />}
      </QueryView>
    </>
  );
}

function InvoiceView({ invoice: i, role }: { invoice: InvoiceDetail; role: Role }) {
  const intl = useIntl();
  const f = useFormat();
  const toast = useToast();
  const t = (id: string, values?: Record<string, string | number>) => intl.formatMessage({ id }, values);
  const [acting, setActing] = useState<Acting>(null);
  // A charge or refund the payment service turned down: said until the next action.
  const [failure, setFailure] = useState<string | null>(null);
  const money = (n: number) => f.money(n, i.currency);
  const refundable = i.amountPaid - i.amountRefunded;
  const payable = (i.status === 'open' || i.status === 'uncollectible') && i.amountDue > 0;
  // The card the charge would use, named in its confirmation (the invoice's account is the member it bills).
  const card = $api.useQuery('get', '/api/members/{memberId}/card', { params: { path: { memberId: i.member.id } } }, { enabled: payable }).data?.card;
  const documents: InvoiceDocuments = {
    invoice: `/api/invoices/${i.id}/document`,
    refund: (refundId) => `/api/invoices/${i.id}/refunds/${refundId}/document`,
  };
  const open = (a: Acting) => () => {
    setFailure(null);
    setActing(acting === a ? null : a);
  };
  const close = () => setActing(null);
  const finished = (message: string | null, failed: string | null = null) => {
    setActing(null);
    setFailure(failed);
    if (message) toast(message);
  };

  function afterCharge(result: InvoiceDetail) {
    const last = result.payments[result.payments.length - 1];
    if (result.status === 'paid') finished(t('billing.invoice.charged'));
    else if (last?.status === 'failed') finished(null, t('billing.invoice.chargeFailed', { reason: declineWords(intl, last) ?? t('billing.invoice.declined') }));
    else finished(t('billing.invoice.chargePending'));
  }

  function afterRefund(result: InvoiceDetail) {
    const last = result.refunds[result.refunds.length - 1];
    if (last?.status === 'failed') finished(null, t('billing.invoice.refundFailed', { reason: last.failureMessage ?? t('billing.invoice.refundRefused') }));
    else finished(t(last?.status === 'pending' ? 'billing.invoice.refundPending' : 'billing.invoice.refunded'));
  }

  const facts: Array<[string, ReactNode]> = [
    [t('billing.invoice.member'), <Link to={`/members/${i.member.id}`}>{t('billing.invoices.memberName', { name: i.member.name, number: i.member.memberNumber })}</Link>],
    [t('billing.invoice.addressedTo'), i.recipientName],
    [t('billing.invoice.month'), f.month(i.period)],
    [t('billing.invoice.issued'), i.issuedOn ? f.date(i.issuedOn) : ''],
    [t('billing.invoice.due'), f.date(i.dueOn)],
    [t('billing.invoice.total'), <strong>{money(i.total)}</strong>],
    [t('billing.invoice.paid'), money(i.amountPaid)],
    ...(i.amountRefunded > 0 ? [[t('billing.invoice.refundedAmount'), money(i.amountRefunded)] as [string, string]] : []),
    [t('billing.invoice.amountDue'), money(i.amountDue)],
    [
      t('billing.invoice.issuer'),
      i.issuer.registrationNumber
        ? t('billing.invoice.issuerWithNumber', { name: i.issuer.name, number: i.issuer.registrationNumber })
        : t('billing.invoice.issuerNoNumber', { name: i.issuer.name }),
    ],
    ...(i.nextAttemptAt ? [[t('billing.invoice.nextAttempt'), f.dateTime(i.nextAttemptAt)] as [string, string]] : []),
    // Written off says the invoice blocks booking by itself; "overdue" beside it would say it twice, differently.
    ...(i.escalatedAt && i.status !== 'uncollectible' ? [[t('billing.invoice.overdueSince'), f.dateTime(i.escalatedAt)] as [string, string]] : []),
    ...(i.voidReason ? [[t(i.status === 'void' ? 'billing.invoice.voided' : 'billing.invoice.writtenOff'), i.voidReason] as [string, string]] : []),
  ];

  return (
    <>
      <Facts rows={facts} />
      <InvoiceDownloads invoice={i} documents={documents} />

      {can.sell(role) && (
        <>
          <div className="actions">
            {payable && card && (
              <ActionFlow<InvoiceDetail>
                label={t('billing.invoice.charge')}
                method="POST"
                path={`/api/invoices/${i.id}/charge`}
                confirmLabel={t('billing.invoice.charge')}
                ask={{
                  text: t('billing.invoice.chargeAskCard', { amount: money(i.amountDue), member: i.member.name, brand: card.brand, last4: card.last4 }),
                  confirmLabel: t('billing.invoice.chargeConfirm'),
                }}
                onDone={afterCharge}
                compact
              />
            )}
            {payable && <button type="button" className="secondary" onClick={open('cash')}><FormattedMessage id="billing.invoice.recordPayment" /></button>}
            {can.manage(role) && i.status === 'paid' && refundable > 0 && (
              <button type="button" className="secondary" onClick={open('refund')}><FormattedMessage id="billing.invoice.refund" /></button>
            )}
            {can.manage(role) && i.status === 'open' && i.amountPaid === 0 && (
              <button type="button" className="secondary" onClick={open('void')}><FormattedMessage id="billing.invoice.void" /></button>
            )}
            {can.manage(role) && i.status === 'open' && (
              <button type="button" className="secondary" onClick={open('write-off')}><FormattedMessage id="billing.invoice.writeOff" /></button>
            )}
          </div>
          {failure && <p role="alert" className="error">{failure}</p>}
          {acting && (
            <InvoiceAction
              key={acting}
              acting={acting}
              invoice={i}
              onDone={(message) => finished(message)}
              onRefunded={afterRefund}
              onClose={close}
            />
          )}
        </>
      )}

      <InvoiceBody invoice={i} timeZone={f.timeZone} documents={documents} />
    </>
  );
}

function InvoiceAction({
  acting,
  invoice: i,
  onDone,
  onRefunded,
  onClose,
}: {
  acting: NonNullable<Acting>;
  invoice: InvoiceDetail;
  onDone: (message: string) => void;
  onRefunded: (result: InvoiceDetail) => void;
  onClose: () => void;
}) {
  const intl = useIntl();
  const f = useFormat();
  const t = (id: string, values?: Record<string, string | number>) => intl.formatMessage({ id }, values);
  const [method, setMethod] = useState<'cash' | 'bank_transfer'>('cash');
  const [amount, setAmount] = useState('');
  const [reason, setReason] = useState('');
  // Prefilled with the amount due: paying in full is the usual case, a part is typed over it.
  const [received, setReceived] = useState(String(i.amountDue / 10 ** minorDigits(i.currency)));
  const money = (n: number) => f.money(n, i.currency);
  const refundable = i.amountPaid - i.amountRefunded;
  switch (acting) {
    case 'cash': {
      const step = 1 / 10 ** minorDigits(i.currency);
      const paid = toMinor(received, i.currency);
      return (
        <ActionFlow<InvoiceDetail>
          title={t('billing.invoice.recordTitle')}
          method="POST"
          path={`/api/invoices/${i.id}/payments`}
          body={{ method, amount: paid }}
          confirmLabel={t('billing.invoice.recordSubmit', { amount: paid === undefined ? '' : money(paid) })}
          onDone={(r) => onDone(t(r.amountDue > 0 ? 'billing.invoice.recordedPart' : 'billing.invoice.recorded', { due: money(r.amountDue) }))}
          onClose={onClose}
        >
          {(errors) => (
            <>
              <Input
                label={t('billing.invoice.receivedAmount')}
                type="number"
                min={step}
                max={i.amountDue * step}
                step={step}
                required
                value={received}
                onChange={setReceived}
                error={errors.amount}
              />
              <p className="muted small">{t('billing.invoice.receivedHelp', { due: money(i.amountDue) })}</p>
              <Select
                label={t('billing.invoice.paidBy')}
                value={method}
                onChange={setMethod}
                options={(['cash', 'bank_transfer'] as const).map((m) => [m, t(`paymentMethod.${m}`)])}
                error={errors.method}
              />
            </>
          )}
        </ActionFlow>
      );
    }
    case 'refund': {
      const step = 1 / 10 ** minorDigits(i.currency);
      const typed = toMinor(amount, i.currency);
      // The preview answers with what the refund would do, the refund with the invoice.
      return (
        <ActionFlow<InvoiceDetail | RefundPreview>
          title={t('billing.invoice.refund')}
          method="POST"
          path={`/api/invoices/${i.id}/refunds`}
          body={{ amount: typed, reason }}
          confirmLabel={t('billing.invoice.refundConfirm')}
          preview={{ path: `/api/invoices/${i.id}/refunds/preview`, show: (p) => 'creditNote' in p && <RefundPreviewView preview={p} member={i.member.name} /> }}
          onDone={(r) => 'payments' in r && onRefunded(r)}
          onClose={onClose}
        >
          {(errors) => (
            <>
              <p className="muted small">
                {i.amountRefunded > 0
                  ? t('billing.invoice.refundableAfter', { max: money(refundable), paid: money(i.amountPaid), refunded: money(i.amountRefunded) })
                  : t('billing.invoice.refundable', { max: money(refundable), paid: money(i.amountPaid) })}
              </p>
              <Input
                label={t('billing.invoice.refundAmount')}
                type="number"
                min={step}
                max={refundable / 10 ** minorDigits(i.currency)}
                step={step}
                required
                value={amount}
                onChange={setAmount}
                error={errors.amount}
              />
              <Input label={t('billing.invoice.refundReason')} required value={reason} onChange={setReason} error={errors.reason} />
            </>
          )}
        </ActionFlow>
      );
    }
    case 'void':
      return (
        <ActionFlow<InvoiceDetail>
          title={t('billing.invoice.voidTitle')}
          method="POST"
          path={`/api/invoices/${i.id}/void`}
          body={{ reason }}
          confirmLabel={t('billing.invoice.voidSubmit')}
          onDone={() => onDone(t('billing.invoice.voidDone'))}
          onClose={onClose}
        >
          {(errors) => (
            <>
              <p className="muted small"><FormattedMessage id="billing.invoice.voidHelp" /></p>
              <Input label={t('billing.invoice.voidReason')} required value={reason} onChange={setReason} error={errors.reason} />
            </>
          )}
        </ActionFlow>
      );
    case 'write-off':
      return (
        <ActionFlow<InvoiceDetail>
          title={t('billing.invoice.writeOffTitle')}
          method="POST"
          path={`/api/invoices/${i.id}/write-off`}
          body={{ reason }}
          confirmLabel={t('billing.invoice.writeOff')}
          ask={{ text: t('billing.invoice.writeOffAsk', { amount: money(i.amountDue), member: i.member.name }), confirmLabel: t('billing.invoice.writeOffConfirm') }}
          onDone={() => onDone(t('billing.invoice.writeOffDone'))}
          onClose={onClose}
        >
          {(errors) => (
            <>
              <p className="muted small"><FormattedMessage id="billing.invoice.writeOffHelp" values={{ amount: money(i.amountDue) }} /></p>
              <Input label={t('billing.invoice.writeOffReason')} required value={reason} onChange={setReason} error={errors.reason} />
            </>
          )}
        </ActionFlow>
      );
  }
}

type RefundPreview = ResponseOf<'/api/invoices/{invoiceId}/refunds/preview', 'post'>;

/** The credit note a refund would issue, tax per rate as the refund itself computes it. */
function RefundPreviewView({ preview: p, member }: { preview: RefundPreview; member: string }) {
  const intl = useIntl();
  const f = useFormat();
  const t = (id: string, values?: Record<string, string>) => intl.formatMessage({ id }, values);
  const money = (n: number) => f.money(n, p.currency);
  const note = p.creditNote;
  return (
    <>
      <p>{t(`billing.refundPreview.${p.method}`, { amount: money(p.amount), member })}</p>
      <Facts
        rows={[
          [t('billing.refundPreview.creditNote'), money(note.total)],
          [t('billing.refundPreview.refundableAfter'), money(p.refundableAfter)],
        ]}
      />
      <TaxTable totals={note} money={money} />
    </>
  );
}
