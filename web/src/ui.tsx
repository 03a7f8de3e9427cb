import { useEffect, useRef, useState, type FormEvent, type InputHTMLAttributes, type ReactNode } from 'react';
import {
  api,
  ApiError,
  errorText,
  formatMoney,
  invoiceStatusLabel,
  newActionKey,
  openDocument,
  paymentMethodLabel,
  statusLabel,
  taxLabel,
  type Charge,
  type Contract,
  type ContractStatus,
  type InvoiceDetail,
  type InvoiceSummary,
  type MemberStatus,
  type Role,
} from './api';
import { dateAndClock } from './time';

/** Who may do what; the API checks the same and answers 403 otherwise. */
export const can = {
  /** Sell, change, put on leave and cancel contracts; change a member's status by hand. */
  sell: (role: Role) => role === 'owner' || role === 'manager' || role === 'front_desk',
  /** Set prices and the membership rules; adjust credits. */
  manage: (role: Role) => role === 'owner' || role === 'manager',
};

/**
 * GETs a path, again whenever `version` changes (bump it after a write). `null` waits. A failed load keeps the
 * last data and says why.
 */
export function useApi<T>(path: string | null, version = 0) {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (path === null) return;
    let live = true;
    api<T>('GET', path)
      .then((d) => {
        if (!live) return;
        setData(d);
        setError(null);
      })
      .catch((err: unknown) => live && setError(errorText(err, 'Could not load this; try again.')));
    return () => {
      live = false;
    };
  }, [path, version]);
  return { data, error };
}

/**
 * Writes for one part of a page, with its busy flag and the last refusal (the API's problem detail). Each user
 * action is named (`book:<lessonId>`) and sent with one Idempotency-Key; when the same action is tried again
 * after the studio could not be reached (or answered 5xx) the same key goes again, so it is done at most once.
 * A definite answer (done, or refused) ends the action: the next try is a new one with a new key.
 */
export function useWrite() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const pending = useRef<{ action: string; key: string } | null>(null);

  /** Does the work; null when it failed (and `error` says why). */
  async function run<T>(work: () => Promise<T>): Promise<{ value: T } | null> {
    setBusy(true);
    setError(null);
    try {
      return { value: await work() };
    } catch (err) {
      setError(errorText(err, 'The studio could not be reached; try again.'));
      return null;
    } finally {
      setBusy(false);
    }
  }

  const send = <R,>(action: string, method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown) =>
    run(async () => {
      if (pending.current?.action !== action) pending.current = { action, key: newActionKey() };
      try {
        const result = await api<R>(method, path, body, { idempotencyKey: pending.current.key });
        pending.current = null;
        return result;
      } catch (err) {
        if (err instanceof ApiError && err.problem.status < 500) pending.current = null;
        throw err;
      }
    });

  return { busy, error, setError, run, send };
}

const contractStatusLabel: Record<ContractStatus, string> = {
  scheduled: 'Scheduled',
  active: 'Active',
  on_leave: 'On leave',
  ending: 'Ending',
  ended: 'Ended',
};

/** A member's status (or a contract's), as a coloured label. */
export function StatusBadge({ status, of = 'member' }: { status: string; of?: 'member' | 'contract' }) {
  const label = of === 'member' ? statusLabel[status as MemberStatus] : contractStatusLabel[status as ContractStatus];
  return <span className={`badge status-${status}`}>{label ?? status}</span>;
}

/** A labelled input whose value is kept as typed (a string); other attributes pass through. */
export function Input({ label, value, onChange, ...rest }: { label: string; value: string; onChange: (v: string) => void } & Omit<InputHTMLAttributes<HTMLInputElement>, 'value' | 'onChange'>) {
  return (
    <label>
      {label}
      <input {...rest} value={value} onChange={(e) => onChange(e.target.value)} />
    </label>
  );
}

/** A labelled drop-down, named by its label alone (not its options); a placeholder makes a choice required. */
export function Select<V extends string>(props: { label: string; value: V | ''; options: Array<[V, string]>; onChange: (v: V) => void; placeholder?: string }) {
  const { label, placeholder } = props;
  return (
    <label>
      {label}
      <select aria-label={label} required={placeholder !== undefined} value={props.value} onChange={(e) => props.onChange(e.target.value as V)}>
        {placeholder !== undefined && <option value="">{placeholder}</option>}
        {props.options.map(([v, text]) => <option key={v} value={v}>{text}</option>)}
      </select>
    </label>
  );
}

/** A table with a header row; the children are its body's rows. */
export function Table({ head, className, children }: { head: string[]; className?: string; children: ReactNode }) {
  return (
    <table className={className}>
      <thead>
        <tr>{head.map((h, i) => <th key={i}>{h}</th>)}</tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  );
}

export function Alert({ text }: { text: string | null }) {
  return text ? <p role="alert" className="error">{text}</p> : null;
}

