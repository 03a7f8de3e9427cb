import { useState, type FormEvent } from 'react';
import { api, ApiError, realmSession, type Realm, type Tenant } from '../api';
import { navigate } from '../App';

/** Sign-in for staff (at /login) or for members (the member app, at /member/login): the same form, two realms. */
export function Login({ tenant, realm = 'staff' }: { tenant: Tenant; realm?: Realm }) {
  const prefix = realm === 'staff' ? '/api/auth' : '/api/member-auth';
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const result = await api<{ token: string }>('POST', `${prefix}/login`, { email, password });
      realmSession(realm).set(result.token);
      navigate(realm === 'staff' ? '/' : '/member');
    } catch (err) {
      setError(err instanceof ApiError ? err.message : 'Sign-in failed; try again.');
    } finally {
      setBusy(false);
    }
  }

  async function forgot() {
    if (!email) return setError('Enter your email first, then ask for a reset link.');
    await api('POST', `${prefix}/password-reset`, { email }).catch(() => undefined);
    setNotice(`If ${email} has an account at ${tenant.displayName}, a reset link is on its way.`);
  }

  return (
    <main className="card narrow">
      <h1>Sign in</h1>
      <p className="muted">{realm === 'staff' ? 'Staff' : 'Members'} of {tenant.displayName}</p>
      <form onSubmit={submit}>
        <label>
          Email
          <input type="email" name="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
        </label>
        <label>
          Password
          <input type="password" name="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        </label>
        {error && <p role="alert" className="error">{error}</p>}
        {notice && <p role="status">{notice}</p>}
        <button type="submit" disabled={busy}>{busy ? 'Signing in…' : 'Sign in'}</button>
        <button type="button" className="link" onClick={forgot}>Forgot your password?</button>
      </form>
    </main>
  );
}
