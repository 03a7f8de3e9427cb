import { useReducer, useState, type FormEvent } from 'react';
import { formatMoney, type BillingRuns, type BillingSettings, type MembershipRules, type Reconciliation, type Role, type Tenant } from '../api';
import { dateAndClock } from '../time';
import { Alert, Input, Select, Table, useApi, useWrite } from '../ui';
import { TestCards } from './MemberBilling';
import { PlanLimits } from './PlanLimits';

/** Settings: the studio's plan and its limits; Billing: the issuer and payment rules (the owner's), the books against the ledger, the monthly runs. */
export function BillingSettingsPage({ role, tenant }: { role: Role; tenant: Tenant }) {
  const [version, reload] = useReducer((n: number) => n + 1, 0);
  const settings = useApi<BillingSettings>('/api/settings/billing', version);
  const rules = useApi<MembershipRules>('/api/settings/membership');
  const currency = rules.data?.currency ?? 'JPY';
  // The confirmation outlives the form, which starts again from the saved settings.
  const [saved, setSaved] = useState(false);
  return (
    <section>
      <h2>Settings</h2>
      <PlanLimits timeZone={tenant.timezone} />
      <h3>Billing</h3>
      <Alert text={settings.error} />
      {settings.data && (
        <BillingForm
          // Fresh fields after a save, and again once the saved settings are read back.
          key={`${version}:${JSON.stringify(settings.data)}`}
          settings={settings.data}
          canEdit={role === 'owner'}
          onSaving={() => setSaved(false)}
          onSaved={() => {
            setSaved(true);
            reload();
          }}
        />
      )}
      {saved && <p role="status">Billing settings saved.</p>}
      <ReconciliationView currency={currency} />
      <RunsView timeZone={tenant.timezone} />
    </section>
  );
}

const REGISTRATION = /^T\d{13}$/;

function BillingForm({ settings: s, canEdit, onSaving, onSaved }: { settings: BillingSettings; canEdit: boolean; onSaving: () => void; onSaved: () => void }) {
  const [form, setForm] = useState({
    issuerName: s.issuerName ?? '',
    issuerAddress: s.issuerAddress,
    registrationNumber: s.registrationNumber ?? '',
    paymentTermsDays: String(s.paymentTermsDays),
    retryDays: s.retryDays.join(', '),
    finalAction: s.finalAction,
    finalAfterDays: String(s.finalAfterDays),
    gateway: s.gateway,
    stripeSecretKey: '',
    stripeWebhookSecret: '',
  });
  const set = <K extends keyof typeof form>(k: K) => (v: (typeof form)[K]) => setForm({ ...form, [k]: v });
  const { busy, error, setError, send } = useWrite();

  async function save(e: FormEvent) {
    e.preventDefault();
    onSaving();
    const registrationNumber = form.registrationNumber.trim().toUpperCase();
    if (registrationNumber && !REGISTRATION.test(registrationNumber)) return setError('A registration number is T followed by 13 digits (T1234567890123).');
    const retryDays = form.retryDays.split(/[,\s、]+/).filter(Boolean).map(Number);
    if (retryDays.some((d) => !Number.isInteger(d) || d < 1 || d > 60) || retryDays.some((d, i) => i > 0 && d <= retryDays[i - 1]!)) {
      return setError('Retry days are whole days from 1 to 60, increasing (1, 3, 7).');
    }
    const body = {
      issuerName: form.issuerName.trim() || null,
      issuerAddress: form.issuerAddress.trim(),
      registrationNumber: registrationNumber || null,
      paymentTermsDays: Number(form.paymentTermsDays),
      retryDays,
      finalAction: form.finalAction,
      finalAfterDays: Number(form.finalAfterDays),
      gateway: form.gateway,
      ...(form.stripeSecretKey.trim() ? { stripeSecretKey: form.stripeSecretKey.trim() } : {}),
      ...(form.stripeWebhookSecret.trim() ? { stripeWebhookSecret: form.stripeWebhookSecret.trim() } : {}),
    };
    const done = await send<BillingSettings>(`billing-settings ${JSON.stringify(body)}`, 'PATCH', '/api/settings/billing', body);
    if (done) onSaved();
  }

  return (
    <>
      {!canEdit && <p className="muted small">Billing settings are changed by the owner.</p>}
      <form aria-label="Billing settings" onSubmit={save}>
        <fieldset disabled={!canEdit || busy} className="plain">
          <div className="inline-fields">
            <Input label="Issuer name (blank: the studio name)" value={form.issuerName} onChange={set('issuerName')} maxLength={200} />
            <Input label="Issuer address" value={form.issuerAddress} onChange={set('issuerAddress')} maxLength={300} />
            <Input label="Registration number" placeholder="T1234567890123" value={form.registrationNumber} onChange={set('registrationNumber')} />
          </div>
          <div className="inline-fields">
            <Input label="Payment terms (days)" type="number" min={0} max={60} step={1} required value={form.paymentTermsDays} onChange={set('paymentTermsDays')} />
            <Input label="Retry days (after the first failure)" placeholder="1, 3, 7" value={form.retryDays} onChange={set('retryDays')} />
            <Select label="When still unpaid" value={form.finalAction} onChange={set('finalAction')} options={[['none', 'Do nothing'], ['leave', 'Put on leave'], ['cancel', 'Cancel the membership']]} />
            <Input label="Days after becoming overdue" type="number" min={1} max={365} step={1} required value={form.finalAfterDays} onChange={set('finalAfterDays')} />
          </div>
          <div className="inline-fields">
            <Select label="Payment gateway" value={form.gateway} onChange={set('gateway')} options={[['test', 'Test (no real money)'], ['stripe', 'Stripe']]} />
            {form.gateway === 'stripe' && (
              <>
                <Input label="Stripe secret key" type="password" autoComplete="off" placeholder={s.stripeConfigured ? 'Saved: type to replace' : 'sk_live_…'} value={form.stripeSecretKey} onChange={set('stripeSecretKey')} />
                <Input label="Stripe webhook secret" type="password" autoComplete="off" placeholder={s.stripeWebhookConfigured ? 'Saved: type to replace' : 'whsec_…'} value={form.stripeWebhookSecret} onChange={set('stripeWebhookSecret')} />
              </>
            )}
          </div>
          {canEdit && <button type="submit">Save billing settings</button>}
        </fieldset>
      </form>
      <Alert text={error} />
      {form.gateway === 'test' && (
        <>
          <p className="muted small">The test gateway moves no money; members and the desk save one of these numbers as their card.</p>
          <TestCards cards={s.testCards} />
        </>
      )}
    </>
  );
}

