import { lazy, useEffect } from 'react';
import { FormattedMessage, useIntl } from 'react-intl';
import { Navigate, NavLink, Outlet, Route, Routes, useNavigate } from 'react-router';
import { $api, api, isSignedOut, queryClient } from '../api/client';
import { Login } from '../pages/Login';
import { MemberConfirm } from '../pages/MemberConfirm';
import { ResetPassword } from '../pages/ResetPassword';
import { useStudio } from '../studio';
import { LanguageSwitch } from '../ui/language';
// The landing screen comes with the app, not one round trip later.
import { Schedule } from './Schedule';
import { registerServiceWorker } from './service-worker';
import { ActingProvider, ActingSwitch, forgetActing } from './acting';

const Bookings = lazy(() => import('./Bookings').then((m) => ({ default: m.Bookings })));
const CheckInCodeScreen = lazy(() => import('./CheckInCode').then((m) => ({ default: m.CheckInCodeScreen })));
const Invoices = lazy(() => import('./Invoices').then((m) => ({ default: m.Invoices })));
const InvoiceScreen = lazy(() => import('./Invoices').then((m) => ({ default: m.InvoiceScreen })));
const CardScreen = lazy(() => import('./Card').then((m) => ({ default: m.CardScreen })));
const LineLink = lazy(() => import('./LineLink').then((m) => ({ default: m.LineLink })));
const MyDataScreen = lazy(() => import('./MyData').then((m) => ({ default: m.MyDataScreen })));
const UnsubscribeScreen = lazy(() => import('./Unsubscribe').then((m) => ({ default: m.UnsubscribeScreen })));
const BookingScreen = lazy(() => import('./Booking').then((m) => ({ default: m.BookingScreen })));
const MyPage = lazy(() => import('./MyPage').then((m) => ({ default: m.MyPage })));
const SignUp = lazy(() => import('../pages/SignUp').then((m) => ({ default: m.SignUp })));
const NotificationsScreen = lazy(() => import('./Notifications').then((m) => ({ default: m.NotificationsScreen })));

/** The members' own app, for their phones: the timetable, their bookings, check-in code, invoices, and My page. */
export default function MemberApp() {
  useEffect(() => {
    // Once the app is up: the worker's install fetches the shell, which must not compete with the first screen.
    void registerServiceWorker()?.catch(() => undefined);
  }, []);
  return (
    <Routes>
      <Route path="login" element={<Login realm="member" />} />
      <Route path="sign-up" element={<SignUp />} />
      <Route path="reset-password" element={<ResetPassword realm="member" />} />
      <Route path="confirm" element={<MemberConfirm />} />
      <Route path="line-link" element={<LineLink />} />
      <Route path="unsubscribe" element={<UnsubscribeScreen />} />
      <Route element={<SignedIn />}>
        <Route index element={<Schedule />} />
        <Route path="bookings" element={<Bookings />} />
        <Route path="bookings/:reservationId" element={<BookingScreen />} />
        <Route path="check-in" element={<CheckInCodeScreen />} />
        <Route path="invoices" element={<Invoices />} />
        <Route path="invoices/:invoiceId" element={<InvoiceScreen />} />
        <Route path="card" element={<CardScreen />} />
        <Route path="my-data" element={<MyDataScreen />} />
        <Route path="notifications" element={<NotificationsScreen />} />
        <Route path="me" element={<MyPage />} />
        <Route path="*" element={<Navigate to="/member" replace />} />
      </Route>
    </Routes>
  );
}

const tabs: Array<[string, string]> = [
  ['/member', 'memberNav.timetable'],
  ['/member/bookings', 'memberNav.bookings'],
  ['/member/check-in', 'memberNav.checkIn'],
  ['/member/invoices', 'memberNav.invoices'],
  ['/member/me', 'memberNav.myPage'],
];

/** A signed-in member's screens, with the tab bar at the bottom of the phone where a thumb reaches it. */
function SignedIn() {
  const intl = useIntl();
  const studio = useStudio();
  const navigate = useNavigate();
  const me = $api.useQuery('get', '/api/me', {}, { retry: false });
  // The screen loads its own data meanwhile; only a missing session sends the member to sign in.
  if (isSignedOut(me.error)) return <Navigate to="/member/login" replace />;
  async function signOut() {
    await api.POST('/api/member-auth/logout').catch(() => undefined);
    forgetActing();
    queryClient.clear();
    navigate('/member/login');
  }
  return (
    <ActingProvider me={me.data}>
    <div className="member-app">
      <header className="topbar">
        <span className="brand">{studio.displayName}</span>
        <LanguageSwitch />
      </header>
      <main className="card mobile" id="main">
        <ActingSwitch me={me.data} />
        <Outlet />
        <button type="button" className="link small signout" onClick={() => void signOut()}><FormattedMessage id="common.signOut" /></button>
      </main>
      <nav className="bottom-tabs" aria-label={intl.formatMessage({ id: 'memberNav.label' })}>
        {tabs.map(([to, id]) => (
          <NavLink key={to} to={to} end={to === '/member'} className={({ isActive }) => (isActive ? 'active' : undefined)}>
            <FormattedMessage id={id} />
          </NavLink>
        ))}
      </nav>
    </div>
    </ActingProvider>
  );
}
