import { useState, type ReactNode } from 'react';
import { formatMoney, type Contract, type Plan } from '../api';
import { ActionFlow, ContractOutcome, contractPreview, Input, Select } from '../ui';

interface Props {
  memberId: string;
  contracts: Contract[];
  plans: Plan[];
  currency: string;
  /** Front desk, managers and owners sell and change contracts; others only look. */
  canChange: boolean;
  onChange: () => void;
}

/**
 * A member's contracts with their coming charges, the changes staff make to them, and selling a plan. After a
 * change the page reads everything again and renders this afresh (a new key), which empties the forms.
 */
export function Contracts({ memberId, contracts, plans, currency, canChange, onChange }: Props) {
  const live = plans.filter((p) => !p.archived);
  return (
    <>
      <h3>Contracts</h3>
      {contracts.length === 0 && <p className="muted">No contracts yet.</p>}
      {contracts.map((c) => (
        <ContractCard key={c.id} contract={c} plans={live} currency={currency} canChange={canChange} onChange={onChange} />
      ))}
      {canChange && <SellPlan memberId={memberId} plans={live} currency={currency} onDone={onChange} />}
    </>
  );
}

const planLabel = (p: Plan, currency: string) => `${p.name} (${formatMoney(p.terms.price, currency)}${p.kind === 'pack' ? '' : ' / month'})`;

function PlanSelect({ plans, currency, value, onChange }: { plans: Plan[]; currency: string; value: string; onChange: (id: string) => void }) {
  return <Select label="Plan" placeholder="Choose a plan…" value={value} onChange={onChange} options={plans.map((p) => [p.id, planLabel(p, currency)])} />;
}

/** Only the fields that were filled in, so blank optional fields are left out of the request. */
const filled = (fields: Record<string, string | string[]>) =>
  Object.fromEntries(Object.entries(fields).filter(([, v]) => v.length > 0 && (typeof v !== 'string' || v.trim() !== '')));

function SellPlan({ memberId, plans, currency, onDone }: { memberId: string; plans: Plan[]; currency: string; onDone: () => void }) {
  const [planId, setPlanId] = useState('');
  const [startDate, setStartDate] = useState('');
  const [optionPlanIds, setOptionPlanIds] = useState<string[]>([]);
  const plan = plans.find((p) => p.id === planId);
  const options = plan?.kind === 'monthly' ? plans.filter((p) => p.kind === 'option') : [];
  const toggle = (id: string, on: boolean) => setOptionPlanIds(on ? [...optionPlanIds, id] : optionPlanIds.filter((x) => x !== id));
  const body = { memberId, planId, ...filled({ startDate, optionPlanIds: options.length ? optionPlanIds : [] }) };
  return (
    <ActionFlow<Contract> title="Sell a plan" method="POST" path="/api/contracts" body={body} preview={contractPreview} confirmLabel="Confirm sale" onDone={onDone}>
      <PlanSelect plans={plans.filter((p) => p.kind !== 'option')} currency={currency} value={planId} onChange={setPlanId} />
      <Input label="Start date (blank: today)" type="date" value={startDate} onChange={setStartDate} />
      {options.map((o) => (
        <label key={o.id} className="check">
          <input type="checkbox" checked={optionPlanIds.includes(o.id)} onChange={(e) => toggle(o.id, e.target.checked)} />
          {planLabel(o, currency)}
        </label>
      ))}
    </ActionFlow>
  );
}

type ActionName = 'leave' | 'return' | 'cancel' | 'plan';
const actionTitles: Record<ActionName, string> = { leave: 'Leave', return: 'Set return', cancel: 'Cancel membership', plan: 'Change plan' };

