import { useEffect, useRef, useState, type FormEvent } from 'react';
import { FormattedMessage, useIntl } from 'react-intl';
import { $api, api, useApiAction } from '../api/client';
import type { ResponseOf } from '../api/types';
import { useFormat } from '../format';
import { useStaffMe } from '../staff/StaffApp';
import { Input, Select, Table } from '../ui';
import { PageTitle } from '../ui/page';
import { EmptyState, fieldErrors, ProblemAlert, QueryView } from '../ui/states';
import { useToast } from '../ui/toast';
import { TestCards } from './MemberBilling';
import { LineSettings } from './LineSettings';
import { PlanLimits } from './PlanLimits';
import { StudioLanguage } from './StudioLanguage';
import { StudioArchive } from './StudioArchive';
import { SignUpSettings } from './people/SignUpSettings';

type BillingSettings = ResponseOf<'/api/settings/billing', 'get'>;

/** Settings: the studio's plan and its limits; Billing: the issuer and payment rules (the owner's), the books against the ledger, the monthly runs. */
export function BillingSettingsPage() {
  const intl = useIntl();
  const me = useStaffMe();
  const settings = $api.useQuery('get', '/api/settings/billing');
  const rules = $api.useQuery('get', '/api/settings/membership');
  const currency = rules.data?.currency ?? 'JPY';
  const title = intl.formatMessage({ id: 'settings.title' });
  return (
    <>
      <PageTitle title={title}>{title}</PageTitle>
      <StudioLanguage canEdit={me.role === 'owner' || me.role === 'manager'} />
      <PlanLimits />
      {(me.role === 'owner' || me.role === 'manager') && <SignUpSettings />}
      {(me.role === 'owner' || me.role === 'manager') && <LineSettings />}
      <section aria-labelledby="billing-settings">
        <h2 id="billing-settings"><FormattedMessage id="settings.billing.title" /></h2>
        <QueryView query={settings} rows={6}>
          {(data) => (
            <BillingForm
              // Fresh fields once the saved settings are read back.
              key={JSON.stringify(data)}
              settings={data}
              canEdit={me.role === 'owner'}
            />
          )}
        </QueryView>
      </section>
      <ReconciliationView currency={currency} />
      <RunsView />
      {me.role === 'owner' && <StudioArchive />}
    </>
  );
}

const REGISTRATION = /^T\d{13}$/;

