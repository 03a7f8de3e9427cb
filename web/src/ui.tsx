import { Children, cloneElement, isValidElement, useId, useState, type InputHTMLAttributes, type ReactElement, type ReactNode } from 'react';
import { FormattedMessage, useIntl, type IntlShape } from 'react-intl';
import * as client from './api/client';
import type { ResponseOf } from './api/types';
import { useFormat } from './format';
import { ProblemAlert } from './ui/states';

/* The shapes the shared components show, as the server's OpenAPI document says. */
type Contract = ResponseOf<'/api/contracts/{contractId}', 'get'>;
type Charge = Contract['charges'][number];
type InvoiceDetail = ResponseOf<'/api/invoices/{invoiceId}', 'get'>;
type InvoiceSummary = ResponseOf<'/api/invoices', 'get'>['items'][number];

/** A member's status (or a contract's), as a coloured label with its word. */
/**
 * Why a card payment failed, in the reader's language: the gateways word their reasons in English (Stripe's,
 * the test gateway's), so the reasons we know by code are ours to say; any other keeps the gateway's words.
 */
export function declineWords(intl: IntlShape, p: { failureCode: string | null; failureMessage: string | null }): string | null {
  const id = `ui.decline.${p.failureCode ?? ''}`;
  return p.failureCode && id in intl.messages ? intl.formatMessage({ id }) : p.failureMessage;
}

export function StatusBadge({ status, of = 'member' }: { status: string; of?: 'member' | 'contract' }) {
  const intl = useIntl();
  const id = `${of === 'member' ? 'memberStatus' : 'contractStatus'}.${status}`;
  return <span className={`badge status-${status}`}>{intl.messages[id] ? intl.formatMessage({ id }) : status}</span>;
}

/**
 * A labelled input whose value is kept as typed (a string); other attributes pass through. `error` (a refused
 * field's message) is shown beside it and marks it aria-invalid.
 */
export function Input({ label, value, onChange, error, ...rest }: { label: string; value: string; onChange: (v: string) => void; error?: string } & Omit<InputHTMLAttributes<HTMLInputElement>, 'value' | 'onChange'>) {
  const id = useId();
  const invalid = error
    ? { 'aria-invalid': true as const, 'aria-labelledby': `${id}-label`, 'aria-describedby': `${id}-error` }
    : {};
  return (
    <label>
      <span id={`${id}-label`}>{label}</span>
      <input {...invalid} {...rest} value={value} onChange={(e) => onChange(e.target.value)} />
      {error && <span id={`${id}-error`} className="error small" role="alert">{error}</span>}
    </label>
  );
}

/** A labelled drop-down, named by its label alone (not its options); a placeholder makes a choice required. */
export function Select<V extends string>(props: { label: string; value: V | ''; options: Array<[V, string]>; onChange: (v: V) => void; placeholder?: string; error?: string }) {
  const { label, placeholder, error } = props;
  const id = useId();
  return (
    <label>
      {label}
      <select
        aria-label={label}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
        required={placeholder !== undefined}
        value={props.value}
        onChange={(e) => props.onChange(e.target.value as V)}
      >
        {placeholder !== undefined && <option value="">{placeholder}</option>}
        {props.options.map(([v, text]) => <option key={v} value={v}>{text}</option>)}
      </select>
      {error && <span id={`${id}-error`} className="error small" role="alert">{error}</span>}
    </label>
  );
}

/**
 * A table with a header row; the children are its body's rows. Each cell carries its column's name, so on a
 * phone every row becomes a card of "name: value" lines and no column is ever hidden.
 */
export function Table({ head, className, caption, children }: { head: string[]; className?: string; caption?: string; children: ReactNode }) {
  const labelled = Children.map(children, (row) =>
    isValidElement<{ children?: ReactNode }>(row) && row.type === 'tr'
      ? cloneElement(row, {
          children: Children.map(row.props.children, (cell, i) =>
            isValidElement(cell) && head[i] ? cloneElement(cell as ReactElement<{ 'data-label'?: string }>, { 'data-label': head[i] }) : cell,
          ),
        })
      : row,
  );
  return (
    <table className={className ? `data ${className}` : 'data'}>
      {caption && <caption className="visually-hidden">{caption}</caption>}
      <thead>
        <tr>{head.map((h, i) => <th key={i} scope="col">{h}</th>)}</tr>
      </thead>
      <tbody>{labelled}</tbody>
    </table>
  );
}

