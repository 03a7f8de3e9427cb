import { useReducer, useState } from 'react';
import {
  formatMoney,
  invoiceStatuses,
  invoiceStatusLabel,
  minorDigits,
  paymentMethodLabel,
  toMinor,
  type InvoiceDetail,
  type InvoiceList,
  type InvoiceStatus,
  type Role,
  type Tenant,
} from '../api';
import { navigate } from '../App';
import { dateAndClock } from '../time';
import { ActionFlow, Alert, can, Facts, Input, InvoiceBody, InvoiceDownloads, InvoiceStatusBadge, Select, Table, useApi } from '../ui';

const PAGE = 50;

/** The studio's invoices, newest month first: by month, status, or only those that block booking. */
export function Invoices() {
  const [filters, setFilters] = useState({ period: '', status: '' as InvoiceStatus | '', overdue: false });
  const [offset, setOffset] = useState(0);
  const filter = (changes: Partial<typeof filters>) => {
    setFilters({ ...filters, ...changes });
    setOffset(0);
  };
  const params = new URLSearchParams({
    limit: String(PAGE),
    offset: String(offset),
    ...(filters.period ? { period: filters.period } : {}),
    ...(filters.status ? { status: filters.status } : {}),
    ...(filters.overdue ? { overdue: 'true' } : {}),
  });
  const list = useApi<InvoiceList>(`/api/invoices?${params}`);
  const items = list.data?.items ?? [];
  const total = list.data?.total ?? 0;
  return (
    <section>
      <h2>Invoices</h2>
      <form className="inline" aria-label="Filter invoices" onSubmit={(e) => e.preventDefault()}>
        <Input label="Month" type="month" value={filters.period} onChange={(period) => filter({ period })} />
        <Select<InvoiceStatus | 'all'>
          label="Status"
          value={filters.status || 'all'}
          onChange={(s) => filter({ status: s === 'all' ? '' : s })}
          options={[['all', 'All statuses'], ...invoiceStatuses.map((s): [InvoiceStatus, string] => [s, invoiceStatusLabel[s]])]}
        />
        <label className="check"><input type="checkbox" checked={filters.overdue} onChange={(e) => filter({ overdue: e.target.checked })} /> Overdue only</label>
      </form>
      <Alert text={list.error} />
      <Table head={['Number', 'Member', 'Month', 'Total', 'Due', 'Status']}>
        {items.map((i) => (
          <tr key={i.id} className="clickable" onClick={() => navigate(`/invoices/${i.id}`)}>
            <td>{i.number ?? 'Draft'}</td>
            <td>{i.member.name} (No. {i.member.memberNumber})</td>
            <td>{i.period}</td>
            <td>{formatMoney(i.total, i.currency)}</td>
            <td>{i.dueOn}{i.amountDue > 0 && <div className="muted small">{formatMoney(i.amountDue, i.currency)} due</div>}</td>
            <td><InvoiceStatusBadge invoice={i} /></td>
          </tr>
        ))}
      </Table>
      {list.data && items.length === 0 && <p className="muted">No invoices match.</p>}
      {total > PAGE && (
        <div className="pager">
          <button className="secondary" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>Previous</button>
          <span className="muted small">{offset + 1}–{Math.min(offset + PAGE, total)} of {total}</span>
          <button className="secondary" disabled={offset + PAGE >= total} onClick={() => setOffset(offset + PAGE)}>Next</button>
        </div>
      )}
    </section>
  );
}

type Acting = 'cash' | 'refund' | 'void' | 'write-off' | null;

