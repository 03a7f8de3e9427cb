import { useState } from 'react';
import { FormattedMessage, useIntl } from 'react-intl';
import { useNavigate } from 'react-router';
import { $api, api, queryClient, useApiAction } from '../../api/client';
import type { ResponseOf } from '../../api/types';
import type { z } from 'zod';
import { codeLoginBody, enrolmentConfirmBody } from '../../../../src/platform/auth/two-factor.schemas';
import { refusesFields, TextField, useSchemaForm } from '../../ui/form';
import { ProblemAlert, QueryView } from '../../ui/states';

export type Setup = ResponseOf<'/api/account/two-factor', 'post'>;

/**
 * The secret of a new authenticator: its QR code, and the key written out for an app that cannot scan. The key
 * is grouped in fours, as authenticator apps show it, and is the page's only copy of it.
 */
export function SetupSecret({ setup }: { setup: Setup }) {
  const intl = useIntl();
  return (
    <div className="two-factor-setup">
      <p><FormattedMessage id="security.setup.scan" /></p>
      <img src={setup.qrCode} width={220} height={220} alt={intl.formatMessage({ id: 'security.setup.qrAlt' })} />
      <p>
        <FormattedMessage id="security.setup.cannotScan" />{' '}
        <code data-testid="totp-secret" aria-label={intl.formatMessage({ id: 'security.setup.keyLabel' })}>{setup.secret.match(/.{1,4}/g)!.join(' ')}</code>
      </p>
    </div>
  );
}

/** Recovery codes, shown once: the person writes them down before going on. */
export function RecoveryCodes({ codes, onDone }: { codes: string[]; onDone: () => void }) {
  const intl = useIntl();
  return (
    <section className="preview" aria-label={intl.formatMessage({ id: 'security.recovery.title' })}>
      <h2><FormattedMessage id="security.recovery.title" /></h2>
      <p><FormattedMessage id="security.recovery.once" /></p>
      <ul className="recovery-codes">
        {codes.map((c) => <li key={c}><code>{c}</code></li>)}
      </ul>
      <button type="button" onClick={onDone}><FormattedMessage id="security.recovery.saved" /></button>
    </section>
  );
}

type CodeValues = { code: string };

/** A code from the authenticator app, sent to `send`; its field is named for what it takes. */
export function CodeForm({ label, submitLabel, schema, allowRecovery = false, send, busy, error }: {
  label: string;
  submitLabel: string;
  /** The route's own body schema, for its `code` field. */
  schema: z.ZodObject<{ code: z.ZodType<string> }>;
  allowRecovery?: boolean;
  send: (code: string) => void;
  busy: boolean;
  error: unknown;
}) {
  const intl = useIntl();
  const form = useSchemaForm<CodeValues>(schema, { code: '' }, error);
  return (
    <>
      <form className="inline" aria-label={label} onSubmit={form.handleSubmit((v) => send(v.code))} noValidate>
        <TextField
          form={form}
          name="code"
          label={intl.formatMessage({ id: allowRecovery ? 'security.code.orRecovery' : 'security.code.label' })}
          autoComplete="one-time-code"
          inputMode={allowRecovery ? 'text' : 'numeric'}
        />
        <button type="submit" disabled={busy}>{submitLabel}</button>
      </form>
      {error && !refusesFields(error, form as never) ? <ProblemAlert error={error} /> : null}
    </>
  );
}

/** After the password: a code from the app or a recovery code, then the session. */
export function CodeStep({ challenge, restart }: { challenge: string; restart: () => void }) {
  const intl = useIntl();
  const navigate = useNavigate();
  const action = useApiAction();
  async function send(code: string) {
    const done = await action.run(`login-code:${code}`, () => api.POST('/api/auth/login/code', { body: { challenge, code } }));
    if (!done) return;
    queryClient.removeQueries();
    navigate('/');
  }
  return (
    <>
      <p><FormattedMessage id="security.signIn.codeNeeded" /></p>
      <CodeForm label={intl.formatMessage({ id: 'security.signIn.codeForm' })} submitLabel={intl.formatMessage({ id: 'security.signIn.submit' })}
        schema={codeLoginBody.pick({ code: true })} allowRecovery send={(c) => void send(c)} busy={action.busy} error={action.error} />
      <button type="button" className="link" onClick={restart}><FormattedMessage id="security.signIn.again" /></button>
    </>
  );
}

/** The studio requires two-factor sign-in and this person has none: set it up now, then the session. */
export function EnrolStep({ challenge, restart }: { challenge: string; restart: () => void }) {
  const intl = useIntl();
  const navigate = useNavigate();
  const action = useApiAction();
  // Asking again would replace the secret being scanned, so it is asked once.
  const setup = $api.useQuery('post', '/api/auth/login/enrolment', { body: { challenge } }, { staleTime: Infinity, refetchOnWindowFocus: false, retry: false });
  const [codes, setCodes] = useState<string[] | null>(null);
  async function send(code: string) {
    const done = await action.run(`enrol:${code}`, () => api.POST('/api/auth/login/enrolment/confirm', { body: { challenge, code } }));
    if (done) setCodes(done.recoveryCodes);
  }
  if (codes) {
    return <RecoveryCodes codes={codes} onDone={() => { queryClient.removeQueries(); navigate('/'); }} />;
  }
  return (
    <>
      <p><FormattedMessage id="security.signIn.enrolNeeded" /></p>
      <QueryView query={setup}>
        {(s) => (
          <>
            <SetupSecret setup={s} />
            <CodeForm label={intl.formatMessage({ id: 'security.setup.confirmForm' })} submitLabel={intl.formatMessage({ id: 'security.setup.confirm' })}
              schema={enrolmentConfirmBody.pick({ code: true })} send={(c) => void send(c)} busy={action.busy} error={action.error} />
          </>
        )}
      </QueryView>
      <button type="button" className="link" onClick={restart}><FormattedMessage id="security.signIn.again" /></button>
    </>
  );
}