/** Month by month: when it is charged, its lines, and the total with consumption tax. */
export function ChargesTable({ charges, currency }: { charges: Charge[]; currency: string }) {
  const intl = useIntl();
  const f = useFormat();
  if (charges.length === 0) return <p className="muted"><FormattedMessage id="ui.charges.none" /></p>;
  const money = (n: number) => f.money(n, currency);
  const head = ['ui.charges.month', 'ui.charges.chargedOn', 'ui.charges.lines', 'ui.charges.total'].map((id) => intl.formatMessage({ id }));
  return (
    <Table className="charges" head={head}>
      {charges.map((c) => (
        <tr key={c.period}>
          <td>{f.month(c.period)}</td>
          <td>{f.date(c.chargedOn)}</td>
          <td>
            <ul className="lines">
              {c.lines.map((l, i) => (
                <li key={i}>
                  <span>{l.description}</span>{' '}
                  <span>{l.priceIncludesTax ? money(l.amount) : <FormattedMessage id="ui.charges.plusTax" values={{ amount: money(l.amount) }} />}</span>
                </li>
              ))}
            </ul>
          </td>
          <td>
            <strong>{money(c.total)}</strong>
            <div className="muted small"><FormattedMessage id="ui.charges.tax" values={{ amount: money(c.tax) }} /></div>
          </td>
        </tr>
      ))}
    </Table>
  );
}

/**
 * What a contract is (or will be, in a preview): its plans, dates, leaves, options and coming charges. On the
 * member's page, `withdraw` adds the buttons that take back a leave or the cancellation.
 */
export function ContractOutcome({ contract: c, withdraw }: { contract: Contract; withdraw?: { leave: (id: string) => ReactNode; cancellation: ReactNode } }) {
  const intl = useIntl();
  const f = useFormat();
  const leaves = c.leaves.filter((l) => !l.withdrawn);
  const plans = c.plans
    .map((p, i) => intl.formatMessage({ id: i === 0 ? 'ui.contract.plan' : 'ui.contract.thenPlan' }, { plan: p.planName, version: p.version, date: f.date(p.effectiveFrom) }))
    .join('');
  const because = (reason: string | null | undefined) => (reason ? intl.formatMessage({ id: 'ui.contract.reason' }, { reason }) : null);
  const options = c.options
    .map((o) => (o.untilDate ? intl.formatMessage({ id: 'ui.contract.optionUntil' }, { name: o.name, date: f.date(o.untilDate) }) : o.name))
    .join(intl.formatMessage({ id: 'ui.listSeparator' }));
  return (
    <div className="outcome">
      <p>
        <StatusBadge status={c.status} of="contract" />{' '}
        {plans}
      </p>
      <p>
        {c.endDate ? (
          <FormattedMessage id="ui.contract.startsAndEnds" values={{ start: f.date(c.startDate), end: f.date(c.endDate), b: (chunks: ReactNode[]) => <strong>{chunks}</strong> }} />
        ) : (
          <FormattedMessage id="ui.contract.starts" values={{ start: f.date(c.startDate) }} />
        )}
        {c.endDate && because(c.cancelReason)}
      </p>
      {c.endDate && c.kind === 'monthly' && c.status === 'ending' && withdraw?.cancellation}
      {leaves.map((l) => (
        <div key={l.id}>
          <p>
            {l.returnMonth ? (
              <FormattedMessage id="ui.contract.leave" values={{ from: f.month(l.fromMonth), back: f.month(l.returnMonth) }} />
            ) : (
              <FormattedMessage id="ui.contract.leaveOpen" values={{ from: f.month(l.fromMonth) }} />
            )}
            {because(l.reason)}
          </p>
          {withdraw?.leave(l.id)}
        </div>
      ))}
      {c.options.length > 0 && <p><FormattedMessage id="ui.contract.options" values={{ options }} /></p>}
      <ChargesTable charges={c.charges} currency={c.currency} />
    </div>
  );
}

