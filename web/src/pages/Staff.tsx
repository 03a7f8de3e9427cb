import { useState } from 'react';
import { FormattedMessage, useIntl } from 'react-intl';
import { $api, api, useApiAction } from '../api/client';
import type { ResponseOf } from '../api/types';
import { useFormat } from '../format';
import { ActionFlow } from '../ui/action-flow';
import { Select } from '../ui';
import { manages, useStaffMe, type Role } from '../staff/StaffApp';
import { Table } from '../ui';
import { refusesFields, SelectField, TextField, useSchemaForm } from '../ui/form';
import { createApiKeyBody, createStaffBody } from '../../../src/platform/auth/auth.schemas';
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
  const head = ['name', 'email', 'role', 'status', 'twoFactor', 'manage'].map((h) => intl.formatMessage({ id: `staff.head.${h}` }));
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
                  <td>
                    <span className={s.twoFactorEnabled ? 'badge status-active' : 'badge'}>
                      <FormattedMessage id={s.twoFactorEnabled ? 'security.staff.on' : 'security.staff.off'} />
                    </span>
                  </td>
                  <td>
                    {s.id !== me.id && roles.includes(s.role) && <ManageStaff staffId={s.id} roles={roles} />}
                    {me.role === 'owner' && s.id !== me.id && s.twoFactorEnabled && <ResetTwoFactor staffId={s.id} name={s.displayName} />}
                  </td>
                </tr>
              ))}
            </Table>
          )
        }
      </QueryView>
      <Invite roles={roles} />
      <StaffSecurityPolicy canChange={me.role === 'owner'} />
      {me.role === 'owner' && <ApiKeys />}
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

/**
 * Role and account status of one colleague the signed-in person manages, opened from the list: loaded fresh, so a
 * change someone else just made is seen before deciding.
 */
function ManageStaff({ staffId, roles }: { staffId: string; roles: Role[] }) {
  const intl = useIntl();
  const toast = useToast();
  const [open, setOpen] = useState(false);
  const person = $api.useQuery('get', '/api/staff/{staffId}', { params: { path: { staffId } } }, { enabled: open });
  const [role, setRole] = useState<Role | ''>('');
  const t = (id: string, values?: Record<string, string>) => intl.formatMessage({ id: `staff.manage.${id}` }, values);
  if (!open) {
    return <button type="button" className="secondary" onClick={() => setOpen(true)}><FormattedMessage id="staff.manage.open" /></button>;
  }
  return (
    <QueryView query={person}>
      {(p) => (
        <>
          <ActionFlow
            label={t('roleForm', { name: p.displayName })}
            method="PATCH"
            path={`/api/staff/${staffId}`}
            body={{ role: role || p.role }}
            confirmLabel={t('changeRole')}
            onDone={(r: StaffMember) => toast(t('roleChanged', { name: r.displayName, role: intl.formatMessage({ id: `role.${r.role}` }) }))}
            compact
          >
            <Select label={t('role')} value={role || p.role} onChange={setRole} options={roles.map((r) => [r, intl.formatMessage({ id: `role.${r}` })])} />
          </ActionFlow>
          {p.status === 'active' ? (
            <ActionFlow
              label={t('disable')}
              method="PATCH"
              path={`/api/staff/${staffId}`}
              body={{ status: 'disabled' }}
              ask={{ text: t('disableAsk', { name: p.displayName }), confirmLabel: t('disable') }}
              confirmLabel={t('disable')}
              onDone={(r: StaffMember) => toast(t('disabled', { name: r.displayName }))}
              compact
            />
          ) : (
            <ActionFlow
              label={t('enable')}
              method="PATCH"
              path={`/api/staff/${staffId}`}
              body={{ status: 'active' }}
              confirmLabel={t('enable')}
              onDone={(r: StaffMember) => toast(t('enabled', { name: r.displayName }))}
              compact
            />
          )}
        </>
      )}
    </QueryView>
  );
}

/** An owner removes a colleague's authenticator (a lost phone): asked first; they set it up again at sign-in. */
function ResetTwoFactor({ staffId, name }: { staffId: string; name: string }) {
  const intl = useIntl();
  const toast = useToast();
  const t = (id: string) => intl.formatMessage({ id: `security.staff.${id}` }, { name });
  return (
    <ActionFlow
      label={t('resetNamed')}
      method="DELETE"
      path={`/api/staff/${staffId}/two-factor`}
      ask={{ text: t('resetAsk'), confirmLabel: t('reset') }}
      confirmLabel={t('reset')}
      onDone={() => toast(t('resetDone'))}
      compact
    />
  );
}

