import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api, ApiError, roleLabel, session, type Role, type Staff, type Tenant } from '../api';
import { navigate } from '../App';
import { can, Table } from '../ui';
import { BillingSettingsPage } from './BillingSettings';
import { InvoicePage, Invoices } from './Invoices';
import { MemberDetail } from './MemberDetail';
import { Members } from './Members';
import { FrontDesk } from './FrontDesk';
import { Lesson } from './Lesson';
import { Plans } from './Plans';
import { Timetable } from './Timetable';

const manages: Record<Role, Role[]> = {
  owner: ['owner', 'manager', 'front_desk', 'instructor'],
  manager: ['front_desk', 'instructor'],
  front_desk: [],
  instructor: [],
};

export function Home({ tenant, path }: { tenant: Tenant; path: string }) {
  const [me, setMe] = useState<Staff | null>(null);
  const [staff, setStaff] = useState<Staff[]>([]);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      const who = await api<Staff>('GET', '/api/auth/me');
      setMe(who);
      if (manages[who.role].length > 0) setStaff((await api<{ items: Staff[] }>('GET', '/api/staff')).items);
    } catch (err) {
      if (err instanceof ApiError && err.problem.status === 401) navigate('/login');
      else setError(err instanceof Error ? err.message : String(err));
    }
  }, []);
  useEffect(() => void load(), [load]);

  async function signOut() {
    await api('POST', '/api/auth/logout').catch(() => undefined);
    session.clear();
    navigate('/login');
  }

  if (error) return <main className="card"><p role="alert" className="error">{error}</p></main>;
  if (!me) return <main className="card">Loading…</main>;
  const tabs: Array<[string, string]> = [
    ['/', 'Members'],
    ['/timetable', 'Timetable'],
    ['/front-desk', 'Front desk'],
    ['/plans', 'Plans'],
    ...(can.sell(me.role) ? [['/invoices', 'Invoices'] as [string, string]] : []),
    ...(can.manage(me.role) ? [['/settings', 'Settings'] as [string, string]] : []),
    ...(manages[me.role].length > 0 ? [['/staff', 'Staff'] as [string, string]] : []),
  ];
  // A lesson's page sits under the timetable; an invoice's under the invoices; a member's under the member book.
  const tab = path.startsWith('/lessons/') ? '/timetable' : path.startsWith('/invoices/') ? '/invoices' : tabs.find(([to]) => to !== '/' && path === to)?.[0] ?? '/';
  return (
    <main className="card wide">
      <div className="row">
        <h1>Hello, {me.displayName}</h1>
        <button className="secondary" onClick={signOut}>Sign out</button>
      </div>
      <p className="muted">{roleLabel[me.role]} at {tenant.displayName}</p>
      <nav className="tabs">
        {tabs.map(([to, label]) => (
          <button key={to} className={tab === to ? 'tab active' : 'tab'} onClick={() => navigate(to)}>{label}</button>
        ))}
      </nav>
      {tab === '/staff' ? (
        <StaffSection staff={staff} roles={manages[me.role]} onChange={load} />
      ) : path.startsWith('/lessons/') ? (
        <Lesson key={path} id={path.slice('/lessons/'.length)} role={me.role} tenant={tenant} />
      ) : tab === '/timetable' ? (
        <Timetable tenant={tenant} />
      ) : tab === '/front-desk' ? (
        <FrontDesk tenant={tenant} />
      ) : path.startsWith('/invoices/') ? (
        <InvoicePage key={path} id={path.slice('/invoices/'.length)} role={me.role} tenant={tenant} />
      ) : tab === '/invoices' ? (
        <Invoices />
      ) : tab === '/settings' ? (
        <BillingSettingsPage role={me.role} tenant={tenant} />
      ) : tab === '/plans' ? (
        <Plans role={me.role} />
      ) : path.startsWith('/members/') ? (
        <MemberDetail key={path} id={path.slice('/members/'.length)} role={me.role} tenant={tenant} />
      ) : (
        <Members canEdit={me.role !== 'instructor'} />
      )}
    </main>
  );
}

function StaffSection({ staff, roles, onChange }: { staff: Staff[]; roles: Role[]; onChange: () => void }) {
  const [email, setEmail] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [role, setRole] = useState<Role>(roles.includes('front_desk') ? 'front_desk' : roles[0]!);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);

  async function invite(e: FormEvent) {
    e.preventDefault();
    try {
      await api('POST', '/api/staff', { email, displayName, role });
      setMessage({ ok: true, text: `Invitation sent to ${email}.` });
      setEmail('');
      setDisplayName('');
      onChange();
    } catch (err) {
      setMessage({ ok: false, text: err instanceof ApiError ? err.message : 'The invitation failed.' });
    }
  }

  return (
    <section>
      <h2>Staff</h2>
      <Table head={['Name', 'Email', 'Role', 'Status']}>
        {staff.map((s) => (
          <tr key={s.id}>
            <td>{s.displayName}</td>
            <td>{s.email}</td>
            <td>{roleLabel[s.role]}</td>
            <td>{s.status}</td>
          </tr>
        ))}
      </Table>
      <h3>Invite someone</h3>
      <form className="inline" onSubmit={invite}>
        <input aria-label="Name" placeholder="Name" required value={displayName} onChange={(e) => setDisplayName(e.target.value)} />
        <input aria-label="Email" type="email" placeholder="Email" required value={email} onChange={(e) => setEmail(e.target.value)} />
        <select aria-label="Role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
          {roles.map((r) => <option key={r} value={r}>{roleLabel[r]}</option>)}
        </select>
        <button type="submit">Invite</button>
      </form>
      {message && <p role={message.ok ? 'status' : 'alert'} className={message.ok ? '' : 'error'}>{message.text}</p>}
    </section>
  );
}
