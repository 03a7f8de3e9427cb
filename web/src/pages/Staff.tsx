import { useState, type FormEvent } from 'react';
import { FormattedMessage, useIntl } from 'react-intl';
import { $api, api, useApiAction } from '../api/client';
import { manages, useStaffMe, type Role } from '../staff/StaffApp';
import { Input, Select, Table } from '../ui';
import { PageTitle } from '../ui/page';
import { EmptyState, fieldErrors, ProblemAlert, QueryView } from '../ui/states';
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

function Invite({ roles }: { roles: Role[] }) {
  const intl = useIntl();
  const toast = useToast();
  const [email, setEmail] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [role, setRole] = useState<Role>(roles.includes('front_desk') ? 'front_desk' : roles[0]!);
  const action = useApiAction();
  const errors = fieldErrors(action.error);

  async function invite(e: FormEvent) {
    e.preventDefault();
    // POST /api/staff takes no Idempotency-Key: inviting the same address twice is refused as a conflict.
    const done = await action.run(`invite:${email}:${role}`, () => api.POST('/api/staff', { body: { email, displayName, role } }));
    if (!done) return;
    toast(intl.formatMessage({ id: 'staff.invite.sent' }, { email }));
    setEmail('');
    setDisplayName('');
  }

  const invalid = (field: string) =>
    errors[field] ? { 'aria-invalid': true as const, 'aria-describedby': `invite-${field}-error` } : {};
  const message = (field: string) => errors[field] && <span id={`invite-${field}-error`} className="error small">{errors[field]}</span>;
  const title = intl.formatMessage({ id: 'staff.invite.title' });
  return (
    <>
      <h2>{title}</h2>
      <form className="inline" aria-label={title} onSubmit={invite}>
        <Input label={intl.formatMessage({ id: 'staff.invite.name' })} required value={displayName} onChange={setDisplayName} autoComplete="off" {...invalid('displayName')} />
        {message('displayName')}
        <Input label={intl.formatMessage({ id: 'staff.invite.email' })} type="email" required value={email} onChange={setEmail} autoComplete="off" {...invalid('email')} />
        {message('email')}
        <Select<Role>
          label={intl.formatMessage({ id: 'staff.invite.role' })}
          value={role}
          onChange={setRole}
          options={roles.map((r): [Role, string] => [r, intl.formatMessage({ id: `role.${r}` })])}
        />
        {message('role')}
        <button type="submit" disabled={action.busy}><FormattedMessage id="staff.invite.submit" /></button>
      </form>
      <ProblemAlert error={action.error} />
    </>
  );
}