function ContractCard({ contract: c, plans, currency, canChange, onChange }: { contract: Contract; plans: Plan[]; currency: string; canChange: boolean; onChange: () => void }) {
  const [open, setOpen] = useState<ActionName | null>(null);
  const changeable = canChange && c.kind === 'monthly' && c.status !== 'ended';
  const leave = c.leaves.filter((l) => !l.withdrawn).at(-1);
  const actions: ActionName[] = ['leave', ...(leave ? (['return'] as const) : []), ...(c.endDate ? [] : (['cancel'] as const)), 'plan'];
  const base = `/api/contracts/${c.id}`;
  const withdraw = (what: string, path: string) => (
    <ActionFlow<Contract> label={`Withdraw the ${what}`} method="DELETE" path={path} confirmLabel={`Withdraw the ${what}`} onDone={onChange} compact />
  );
  return (
    <article className="contract" aria-label={`Contract: ${c.plans.map((p) => p.planName).join(' → ')}`}>
      <ContractOutcome
        contract={c}
        withdraw={changeable ? { cancellation: withdraw('cancellation', `${base}/cancellation`), leave: (id) => withdraw('leave', `${base}/leaves/${id}`) } : undefined}
      />
      {changeable && (
        <div className="actions">
          {actions.map((a) => (
            <button key={a} className={open === a ? '' : 'secondary'} onClick={() => setOpen(open === a ? null : a)}>{actionTitles[a]}</button>
          ))}
        </div>
      )}
      {changeable && open && (
        <ContractAction
          key={open}
          action={open}
          base={base}
          leaveId={leave?.id}
          plans={plans.filter((p) => p.kind === 'monthly')}
          currency={currency}
          onDone={onChange}
          onClose={() => setOpen(null)}
        />
      )}
    </article>
  );
}

/** The form of one contract change; each previews, then confirms the same request. */
function ContractAction(props: { action: ActionName; base: string; leaveId?: string; plans: Plan[]; currency: string; onDone: () => void; onClose: () => void }) {
  const { action, base } = props;
  const [v, setV] = useState({ fromMonth: '', returnMonth: '', reason: '', planId: '' });
  const set = (k: keyof typeof v) => (value: string) => setV({ ...v, [k]: value });
  const forms: Record<ActionName, { method?: 'PUT'; path: string; body: object; confirm: string; fields: ReactNode }> = {
    leave: {
      path: `${base}/leaves`,
      body: filled({ fromMonth: v.fromMonth, returnMonth: v.returnMonth, reason: v.reason }),
      confirm: 'Confirm leave',
      fields: (
        <>
          <Input label="Leave from (month)" type="month" required value={v.fromMonth} onChange={set('fromMonth')} />
          <Input label="Back in (month, optional)" type="month" value={v.returnMonth} onChange={set('returnMonth')} />
          <Input label="Reason" value={v.reason} onChange={set('reason')} />
        </>
      ),
    },
    return: {
      method: 'PUT',
      path: `${base}/leaves/${props.leaveId}/return`,
      body: { returnMonth: v.returnMonth },
      confirm: 'Confirm return',
      fields: <Input label="Back in (month)" type="month" required value={v.returnMonth} onChange={set('returnMonth')} />,
    },
    cancel: {
      path: `${base}/cancellation`,
      body: { reason: v.reason },
      confirm: 'Confirm cancellation',
      fields: <Input label="Reason for cancelling" required value={v.reason} onChange={set('reason')} />,
    },
    plan: {
      path: `${base}/plan-change`,
      body: { planId: v.planId, fromMonth: v.fromMonth },
      confirm: 'Confirm plan change',
      fields: (
        <>
          <PlanSelect plans={props.plans} currency={props.currency} value={v.planId} onChange={set('planId')} />
          <Input label="From (month)" type="month" required value={v.fromMonth} onChange={set('fromMonth')} />
        </>
      ),
    },
  };
  const form = forms[action];
  return (
    <ActionFlow<Contract>
      label={actionTitles[action]}
      method={form.method ?? 'POST'}
      path={form.path}
      body={form.body}
      preview={contractPreview}
      confirmLabel={form.confirm}
      onDone={props.onDone}
      onClose={props.onClose}
    >
      {form.fields}
    </ActionFlow>
  );
}
