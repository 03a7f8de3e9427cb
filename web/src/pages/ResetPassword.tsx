import { useState, type FormEvent } from 'react';
import { FormattedMessage, useIntl } from 'react-intl';
import { useNavigate, useSearchParams } from 'react-router';
import { api, useApiAction, type Realm } from '../api/client';
import { Input } from '../ui';
import { PageTitle } from '../ui/page';
import { fieldErrors, ProblemAlert } from '../ui/states';

/**
 * Serves the staff reset and invitation links, and a member's reset link: each carries a single-use token.
 */
export function ResetPassword({ realm = 'staff' }: { realm?: Realm }) {
  const intl = useIntl();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const action = useApiAction();
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [differ, setDiffer] = useState(false);
  const [done, setDone] = useState(false);
  const passwordError = fieldErrors(action.error).password;
  const repeatError = differ ? intl.formatMessage({ id: 'auth.reset.differ' }) : undefined;

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (password !== repeat) return setDiffer(true);
    setDiffer(false);
    const body = { token, password };
    const result = await action.run(`reset:${realm}`, () =>
      realm === 'staff' ? api.POST('/api/auth/password-reset/confirm', { body }) : api.POST('/api/member-auth/password-reset/confirm', { body }),
    );
    if (result !== null) setDone(true);
  }

  const chooseTitle = intl.formatMessage({ id: 'auth.reset.title' });
  if (!token) {
    return (
      <main className="card narrow">
        <PageTitle title={chooseTitle}>{chooseTitle}</PageTitle>
        <p role="alert"><FormattedMessage id="auth.link.noToken" /></p>
      </main>
    );
  }
  if (done) {
    const doneTitle = intl.formatMessage({ id: 'auth.reset.doneTitle' });
    return (
      <main className="card narrow">
        <PageTitle key="done" title={doneTitle}>{doneTitle}</PageTitle>
        <p role="status"><FormattedMessage id="auth.reset.done" /></p>
        <button type="button" onClick={() => navigate(realm === 'staff' ? '/login' : '/member/login')}>
          <FormattedMessage id="auth.reset.goToSignIn" />
        </button>
      </main>
    );
  }
  return (
    <main className="card narrow">
      <PageTitle key="form" title={chooseTitle}>{chooseTitle}</PageTitle>
      <form onSubmit={(e) => void submit(e)}>
        <Input
          label={intl.formatMessage({ id: 'auth.reset.newPassword' })}
          type="password"
          name="password"
          autoComplete="new-password"
          minLength={10}
          required
          value={password}
          onChange={setPassword}
          error={passwordError}
        />
        <Input
          label={intl.formatMessage({ id: 'auth.reset.repeat' })}
          type="password"
          name="repeat"
          autoComplete="new-password"
          required
          value={repeat}
          onChange={setRepeat}
          error={repeatError}
        />
        {!passwordError && <ProblemAlert error={action.error} />}
        <button type="submit" disabled={action.busy}><FormattedMessage id="auth.reset.submit" /></button>
      </form>
    </main>
  );
}
