import { useQueryClient } from '@tanstack/react-query';
import { lazy, Suspense, useState, type ReactNode } from 'react';
import { FormattedMessage, useIntl, type IntlShape } from 'react-intl';
import { $api } from '../api/client';
import type { ResponseOf } from '../api/types';
import { minorDigits, toMinor, useFormat, type Format } from '../format';
import { can, useStaffMe } from '../staff/StaffApp';
import { Input, Select, Table } from '../ui';
import { ActionFlow } from '../ui/action-flow';
import { PageTitle } from '../ui/page';
import { EmptyState, QueryView } from '../ui/states';
import { useToast } from '../ui/toast';

type Plan = ResponseOf<'/api/plans', 'get'>['items'][number];
// The name form checks with the server's schema (zod): its own chunk, loaded when a manager opens a plan.
const PlanEdit = lazy(() => import('./PlanEdit'));
type PlanKind = Plan['kind'];
type TaxCategory = Plan['terms']['taxCategory'];
type MembershipRules = ResponseOf<'/api/settings/membership', 'get'>;

const kinds: PlanKind[] = ['monthly', 'pack', 'option'];
const taxCategories: TaxCategory[] = ['standard_10', 'reduced_8', 'exempt'];
const prorationRules: Array<MembershipRules['prorationRule']> = ['full', 'daily', 'free_until_first'];
const taxRoundings: Array<MembershipRules['taxRounding']> = ['floor', 'half_up', 'ceil'];

/**
 * What the studio sells, at what price; managers and owners set prices and the membership rules. A saved change
 * reads everything again and renders the groups and forms afresh (new keys), closed and empty.
 */
export function Plans() {
  const intl = useIntl();
  const format = useFormat();
  const toast = useToast();
  const queries = useQueryClient();
  const me = useStaffMe();
  const plans = $api.useQuery('get', '/api/plans');
  const rules = $api.useQuery('get', '/api/settings/membership');
  const [version, setVersion] = useState(0);
  const manage = can.manage(me.role);
  const done = (text: string) => {
    toast(text);
    setVersion((v) => v + 1);
    void queries.invalidateQueries();
  };

  const title = intl.formatMessage({ id: 'plans.title' });
  return (
    <>
      <PageTitle title={title}>{title}</PageTitle>
      {!manage && <p className="muted"><FormattedMessage id="plans.readOnly" /></p>}
      <QueryView query={rules}>
        {(r) => (
          <>
            <QueryView query={plans}>
              {(data) => (
                <>
                  {kinds.map((kind) => (
                    <PlanGroup
                      key={`${kind}-${version}`}
                      kind={kind}
                      plans={data.items.filter((p) => p.kind === kind)}
                      currency={r.currency}
                      manage={manage}
                      onPriceChanged={(p) =>
                        done(intl.formatMessage({ id: 'plans.priceChanged' }, { name: p.name, price: format.money(p.terms.price, r.currency), version: p.currentVersion }))
                      }
                    />
                  ))}
                  {manage && <CreatePlan key={version} currency={r.currency} onDone={(p) => done(intl.formatMessage({ id: 'plans.created' }, { name: p.name }))} />}
                </>
              )}
            </QueryView>
            <h2><FormattedMessage id="plans.rules.title" /></h2>
            {manage ? (
              <RulesForm key={JSON.stringify(r)} rules={r} onDone={() => done(intl.formatMessage({ id: 'plans.rules.saved' }))} />
            ) : (
              <RulesSummary rules={r} />
            )}
          </>
        )}
      </QueryView>
    </>
  );
}

function priceText(intl: IntlShape, format: Format, p: Plan, currency: string) {
  const t = p.terms;
  return intl.formatMessage(
    { id: 'plans.price' },
    {
      price: format.money(t.price, currency),
      monthly: p.kind === 'pack' ? 'no' : 'yes',
      included: t.priceIncludesTax ? 'yes' : 'no',
      tax: intl.formatMessage({ id: `tax.${t.taxCategory}` }),
    },
  );
}

