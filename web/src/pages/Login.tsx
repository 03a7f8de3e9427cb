import { useState, type FormEvent } from 'react';
import { api, ApiError, session, type Staff, type Tenant } from '../api';
import { navigate } from '../App';

export function Login({ tenant }: { tenant: Tenant }) {
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
      const result = await api<{ token: string; staff: Staff }>('POST', '/api/auth/login', { email, password });
      session.set(result.token);
      navigate('/');
    } catch (err) {
      setError(err instanceof ApiError ? err.message : 'Sign-in failed; try again.');
    } finally {
      setBusy(false);
    }
  }

  async function forgot() {
    if (!email) return setError('Enter your email first, then ask for a reset link.');
    await api('POST', '/api/auth/password-reset', { email }).catch(() => undefined);
    setNotice(`If ${email} has an account at ${tenant.displayName}, a reset link is on its way.`);
  }

  return (
    <main className="card narrow">
      <h1>Sign in</h1>
      <p className="muted">Staff of {tenant.displayName}</p>
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
