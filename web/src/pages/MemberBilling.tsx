import { useReducer, useState } from 'react';
import { cardText, formatMoney, type BillingSettings, type CardAnswer, type InvoiceList, type Member } from '../api';
import { navigate } from '../App';
import { ActionFlow, Alert, Input, InvoiceStatusBadge, Table, useApi } from '../ui';

/**
 * A member's billing: the card saved for the account and its invoices. They belong to the family lead (the API
 * refuses others, not_billing_account): a family member's page points to the lead's.
 */
export function BillingSection({ member: m, canManage }: { member: Member; canManage: boolean }) {
  const lead = m.family.find((f) => f.id === m.billingMemberId);
  if (m.billingMemberId !== m.id) {
    return (
      <>
        <h3>Billing</h3>
        <p className="muted">
          Invoices and the card belong to the family lead:{' '}
          <button className="link" onClick={() => navigate(`/members/${m.billingMemberId}`)}>
            {lead ? `${lead.familyName} ${lead.givenName} (No. ${lead.memberNumber})` : 'the lead’s page'}
          </button>
        </p>
      </>
    );
  }
  return <AccountBilling memberId={m.id} canManage={canManage} />;
}

function AccountBilling({ memberId, canManage }: { memberId: string; canManage: boolean }) {
  const [version, reload] = useReducer((n: number) => n + 1, 0);
  const card = useApi<CardAnswer>(`/api/members/${memberId}/card`, version);
  const invoices = useApi<InvoiceList>(`/api/invoices?memberId=${memberId}&limit=12`, version);
  // The test cards are listed to managers (the settings are theirs); the desk sees the API's hint on a wrong number.
  const settings = useApi<BillingSettings>(canManage ? '/api/settings/billing' : null);
  const [token, setToken] = useState('');
  const saved = card.data?.card ?? null;
  const saveDone = () => {
    setToken('');
    reload();
  };
  return (
    <>
      <h3>Billing</h3>
      <Alert text={card.error ?? invoices.error} />
      <h4>Card</h4>
      {card.data && <p aria-label="Saved card">{saved ? cardText(saved) : <span className="muted">No card saved: invoices wait for payment at the desk.</span>}</p>}
      {saved && <ActionFlow label="Remove the card" method="DELETE" path={`/api/members/${memberId}/card`} confirmLabel="Remove card" onDone={reload} compact />}
      <ActionFlow<CardAnswer>
        key={`card-${version}`}
        label={saved ? 'Replace the card' : 'Save a card'}
        method="PUT"
        path={`/api/members/${memberId}/card`}
        body={{ token: token.trim() }}
        confirmLabel={saved ? 'Replace card' : 'Save card'}
        onDone={saveDone}
      >
        <Input label="Card number or token" required minLength={4} autoComplete="off" value={token} onChange={setToken} />
      </ActionFlow>
      {settings.data?.gateway === 'test' && <TestCards cards={settings.data.testCards} />}
      <h4>Invoices</h4>
      {invoices.data?.items.length === 0 ? (
        <p className="muted">No invoices yet.</p>
      ) : (
        <Table head={['Number', 'Month', 'Total', 'Due', 'Status']}>
          {(invoices.data?.items ?? []).map((i) => (
            <tr key={i.id} className="clickable" onClick={() => navigate(`/invoices/${i.id}`)}>
              <td>{i.number}</td>
              <td>{i.period}</td>
              <td>{formatMoney(i.total, i.currency)}</td>
              <td>{i.dueOn}</td>
              <td><InvoiceStatusBadge invoice={i} /></td>
            </tr>
          ))}
        </Table>
      )}
      {invoices.data && invoices.data.total > invoices.data.items.length && <p className="muted small">The latest {invoices.data.items.length} of {invoices.data.total}: see Invoices for the rest.</p>}
    </>
  );
}

/** The test gateway's card numbers and what each does. */
export function TestCards({ cards }: { cards: BillingSettings['testCards'] }) {
  return (
    <details className="small">
      <summary>Test cards</summary>
      <ul aria-label="Test cards">
        {cards.map((c) => <li key={c.number}><code>{c.number}</code> {c.note}</li>)}
      </ul>
    </details>
  );
}
