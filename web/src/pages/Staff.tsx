import { FormattedMessage, useIntl } from 'react-intl';
import { $api, api, useApiAction } from '../api/client';
import { manages, useStaffMe, type Role } from '../staff/StaffApp';
import { Table } from '../ui';
import { refusesFields, SelectField, TextField, useSchemaForm } from '../ui/form';
import { createStaffBody } from '../../../src/platform/auth/auth.schemas';
import { PageTitle } from '../ui/page';
import { EmptyState, ProblemAlert, QueryView } from '../ui/states';
import { useToast } from '../ui/toast';

/** The studio's staff accounts, and invitations for the roles the signed-in person may manage. */
export function StaffPage() {
  const intl = useIntl();
  const me = useStaffMe();
  const roles = manages[me.role];
  const staff = $api.useQuery('get', '/api/staff', {}, { enabled: roles.length > 0 });
  const title = intl.formatMessage({ id: 'staff.title' });
  if (roles.length === 0) {
    return (
      <>
        <PageTitle title={title}>{title}</PageTitle>
        <EmptyState><FormattedMessage id="staff.notAllowed" /></EmptyState>
      </>
    );
  }
  const head = ['name', 'email', 'role', 'status'].map((h) => intl.formatMessage({ id: `staff.head.${h}` }));
  return (
    <>
      <PageTitle title={title}>{title}</PageTitle>
      <QueryView query={staff}>
        {(data) =>
          data.items.length === 0 ? (
            <EmptyState><FormattedMessage id="staff.empty" /></EmptyState>
          ) : (
            <Table head={head}>
              {data.items.map((s) => (
                <tr key={s.id}>
                  <td>{s.displayName}</td>
                  <td>{s.email}</td>
                  <td><FormattedMessage id={`role.${s.role}`} /></td>
                  <td><FormattedMessage id={`staff.status.${s.status}`} /></td>
                </tr>
              ))}
            </Table>
          )
        }
      </QueryView>
      <Invite roles={roles} />
    </>
  );
}

type Invitation = { email: string; displayName: string; role: Role };

function Invite({ roles }: { roles: Role[] }) {
  const intl = useIntl();
  const toast = useToast();
  const action = useApiAction();
  const blank: Invitation = { email: '', displayName: '', role: roles.includes('front_desk') ? 'front_desk' : roles[0]! };
  const form = useSchemaForm<Invitation>(createStaffBody, blank, action.error);

  const invite = form.handleSubmit(async (body) => {
    // POST /api/staff takes no Idempotency-Key: inviting the same address twice is refused as a conflict.
    const done = await action.run(`invite:${body.email}:${body.role}`, () => api.POST('/api/staff', { body }));
    if (!done) return;
    toast(intl.formatMessage({ id: 'staff.invite.sent' }, { email: body.email }));
    form.reset(blank);
  });

  const title = intl.formatMessage({ id: 'staff.invite.title' });
  return (
    <>
      <h2>{title}</h2>
      <form className="inline" aria-label={title} onSubmit={invite} noValidate>
        <TextField form={form} name="displayName" label={intl.formatMessage({ id: 'staff.invite.name' })} autoComplete="off" />
        <TextField form={form} name="email" label={intl.formatMessage({ id: 'staff.invite.email' })} type="email" autoComplete="off" />
        <SelectField form={form} name="role" label={intl.formatMessage({ id: 'staff.invite.role' })} options={roles.map((r) => [r, intl.formatMessage({ id: `role.${r}` })])} />
        <button type="submit" disabled={action.busy}><FormattedMessage id="staff.invite.submit" /></button>
      </form>
      {action.error && !refusesFields(action.error, form as never) ? <ProblemAlert error={action.error} /> : null}
    </>
  );
}