export const contractPreview = (c: Contract) => <ContractOutcome contract={c} />;

/**
 * An invoice's status, and whether it is overdue (it then blocks the member's bookings). A written-off invoice is
 * a loss no longer collected: never overdue, and its own word says so.
 */
export function InvoiceStatusBadge({ invoice }: { invoice: Pick<InvoiceSummary, 'status' | 'overdue'> }) {
  return (
    <>
      <span className={`badge invoice-${invoice.status}`}><FormattedMessage id={`invoiceStatus.${invoice.status}`} /></span>
      {invoice.overdue && invoice.status !== 'uncollectible' && (
        <>
          {' '}
          <span className="badge invoice-overdue"><FormattedMessage id="invoiceStatus.overdue" /></span>
        </>
      )}
    </>
  );
}

/** Opens the API's PDFs, with a busy flag and why the last one failed. */
function useDownload() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const download = (path: string, filename: string) => {
    setBusy(true);
    setError(null);
    client
      .openDocument(path, filename)
      .catch((err: unknown) => setError(err))
      .finally(() => setBusy(false));
  };
  return { busy, error, download };
}

/**
 * What an invoice is made of, for staff and members alike: its lines, its tax per rate (rounded once per rate),
 * the payments tried and the refunds with their credit notes, downloaded from `documents`.
 * Times are the studio's (`timeZone` is kept for callers; the studio's own zone is used).
 */
