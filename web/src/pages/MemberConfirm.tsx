import { useEffect, useRef, useState } from 'react';
import { FormattedMessage, useIntl } from 'react-intl';
import { Link, useSearchParams } from 'react-router';
import { api, ApiError } from '../api/client';
import { PageTitle } from '../ui/page';
import { problemText } from '../ui/states';
import { Input } from '../ui';

/**
 * The link in a new member's confirmation mail. Confirming also signs the member in on this browser (the server
 * sets the session cookie), so the member app opens from here without a password.
 */
export function MemberConfirm() {
  const intl = useIntl();
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const [state, setState] = useState<{ name: string } | { error: unknown } | { noToken: true } | { passwordNeeded: true } | null>(null);
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  // The token is single use: React's development double effect must not spend it twice.
  const sent = useRef(false);

  /**
   * A sign-up that joins a member the desk registered needs the password chosen at sign-up too (a refusal leaves
   * the link working): the link proves the mailbox, the password proves who signed up.
   */
  const confirm = (withPassword?: string) => {
    setBusy(true);
    api
      .POST('/api/member-auth/confirm', { body: { token, ...(withPassword ? { password: withPassword } : {}) } })
      .then(({ data }) => setState({ name: data ? `${data.member.familyName} ${data.member.givenName}`.trim() : '' }))
      .catch((error: unknown) =>
        setState(
          error instanceof ApiError && error.problem.reason === 'password_required' && !withPassword ? { passwordNeeded: true } : { error },
        ),
      )
      .finally(() => setBusy(false));
  };

  useEffect(() => {
    if (sent.current) return;
    sent.current = true;
    if (!token) return setState({ noToken: true });
    confirm();
  }, [token]);

  const wrongPassword = state && 'error' in state && state.error instanceof ApiError && state.error.problem.reason === 'password_wrong';
  const title = intl.formatMessage({ id: 'auth.confirm.title' });
  return (
    <main className="card narrow">
      <PageTitle title={title}>{title}</PageTitle>
      {!state && <p><FormattedMessage id="auth.confirm.confirming" /></p>}
      {state && 'name' in state && (
        <>
          <p role="status"><FormattedMessage id="auth.confirm.done" values={{ name: state.name }} /></p>
          <Link className="button" to="/member"><FormattedMessage id="auth.confirm.open" /></Link>
        </>
      )}
      {state && 'noToken' in state && <p role="alert" className="error"><FormattedMessage id="auth.link.noToken" /></p>}
      {state && 'error' in state && (
        <p role="alert" className="error">
          {state.error instanceof ApiError ? problemText(intl, state.error) : intl.formatMessage({ id: 'auth.confirm.failed' })}
        </p>
      )}
      {state && ('passwordNeeded' in state || wrongPassword) && (
        <form onSubmit={(e) => { e.preventDefault(); confirm(password); }}>
          <p><FormattedMessage id="auth.confirm.passwordNeeded" /></p>
          <Input label={intl.formatMessage({ id: 'auth.login.password' })} type="password" autoComplete="current-password" required value={password} onChange={setPassword} />
          <button type="submit" disabled={busy || !password}><FormattedMessage id="auth.confirm.withPassword" /></button>
        </form>
      )}
      {state && !('name' in state) && <p><Link to="/member/login"><FormattedMessage id="auth.confirm.toSignIn" /></Link></p>}
    </main>
  );
}