function BillingForm({ settings: s, canEdit }: { settings: BillingSettings; canEdit: boolean }) {
  const intl = useIntl();
  const t = (id: string) => intl.formatMessage({ id });
  const toast = useToast();
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
    stripePublishableKey: s.stripePublishableKey ?? '',
  });
  const set = <K extends keyof typeof form>(k: K) => (v: (typeof form)[K]) => setForm({ ...form, [k]: v });
  // Refused here before anything is sent: the field's message, beside it.
  const [invalid, setInvalid] = useState<Record<string, string>>({});
  const action = useApiAction();
  const refused = fieldErrors(action.error);
  const errorOf = (field: string) => invalid[field] ?? refused[field] ?? Object.entries(refused).find(([k]) => k.startsWith(`${field}.`))?.[1];

  async function save(e: FormEvent) {
    e.preventDefault();
    action.reset();
    const registrationNumber = form.registrationNumber.trim().toUpperCase();
    if (registrationNumber && !REGISTRATION.test(registrationNumber)) {
      return setInvalid({ registrationNumber: t('settings.billing.registrationInvalid') });
    }
    const retryDays = form.retryDays.split(/[,\s、]+/).filter(Boolean).map(Number);
    if (retryDays.some((d) => !Number.isInteger(d) || d < 1 || d > 60) || retryDays.some((d, i) => i > 0 && d <= retryDays[i - 1]!)) {
      return setInvalid({ retryDays: t('settings.billing.retryDaysInvalid') });
    }
    setInvalid({});
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
      ...(form.gateway === 'stripe' ? { stripePublishableKey: form.stripePublishableKey.trim() || null } : {}),
    };
    const done = await action.run(`billing-settings ${JSON.stringify(body)}`, (key) =>
      api.PATCH('/api/settings/billing', { body, headers: { 'idempotency-key': key } }),
    );
    if (done === null) return;
    // The secrets are write-only: the fields empty again (the rest is read back from the studio).
    setForm((now) => ({ ...now, stripeSecretKey: '', stripeWebhookSecret: '' }));
    toast(t('settings.billing.saved'));
  }

  const savedSecret = t('settings.billing.savedSecret');
  return (
    <>
      {!canEdit && <p className="muted small"><FormattedMessage id="settings.billing.ownerOnly" /></p>}
      <form aria-label={t('settings.billing.form')} onSubmit={save}>
        <fieldset disabled={!canEdit || action.busy} className="plain">
          <div className="inline-fields">
            <Input label={t('settings.billing.issuerName')} value={form.issuerName} onChange={set('issuerName')} maxLength={200} error={errorOf('issuerName')} />
            <Input label={t('settings.billing.issuerAddress')} value={form.issuerAddress} onChange={set('issuerAddress')} maxLength={300} error={errorOf('issuerAddress')} />
            <Input
              label={t('settings.billing.registrationNumber')}
              placeholder={t('settings.billing.registrationExample')}
              value={form.registrationNumber}
              onChange={set('registrationNumber')}
              error={errorOf('registrationNumber')}
            />
          </div>
          <div className="inline-fields">
            <Input
              label={t('settings.billing.paymentTerms')}
              type="number"
              min={0}
              max={60}
              step={1}
              required
              value={form.paymentTermsDays}
              onChange={set('paymentTermsDays')}
              error={errorOf('paymentTermsDays')}
            />
            <Input label={t('settings.billing.retryDays')} placeholder={t('settings.billing.retryDaysExample')} value={form.retryDays} onChange={set('retryDays')} error={errorOf('retryDays')} />
            <Select
              label={t('settings.billing.finalAction')}
              value={form.finalAction}
              onChange={set('finalAction')}
              options={(['none', 'leave', 'cancel'] as const).map((a) => [a, t(`settings.billing.finalActions.${a}`)])}
              error={errorOf('finalAction')}
            />
            <Input
              label={t('settings.billing.finalAfterDays')}
              type="number"
              min={1}
              max={365}
              step={1}
              required
              value={form.finalAfterDays}
              onChange={set('finalAfterDays')}
              error={errorOf('finalAfterDays')}
            />
          </div>
          <div className="inline-fields">
            <Select
              label={t('settings.billing.gateway')}
              value={form.gateway}
              onChange={set('gateway')}
              options={(['test', 'stripe'] as const).map((g) => [g, t(`settings.billing.gateways.${g}`)])}
              error={errorOf('gateway')}
            />
            {form.gateway === 'stripe' && (
              <>
                <Input
                  label={t('settings.billing.stripeSecretKey')}
                  type="password"
                  autoComplete="off"
                  placeholder={s.stripeConfigured ? savedSecret : t('settings.billing.stripeSecretKeyExample')}
                  value={form.stripeSecretKey}
                  onChange={set('stripeSecretKey')}
                  error={errorOf('stripeSecretKey')}
                />
                <Input
                  label={t('settings.billing.stripePublishableKey')}
                  autoComplete="off"
                  placeholder={t('settings.billing.stripePublishableKeyExample')}
                  value={form.stripePublishableKey}
                  onChange={set('stripePublishableKey')}
                  error={errorOf('stripePublishableKey')}
                />
                <Input
                  label={t('settings.billing.stripeWebhookSecret')}
                  type="password"
                  autoComplete="off"
                  placeholder={s.stripeWebhookConfigured ? savedSecret : t('settings.billing.stripeWebhookSecretExample')}
                  value={form.stripeWebhookSecret}
                  onChange={set('stripeWebhookSecret')}
                  error={errorOf('stripeWebhookSecret')}
                />
              </>
            )}
          </div>
          {canEdit && <button type="submit"><FormattedMessage id="settings.billing.save" /></button>}
        </fieldset>
      </form>
      <ProblemAlert error={action.error} />
      {form.gateway === 'test' && (
        <>
          <p className="muted small"><FormattedMessage id="settings.billing.testGateway" /></p>
          <TestCards cards={s.testCards} />
        </>
      )}
    </>
  );
}

