import { api, memberSession, type Tenant } from '../api';
import { navigate } from '../App';
import { Login } from '../pages/Login';
import { Bookings } from './Bookings';
import { CardScreen } from './Card';
import { CheckInCodeScreen } from './CheckInCode';
import { InvoiceScreen, Invoices } from './Invoices';
import { Schedule } from './Schedule';

const screens: Array<[string, string]> = [
  ['/member', 'Timetable'],
  ['/member/bookings', 'My bookings'],
  ['/member/check-in', 'Check-in code'],
  ['/member/invoices', 'Invoices'],
  ['/member/card', 'Card'],
];

/** The members' own app, for their phones: the week's timetable, their bookings, check-in code, invoices and card. */
export function MemberApp({ tenant, path }: { tenant: Tenant; path: string }) {
  if (path === '/member/login' || !memberSession.get()) return <Login tenant={tenant} realm="member" />;

  async function signOut() {
    await api('POST', '/api/member-auth/logout').catch(() => undefined);
    memberSession.clear();
    navigate('/member/login');
  }

  // An invoice's screen sits under the invoices.
  const screen = path.startsWith('/member/invoices/') ? '/member/invoices' : screens.find(([to]) => to === path)?.[0] ?? '/member';
  return (
    <main className="card mobile">
      <nav className="tabs">
        {screens.map(([to, label]) => (
          <button key={to} className={screen === to ? 'tab active' : 'tab'} onClick={() => navigate(to)}>{label}</button>
        ))}
      </nav>
      {path.startsWith('/member/invoices/') ? (
        <InvoiceScreen key={path} id={path.slice('/member/invoices/'.length)} tenant={tenant} />
      ) : screen === '/member/invoices' ? (
        <Invoices />
      ) : screen === '/member/card' ? (
        <CardScreen />
      ) : screen === '/member/bookings' ? (
        <Bookings tenant={tenant} />
      ) : screen === '/member/check-in' ? (
        <CheckInCodeScreen tenant={tenant} />
      ) : (
        <Schedule tenant={tenant} />
      )}
      <button className="link small signout" onClick={signOut}>Sign out</button>
    </main>
  );
}
