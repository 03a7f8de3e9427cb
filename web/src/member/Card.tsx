import { useReducer, useState, type FormEvent } from 'react';
import { cardText, type CardAnswer } from '../api';
import { Alert, useApi, useWrite } from '../ui';

/** The member's saved card, charged for each month's invoice; saving a new one replaces it. */
export function CardScreen() {
  const [version, reload] = useReducer((n: number) => n + 1, 0);
  const card = useApi<CardAnswer>('/api/me/card', version);
  const [token, setToken] = useState('');
  const [saved, setSaved] = useState(false);
  const { busy, error, send } = useWrite();
  const current = card.data?.card ?? null;

  async function save(e: FormEvent) {
    e.preventDefault();
    setSaved(false);
    const value = token.trim();
    if (!(await send<CardAnswer>(`card:${value}`, 'PUT', '/api/me/card', { token: value }))) return;
    setToken('');
    setSaved(true);
    reload();
  }

  return (
    <section>
      <h2>Card</h2>
      <Alert text={card.error} />
      {card.data && (
        <p aria-label="Saved card">{current ? cardText(current) : <span className="muted">No card saved yet: invoices are paid at the front desk until you add one.</span>}</p>
      )}
      <form aria-label="Save a card" onSubmit={save}>
        <label>
          {current ? 'New card number' : 'Card number'}
          <input inputMode="numeric" autoComplete="cc-number" required minLength={4} value={token} onChange={(e) => setToken(e.target.value)} />
        </label>
        <button type="submit" disabled={busy}>{current ? 'Replace card' : 'Save card'}</button>
      </form>
      {(current === null || current.gateway === 'test') && (
        <p className="muted small">
          While the studio takes test payments, use a test card: 4242 4242 4242 4242 is accepted, 4000 0000 0000 0002 is declined.
        </p>
      )}
      <Alert text={error} />
      {saved && <p role="status">Your card is saved. Open invoices are charged to it.</p>}
    </section>
  );
}
