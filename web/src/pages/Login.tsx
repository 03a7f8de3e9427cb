import { lazy, Suspense, useState, type FormEvent } from 'react';
import { FormattedMessage, useIntl } from 'react-intl';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { api, ApiError, queryClient, useApiAction, type Realm } from '../api/client';
import { useStudio } from '../studio';
import { Input } from '../ui';
import { PageTitle } from '../ui/page';
import { fieldErrors, ProblemAlert, Skeleton } from '../ui/states';
import { ResendConfirmation } from './ResendConfirmation';

// The second step (and its schema form) loads only for staff who have two-factor sign-in.
const CodeStep = lazy(() => import('./security/two-factor').then((m) => ({ default: m.CodeStep })));
const EnrolStep = lazy(() => import('./security/two-factor').then((m) => ({ default: m.EnrolStep })));

/** Sign-in for staff (at /login) or for members (the member app, at /member/login): the same form, two realms. */
export function Login({ realm = 'staff' }: { realm?: Realm }) {
  const intl = useIntl();
  const studio = useStudio();
  const navigate = useNavigate();
  // A member page that asked for sign-in first (a LINE link) is returned to; only a page of the member app.
  const next = useSearchParams()[0].get('next');
  const action = useApiAction();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [emailMissing, setEmailMissing] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [secondStep, setSecondStep] = useState<{ twoFactor: 'code' | 'enrol'; challenge: string } | null>(null);
  const errors = fieldErrors(action.error);
  const emailError = emailMissing ? intl.formatMessage({ id: 'auth.login.emailFirst' }) : errors.email;
  const passwordError = errors.password;
  // The right password of a sign-up whose mail link was not opened yet: the way on is the link, sent again.
  const unconfirmed = action.error instanceof ApiError && action.error.problem.code === 'account_unconfirmed' && email !== '';

  async function submit(e: FormEvent) {
    e.preventDefault();
    setEmailMissing(false);
    setNotice(null);
    const body = { email, password };
    const result =
      realm === 'staff'
        ? await action.run('login:staff', () => api.POST('/api/auth/login', { body }))
        : await action.run('login:member', () => api.POST('/api/member-auth/login', { body }));
    if (!result) return;
    if ('twoFactor' in result) return setSecondStep(result);
    // The session is now a cookie; answers cached while signed out (the 401 of "who am I") must not linger.
    queryClient.removeQueries();
    navigate(realm === 'staff' ? '/' : next && /^\/member\/[a-z]/.test(next) ? next : '/member');
  }

  async function forgot() {
    action.reset();
    if (!email) return setEmailMissing(true);
    setEmailMissing(false);
    const body = { email };
    await (realm === 'staff' ? api.POST('/api/auth/password-reset', { body }) : api.POST('/api/member-auth/password-reset', { body })).catch(() => undefined);
    setNotice(intl.formatMessage({ id: 'auth.login.resetSent' }, { email, studio: studio.displayName }));
  }

  const title = intl.formatMessage({ id: 'auth.login.title' });
  if (secondStep) {
    const restart = () => { setSecondStep(null); setPassword(''); action.reset(); };
    return (
      <main className="card narrow">
        <PageTitle title={title}>{title}</PageTitle>
        <Suspense fallback={<Skeleton />}>
          {secondStep.twoFactor === 'code'
            ? <CodeStep challenge={secondStep.challenge} restart={restart} />
            : <EnrolStep challenge={secondStep.challenge} restart={restart} />}
        </Suspense>
      </main>
    );
  }
  return (
    <main className="card narrow">
      <PageTitle title={title}>{title}</PageTitle>
      <p className="muted">
        <FormattedMessage id={realm === 'staff' ? 'auth.login.staffOf' : 'auth.login.membersOf'} values={{ studio: studio.displayName }} />
      </p>
      <form onSubmit={(e) => void submit(e)}>
        <Input
          label={intl.formatMessage({ id: 'auth.login.email' })}
          type="email"
          name="email"
          autoComplete="username"
          required
          value={email}
          onChange={setEmail}
          error={emailError}
        />
        <Input
          label={intl.formatMessage({ id: 'auth.login.password' })}
          type="password"
          name="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={setPassword}
          error={passwordError}
        />
        {!errors.email && !errors.password && <ProblemAlert error={action.error} />}
        {unconfirmed && <ResendConfirmation email={email} />}
        {notice && <p role="status">{notice}</p>}
        <button type="submit" disabled={action.busy}>
          <FormattedMessage id={action.busy ? 'auth.login.signingIn' : 'auth.login.submit'} />
        </button>
        <button type="button" className="link" onClick={() => void forgot()}>
          <FormattedMessage id="auth.login.forgot" />
        </button>
      </form>
      {realm === 'member' && (
        <p><FormattedMessage id="auth.signUp.noAccount" /> <Link to="/member/sign-up"><FormattedMessage id="auth.signUp.toSignUp" /></Link></p>
      )}
    </main>
  );
}
