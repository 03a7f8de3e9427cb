import { api, memberSession, type Tenant } from '../api';
import { navigate } from '../App';
import { Login } from '../pages/Login';
import { Bookings } from './Bookings';
import { CheckInCodeScreen } from './CheckInCode';
import { Schedule } from './Schedule';

const screens: Array<[string, string]> = [['/member', 'Timetable'], ['/member/bookings', 'My bookings'], ['/member/check-in', 'Check-in code']];

/** The members' own app, for their phones: the week's timetable, their bookings and their check-in code. */
export function MemberApp({ tenant, path }: { tenant: Tenant; path: string }) {
  if (path === '/member/login' || !memberSession.get()) return <Login tenant={tenant} realm="member" />;

  async function signOut() {
    await api('POST', '/api/member-auth/logout').catch(() => undefined);
    memberSession.clear();
    navigate('/member/login');
  }

  const screen = screens.find(([to]) => to === path)?.[0] ?? '/member';
  return (
    <main className="card mobile">
      <nav className="tabs">
        {screens.map(([to, label]) => (
          <button key={to} className={screen === to ? 'tab active' : 'tab'} onClick={() => navigate(to)}>{label}</button>
        ))}
      </nav>
      {screen === '/member/bookings' ? <Bookings tenant={tenant} /> : screen === '/member/check-in' ? <CheckInCodeScreen tenant={tenant} /> : <Schedule tenant={tenant} />}
      <button className="link small signout" onClick={signOut}>Sign out</button>
    </main>
  );
}
