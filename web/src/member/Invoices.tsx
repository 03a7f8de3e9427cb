import { useReducer, useState } from 'react';
import { formatMoney, invoiceStatusLabel, type InvoiceDetail, type InvoiceList, type InvoiceSummary, type Tenant } from '../api';
import { navigate } from '../App';
import { Alert, Facts, InvoiceBody, InvoiceDownloads, InvoiceStatusBadge, useApi, useWrite } from '../ui';

/** What the member's payment came to: paid, or the card's own words. */
function outcomeOf(result: InvoiceDetail): { ok: boolean; text: string } {
  if (result.status === 'paid') return { ok: true, text: `Paid ${formatMoney(result.amountPaid, result.currency)}. Thank you!` };
  const last = result.payments[result.payments.length - 1];
  if (last?.status === 'pending') return { ok: true, text: 'The payment is being processed.' };
  const reason = (last?.failureMessage ?? 'The card was declined').replace(/\.$/, '');
  return { ok: false, text: `The payment did not go through: ${reason}. Check your card and try again.` };
}

type Outcome = { ok: boolean; text: string };

/**
 * Pay an invoice with the saved card now; without a card, the API says so and the Card screen is a tap away.
 * The outcome goes to the screen (a paid invoice leaves the overdue banner this button sits in).
 */
function PayNow({ invoice, onDone }: { invoice: Pick<InvoiceSummary, 'id' | 'amountDue' | 'currency'>; onDone: (outcome: Outcome) => void }) {
  const { busy, error, send } = useWrite();
  async function pay() {
    const done = await send<InvoiceDetail>(`pay:${invoice.id}`, 'POST', `/api/me/invoices/${invoice.id}/pay`);
    if (done) onDone(outcomeOf(done.value));
  }
  return (
    <>
      <div className="actions">
        <button disabled={busy} onClick={() => void pay()}>Pay now ({formatMoney(invoice.amountDue, invoice.currency)})</button>
        <button className="secondary" onClick={() => navigate('/member/card')}>Change card</button>
      </div>
      <Alert text={error} />
    </>
  );
}

/** A payment's outcome, until the next one. */
function usePayments(reload: () => void) {
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const done = (o: Outcome) => {
    setOutcome(o);
    reload();
  };
  const shown = outcome && (outcome.ok ? <p role="status">{outcome.text}</p> : <Alert text={outcome.text} />);
  return { done, shown };
}

/** The member's (their family's) invoices; an overdue one pauses bookings until it is paid. */
export function Invoices() {
  const [version, reload] = useReducer((n: number) => n + 1, 0);
  const list = useApi<InvoiceList>('/api/me/invoices', version);
  const items = list.data?.items ?? [];
  const overdue = items.filter((i) => i.overdue && i.amountDue > 0);
  const payments = usePayments(reload);
  return (
    <section>
      <h2>Invoices</h2>
      <Alert text={list.error} />
      {payments.shown}
      {overdue.map((i) => (
        <div key={i.id} className="banner" role="region" aria-label={`Overdue: ${i.number}`}>
          <p><strong>Bookings are paused until this is paid</strong></p>
          <p>{i.number} for {i.period}: {formatMoney(i.amountDue, i.currency)} is overdue.</p>
          <PayNow invoice={i} onDone={payments.done} />
        </div>
      ))}
      <ul className="list" aria-label="Invoices">
        {items.map((i) => (
          <li key={i.id}>
            <div className="row">
              <button className="link" onClick={() => navigate(`/member/invoices/${i.id}`)}><strong>{i.period}</strong> · {i.number}</button>
              <span><InvoiceStatusBadge invoice={i} /></span>
            </div>
            <div className="muted small">
              {formatMoney(i.total, i.currency)}
              {i.amountDue > 0 ? ` · ${formatMoney(i.amountDue, i.currency)} due by ${i.dueOn}` : ''}
              {i.amountRefunded > 0 ? ` · ${formatMoney(i.amountRefunded, i.currency)} refunded` : ''}
            </div>
          </li>
        ))}
      </ul>
      {list.data && items.length === 0 && <p className="muted">No invoices yet.</p>}
    </section>
  );
}

/** One of the member's invoices: its lines and payments, the PDF (and receipt), and paying it when due. */
export function InvoiceScreen({ id, tenant }: { id: string; tenant: Tenant }) {
  const [version, reload] = useReducer((n: number) => n + 1, 0);
  const invoice = useApi<InvoiceDetail>(`/api/me/invoices/${id}`, version);
  const payments = usePayments(reload);
  if (!invoice.data) return invoice.error ? <Alert text={invoice.error} /> : <p>Loading…</p>;
  const i = invoice.data;
  const money = (n: number) => formatMoney(n, i.currency);
  return (
    <section>
      <button className="link" onClick={() => navigate('/member/invoices')}>← Invoices</button>
      <div className="row">
        <h2>{i.number}</h2>
        <span aria-label="Invoice status"><InvoiceStatusBadge invoice={i} /></span>
      </div>
      {i.overdue && i.amountDue > 0 && <p className="banner"><strong>Bookings are paused until this is paid</strong></p>}
      <Facts
        rows={[
          ['Month', i.period],
          ['Total', <strong>{money(i.total)}</strong>],
          ['Status', invoiceStatusLabel[i.status]],
          ['Due', i.dueOn],
          ...(i.amountDue > 0 ? [['Amount due', money(i.amountDue)] as [string, string]] : []),
          ...(i.amountRefunded > 0 ? [['Refunded', money(i.amountRefunded)] as [string, string]] : []),
        ]}
      />
      {payments.shown}
      {i.amountDue > 0 && (i.status === 'open' || i.status === 'uncollectible') && <PayNow invoice={i} onDone={payments.done} />}
      <InvoiceDownloads invoice={i} documents={`/api/me/invoices/${i.id}`} />
      <InvoiceBody invoice={i} timeZone={tenant.timezone} documents={`/api/me/invoices/${i.id}`} />
    </section>
  );
}
