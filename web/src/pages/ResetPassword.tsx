import { useState, type FormEvent } from 'react';
import { api, ApiError } from '../api';
import { navigate } from '../App';

/**
 * Serves the staff reset and invitation links, and a member's reset link: each carries a single-use token.
 */
export function ResetPassword({ realm = 'staff' }: { realm?: 'staff' | 'member' }) {
  const token = new URLSearchParams(location.search).get('token') ?? '';
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (password !== repeat) return setError('The two passwords differ.');
    try {
      await api('POST', realm === 'staff' ? '/api/auth/password-reset/confirm' : '/api/member-auth/password-reset/confirm', { token, password });
      setDone(true);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : 'That did not work; try again.');
    }
  }

  if (!token) return <main className="card narrow"><p role="alert">This link has no token. Open the link from your mail again.</p></main>;
  if (done) {
    return (
      <main className="card narrow">
        <h1>Password set</h1>
        <p role="status">Your password is set. Sign in with it now.</p>
        <button onClick={() => navigate(realm === 'staff' ? '/login' : '/member/login')}>Go to sign in</button>
      </main>
    );
  }
  return (
    <main className="card narrow">
      <h1>Choose your password</h1>
      <form onSubmit={submit}>
        <label>
          New password (10 characters or more)
          <input type="password" name="password" autoComplete="new-password" minLength={10} required value={password} onChange={(e) => setPassword(e.target.value)} />
        </label>
        <label>
          The same again
          <input type="password" name="repeat" autoComplete="new-password" required value={repeat} onChange={(e) => setRepeat(e.target.value)} />
        </label>
        {error && <p role="alert" className="error">{error}</p>}
        <button type="submit">Set password</button>
      </form>
    </main>
  );
}
