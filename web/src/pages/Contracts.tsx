import { useReducer, useState, type ReactNode } from 'react';
import { Link } from 'react-router';
import { FormattedMessage, useIntl } from 'react-intl';
import { $api } from '../api/client';
import type { ResponseOf } from '../api/types';
import { useFormat } from '../format';
import { ContractOutcome, contractPreview, Input, Select } from '../ui';
import { ActionFlow } from '../ui/action-flow';
import { DateField } from '../ui/date-field';
import { EmptyState, QueryView } from '../ui/states';
import { useToast } from '../ui/toast';

type Contract = ResponseOf<'/api/members/{memberId}/contracts', 'get'>['items'][number];
type Plan = ResponseOf<'/api/plans', 'get'>['items'][number];

interface Props {
  memberId: string;
  /** The studio's currency, for plan prices. */
  currency: string;
  /** Front desk, managers and owners sell and change contracts; others only look. */
  canChange: boolean;
}

/**
 * A member's contracts with their coming charges, the changes staff make to them, and selling a plan. Every
 * query is read again after a change, so what is shown is never from before it.
 */
export function Contracts({ memberId, currency, canChange }: Props) {
  const contracts = $api.useQuery('get', '/api/members/{memberId}/contracts', { params: { path: { memberId } } });
  const plans = $api.useQuery('get', '/api/plans');
  const live = (plans.data?.items ?? []).filter((p) => !p.archived);
  return (
    <>
      <h2><FormattedMessage id="contracts.title" /></h2>
      <QueryView query={contracts}>
        {({ items }) =>
          items.length === 0 ? (
            <EmptyState><FormattedMessage id="contracts.none" values={{ canSell: canChange ? 'yes' : 'no' }} /></EmptyState>
          ) : (
            items.map((c) => <ContractCard key={c.id} contract={c} plans={live} currency={currency} canChange={canChange} />)
          )
        }
      </QueryView>
      {canChange && (
        <QueryView query={plans}>
          {() =>
            live.some((p) => p.kind !== 'option') ? (
              <SellPlan memberId={memberId} plans={live} currency={currency} />
            ) : (
              <EmptyState><FormattedMessage id="contracts.sell.noPlans" /></EmptyState>
            )
          }
        </QueryView>
      )}
    </>
  );
}

function usePlanLabel(currency: string) {
  const intl = useIntl();
  const format = useFormat();
  return (p: Plan) => intl.formatMessage({ id: 'contracts.planOption' }, { name: p.name, price: format.money(p.terms.price, currency), kind: p.kind });
}

function PlanSelect({ plans, currency, value, onChange }: { plans: Plan[]; currency: string; value: string; onChange: (id: string) => void }) {
  const intl = useIntl();
  const planLabel = usePlanLabel(currency);
  return (
    <Select
      label={intl.formatMessage({ id: 'contracts.plan' })}
      placeholder={intl.formatMessage({ id: 'contracts.choosePlan' })}
      value={value}
      onChange={onChange}
      options={plans.map((p) => [p.id, planLabel(p)])}
    />
  );
}

/** Only the fields that were filled in, so blank optional fields are left out of the request. */
const filled = (fields: Record<string, string | string[]>) =>
  Object.fromEntries(Object.entries(fields).filter(([, v]) => v.length > 0 && (typeof v !== 'string' || v.trim() !== '')));

type Sale = ResponseOf<'/api/contracts', 'post'>;
type FirstInvoice = 'now' | 'next_run';

/** A sale as previewed: the contract, and the first invoice it issues (or that the monthly invoice will carry it). */
function SaleOutcome({ sale }: { sale: Sale }) {
  const f = useFormat();
  const i = sale.firstInvoice;
  return (
    <>
      <ContractOutcome contract={sale} />
      <p>
        {i ? (
          <FormattedMessage id="contracts.sell.firstInvoiceNow" values={{ total: f.money(i.total, i.currency), due: f.date(i.dueOn), b: (chunks: ReactNode[]) => <strong>{chunks}</strong> }} />
        ) : (
          <FormattedMessage id="contracts.sell.firstInvoiceLater" />
        )}
      </p>
    </>
  );
}

