import { useState } from 'react';
import { FormattedMessage, useIntl } from 'react-intl';
import { $api, api, useApiAction } from '../../api/client';
import { confirmBody } from '../../../../src/platform/auth/two-factor.schemas';
import { useFormat } from '../../format';
import { ActionFlow } from '../../ui/action-flow';
import { Input } from '../../ui';
import { PageTitle } from '../../ui/page';
import { ProblemAlert, QueryView } from '../../ui/states';
import { useToast } from '../../ui/toast';
import { CodeForm, RecoveryCodes, SetupSecret, type Setup } from './two-factor';

/** The signed-in staff member's own sign-in security: two-factor sign-in on or off, and recovery codes. */
export function AccountSecurity() {
  const intl = useIntl();
  const format = useFormat();
  const status = $api.useQuery('get', '/api/account/two-factor');
  const [codes, setCodes] = useState<string[] | null>(null);
  const title = intl.formatMessage({ id: 'security.title' });
  return (
    <>
      <PageTitle title={title}>{title}</PageTitle>
      <h2><FormattedMessage id="security.twoFactor.title" /></h2>
      {codes ? (
        <RecoveryCodes codes={codes} onDone={() => setCodes(null)} />
      ) : (
        <QueryView query={status}>
          {(s) =>
            s.enabled ? (
              <>
                <p role="status">
                  <span className="badge status-active"><FormattedMessage id="security.twoFactor.on" /></span>{' '}
                  <FormattedMessage id="security.twoFactor.onSince" values={{ when: format.dateTime(s.enabledAt!), left: s.recoveryCodesLeft }} />
                </p>
                <Regenerate onCodes={setCodes} />
                {s.requiredByStudio ? <p><FormattedMessage id="security.twoFactor.required" /></p> : <Disable />}
              </>
            ) : (
              <>
                <p role="status">
                  <span className="badge"><FormattedMessage id="security.twoFactor.off" /></span>{' '}
                  <FormattedMessage id="security.twoFactor.offHint" />
                </p>
                <Enable onCodes={setCodes} />
              </>
            )
          }
        </QueryView>
      )}
    </>
  );
}

/** Set up: a new secret (QR and key), then a code from the app turns it on. */
function Enable({ onCodes }: { onCodes: (codes: string[]) => void }) {
  const intl = useIntl();
  const starting = useApiAction();
  const confirming = useApiAction();
  const [setup, setSetup] = useState<Setup | null>(null);
  async function start() {
    const s = await starting.run('two-factor:start', () => api.POST('/api/account/two-factor'));
    if (s) setSetup(s);
  }
  async function confirm(code: string) {
    const done = await confirming.run(`two-factor:confirm:${code}`, () => api.POST('/api/account/two-factor/confirm', { body: { code } }));
    if (done) onCodes(done.recoveryCodes);
  }
  if (!setup) {
    return (
      <>
        <button type="button" disabled={starting.busy} onClick={() => void start()}><FormattedMessage id="security.twoFactor.enable" /></button>
        <ProblemAlert error={starting.error} />
      </>
    );
  }
  return (
    <>
      <SetupSecret setup={setup} />
      <CodeForm label={intl.formatMessage({ id: 'security.setup.confirmForm' })} submitLabel={intl.formatMessage({ id: 'security.setup.confirm' })}
        schema={confirmBody} send={(c) => void confirm(c)} busy={confirming.busy} error={confirming.error} />
    </>
  );
}

/** New recovery codes after a current code; the old ones stop working. */
function Regenerate({ onCodes }: { onCodes: (codes: string[]) => void }) {
  const intl = useIntl();
  const action = useApiAction();
  async function send(code: string) {
    const done = await action.run(`two-factor:codes:${code}`, () => api.POST('/api/account/two-factor/recovery-codes', { body: { code } }));
    if (done) onCodes(done.recoveryCodes);
  }
  return (
    <>
      <h3><FormattedMessage id="security.recovery.regenerate" /></h3>
      <CodeForm label={intl.formatMessage({ id: 'security.recovery.regenerate' })} submitLabel={intl.formatMessage({ id: 'security.recovery.regenerateSubmit' })}
        schema={confirmBody} send={(c) => void send(c)} busy={action.busy} error={action.error} />
    </>
  );
}

/** Turning it off asks first, with a current code or a recovery code. */
function Disable() {
  const intl = useIntl();
  const toast = useToast();
  const [code, setCode] = useState('');
  const t = (id: string) => intl.formatMessage({ id: `security.disable.${id}` });
  return (
    <>
      <h3>{t('title')}</h3>
      <ActionFlow
        label={t('title')}
        method="POST"
        path="/api/account/two-factor/disable"
        body={{ code }}
        ask={{ text: t('ask'), confirmLabel: t('submit') }}
        confirmLabel={t('submit')}
        onDone={() => { setCode(''); toast(t('done')); }}
      >
        {(errors) => (
          <Input label={intl.formatMessage({ id: 'security.code.orRecovery' })} value={code} onChange={setCode} autoComplete="one-time-code" required error={errors.code} />
        )}
      </ActionFlow>
    </>
  );
}