function details(intl: IntlShape, format: Format, p: Plan, currency: string): string {
  const t = p.terms;
  const say = (id: string, values: Record<string, string | number | null>) => intl.formatMessage({ id: `plans.details.${id}` }, values);
  const money = (n: number) => format.money(n, currency);
  if (p.kind === 'pack') return say('pack', { credits: t.packCredits, days: t.packValidityDays });
  const parts: string[] = [];
  if (t.enrollmentFee) parts.push(say('enrollment', { amount: money(t.enrollmentFee) }));
  if (t.annualFee) parts.push(say('annual', { amount: money(t.annualFee) }));
  if (t.leaveFee) parts.push(say('leave', { amount: money(t.leaveFee) }));
  if (t.creditGrant === 'contract_start') parts.push(say('credits', { count: t.creditsPerGrant }));
  else if (t.creditGrant !== 'none') parts.push(say('creditsPerMonth', { count: t.creditsPerGrant }));
  return parts.join(intl.formatMessage({ id: 'plans.details.separator' }));
}

function PlanGroup(props: { kind: PlanKind; plans: Plan[]; currency: string; manage: boolean; onPriceChanged: (p: Plan) => void }) {
  const { kind, plans, currency, manage } = props;
  const intl = useIntl();
  const [editing, setEditing] = useState<string | null>(null);
  const head = ['name', 'price', 'details', 'version'].map((h) => intl.formatMessage({ id: `plans.head.${h}` }));
  return (
    <>
      <h2><FormattedMessage id={`plans.group.${kind}`} /></h2>
      {plans.length === 0 ? (
        <EmptyState>
          <FormattedMessage id="plans.group.empty" />
          {manage && <> <FormattedMessage id="plans.group.emptyHint" /></>}
        </EmptyState>
      ) : (
        <Table head={[...head, ...(manage ? [''] : [])]}>
          {plans.map((p) => (
            <PlanRow key={p.id} plan={p} currency={currency} manage={manage} editing={editing === p.id} onEdit={(on) => setEditing(on ? p.id : null)} onPriceChanged={props.onPriceChanged} />
          ))}
        </Table>
      )}
    </>
  );
}

/**
 * A price edit sends the plan's whole terms with the new price: the API fills terms a PATCH leaves out with their
 * defaults (no enrollment or leave fee, no credits), so sending the price alone would drop them from the version.
 */
function PlanRow(props: { plan: Plan; currency: string; manage: boolean; editing: boolean; onEdit: (on: boolean) => void; onPriceChanged: (p: Plan) => void }) {
  const { plan: p, currency, manage, editing } = props;
  const intl = useIntl();
  const format = useFormat();
  const [price, setPrice] = useState('');
  const [open, setOpen] = useState(false);
  return (
    <>
      <tr>
        <td>
          <button type="button" className="link" aria-expanded={open} onClick={() => setOpen(!open)}>{p.name}</button>
        </td>
        <td>{priceText(intl, format, p, currency)}</td>
        <td>{details(intl, format, p, currency)}</td>
        <td><FormattedMessage id="plans.version" values={{ version: p.currentVersion }} /></td>
        {manage && (
          <td>
            <button type="button" className="link" onClick={() => props.onEdit(!editing)}><FormattedMessage id="plans.editPrice" /></button>
          </td>
        )}
      </tr>
      {open && (
        <tr>
          <td colSpan={manage ? 5 : 4}>
            <PlanDetail planId={p.id} currency={currency} manage={manage} />
          </td>
        </tr>
      )}
      {editing && (
        <tr>
          <td colSpan={5}>
            <ActionFlow<Plan>
              label={intl.formatMessage({ id: 'plans.newPriceFor' }, { name: p.name })}
              method="PATCH"
              path={`/api/plans/${p.id}`}
              body={{ terms: { ...p.terms, price: toMinor(price, currency) } }}
              confirmLabel={intl.formatMessage({ id: 'plans.saveAsVersion' }, { version: p.currentVersion + 1 })}
              onDone={props.onPriceChanged}
              onClose={() => props.onEdit(false)}
            >
              <MoneyInput label={intl.formatMessage({ id: 'plans.newPrice' })} currency={currency} value={price} onChange={setPrice} required />
            </ActionFlow>
            <p className="muted small">
              <FormattedMessage id="plans.versionNote" values={{ next: p.currentVersion + 1, current: p.currentVersion }} />
            </p>
          </td>
        </tr>
      )}
    </>
  );
}

