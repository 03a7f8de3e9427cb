import { useEffect, useRef, useState } from 'react';
import { api, ApiError } from '../api';

/**
 * The link in a new member's confirmation mail. Confirming signs the member in, but this is the staff app: the
 * member's session is not kept here (it would be mistaken for staff), only the confirmation is shown.
 */
export function MemberConfirm() {
  const token = new URLSearchParams(location.search).get('token') ?? '';
  const [state, setState] = useState<{ name: string } | { error: string } | null>(null);
  // The token is single use: React's development double effect must not spend it twice.
  const sent = useRef(false);

  useEffect(() => {
    if (sent.current) return;
    sent.current = true;
    if (!token) return setState({ error: 'This link has no token. Open the link from your mail again.' });
    api<{ member: { familyName: string; givenName: string } }>('POST', '/api/member-auth/confirm', { token })
      .then((r) => setState({ name: `${r.member.familyName} ${r.member.givenName}`.trim() }))
      .catch((e: unknown) => setState({ error: e instanceof ApiError ? e.message : 'That did not work; try the link again.' }));
  }, [token]);

  return (
    <main className="card narrow">
      <h1>Email confirmation</h1>
      {!state && <p>Confirming…</p>}
      {state && 'name' in state && <p role="status">Thank you, {state.name}: your email is confirmed and your membership registration is complete. You can now sign in to book.</p>}
      {state && 'error' in state && <p role="alert" className="error">{state.error}</p>}
    </main>
  );
}
