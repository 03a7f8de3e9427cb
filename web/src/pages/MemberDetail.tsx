import { useReducer, useState } from 'react';
import {
  statusLabel,
  type Contract,
  type Credits,
  type Member,
  type MemberMessages,
  type MembershipRules,
  type Plan,
  type Role,
  type StatusHistory,
  type Tenant,
} from '../api';
import { navigate } from '../App';
import { ActionFlow, Alert, can, Input, Select, StatusBadge, Table, useApi } from '../ui';
import { Contracts } from './Contracts';
import { BillingSection } from './MemberBilling';
import { PenaltiesSection, ReservationsSection } from './MemberBookings';

export function MemberDetail({ id, role, tenant }: { id: string; role: Role; tenant: Tenant }) {
  // Every write on this page bumps the version: everything shown is read again, and the forms start empty.
  const [version, reload] = useReducer((n: number) => n + 1, 0);
  const member = useApi<Member>(`/api/members/${id}`, version);
  const status = useApi<StatusHistory>(`/api/members/${id}/status`, version);
  const contracts = useApi<{ items: Contract[] }>(`/api/members/${id}/contracts`, version);
  const credits = useApi<Credits>(`/api/members/${id}/credits?limit=10`, version);
  const plans = useApi<{ items: Plan[] }>('/api/plans', version);
  const rules = useApi<MembershipRules>('/api/settings/membership');

  if (!member.data) return member.error ? <Alert text={member.error} /> : <p>Loading…</p>;
  const m = member.data;
  const rows: Array<[string, string]> = [
    ['Member number', String(m.memberNumber)],
    ['Kana', `${m.familyNameKana} ${m.givenNameKana}`.trim()],
    ['Phone', m.phone ?? ''],
    ['Email', m.email ?? ''],
    ['Birth date', m.birthDate ?? ''],
    ['Tags', m.tags.join(', ')],
    ['Terms', m.termsVersion ? `${m.termsVersion} (accepted ${m.termsAcceptedAt?.slice(0, 10)})` : 'not accepted'],
    ['Notes', m.staffNotes],
  ];
  const current = status.data?.status ?? m.status;
  return (
    <section>
      <button className="link" onClick={() => navigate('/')}>← Members</button>
      <div className="row">
        <h2>{m.familyName} {m.givenName}</h2>
        <span aria-label="Member status"><StatusBadge status={current} />{m.statusSince && <span className="muted small"> since {m.statusSince}</span>}</span>
      </div>
      <table>
        <tbody>
          {rows.map(([k, v]) => (
            <tr key={k}><th>{k}</th><td>{v}</td></tr>
          ))}
        </tbody>
      </table>
      <h3>Family</h3>
      {m.family.length === 0 ? (
        <p className="muted">No family links.</p>
      ) : (
        <ul>
          {m.family.map((f) => (
            <li key={f.id}>
              <button className="link" onClick={() => navigate(`/members/${f.id}`)}>
                {f.familyName} {f.givenName} (No. {f.memberNumber}){f.id === m.billingMemberId ? ' · billed' : ''}
              </button>
            </li>
          ))}
        </ul>
      )}
      {m.billingMemberId !== m.id && <p className="muted">Charges go to the family lead.</p>}

      <Alert text={contracts.error ?? plans.error ?? status.error ?? credits.error} />
      <Contracts
        key={`contracts-${version}`}
        memberId={m.id}
        contracts={contracts.data?.items ?? []}
        plans={plans.data?.items ?? []}
        currency={rules.data?.currency ?? 'JPY'}
        canChange={can.sell(role)}
        onChange={reload}
      />
      {status.data && <StatusSection key={`status-${version}`} memberId={m.id} history={status.data} canChange={can.sell(role)} onChange={reload} />}
      {can.sell(role) && <BillingSection key={`billing-${version}`} member={m} canManage={can.manage(role)} />}
      <ReservationsSection key={`reservations-${version}`} memberId={m.id} tenant={tenant} />
      <PenaltiesSection memberId={m.id} tenant={tenant} canManage={can.manage(role)} />
      {credits.data && <CreditsSection key={`credits-${version}`} memberId={m.id} credits={credits.data} canAdjust={can.manage(role)} timeZone={tenant.timezone} onChange={reload} />}
      {can.sell(role) && <MessagesSection key={`messages-${version}`} memberId={m.id} timeZone={tenant.timezone} />}
    </section>
  );
}

const change = (from: StatusHistory['events'][number]['from'], to: string) => `${from ? statusLabel[from] : 'New'} → ${statusLabel[to as keyof typeof statusLabel]}`;