/** After "Confirm sale": what was sold and the invoice issued with it, with the way to collect it now. */
function SaleDone({ sale, onClose }: { sale: Sale; onClose: () => void }) {
  const f = useFormat();
  const i = sale.firstInvoice;
  return (
    <div className="preview" role="status">
      <p><FormattedMessage id="contracts.sell.done" values={{ plan: sale.plans[0]?.planName ?? '' }} /></p>
      {i ? (
        <>
          <p>
            <FormattedMessage
              id="contracts.sell.invoiceIssued"
              values={{ number: i.number ?? '', total: f.money(i.total, i.currency), due: f.date(i.dueOn), b: (chunks: ReactNode[]) => <strong>{chunks}</strong> }}
            />
          </p>
          {i.amountDue > 0 && (
            <p>
              <Link to={`/invoices/${i.id}`}><FormattedMessage id="contracts.sell.collect" values={{ amount: f.money(i.amountDue, i.currency) }} /></Link>
            </p>
          )}
        </>
      ) : (
        <p><FormattedMessage id="contracts.sell.firstInvoiceLater" /></p>
      )}
      <button type="button" className="secondary" onClick={onClose}><FormattedMessage id="common.close" /></button>
    </div>
  );
}

function SellPlan({ memberId, plans, currency }: { memberId: string; plans: Plan[]; currency: string }) {
  const intl = useIntl();
  const planLabel = usePlanLabel(currency);
  const [round, nextRound] = useReducer((n: number) => n + 1, 0);
  const [planId, setPlanId] = useState('');
  const [startDate, setStartDate] = useState('');
  const [optionPlanIds, setOptionPlanIds] = useState<string[]>([]);
  const [firstInvoice, setFirstInvoice] = useState<FirstInvoice>('now');
  const [sold, setSold] = useState<Sale | null>(null);
  const plan = plans.find((p) => p.id === planId);
  const options = plan?.kind === 'monthly' ? plans.filter((p) => p.kind === 'option') : [];
  const toggle = (id: string, on: boolean) => setOptionPlanIds(on ? [...optionPlanIds, id] : optionPlanIds.filter((x) => x !== id));
  const body = { memberId, planId, firstInvoice, ...filled({ startDate, optionPlanIds: options.length ? optionPlanIds : [] }) };
  function done(sale: Sale) {
    setSold(sale);
    setPlanId('');
    setStartDate('');
    setOptionPlanIds([]);
    setFirstInvoice('now');
    nextRound();
  }
  return (
    <>
      {sold && <SaleDone sale={sold} onClose={() => setSold(null)} />}
      <ActionFlow<Sale>
        key={round}
        title={intl.formatMessage({ id: 'contracts.sell.title' })}
        method="POST"
        path="/api/contracts"
        body={body}
        preview={{ path: '/api/contracts/preview', show: (sale) => <SaleOutcome sale={sale} /> }}
        confirmLabel={intl.formatMessage({ id: 'contracts.sell.confirm' })}
        onDone={done}
      >
        <PlanSelect plans={plans.filter((p) => p.kind !== 'option')} currency={currency} value={planId} onChange={setPlanId} />
        <DateField label={intl.formatMessage({ id: 'contracts.sell.startDate' })} value={startDate} onChange={setStartDate} />
        {options.map((o) => (
          <label key={o.id} className="check">
            <input type="checkbox" checked={optionPlanIds.includes(o.id)} onChange={(e) => toggle(o.id, e.target.checked)} />
            {planLabel(o)}
          </label>
        ))}
        <Select
          label={intl.formatMessage({ id: 'contracts.sell.firstInvoice' })}
          value={firstInvoice}
          onChange={setFirstInvoice}
          options={(['now', 'next_run'] as const).map((v) => [v, intl.formatMessage({ id: `contracts.sell.firstInvoice.${v}` })])}
        />
        <p className="muted small"><FormattedMessage id="contracts.sell.firstInvoiceHelp" /></p>
      </ActionFlow>
    </>
  );
}

type ActionName = 'leave' | 'return' | 'cancel' | 'plan' | 'option';

