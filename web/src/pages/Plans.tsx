import { useReducer, useState, type ReactNode } from 'react';
import { formatMoney, minorDigits, taxLabel, toMinor, type MembershipRules, type Plan, type PlanKind, type Role, type TaxCategory } from '../api';
import { ActionFlow, Alert, can, Input, Select, Table, useApi } from '../ui';

const kinds: Array<{ kind: PlanKind; title: string; one: string; priceLabel: string }> = [
  { kind: 'monthly', title: 'Monthly plans', one: 'Monthly membership', priceLabel: 'Monthly price' },
  { kind: 'pack', title: 'Packs', one: 'Pack of credits', priceLabel: 'Pack price' },
  { kind: 'option', title: 'Options', one: 'Option (locker, rental…)', priceLabel: 'Monthly price' },
];

/**
 * What the studio sells, at what price; managers and owners set prices and the membership rules. A saved change
 * reads everything again and renders the groups and forms afresh (new keys), closed and empty.
 */
export function Plans({ role }: { role: Role }) {
  const [version, reload] = useReducer((n: number) => n + 1, 0);
  const plans = useApi<{ items: Plan[] }>('/api/plans', version);
  const rules = useApi<MembershipRules>('/api/settings/membership', version);
  const [notice, setNotice] = useState<string | null>(null);
  const manage = can.manage(role);
  const currency = rules.data?.currency ?? 'JPY';
  const done = (text: string) => {
    setNotice(text);
    reload();
  };

  return (
    <section>
      <h2>Plans</h2>
      {!manage && <p className="muted">Prices are set by managers and owners.</p>}
      <Alert text={plans.error ?? rules.error} />
      {notice && <p role="status">{notice}</p>}
      {kinds.map(({ kind, title }) => (
        <PlanGroup
          key={`${kind}-${version}`}
          title={title}
          plans={(plans.data?.items ?? []).filter((p) => p.kind === kind)}
          currency={currency}
          manage={manage}
          onPriceChanged={(p) => done(`${p.name} is now ${formatMoney(p.terms.price, currency)} (version ${p.currentVersion}); existing contracts keep their version.`)}
        />
      ))}
      {manage && <CreatePlan key={version} currency={currency} onDone={(p) => done(`${p.name} created (version 1).`)} />}
      <h2>Membership rules</h2>
      {rules.data && (manage ? <RulesForm key={JSON.stringify(rules.data)} rules={rules.data} onDone={() => done('Membership rules saved.')} /> : <RulesSummary rules={rules.data} />)}
    </section>
  );
}

function priceText(p: Plan, currency: string) {
  const t = p.terms;
  const per = p.kind === 'pack' ? '' : ' / month';
  return `${formatMoney(t.price, currency)}${per} ${t.priceIncludesTax ? 'incl.' : '+'} tax (${taxLabel[t.taxCategory]})`;
}

function details(p: Plan, currency: string): string {
  const t = p.terms;
  const money = (n: number) => formatMoney(n, currency);
  if (p.kind === 'pack') return `${t.packCredits} credits, valid ${t.packValidityDays} days`;
  const parts: string[] = [];
  if (t.enrollmentFee) parts.push(`enrollment ${money(t.enrollmentFee)}`);
  if (t.annualFee) parts.push(`annual ${money(t.annualFee)}`);
  if (t.leaveFee) parts.push(`leave ${money(t.leaveFee)}/month`);
  if (t.creditGrant === 'contract_start') parts.push(`${t.creditsPerGrant} credits`);
  else if (t.creditGrant !== 'none') parts.push(`${t.creditsPerGrant} credits/month`);
  return parts.join(', ');
}