/** Month by month: when it is charged, its lines, and the total with consumption tax. */
export function ChargesTable({ charges, currency }: { charges: Charge[]; currency: string }) {
  if (charges.length === 0) return <p className="muted">No coming charges.</p>;
  const money = (n: number) => formatMoney(n, currency);
  return (
    <Table className="charges" head={['Month', 'Charged on', 'Lines', 'Total incl. tax']}>
      {charges.map((c) => (
        <tr key={c.period}>
          <td>{c.period}</td>
          <td>{c.chargedOn}</td>
          <td>
            <ul className="lines">
              {c.lines.map((l, i) => (
                <li key={i}>
                  <span>{l.description}</span> <span>{money(l.amount)}{l.priceIncludesTax ? '' : ' + tax'}</span>
                </li>
              ))}
            </ul>
          </td>
          <td>
            <strong>{money(c.total)}</strong>
            <div className="muted small">tax {money(c.tax)}</div>
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
  const leaves = c.leaves.filter((l) => !l.withdrawn);
  return (
    <div className="outcome">
      <p>
        <StatusBadge status={c.status} of="contract" />{' '}
        {c.plans.map((p) => `${p.planName} (v${p.version}) from ${p.effectiveFrom}`).join(', then ')}
      </p>
      <p>
        Starts on {c.startDate}
        {c.endDate && <> · <strong>Ends on {c.endDate}</strong>{c.cancelReason ? ` (${c.cancelReason})` : ''}</>}
      </p>
      {c.endDate && c.kind === 'monthly' && c.status === 'ending' && withdraw?.cancellation}
      {leaves.map((l) => (
        <div key={l.id}>
          <p>On leave from {l.fromMonth.slice(0, 7)}{l.returnMonth ? `, back in ${l.returnMonth.slice(0, 7)}` : ', return not set'}{l.reason ? ` (${l.reason})` : ''}</p>
          {withdraw?.leave(l.id)}
        </div>
      ))}
      {c.options.length > 0 && <p>Options: {c.options.map((o) => `${o.name}${o.untilDate ? ` until ${o.untilDate}` : ''}`).join(', ')}</p>}
      <ChargesTable charges={c.charges} currency={c.currency} />
    </div>
  );
}

export const contractPreview = (c: Contract) => <ContractOutcome contract={c} />;

interface ActionFlowProps<R> {
  /** A heading above the form; it also names the form, unless `label` does. */
  title?: string;
  /** Names the form for assistive technology and tests. */
  label?: string;
  method: 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  /** The request, as the fields now say; a change after a preview asks for a new preview. */
  body?: object;
  /** Given: the action is previewed first (`${path}/preview`, nothing written) and shown with this. */
  preview?: (result: R) => ReactNode;
  confirmLabel: string;
  onDone: (result: R) => void;
  onClose?: () => void;
  /** A lone button (withdrawals), without the fields' spacing. */
  compact?: boolean;
  children?: ReactNode;
}

/**
 * One staff action: fill in → Preview (what the API would do, exactly) → Confirm (the same body). Each
 * confirmation is one action with one Idempotency-Key, sent again if the same action is retried (after a
 * timeout or a refusal), so it is done at most once; a changed request is a new action. (Routes that take no
 * key, such as plan edits, ignore it.) The owner of the fields resets them by giving the form a new React key.
 */
export function ActionFlow<R>({ title, label = title, method, path, body, preview, confirmLabel, onDone, onClose, compact, children }: ActionFlowProps<R>) {
  const json = JSON.stringify(body) ?? '';
  const [shown, setShown] = useState<{ json: string; result: R } | null>(null);
  const { busy, error, run, send } = useWrite();
  const previewed = shown !== null && shown.json === json;

  const showPreview = () => run(async () => setShown({ json, result: await api<R>(method, `${path}/preview`, body) }));

  async function confirm() {
    const done = await send<R>(`${method} ${path} ${json}`, method, path, body);
    if (!done) return;
    setShown(null);
    onDone(done.value);
  }

  function submit(e: FormEvent) {
    e.preventDefault();
    void (preview ? showPreview() : confirm());
  }

  return (
    <div className="action">
      {title && <h3>{title}</h3>}
      <form className={compact ? 'inline compact' : 'inline'} aria-label={label} onSubmit={submit}>
        {children}
        <button type="submit" className={compact ? 'secondary' : undefined} disabled={busy}>{preview ? 'Preview' : confirmLabel}</button>
        {onClose && <button type="button" className="secondary" onClick={onClose}>Close</button>}
      </form>
      <Alert text={error} />
      {preview && previewed && (
        <div className="preview" role="region" aria-label={`${label}: preview`}>
          <h4>Preview: nothing is saved until you confirm</h4>
          {preview(shown.result)}
          <button type="button" disabled={busy} onClick={() => void confirm()}>{confirmLabel}</button>
        </div>
      )}
    </div>
  );
}

/** An invoice's status, and whether it is overdue (it then blocks the member's bookings). */
export function InvoiceStatusBadge({ invoice }: { invoice: Pick<InvoiceSummary, 'status' | 'overdue'> }) {
  return (
    <>
      <span className={`badge invoice-${invoice.status}`}>{invoiceStatusLabel[invoice.status]}</span>
      {invoice.overdue && <> <span className="badge invoice-overdue">Overdue</span></>}
    </>
  );
}

const initiatedLabel: Record<InvoiceDetail['payments'][number]['initiatedBy'], string> = {
  run: 'Monthly run',
  retry: 'Retry',
  member: 'Member',
  staff: 'Staff',
  webhook: 'Payment service',
};
const outcomeLabel = { pending: 'Pending', succeeded: 'Succeeded', failed: 'Failed' } as const;

/**
 * What an invoice is made of, for staff and members alike: its lines, its tax per rate (rounded once per rate),
 * the payments tried and the refunds with their credit notes, downloaded from `documents` (the invoice's path).
 */
export function InvoiceBody({ invoice: i, timeZone, documents }: { invoice: InvoiceDetail; timeZone: string; documents: string }) {
  const money = (n: number) => formatMoney(n, i.currency);
  const { busy, error, run } = useWrite();
  const download = (path: string, name: string) => void run(() => openDocument(`${documents}${path}`, `${name}.pdf`));
  return (
    <>
      <h3>Lines</h3>
      <Table head={['Month', 'Description', 'Amount', 'Tax basis']}>
        {i.lines.map((l) => (
          <tr key={l.lineNo}>
            <td>{l.period}</td>
            <td>{l.description}</td>
            <td>{money(l.amount)}</td>
            <td>{l.taxCategory === 'exempt' ? taxLabel.exempt : `${taxLabel[l.taxCategory]}, ${l.priceIncludesTax ? 'incl. tax' : 'excl. tax'}`}</td>
          </tr>
        ))}
      </Table>
      <h4>Tax per rate</h4>
      <Table className="tax" head={['Rate', 'Taxable amount', 'Tax', 'Total']}>
        {i.taxBreakdown.map((t) => (
          <tr key={t.taxCategory}>
            <td>{taxLabel[t.taxCategory]}</td>
            <td>{money(t.taxableAmount)}</td>
            <td>{money(t.tax)}</td>
            <td>{money(t.total)}</td>
          </tr>
        ))}
        <tr>
          <th>Total</th>
          <td>{money(i.subtotalExcludingTax)}</td>
          <td>{money(i.taxTotal)}</td>
          <td><strong>{money(i.total)}</strong></td>
        </tr>
      </Table>
      <h3>Payments</h3>
      {i.payments.length === 0 ? (
        <p className="muted">No payments yet.</p>
      ) : (
        <Table className="payments" head={['When', 'Method', 'Amount', 'By', 'Status']}>
          {i.payments.map((p) => (
            <tr key={p.id}>
              <td>{dateAndClock(p.settledAt ?? p.createdAt, timeZone)}</td>
              <td>{paymentMethodLabel[p.method]}</td>
              <td>{money(p.amount)}</td>
              <td>{initiatedLabel[p.initiatedBy]}</td>
              <td>
                {outcomeLabel[p.status]}
                {p.status === 'failed' && p.failureMessage && <div className="error small">{p.failureMessage}{p.failureKind === 'hard' ? ' (not retried)' : ''}</div>}
              </td>
            </tr>
          ))}
        </Table>
      )}
      {i.refunds.length > 0 && (
        <>
          <h3>Refunds</h3>
          <Table className="refunds" head={['Credit note', 'When', 'Amount', 'Reason', 'Status', '']}>
            {i.refunds.map((r) => (
              <tr key={r.id}>
                <td>{r.number}</td>
                <td>{dateAndClock(r.createdAt, timeZone)}</td>
                <td>{money(r.amount)}</td>
                <td>{r.reason}</td>
                <td>
                  {outcomeLabel[r.status]}
                  {r.failureMessage && <div className="error small">{r.failureMessage}</div>}
                </td>
                <td>
                  {r.status === 'succeeded' && (
                    <button className="link" disabled={busy} onClick={() => download(`/refunds/${r.id}/document`, r.number)}>Download credit note</button>
                  )}
                </td>
              </tr>
            ))}
          </Table>
        </>
      )}
      <Alert text={error} />
    </>
  );
}

/** The invoice's PDF, and its receipt once something is paid. */
export function InvoiceDownloads({ invoice: i, documents }: { invoice: InvoiceDetail; documents: string }) {
  const { busy, error, run } = useWrite();
  const name = i.number ?? 'invoice';
  const download = (kind: 'invoice' | 'receipt') => void run(() => openDocument(`${documents}/document?kind=${kind}`, `${name}${kind === 'receipt' ? '-receipt' : ''}.pdf`));
  const paid = i.payments.some((p) => p.status === 'succeeded');
  return (
    <>
      <div className="actions">
        <button className="secondary" disabled={busy || i.number === null} onClick={() => download('invoice')}>Download invoice</button>
        {paid && <button className="secondary" disabled={busy} onClick={() => download('receipt')}>Download receipt</button>}
      </div>
      <Alert text={error} />
    </>
  );
}

/** Key facts of an invoice as a two-column table. */
export function Facts({ rows }: { rows: Array<[string, ReactNode]> }) {
  return (
    <table className="facts">
      <tbody>
        {rows.map(([k, v]) => (
          <tr key={k}><th>{k}</th><td>{v}</td></tr>
        ))}
      </tbody>
    </table>
  );
}