/** One plan as it is now (its name and description, which managers may change) and every price it has had. */
function PlanDetail({ planId, currency, manage }: { planId: string; currency: string; manage: boolean }) {
  const intl = useIntl();
  const format = useFormat();
  const plan = $api.useQuery('get', '/api/plans/{planId}', { params: { path: { planId } } });
  const versions = $api.useQuery('get', '/api/plans/{planId}/versions', { params: { path: { planId } } });
  const head = ['version', 'since', 'price', 'details'].map((h) => intl.formatMessage({ id: `plans.history.${h}` }));
  return (
    <QueryView query={plan}>
      {(p) => (
        <div className="plan-detail">
          {p.description && <p>{p.description}</p>}
          {manage && <Suspense fallback={null}><PlanEdit key={`${p.name}\n${p.description}\n${p.soldOnline}`} plan={p} /></Suspense>}
          <h3><FormattedMessage id="plans.history.title" values={{ name: p.name }} /></h3>
          <QueryView query={versions}>
            {(v) => (
              <Table head={head} caption={intl.formatMessage({ id: 'plans.history.title' }, { name: p.name })}>
                {v.items.map((version) => (
                  <tr key={version.version}>
                    <td><FormattedMessage id="plans.version" values={{ version: version.version }} /></td>
                    <td>{format.dateTime(version.createdAt)}</td>
                    <td>{priceText(intl, format, { ...p, terms: version.terms }, currency)}</td>
                    <td>{details(intl, format, { ...p, terms: version.terms }, currency)}</td>
                  </tr>
                ))}
              </Table>
            )}
          </QueryView>
        </div>
      )}
    </QueryView>
  );
}

function MoneyInput({ currency, ...props }: { label: string; currency: string; value: string; onChange: (v: string) => void; required?: boolean }) {
  return <Input type="number" min={0} step={1 / 10 ** minorDigits(currency)} inputMode="decimal" {...props} />;
}

const emptyPlan = {
  kind: 'monthly' as PlanKind,
  name: '',
  price: '',
  taxCategory: 'standard_10' as TaxCategory,
  priceIncludesTax: true,
  enrollmentFee: '',
  annualFee: '',
  leaveFee: '',
  monthlyCredits: '',
  packCredits: '',
  packValidityDays: '',
};
type PlanForm = typeof emptyPlan;

const count = (typed: string) => (typed.trim() === '' ? null : Number(typed));

/** The API's plan body from the form: each kind sends only the terms it has. */
function planBody(f: PlanForm, currency: string) {
  const money = (typed: string) => toMinor(typed, currency) ?? 0;
  const terms: Record<string, unknown> = { price: money(f.price), taxCategory: f.taxCategory, priceIncludesTax: f.priceIncludesTax };
  if (f.kind === 'monthly') {
    const credits = count(f.monthlyCredits);
    Object.assign(terms, {
      enrollmentFee: money(f.enrollmentFee),
      annualFee: money(f.annualFee) || null,
      leaveFee: money(f.leaveFee),
      creditGrant: credits ? 'monthly' : 'none',
      creditsPerGrant: credits || null,
    });
  }
  if (f.kind === 'pack') Object.assign(terms, { packCredits: count(f.packCredits), packValidityDays: count(f.packValidityDays) });
  return { kind: f.kind, name: f.name, terms };
}