function PlanGroup(props: { title: string; plans: Plan[]; currency: string; manage: boolean; onPriceChanged: (p: Plan) => void }) {
  const { title, plans, currency, manage } = props;
  const [editing, setEditing] = useState<string | null>(null);
  return (
    <>
      <h3>{title}</h3>
      {plans.length === 0 ? (
        <p className="muted">None yet.</p>
      ) : (
        <Table head={['Name', 'Price', 'Details', 'Version', ...(manage ? [''] : [])]}>
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
  const [price, setPrice] = useState('');
  return (
    <>
      <tr>
        <td>{p.name}</td>
        <td>{priceText(p, currency)}</td>
        <td>{details(p, currency)}</td>
        <td>v{p.currentVersion}</td>
        {manage && <td><button className="link" onClick={() => props.onEdit(!editing)}>Edit price</button></td>}
      </tr>
      {editing && (
        <tr>
          <td colSpan={5}>
            <ActionFlow<Plan>
              label={`New price for ${p.name}`}
              method="PATCH"
              path={`/api/plans/${p.id}`}
              body={{ terms: { ...p.terms, price: toMinor(price, currency) } }}
              confirmLabel={`Save as version ${p.currentVersion + 1}`}
              onDone={props.onPriceChanged}
              onClose={() => props.onEdit(false)}
            >
              <MoneyInput label="New price" currency={currency} value={price} onChange={setPrice} required />
            </ActionFlow>
            <p className="muted small">
              Saving makes version {p.currentVersion + 1}. Contracts already sold keep version {p.currentVersion} and its price until their plan is changed.
            </p>
          </td>
        </tr>
      )}
    </>
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
  const [f, setF] = useState(emptyPlan);
  const set = <K extends keyof PlanForm>(k: K) => (v: PlanForm[K]) => setF({ ...f, [k]: v });
  const money = (k: 'price' | 'enrollmentFee' | 'annualFee' | 'leaveFee', label: string, required = false) => (
    <MoneyInput label={label} currency={currency} value={f[k]} onChange={set(k)} required={required} />
  );
  const number = (k: 'monthlyCredits' | 'packCredits' | 'packValidityDays', label: string, required = false): ReactNode => (
    <Input label={label} type="number" min={1} step={1} required={required} value={f[k]} onChange={set(k)} />
  );
  return (
    <ActionFlow<Plan> title="Add a plan" method="POST" path="/api/plans" body={planBody(f, currency)} confirmLabel="Create plan" onDone={onDone}>
      <Select label="Kind" value={f.kind} onChange={set('kind')} options={kinds.map((k) => [k.kind, k.one])} />
      <Input label="Plan name" required value={f.name} onChange={set('name')} />
      {money('price', kinds.find((k) => k.kind === f.kind)!.priceLabel, true)}
      <Select label="Tax" value={f.taxCategory} onChange={set('taxCategory')} options={Object.entries(taxLabel) as Array<[TaxCategory, string]>} />
      <label className="check">
        <input type="checkbox" checked={f.priceIncludesTax} onChange={(e) => set('priceIncludesTax')(e.target.checked)} />
        Price includes tax
      </label>
      {f.kind === 'monthly' && (
        <>
          {money('enrollmentFee', 'Enrollment fee')}
          {money('annualFee', 'Annual fee')}
          {money('leaveFee', 'Leave fee (per month)')}
          {number('monthlyCredits', 'Credits per month')}
        </>
      )}
      {f.kind === 'pack' && (
        <>
          {number('packCredits', 'Credits', true)}
          {number('packValidityDays', 'Valid for (days)', true)}
        </>
      )}
    </ActionFlow>
  );
}

const prorationLabel: Record<MembershipRules['prorationRule'], string> = {
  full: 'Full price for the first month',
  daily: 'Pro-rated by day',
  free_until_first: 'Free until the 1st of next month',
};
const roundingLabel: Record<MembershipRules['taxRounding'], string> = { floor: 'Round down', half_up: 'Round half up', ceil: 'Round up' };

function RulesSummary({ rules: r }: { rules: MembershipRules }) {
  return (
    <p>
      First month: {prorationLabel[r.prorationRule].toLowerCase()} · cut-off day {r.cutoffDay} · billing day {r.billingDay} · tax: {roundingLabel[r.taxRounding].toLowerCase()} · {r.currency}
    </p>
  );
}

function RulesForm({ rules, onDone }: { rules: MembershipRules; onDone: () => void }) {
  const [r, setR] = useState(rules);
  const day = (k: 'cutoffDay' | 'billingDay', label: string, min: number, max: number) => (
    <Input label={label} type="number" min={min} max={max} required value={String(r[k])} onChange={(v) => setR({ ...r, [k]: Number(v) })} />
  );
  const choice = <K extends 'prorationRule' | 'taxRounding'>(k: K, label: string, labels: Record<MembershipRules[K], string>) => (
    <Select label={label} value={r[k]} onChange={(v) => setR({ ...r, [k]: v })} options={Object.entries(labels) as Array<[MembershipRules[K], string]>} />
  );
  const { currency: _fixed, ...body } = r;
  return (
    <>
      <ActionFlow<MembershipRules> label="Membership rules" method="PATCH" path="/api/settings/membership" body={body} confirmLabel="Save rules" onDone={onDone}>
        {choice('prorationRule', 'First month', prorationLabel)}
        {day('cutoffDay', 'Cut-off day', 1, 27)}
        {day('billingDay', 'Billing day', 2, 28)}
        {choice('taxRounding', 'Tax rounding', roundingLabel)}
      </ActionFlow>
      <p className="muted small">
        Leaves, plan changes and cancellations asked for after the cut-off day take effect a month later. A month is
        invoiced on the billing day of the month before. Amounts are in {rules.currency}.
      </p>
    </>
  );
}