function ContractCard({ contract: c, plans, currency, canChange }: { contract: Contract; plans: Plan[]; currency: string; canChange: boolean }) {
  const intl = useIntl();
  const toast = useToast();
  const [open, setOpen] = useState<ActionName | null>(null);
  const changeable = canChange && c.kind === 'monthly' && c.status !== 'ended';
  const leave = c.leaves.filter((l) => !l.withdrawn).at(-1);
  const hasOptionPlans = plans.some((p) => p.kind === 'option');
  const actions: ActionName[] = ['leave', ...(leave ? (['return'] as const) : []), ...(c.endDate ? [] : (['cancel'] as const)), 'plan', ...(hasOptionPlans ? (['option'] as const) : [])];
  const withdraw = (what: 'cancellation' | 'leave', path: string) => {
    const label = intl.formatMessage({ id: `contracts.withdraw.${what}` });
    return (
      <ActionFlow<Contract>
        label={label}
        method="DELETE"
        path={path}
        confirmLabel={label}
        onDone={() => toast(intl.formatMessage({ id: `contracts.withdrawn.${what}` }))}
        compact
      />
    );
  };
  return (
    <article className="contract" aria-label={intl.formatMessage({ id: 'contracts.card' }, { plans: c.plans.map((p) => p.planName).join(' → ') })}>
      <ContractOutcome
        contract={c}
        withdraw={{
          cancellation: changeable ? withdraw('cancellation', `/api/contracts/${c.id}/cancellation`) : null,
          leave: (id) => (
            <>
              <LeaveDetails contractId={c.id} leaveId={id} />
              {changeable && withdraw('leave', `/api/contracts/${c.id}/leaves/${id}`)}
            </>
          ),
        }}
      />
      {c.options.length > 0 && (
        <ul className="list" aria-label={intl.formatMessage({ id: 'contracts.options.list' })}>
          {c.options.map((o) => (
            <li key={o.id}>
              <OptionDetails contractId={c.id} option={o} />
              {changeable && !o.untilDate && <RemoveOption contractId={c.id} option={o} />}
            </li>
          ))}
        </ul>
      )}
      {changeable && (
        <div className="actions">
          {actions.map((a) => (
            <button key={a} type="button" className={open === a ? '' : 'secondary'} aria-expanded={open === a} onClick={() => setOpen(open === a ? null : a)}>
              <FormattedMessage id={`contracts.action.${a}`} />
            </button>
          ))}
        </div>
      )}
      {changeable && open && (
        <ContractAction
          key={open}
          action={open}
          contractId={c.id}
          leaveId={leave?.id}
          plans={plans.filter((p) => p.kind === (open === 'option' ? 'option' : 'monthly'))}
          currency={currency}
          onDone={() => {
            toast(intl.formatMessage({ id: `contracts.done.${open}` }));
            setOpen(null);
          }}
          onClose={() => setOpen(null)}
        />
      )}
    </article>
  );
}

/** The form of one contract change; each previews, then confirms the same request. */
function ContractAction(props: { action: ActionName; contractId: string; leaveId?: string; plans: Plan[]; currency: string; onDone: () => void; onClose: () => void }) {
  const intl = useIntl();
  const { action, contractId } = props;
  const [v, setV] = useState({ fromMonth: '', returnMonth: '', reason: '', planId: '', fromDate: '' });
  const set = (k: keyof typeof v) => (value: string) => setV({ ...v, [k]: value });
  const t = (id: string) => intl.formatMessage({ id: `contracts.${id}` });
  const forms: Record<ActionName, { method?: 'PUT'; path: string; previewPath: string; body: object; fields: ReactNode }> = {
    leave: {
      path: `/api/contracts/${contractId}/leaves`,
      previewPath: `/api/contracts/${contractId}/leaves/preview`,
      body: filled({ fromMonth: v.fromMonth, returnMonth: v.returnMonth, reason: v.reason }),
      fields: (
        <>
          <Input label={t('leave.from')} type="month" required value={v.fromMonth} onChange={set('fromMonth')} />
          <Input label={t('leave.backInOptional')} type="month" value={v.returnMonth} onChange={set('returnMonth')} />
          <Input label={t('leave.reason')} value={v.reason} onChange={set('reason')} />
        </>
      ),
    },
    return: {
      method: 'PUT',
      path: `/api/contracts/${contractId}/leaves/${props.leaveId}/return`,
      previewPath: `/api/contracts/${contractId}/leaves/${props.leaveId}/return/preview`,
      body: { returnMonth: v.returnMonth },
      fields: <Input label={t('return.backIn')} type="month" required value={v.returnMonth} onChange={set('returnMonth')} />,
    },
    cancel: {
      path: `/api/contracts/${contractId}/cancellation`,
      previewPath: `/api/contracts/${contractId}/cancellation/preview`,
      body: { reason: v.reason },
      fields: <Input label={t('cancel.reason')} required value={v.reason} onChange={set('reason')} />,
    },
    plan: {
      path: `/api/contracts/${contractId}/plan-change`,
      previewPath: `/api/contracts/${contractId}/plan-change/preview`,
      body: { planId: v.planId, fromMonth: v.fromMonth },
      fields: (
        <>
          <PlanSelect plans={props.plans} currency={props.currency} value={v.planId} onChange={set('planId')} />
          <Input label={t('plan.from')} type="month" required value={v.fromMonth} onChange={set('fromMonth')} />
        </>
      ),
    },
    option: {
      path: `/api/contracts/${contractId}/options`,
      previewPath: `/api/contracts/${contractId}/options/preview`,
      body: { planId: v.planId, ...filled({ fromDate: v.fromDate }) },
      fields: (
        <>
          <PlanSelect plans={props.plans} currency={props.currency} value={v.planId} onChange={set('planId')} />
          <DateField label={t('option.fromDate')} value={v.fromDate} onChange={set('fromDate')} />
        </>
      ),
    },
  };
  const form = forms[action];
  return (
    <ActionFlow<Contract>
      label={t(`action.${action}`)}
      method={form.method ?? 'POST'}
      path={form.path}
      body={form.body}
      preview={{ path: form.previewPath, show: contractPreview }}
      confirmLabel={t(`confirm.${action}`)}
      onDone={props.onDone}
      onClose={props.onClose}
    >
      {form.fields}
    </ActionFlow>
  );
}