function CreatePlan({ currency, onDone }: { currency: string; onDone: (p: Plan) => void }) {
  const intl = useIntl();
  const t = (id: string) => intl.formatMessage({ id: `plans.create.${id}` });
  const [f, setF] = useState(emptyPlan);
  const set = <K extends keyof PlanForm>(k: K) => (v: PlanForm[K]) => setF({ ...f, [k]: v });
  const money = (k: 'price' | 'enrollmentFee' | 'annualFee' | 'leaveFee', label: string, required = false) => (
    <MoneyInput label={label} currency={currency} value={f[k]} onChange={set(k)} required={required} />
  );
  const number = (k: 'monthlyCredits' | 'packCredits' | 'packValidityDays', label: string, required = false): ReactNode => (
    <Input label={label} type="number" min={1} step={1} required={required} value={f[k]} onChange={set(k)} />
  );
  return (
    <ActionFlow<Plan> title={t('title')} method="POST" path="/api/plans" body={planBody(f, currency)} confirmLabel={t('submit')} onDone={onDone}>
      <Select label={t('kind')} value={f.kind} onChange={set('kind')} options={kinds.map((k): [PlanKind, string] => [k, t(`kind.${k}`)])} />
      <Input label={t('name')} required value={f.name} onChange={set('name')} />
      {money('price', t(`price.${f.kind}`), true)}
      <Select label={t('tax')} value={f.taxCategory} onChange={set('taxCategory')} options={taxCategories.map((c): [TaxCategory, string] => [c, intl.formatMessage({ id: `tax.${c}` })])} />
      <label className="check">
        <input type="checkbox" checked={f.priceIncludesTax} onChange={(e) => set('priceIncludesTax')(e.target.checked)} />
        <FormattedMessage id="plans.create.priceIncludesTax" />
      </label>
      {f.kind === 'monthly' && (
        <>
          {money('enrollmentFee', t('enrollmentFee'))}
          {money('annualFee', t('annualFee'))}
          {money('leaveFee', t('leaveFee'))}
          {number('monthlyCredits', t('monthlyCredits'))}
        </>
      )}
      {f.kind === 'pack' && (
        <>
          {number('packCredits', t('packCredits'), true)}
          {number('packValidityDays', t('packValidityDays'), true)}
        </>
      )}
    </ActionFlow>
  );
}

function RulesSummary({ rules: r }: { rules: MembershipRules }) {
  return (
    <p>
      <FormattedMessage
        id="plans.rules.summary"
        values={{ proration: r.prorationRule, cutoffDay: r.cutoffDay, billingDay: r.billingDay, rounding: r.taxRounding, currency: r.currency }}
      />
    </p>
  );
}

function RulesForm({ rules, onDone }: { rules: MembershipRules; onDone: () => void }) {
  const intl = useIntl();
  const t = (id: string) => intl.formatMessage({ id: `plans.rules.${id}` });
  const [r, setR] = useState(rules);
  const day = (k: 'cutoffDay' | 'billingDay', label: string, min: number, max: number) => (
    <Input label={label} type="number" min={min} max={max} required value={String(r[k])} onChange={(v) => setR({ ...r, [k]: Number(v) })} />
  );
  const { currency: _fixed, ...body } = r;
  return (
    <>
      <ActionFlow<MembershipRules> label={t('title')} method="PATCH" path="/api/settings/membership" body={body} confirmLabel={t('submit')} onDone={onDone}>
        <Select
          label={t('prorationRule')}
          value={r.prorationRule}
          onChange={(v) => setR({ ...r, prorationRule: v })}
          options={prorationRules.map((p): [MembershipRules['prorationRule'], string] => [p, t(`proration.${p}`)])}
        />
        {day('cutoffDay', t('cutoffDay'), 1, 27)}
        {day('billingDay', t('billingDay'), 2, 28)}
        <Select
          label={t('taxRounding')}
          value={r.taxRounding}
          onChange={(v) => setR({ ...r, taxRounding: v })}
          options={taxRoundings.map((p): [MembershipRules['taxRounding'], string] => [p, t(`rounding.${p}`)])}
        />
      </ActionFlow>
      <p className="muted small">
        <FormattedMessage id="plans.rules.note" values={{ currency: rules.currency }} />
      </p>
    </>
  );
}