function ReconciliationView({ currency }: { currency: string }) {
  const rec = useApi<Reconciliation>('/api/billing/reconciliation');
  const money = (n: number) => formatMoney(n, currency);
  return (
    <>
      <div className="row">
        <h3>Reconciliation</h3>
        {rec.data && <span className={rec.data.balanced ? 'badge balanced' : 'badge unbalanced'}>{rec.data.balanced ? 'Balanced' : 'Not balanced'}</span>}
      </div>
      <p className="muted small">Each month’s invoices against the ledger: what open invoices still owe equals the ledger’s balance.</p>
      <Alert text={rec.error} />
      {rec.data?.months.length === 0 ? (
        <p className="muted">Nothing invoiced yet.</p>
      ) : (
        <Table className="reconciliation" head={['Month', 'Invoices', 'Invoiced', 'Paid', 'Refunded', 'Written off', 'Voided', 'Outstanding', 'Ledger balance', '']}>
          {(rec.data?.months ?? []).map((m) => (
            <tr key={m.period}>
              <td>{m.period}</td>
              <td>{m.invoices}</td>
              <td>{money(m.invoiced)}</td>
              <td>{money(m.paid)}</td>
              <td>{money(m.refunded)}</td>
              <td>{money(m.writtenOff)}</td>
              <td>{money(m.voided)}</td>
              <td>{money(m.outstanding)}</td>
              <td>{money(m.ledgerBalance)}</td>
              <td><span className={m.balanced ? 'badge balanced' : 'badge unbalanced'}>{m.balanced ? 'Balanced' : 'Not balanced'}</span></td>
            </tr>
          ))}
        </Table>
      )}
    </>
  );
}

function RunsView({ timeZone }: { timeZone: string }) {
  const [version, reload] = useReducer((n: number) => n + 1, 0);
  const runs = useApi<BillingRuns>('/api/billing/runs', version);
  const { busy, error, send } = useWrite();
  const [queued, setQueued] = useState(false);
  async function runNow() {
    if (!(await send('run-billing', 'POST', '/api/billing/runs'))) return;
    setQueued(true);
    // The run is a job: look again once it has had time to finish.
    setTimeout(reload, 3000);
  }
  return (
    <>
      <div className="row">
        <h3>Billing runs</h3>
        <button className="secondary" disabled={busy} onClick={() => void runNow()}>Run now</button>
      </div>
      <p className="muted small">Billing runs every hour by itself and only invoices what is due.</p>
      <Alert text={error ?? runs.error} />
      {queued && <p role="status">The run has started; the table refreshes shortly.</p>}
      {runs.data?.items.length === 0 ? (
        <p className="muted">No runs yet.</p>
      ) : (
        <Table head={['Month', 'Started', 'Finished', 'Invoices', 'Charges']}>
          {(runs.data?.items ?? []).map((r) => (
            <tr key={r.period}>
              <td>{r.period}</td>
              <td>{dateAndClock(r.startedAt, timeZone)}</td>
              <td>{r.finishedAt ? dateAndClock(r.finishedAt, timeZone) : 'Running'}</td>
              <td>{r.invoicesCreated}</td>
              <td>{r.chargesAttempted}</td>
            </tr>
          ))}
        </Table>
      )}
    </>
  );
}