type Option = Contract['options'][number];

/** A leave as the API keeps it, read only when staff open it. */
function LeaveDetails({ contractId, leaveId }: { contractId: string; leaveId: string }) {
  const [open, setOpen] = useState(false);
  return (
    <details className="small" onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary><FormattedMessage id="contracts.leave.details" /></summary>
      {open && <LeaveFacts contractId={contractId} leaveId={leaveId} />}
    </details>
  );
}

function LeaveFacts({ contractId, leaveId }: { contractId: string; leaveId: string }) {
  const f = useFormat();
  const q = $api.useQuery('get', '/api/contracts/{contractId}/leaves/{leaveId}', { params: { path: { contractId, leaveId } } });
  return (
    <QueryView query={q} rows={1}>
      {(l) => (
        <dl>
          <dt><FormattedMessage id="contracts.leave.from" /></dt>
          <dd>{f.month(l.fromMonth)}</dd>
          <dt><FormattedMessage id="contracts.return.backIn" /></dt>
          <dd>{l.returnMonth ? f.month(l.returnMonth) : <FormattedMessage id="contracts.leave.returnNotSet" />}</dd>
          <dt><FormattedMessage id="contracts.leave.reason" /></dt>
          <dd>{l.reason || <FormattedMessage id="contracts.leave.noReason" />}</dd>
        </dl>
      )}
    </QueryView>
  );
}

/** An option's name, with its plan version and dates read only when staff open it. */
function OptionDetails({ contractId, option }: { contractId: string; option: Option }) {
  const [open, setOpen] = useState(false);
  return (
    <details className="small" onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary><FormattedMessage id="contracts.options.details" values={{ name: option.name }} /></summary>
      {open && <OptionFacts contractId={contractId} optionId={option.id} />}
    </details>
  );
}

function OptionFacts({ contractId, optionId }: { contractId: string; optionId: string }) {
  const f = useFormat();
  const q = $api.useQuery('get', '/api/contracts/{contractId}/options/{optionId}', { params: { path: { contractId, optionId } } });
  return (
    <QueryView query={q} rows={1}>
      {(o) => (
        <dl>
          <dt><FormattedMessage id="contracts.options.version" /></dt>
          <dd>{o.version}</dd>
          <dt><FormattedMessage id="contracts.options.from" /></dt>
          <dd>{f.date(o.fromDate)}</dd>
          <dt><FormattedMessage id="contracts.options.until" /></dt>
          <dd>{o.untilDate ? f.date(o.untilDate) : <FormattedMessage id="contracts.options.untilOpen" />}</dd>
        </dl>
      )}
    </QueryView>
  );
}

function RemoveOption({ contractId, option }: { contractId: string; option: Option }) {
  const intl = useIntl();
  const f = useFormat();
  const toast = useToast();
  const label = intl.formatMessage({ id: 'contracts.options.remove' }, { name: option.name });
  // The server says what removing it today does (the cut-off rule is its own), so the question names that day.
  const removal = option.removal;
  const text = removal
    ? intl.formatMessage({ id: removal.takenOff ? 'contracts.options.askNotStarted' : 'contracts.options.ask' }, { name: option.name, date: f.date(removal.stopsAfter) })
    : '';
  function done(c: Contract) {
    const kept = c.options.find((o) => o.id === option.id);
    toast(
      kept?.untilDate
        ? intl.formatMessage({ id: 'contracts.options.removedUntil' }, { name: option.name, date: f.date(kept.untilDate) })
        : intl.formatMessage({ id: 'contracts.options.removed' }, { name: option.name }),
    );
  }
  return (
    <ActionFlow<Contract>
      label={label}
      method="DELETE"
      path={`/api/contracts/${contractId}/options/${option.id}`}
      ask={{ text, confirmLabel: intl.formatMessage({ id: 'contracts.options.confirmRemove' }) }}
      confirmLabel={intl.formatMessage({ id: 'contracts.options.removeButton' })}
      onDone={done}
      compact
    />
  );
}