export function InvoiceBody({ invoice: i, documents }: { invoice: InvoiceDetail; timeZone: string; documents: InvoiceDocuments }) {
  const intl = useIntl();
  const f = useFormat();
  const t = (id: string) => intl.formatMessage({ id });
  const money = (n: number) => f.money(n, i.currency);
  const { busy, error, download } = useDownload();
  return (
    <>
      <h3><FormattedMessage id="ui.invoice.lines" /></h3>
      <Table head={['ui.invoice.head.month', 'ui.invoice.head.description', 'ui.invoice.head.amount', 'ui.invoice.head.taxBasis'].map(t)}>
        {i.lines.map((l) => (
          <tr key={l.lineNo}>
            <td>{f.month(l.period)}</td>
            <td>{l.description}</td>
            <td>{money(l.amount)}</td>
            <td>
              {l.taxCategory === 'exempt'
                ? t('tax.exempt')
                : intl.formatMessage({ id: l.priceIncludesTax ? 'ui.invoice.inclTax' : 'ui.invoice.exclTax' }, { rate: t(`tax.${l.taxCategory}`) })}
            </td>
          </tr>
        ))}
      </Table>
      <h4><FormattedMessage id="ui.invoice.taxPerRate" /></h4>
      <TaxTable totals={i} money={money} />
      <h3><FormattedMessage id="ui.invoice.payments" /></h3>
      {i.payments.length === 0 ? (
        <p className="muted"><FormattedMessage id="ui.invoice.noPayments" /></p>
      ) : (
        <Table className="payments" head={['ui.invoice.head.when', 'ui.invoice.head.method', 'ui.invoice.head.amount', 'ui.invoice.head.by', 'ui.invoice.head.status'].map(t)}>
          {i.payments.map((p) => (
            <tr key={p.id}>
              <td>{f.dateTime(p.settledAt ?? p.createdAt)}</td>
              <td>{t(`paymentMethod.${p.method}`)}</td>
              <td>{money(p.amount)}</td>
              <td>{t(`ui.invoice.by.${p.initiatedBy}`)}</td>
              <td>
                {t(`ui.invoice.outcome.${p.status}`)}
                {p.status === 'failed' && declineWords(intl, p) && (
                  <div className="error small">
                    {p.failureKind === 'hard' ? intl.formatMessage({ id: 'ui.invoice.notRetried' }, { message: declineWords(intl, p) }) : declineWords(intl, p)}
                  </div>
                )}
              </td>
            </tr>
          ))}
        </Table>
      )}
      {i.refunds.length > 0 && (
        <>
          <h3><FormattedMessage id="ui.invoice.refunds" /></h3>
          <Table className="refunds" head={[...['ui.invoice.head.creditNote', 'ui.invoice.head.when', 'ui.invoice.head.amount', 'ui.invoice.head.reason', 'ui.invoice.head.status'].map(t), '']}>
            {i.refunds.map((r) => (
              <tr key={r.id}>
                <td>{r.number}</td>
                <td>{f.dateTime(r.createdAt)}</td>
                <td>{money(r.amount)}</td>
                <td>{r.reason}</td>
                <td>
                  {t(`ui.invoice.outcome.${r.status}`)}
                  {r.failureMessage && <div className="error small">{r.failureMessage}</div>}
                </td>
                <td>
                  {r.status === 'succeeded' && (
                    <button type="button" className="link" disabled={busy} onClick={() => download(documents.refund(r.id), `${r.number}.pdf`)}>
                      <FormattedMessage id="ui.invoice.downloadCreditNote" />
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </Table>
        </>
      )}
      <ProblemAlert error={error} />
    </>
  );
}

/** The invoice's PDF, and its receipt once something is paid. */
/** Where an invoice's PDFs are downloaded: the staff's and the member's routes, written out in full. */
export interface InvoiceDocuments {
  invoice: string;
  refund: (refundId: string) => string;
}

export function InvoiceDownloads({ invoice: i, documents }: { invoice: InvoiceDetail; documents: InvoiceDocuments }) {
  const { busy, error, download } = useDownload();
  const name = i.number ?? 'invoice';
  const get = (kind: 'invoice' | 'receipt') => download(`${documents.invoice}?kind=${kind}`, `${name}${kind === 'receipt' ? '-receipt' : ''}.pdf`);
  const paid = i.payments.some((p) => p.status === 'succeeded');
  return (
    <>
      <div className="actions">
        <button type="button" className="secondary" disabled={busy || i.number === null} onClick={() => get('invoice')}>
          <FormattedMessage id="ui.invoice.downloadInvoice" />
        </button>
        {paid && (
          <button type="button" className="secondary" disabled={busy} onClick={() => get('receipt')}>
            <FormattedMessage id="ui.invoice.downloadReceipt" />
          </button>
        )}
      </div>
      <ProblemAlert error={error} />
    </>
  );
}

/** Key facts of an invoice as a two-column table. */
export function Facts({ rows }: { rows: Array<[string, ReactNode]> }) {
  return (
    <table className="facts">
      <tbody>
        {rows.map(([k, v]) => (
          <tr key={k}><th scope="row">{k}</th><td>{v}</td></tr>
        ))}
      </tbody>
    </table>
  );
}

/** The totals of an invoice or a credit note: consumption tax per rate, as the qualified-invoice rule sums it. */
export interface TaxTotals {
  taxBreakdown: Array<{ taxCategory: string; taxableAmount: number; tax: number; total: number }>;
  subtotalExcludingTax: number;
  taxTotal: number;
  total: number;
}

export function TaxTable({ totals, money }: { totals: TaxTotals; money: (n: number) => string }) {
  const intl = useIntl();
  const t = (id: string) => intl.formatMessage({ id });
  return (
    <Table className="tax" head={['ui.invoice.head.rate', 'ui.invoice.head.taxable', 'ui.invoice.head.tax', 'ui.invoice.total'].map(t)}>
      {totals.taxBreakdown.map((r) => (
        <tr key={r.taxCategory}>
          <td>{t(`tax.${r.taxCategory}`)}</td>
          <td>{money(r.taxableAmount)}</td>
          <td>{money(r.tax)}</td>
          <td>{money(r.total)}</td>
        </tr>
      ))}
      <tr>
        <th scope="row"><FormattedMessage id="ui.invoice.total" /></th>
        <td>{money(totals.subtotalExcludingTax)}</td>
        <td>{money(totals.taxTotal)}</td>
        <td><strong>{money(totals.total)}</strong></td>
      </tr>
    </Table>
  );
}