/** One invoice: what it bills and how it was paid; the desk takes payments, managers refund, void and write off. */
export function InvoicePage({ id, role, tenant }: { id: string; role: Role; tenant: Tenant }) {
  const [version, reload] = useReducer((n: number) => n + 1, 0);
  const invoice = useApi<InvoiceDetail>(`/api/invoices/${id}`, version);
  const [acting, setActing] = useState<Acting>(null);
  const [charged, setCharged] = useState<string | null>(null);
  if (!invoice.data) return invoice.error ? <Alert text={invoice.error} /> : <p>Loading…</p>;
  const i = invoice.data;
  const money = (n: number) => formatMoney(n, i.currency);
  const refundable = i.amountPaid - i.amountRefunded;
  const payable = (i.status === 'open' || i.status === 'uncollectible') && i.amountDue > 0;
  const done = () => {
    setActing(null);
    reload();
  };
  const open = (a: Acting) => () => setActing(acting === a ? null : a);
  const close = () => setActing(null);

  function afterCharge(result: InvoiceDetail) {
    const last = result.payments[result.payments.length - 1];
    setCharged(result.status === 'paid' ? 'The card was charged.' : last?.status === 'failed' ? `The charge failed: ${last.failureMessage ?? 'declined'}` : 'The charge is being processed.');
    reload();
  }

  return (
    <section>
      <button className="link" onClick={() => navigate('/invoices')}>← Invoices</button>
      <div className="row">
        <h2>Invoice {i.number ?? '(draft)'}</h2>
        <span aria-label="Invoice status"><InvoiceStatusBadge invoice={i} /></span>
      </div>
      <Facts
        rows={[
          ['Member', <button className="link" onClick={() => navigate(`/members/${i.member.id}`)}>{i.member.name} (No. {i.member.memberNumber})</button>],
          ['Addressed to', i.recipientName],
          ['Month', i.period],
          ['Issued', i.issuedOn ?? ''],
          ['Due', i.dueOn],
          ['Total', <strong>{money(i.total)}</strong>],
          ['Paid', money(i.amountPaid)],
          ...(i.amountRefunded > 0 ? [['Refunded', money(i.amountRefunded)] as [string, string]] : []),
          ['Amount due', money(i.amountDue)],
          ['Issuer', `${i.issuer.name}${i.issuer.registrationNumber ? ` · ${i.issuer.registrationNumber}` : ' · no registration number'}`],
          ...(i.nextAttemptAt ? [['Next card attempt', dateAndClock(i.nextAttemptAt, tenant.timezone)] as [string, string]] : []),
          ...(i.escalatedAt ? [['Overdue since', dateAndClock(i.escalatedAt, tenant.timezone)] as [string, string]] : []),
          ...(i.voidReason ? [[i.status === 'void' ? 'Voided' : 'Written off', i.voidReason] as [string, string]] : []),
        ]}
      />
      <InvoiceDownloads invoice={i} documents={`/api/invoices/${i.id}`} />

      {can.sell(role) && (
        <>
          <div className="actions">
            {payable && (
              <ActionFlow<InvoiceDetail> label="Charge card now" method="POST" path={`/api/invoices/${i.id}/charge`} confirmLabel="Charge card now" onDone={afterCharge} compact />
            )}
            {payable && <button className="secondary" onClick={open('cash')}>Record cash / bank transfer</button>}
            {can.manage(role) && i.status === 'paid' && refundable > 0 && <button className="secondary" onClick={open('refund')}>Refund</button>}
            {can.manage(role) && i.status === 'open' && i.amountPaid === 0 && <button className="secondary" onClick={open('void')}>Void</button>}
            {can.manage(role) && i.status === 'open' && <button className="secondary" onClick={open('write-off')}>Write off</button>}
          </div>
          {charged && <p role="status">{charged}</p>}
          {acting && <InvoiceAction key={`${acting}-${version}`} acting={acting} invoice={i} onDone={done} onClose={close} />}
        </>
      )}

      <InvoiceBody invoice={i} timeZone={tenant.timezone} documents={`/api/invoices/${i.id}`} />
    </section>
  );
}

function InvoiceAction({ acting, invoice: i, onDone, onClose }: { acting: NonNullable<Acting>; invoice: InvoiceDetail; onDone: () => void; onClose: () => void }) {
  const [method, setMethod] = useState<'cash' | 'bank_transfer'>('cash');
  const [amount, setAmount] = useState('');
  const [reason, setReason] = useState('');
  const money = (n: number) => formatMoney(n, i.currency);
  const refundable = i.amountPaid - i.amountRefunded;
  const path = `/api/invoices/${i.id}`;
  switch (acting) {
    case 'cash':
      return (
        <ActionFlow<InvoiceDetail> title="Record a payment" method="POST" path={`${path}/payments`} body={{ method }} confirmLabel={`Record ${money(i.amountDue)} paid`} onDone={onDone} onClose={onClose}>
          <Select label="Paid by" value={method} onChange={setMethod} options={(['cash', 'bank_transfer'] as const).map((m) => [m, paymentMethodLabel[m]])} />
        </ActionFlow>
      );
    case 'refund': {
      const step = 1 / 10 ** minorDigits(i.currency);
      return (
        <ActionFlow<InvoiceDetail> title="Refund" method="POST" path={`${path}/refunds`} body={{ amount: toMinor(amount, i.currency), reason }} confirmLabel="Refund" onDone={onDone} onClose={onClose}>
          <p className="muted small">Up to {money(refundable)} can be refunded ({money(i.amountPaid)} paid{i.amountRefunded > 0 ? `, ${money(i.amountRefunded)} already refunded` : ''}). A credit note is issued.</p>
          <Input label="Amount to refund" type="number" min={step} max={refundable / 10 ** minorDigits(i.currency)} step={step} required value={amount} onChange={setAmount} />
          <Input label="Reason for the refund" required value={reason} onChange={setReason} />
        </ActionFlow>
      );
    }
    case 'void':
      return (
        <ActionFlow<InvoiceDetail> title="Void this invoice" method="POST" path={`${path}/void`} body={{ reason }} confirmLabel="Void invoice" onDone={onDone} onClose={onClose}>
          <p className="muted small">For an invoice issued by mistake: nothing is owed any more.</p>
          <Input label="Reason for voiding" required value={reason} onChange={setReason} />
        </ActionFlow>
      );
    case 'write-off':
      return (
        <ActionFlow<InvoiceDetail> title="Write off this invoice" method="POST" path={`${path}/write-off`} body={{ reason }} confirmLabel="Write off" onDone={onDone} onClose={onClose}>
          <p className="muted small">Uncollectible: {money(i.amountDue)} stays owed, and the member cannot book until it is paid.</p>
          <Input label="Reason for writing off" required value={reason} onChange={setReason} />
        </ActionFlow>
      );
  }
}