function StatusSection({ memberId, history, canChange, onChange }: { memberId: string; history: StatusHistory; canChange: boolean; onChange: () => void }) {
  const [form, setForm] = useState({ to: 'trial', effectiveOn: '', reason: '' });
  const set = (k: keyof typeof form) => (v: string) => setForm({ ...form, [k]: v });
  const { effectiveOn, ...rest } = form;
  return (
    <>
      <h3>Status history</h3>
      <Table head={['Effective', 'Change', 'Reason']}>
        {history.events.map((e) => (
          <tr key={e.id}><td>{e.effectiveOn}</td><td>{change(e.from, e.to)}</td><td>{e.reason}</td></tr>
        ))}
      </Table>
      {history.scheduled.length > 0 && (
        <>
          <h4>Coming changes</h4>
          <Table head={['Effective', 'Becomes', 'Reason', '']}>
            {history.scheduled.map((s) => (
              <tr key={s.id}>
                <td>{s.effectiveOn}</td>
                <td><StatusBadge status={s.to} /></td>
                <td>{s.reason}</td>
                <td>
                  {s.contractId ? (
                    <span className="muted small">Set by a contract: change it there</span>
                  ) : (
                    canChange && <ActionFlow label="Withdraw this change" method="DELETE" path={`/api/members/${memberId}/status/${s.id}`} confirmLabel="Withdraw" onDone={onChange} compact />
                  )}
                </td>
              </tr>
            ))}
          </Table>
        </>
      )}
      {canChange && (
        <>
          <h4>Change the status by hand</h4>
          <p className="muted small">For trials and members without a contract; contracts change the status themselves.</p>
          <ActionFlow<StatusHistory>
            label="Change the status"
            method="POST"
            path={`/api/members/${memberId}/status`}
            body={effectiveOn ? form : rest}
            confirmLabel="Record the change"
            onDone={onChange}
          >
            <Select label="New status" value={form.to} onChange={set('to')} options={(['trial', 'active', 'on_leave', 'cancelled'] as const).map((s) => [s, statusLabel[s]])} />
            <Input label="From (blank: today)" type="date" value={form.effectiveOn} onChange={set('effectiveOn')} />
            <Input label="Reason" required value={form.reason} onChange={set('reason')} />
          </ActionFlow>
        </>
      )}
    </>
  );
}

const ledgerLabel: Record<string, string> = { grant: 'Granted', carryover: 'Carried over', consume: 'Used', refund: 'Refunded', expire: 'Expired', adjust: 'Adjusted' };

const messageStatusLabel: Record<MemberMessages['items'][number]['status'], string> = { pending: 'Waiting to send', sent: 'Delivered', failed: 'Failed' };

/** What was mailed to the member (or to their family lead for them), and whether it reached their mail server. */
function MessagesSection({ memberId, timeZone }: { memberId: string; timeZone: string }) {
  const messages = useApi<MemberMessages>(`/api/members/${memberId}/messages?limit=20`);
  const when = new Intl.DateTimeFormat('ja-JP', { dateStyle: 'medium', timeStyle: 'short', timeZone });
  if (!messages.data) return <Alert text={messages.error} />;
  const { address, items } = messages.data;
  return (
    <>
      <h3>Messages</h3>
      {address === null ? (
        <p className="muted">No email address: the member gets no mail.</p>
      ) : items.length === 0 ? (
        <p className="muted">Nothing sent to {address} yet.</p>
      ) : (
        <Table head={['Message', 'When', 'Delivery']}>
          {items.map((msg) => (
            <tr key={msg.id}>
              <td>{msg.subject}</td>
              <td>{when.format(new Date(msg.sentAt ?? msg.failedAt ?? msg.createdAt))}</td>
              <td>
                <span className={`badge mail-${msg.status}`}>{messageStatusLabel[msg.status]}</span>
                {msg.lastError && <span className="muted small"> {msg.lastError}</span>}
              </td>
            </tr>
          ))}
        </Table>
      )}
    </>
  );
}

function CreditsSection(props: { memberId: string; credits: Credits; canAdjust: boolean; timeZone: string; onChange: () => void }) {
  const { credits } = props;
  const [form, setForm] = useState({ amount: '', reason: '', expiresOn: '' });
  const set = (k: keyof typeof form) => (v: string) => setForm({ ...form, [k]: v });
  const when = new Intl.DateTimeFormat('ja-JP', { dateStyle: 'medium', timeStyle: 'short', timeZone: props.timeZone });
  return (
    <>
      <h3>Credits</h3>
      <p><strong>{credits.available}</strong> {credits.available === 1 ? 'credit' : 'credits'} available</p>
      {credits.ledger.length > 0 && (
        <Table head={['When', 'Change', 'Reason', 'Expires']}>
          {credits.ledger.map((l) => (
            <tr key={l.id}>
              <td>{when.format(new Date(l.createdAt))}</td>
              <td>{ledgerLabel[l.kind] ?? l.kind} {l.amount > 0 ? `+${l.amount}` : l.amount}</td>
              <td>{l.reason}</td>
              <td>{l.expiresOn ?? ''}</td>
            </tr>
          ))}
        </Table>
      )}
      {props.canAdjust && (
        <ActionFlow<Credits>
          label="Adjust credits"
          method="POST"
          path={`/api/members/${props.memberId}/credits/adjustments`}
          body={{ amount: Number(form.amount), reason: form.reason, ...(form.expiresOn ? { expiresOn: form.expiresOn } : {}) }}
          confirmLabel="Adjust credits"
          onDone={props.onChange}
        >
          <Input label="Credits (+ or −)" type="number" step={1} min={-1000} max={1000} required value={form.amount} onChange={set('amount')} />
          <Input label="Reason" required value={form.reason} onChange={set('reason')} />
          <Input label="Expires on (optional)" type="date" value={form.expiresOn} onChange={set('expiresOn')} />
        </ActionFlow>
      )}
    </>
  );
}