function Balanced({ balanced }: { balanced: boolean }) {
  return (
    <span className={balanced ? 'badge balanced' : 'badge unbalanced'}>
      <FormattedMessage id={balanced ? 'settings.reconciliation.balanced' : 'settings.reconciliation.unbalanced'} />
    </span>
  );
}

function ReconciliationView({ currency }: { currency: string }) {
  const intl = useIntl();
  const f = useFormat();
  const rec = $api.useQuery('get', '/api/billing/reconciliation');
  const money = (n: number) => f.money(n, currency);
  const head = [
    ...['month', 'invoices', 'invoiced', 'paid', 'refunded', 'writtenOff', 'voided', 'outstanding', 'ledgerBalance'].map((h) =>
      intl.formatMessage({ id: `settings.reconciliation.head.${h}` }),
    ),
    '',
  ];
  return (
    <section aria-labelledby="reconciliation">
      <div className="row">
        <h2 id="reconciliation"><FormattedMessage id="settings.reconciliation.title" /></h2>
        {rec.data && <Balanced balanced={rec.data.balanced} />}
      </div>
      <p className="muted small"><FormattedMessage id="settings.reconciliation.help" /></p>
      <QueryView query={rec} rows={4}>
        {(data) =>
          data.months.length === 0 ? (
            <EmptyState><FormattedMessage id="settings.reconciliation.empty" /></EmptyState>
          ) : (
            <Table className="reconciliation" head={head}>
              {data.months.map((m) => (
                <tr key={m.period}>
                  <td>{f.month(m.period)}</td>
                  <td>{f.number(m.invoices)}</td>
                  <td>{money(m.invoiced)}</td>
                  <td>{money(m.paid)}</td>
                  <td>{money(m.refunded)}</td>
                  <td>{money(m.writtenOff)}</td>
                  <td>{money(m.voided)}</td>
                  <td>{money(m.outstanding)}</td>
                  <td>{money(m.ledgerBalance)}</td>
                  <td><Balanced balanced={m.balanced} /></td>
                </tr>
              ))}
            </Table>
          )
        }
      </QueryView>
    </section>
  );
}

function RunsView() {
  const intl = useIntl();
  const f = useFormat();
  const toast = useToast();
  const runs = $api.useQuery('get', '/api/billing/runs');
  const action = useApiAction();
  const later = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(later.current), []);
  async function runNow() {
    const done = await action.run('run-billing', (key) => api.POST('/api/billing/runs', { headers: { 'idempotency-key': key } }));
    if (done === null) return;
    toast(intl.formatMessage({ id: 'settings.runs.started' }));
    // The run is a job: look again once it has had time to finish.
    clearTimeout(later.current);
    later.current = setTimeout(() => void runs.refetch(), 3000);
  }
  const head = ['month', 'started', 'finished', 'invoices', 'charges'].map((h) => intl.formatMessage({ id: `settings.runs.head.${h}` }));
  return (
    <section aria-labelledby="billing-runs">
      <div className="row">
        <h2 id="billing-runs"><FormattedMessage id="settings.runs.title" /></h2>
        <button type="button" className="secondary" disabled={action.busy} onClick={() => void runNow()}>
          <FormattedMessage id="settings.runs.runNow" />
        </button>
      </div>
      <p className="muted small"><FormattedMessage id="settings.runs.help" /></p>
      <ProblemAlert error={action.error} />
      <QueryView query={runs} rows={4}>
        {(data) =>
          data.items.length === 0 ? (
            <EmptyState><FormattedMessage id="settings.runs.empty" /></EmptyState>
          ) : (
            <Table head={head}>
              {data.items.map((r) => (
                <tr key={r.period}>
                  <td>{f.month(r.period)}</td>
                  <td>{f.dateTime(r.startedAt)}</td>
                  <td>{r.finishedAt ? f.dateTime(r.finishedAt) : <FormattedMessage id="settings.runs.running" />}</td>
                  <td>{f.number(r.invoicesCreated)}</td>
                  <td>{f.number(r.chargesAttempted)}</td>
                </tr>
              ))}
            </Table>
          )
        }
      </QueryView>
    </section>
  );
}
