import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api, ApiError, memberStatuses, searchMembers, statusLabel, type MemberStatus, type MemberSummary } from '../api';
import { navigate } from '../App';
import { StatusBadge, Table } from '../ui';

/** The front desk's member book: one search box, newest-first paging by number, quick registration. */
export function Members({ canEdit }: { canEdit: boolean }) {
  const [q, setQ] = useState('');
  const [status, setStatus] = useState<MemberStatus | ''>('');
  const [items, setItems] = useState<MemberSummary[]>([]);
  const [next, setNext] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async (query: string, after: number | null) => {
    try {
      const page = await searchMembers(query, { status: status || undefined, after });
      setItems((prev) => (after ? [...prev, ...page.items] : page.items));
      setNext(page.nextCursor);
      setError(null);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : 'Search failed.');
    }
  }, [status]);

  useEffect(() => {
    const timer = setTimeout(() => void load(q, null), 200);
    return () => clearTimeout(timer);
  }, [q, load]);

  return (
    <section>
      <div className="row">
        <h2>Members</h2>
      </div>
      <div className="search">
        <input
          aria-label="Search members"
          placeholder="Name, かな, number, phone or email"
          value={q}
          onChange={(e) => setQ(e.target.value)}
        />
        <select aria-label="Filter by status" value={status} onChange={(e) => setStatus(e.target.value as MemberStatus | '')}>
          <option value="">All statuses</option>
          {memberStatuses.map((s) => <option key={s} value={s}>{statusLabel[s]}</option>)}
        </select>
      </div>
      {error && <p role="alert" className="error">{error}</p>}
      <Table head={['No.', 'Name', 'Kana', 'Phone', 'Status']}>
        {items.map((m) => (
          <tr key={m.id} className="clickable" onClick={() => navigate(`/members/${m.id}`)}>
            <td>{m.memberNumber}</td>
            <td>{m.familyName} {m.givenName}</td>
            <td>{m.familyNameKana} {m.givenNameKana}</td>
            <td>{m.phone ?? ''}</td>
            <td><StatusBadge status={m.status} /></td>
          </tr>
        ))}
      </Table>
      {items.length === 0 && !error && <p className="muted">No members found.</p>}
      {next !== null && <button className="secondary" onClick={() => void load(q, next)}>More</button>}
      {canEdit && <RegisterMember onDone={(id) => navigate(`/members/${id}`)} />}
    </section>
  );
}

function RegisterMember({ onDone }: { onDone: (id: string) => void }) {
  const [form, setForm] = useState({ familyName: '', givenName: '', familyNameKana: '', givenNameKana: '', phone: '', email: '' });
  const [error, setError] = useState<string | null>(null);
  const field = (name: keyof typeof form, label: string, type = 'text') => (
    <input aria-label={label} placeholder={label} type={type} value={form[name]} onChange={(e) => setForm({ ...form, [name]: e.target.value })} />
  );

  async function submit(e: FormEvent) {
    e.preventDefault();
    const body = Object.fromEntries(Object.entries(form).filter(([, v]) => v.trim() !== ''));
    setError(null);
    try {
      const member = await api<{ id: string }>('POST', '/api/members', body);
      onDone(member.id);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : 'Registration failed.');
    }
  }

  return (
    <>
      <h3>Register a member</h3>
      <form className="inline" onSubmit={submit}>
        {field('familyName', 'Family name')}
        {field('givenName', 'Given name')}
        {field('familyNameKana', 'Family name (kana)')}
        {field('givenNameKana', 'Given name (kana)')}
        {field('phone', 'Phone', 'tel')}
        {field('email', 'Email', 'email')}
        <button type="submit">Register</button>
      </form>
      {error && <p role="alert" className="error">{error}</p>}
    </>
  );
}

/** Finds a member by the same search as the member book and hands the chosen one over (booking, the front desk). */
export function MemberPicker({ label, onPick }: { label: string; onPick: (m: MemberSummary) => void }) {
  const [q, setQ] = useState('');
  const [items, setItems] = useState<MemberSummary[]>([]);
  useEffect(() => {
    if (q.trim() === '') return setItems([]);
    let live = true;
    const timer = setTimeout(() => {
      searchMembers(q, { limit: 5 })
        .then((page) => live && setItems(page.items))
        .catch(() => live && setItems([]));
    }, 200);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [q]);
  return (
    <div className="picker">
      <input aria-label={label} placeholder="Name, かな, number, phone or email" value={q} onChange={(e) => setQ(e.target.value)} />
      {items.length > 0 && (
        <ul className="picks" aria-label={`${label}: matches`}>
          {items.map((m) => (
            <li key={m.id}>
              <button type="button" className="link" onClick={() => onPick(m)}>
                {m.familyName} {m.givenName} (No. {m.memberNumber}){m.phone ? ` · ${m.phone}` : ''}
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