/** Whether the studio requires two-factor sign-in for all staff; owners switch it (turning it on asks first). */
function StaffSecurityPolicy({ canChange }: { canChange: boolean }) {
  const intl = useIntl();
  const toast = useToast();
  const policy = $api.useQuery('get', '/api/settings/staff-security');
  const t = (id: string) => intl.formatMessage({ id: `security.policy.${id}` });
  return (
    <>
      <h2>{t('title')}</h2>
      <QueryView query={policy}>
        {({ requireStaffTwoFactor: required }) => (
          <>
            <p role="status">{t(required ? 'required' : 'notRequired')}</p>
            {canChange && (
              <ActionFlow
                label={t(required ? 'stop' : 'require')}
                method="PUT"
                path="/api/settings/staff-security"
                body={{ requireStaffTwoFactor: !required }}
                {...(required ? {} : { ask: { text: t('requireAsk'), confirmLabel: t('require') } })}
                confirmLabel={t(required ? 'stop' : 'require')}
                onDone={() => toast(t(required ? 'stopped' : 'requiredNow'))}
                compact
              />
            )}
          </>
        )}
      </QueryView>
    </>
  );
}

type StaffMember = ResponseOf<'/api/staff/{staffId}', 'get'>;
type KeyRequest = { name: string; role: Role };
type CreatedKey = ResponseOf<'/api/api-keys', 'post'>;

/** The studio's API keys (owners only): a new key's secret is shown once, to copy; a key is revoked after a question. */
function ApiKeys() {
  const intl = useIntl();
  const format = useFormat();
  const toast = useToast();
  const keys = $api.useQuery('get', '/api/api-keys');
  const action = useApiAction();
  const blank: KeyRequest = { name: '', role: 'front_desk' };
  const form = useSchemaForm<KeyRequest>(createApiKeyBody, blank, action.error);
  const [created, setCreated] = useState<CreatedKey | null>(null);
  const t = (id: string, values?: Record<string, string>) => intl.formatMessage({ id: `staff.keys.${id}` }, values);
  const roles = manages.owner;

  const create = form.handleSubmit(async (body) => {
    const key = await action.run(`api-key:${JSON.stringify(body)}`, () => api.POST('/api/api-keys', { body }));
    if (!key) return;
    setCreated(key);
    form.reset(blank);
  });
  const copy = async (secret: string) => {
    await navigator.clipboard.writeText(secret);
    toast(t('copied'));
  };
  const head = ['name', 'role', 'prefix', 'lastUsed', 'state', ''].map((h) => (h ? t(`head.${h}`) : ''));
  return (
    <>
      <h2><FormattedMessage id="staff.keys.title" /></h2>
      <QueryView query={keys}>
        {({ items }) =>
          items.length === 0 ? (
            <EmptyState><FormattedMessage id="staff.keys.empty" /></EmptyState>
          ) : (
            <Table head={head}>
              {items.map((k) => (
                <tr key={k.id}>
                  <td>{k.name}</td>
                  <td><FormattedMessage id={`role.${k.role}`} /></td>
                  <td><code>{k.prefix}</code></td>
                  <td>{k.lastUsedAt ? format.dateTime(k.lastUsedAt) : t('neverUsed')}</td>
                  <td>{k.revokedAt ? t('revokedOn', { when: format.dateTime(k.revokedAt) }) : t('active')}</td>
                  <td>
                    {!k.revokedAt && (
                      <ActionFlow
                        label={t('revokeNamed', { name: k.name })}
                        method="DELETE"
                        path={`/api/api-keys/${k.id}`}
                        ask={{ text: t('revokeAsk', { name: k.name }), confirmLabel: t('revoke') }}
                        confirmLabel={t('revoke')}
                        onDone={() => toast(t('revoked', { name: k.name }))}
                        compact
                      />
                    )}
                  </td>
                </tr>
              ))}
            </Table>
          )
        }
      </QueryView>
      {created && (
        <div className="preview" role="region" aria-label={t('secretRegion')}>
          <p><FormattedMessage id="staff.keys.secretOnce" values={{ name: created.name }} /></p>
          <p><code>{created.key}</code></p>
          <button type="button" onClick={() => void copy(created.key)}><FormattedMessage id="staff.keys.copy" /></button>
          <button type="button" className="secondary" onClick={() => setCreated(null)}><FormattedMessage id="common.close" /></button>
        </div>
      )}
      <h3><FormattedMessage id="staff.keys.create" /></h3>
      <form className="inline" aria-label={t('create')} onSubmit={create} noValidate>
        <TextField form={form} name="name" label={t('name')} autoComplete="off" />
        <SelectField form={form} name="role" label={t('role')} options={roles.map((r) => [r, intl.formatMessage({ id: `role.${r}` })])} />
        <button type="submit" disabled={action.busy}><FormattedMessage id="staff.keys.createSubmit" /></button>
      </form>
      {action.error && !refusesFields(action.error, form as never) ? <ProblemAlert error={action.error} /> : null}
    </>
  );
}
