import { FormattedMessage, useIntl } from 'react-intl';
import { api, useApiAction } from '../api/client';
import type { BodyOf, ResponseOf } from '../api/types';
import { updatePlanBody } from '../../../src/modules/plans/plans.schemas';
import { refusesFields, TextField, useSchemaForm } from '../ui/form';
import { ProblemAlert } from '../ui/states';
import { useToast } from '../ui/toast';

type Plan = ResponseOf<'/api/plans/{planId}', 'get'>;
type Values = { name: string; description: string; soldOnline: boolean };

/** A plan's name, description and whether members may buy it online: changing them makes no new version (only its terms do). */
export default function PlanEdit({ plan }: { plan: Plan }) {
  const intl = useIntl();
  const toast = useToast();
  const action = useApiAction();
  const form = useSchemaForm<Values>(updatePlanBody, { name: plan.name, description: plan.description, soldOnline: plan.soldOnline }, action.error);
  const title = intl.formatMessage({ id: 'plans.edit.title' }, { name: plan.name });

  const submit = form.handleSubmit(async (values) => {
    const body = values as BodyOf<'/api/plans/{planId}', 'patch'>;
    const done = await action.run(`plan:${plan.id}:${JSON.stringify(body)}`, (key) =>
      api.PATCH('/api/plans/{planId}', { params: { path: { planId: plan.id } }, body, headers: { 'idempotency-key': key } }));
    if (done) toast(intl.formatMessage({ id: 'plans.edit.saved' }, { name: done.name }));
  });

  return (
    <>
      <form className="inline" onSubmit={submit} noValidate aria-label={title}>
        <TextField form={form} name="name" label={intl.formatMessage({ id: 'plans.create.name' })} autoComplete="off" />
        <TextField form={form} name="description" label={intl.formatMessage({ id: 'plans.edit.description' })} autoComplete="off" />
        {plan.kind !== 'option' && (
          <label className="check">
            <input type="checkbox" {...form.register('soldOnline')} />
            <span><FormattedMessage id="plans.edit.soldOnline" /></span>
          </label>
        )}
        <button type="submit" disabled={action.busy}><FormattedMessage id="plans.edit.submit" /></button>
      </form>
      {action.error && !refusesFields(action.error, form as never) ? <ProblemAlert error={action.error} /> : null}
    </>
  );
}
