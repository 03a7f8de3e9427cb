import { createContext, lazy, useContext } from 'react';
import { FormattedMessage, useIntl } from 'react-intl';
import { Navigate, NavLink, Outlet, Route, Routes, useNavigate } from 'react-router';
import { $api, api, isSignedOut, queryClient } from '../api/client';
import type { paths } from '../api/schema';
import { LanguageSwitch } from '../ui/language';
import { ErrorState, Skeleton } from '../ui/states';
import { useStudio } from '../studio';
import { Login } from '../pages/Login';
import { ResetPassword } from '../pages/ResetPassword';
// The landing screen comes with the app, not one round trip later.
import { Members } from '../pages/Members';

export type StaffMe = paths['/api/auth/me']['get']['responses'][200]['content']['application/json'];
export type Role = StaffMe['role'];

/** Who may do what; the API checks the same and answers 403 otherwise. */
export const can = {
  /** Sell, change, put on leave and cancel contracts; change a member's status by hand. */
  sell: (role: Role) => role === 'owner' || role === 'manager' || role === 'front_desk',
  /** Set prices and the membership rules; adjust credits. */
  manage: (role: Role) => role === 'owner' || role === 'manager',
  /** Register members and edit them. */
  edit: (role: Role) => role !== 'instructor',
};

/** Which roles a role may invite and manage. */
export const manages: Record<Role, Role[]> = {
  owner: ['owner', 'manager', 'front_desk', 'instructor'],
  manager: ['front_desk', 'instructor'],
  front_desk: [],
  instructor: [],
};

const MeContext = createContext<StaffMe | null>(null);
/** The signed-in staff member (inside the staff app's signed-in screens). */
export function useStaffMe(): StaffMe {
  const me = useContext(MeContext);
  if (!me) throw new Error('useStaffMe outside the signed-in staff app');
  return me;
}

const MemberDetail = lazy(() => import('../pages/MemberDetail').then((m) => ({ default: m.MemberDetail })));
const Timetable = lazy(() => import('../pages/Timetable').then((m) => ({ default: m.Timetable })));
const Lesson = lazy(() => import('../pages/Lesson').then((m) => ({ default: m.Lesson })));
const FrontDesk = lazy(() => import('../pages/FrontDesk').then((m) => ({ default: m.FrontDesk })));
const Plans = lazy(() => import('../pages/Plans').then((m) => ({ default: m.Plans })));
const Invoices = lazy(() => import('../pages/Invoices').then((m) => ({ default: m.Invoices })));
const InvoicePage = lazy(() => import('../pages/Invoices').then((m) => ({ default: m.InvoicePage })));
const Settings = lazy(() => import('../pages/BillingSettings').then((m) => ({ default: m.BillingSettingsPage })));
const StaffPage = lazy(() => import('../pages/Staff').then((m) => ({ default: m.StaffPage })));
const Setup = lazy(() => import('../pages/setup/Setup').then((m) => ({ default: m.Setup })));
const NewLesson = lazy(() => import('../pages/schedule/NewLesson').then((m) => ({ default: m.NewLesson })));
const Dashboard = lazy(() => import('../pages/reports/Reports').then((m) => ({ default: m.Dashboard })));
const AccountSecurity = lazy(() => import('../pages/security/AccountSecurity').then((m) => ({ default: m.AccountSecurity })));
const Reports = lazy(() => import('../pages/reports/Reports').then((m) => ({ default: m.Reports })));
const DataRequests = lazy(() => import('../pages/DataRequests').then((m) => ({ default: m.DataRequestsPage })));
const MembershipRequests = lazy(() => import('../pages/MembershipRequests').then((m) => ({ default: m.MembershipRequestsPage })));
const MembershipRequest = lazy(() => import('../pages/MembershipRequests').then((m) => ({ default: m.MembershipRequestPage })));
const ImportMembers = lazy(() => import('../pages/people/ImportMembers').then((m) => ({ default: m.ImportMembers })));
const AuditLog = lazy(() => import('../pages/AuditLog').then((m) => ({ default: m.AuditLog })));

/** The staff app: sign-in and password links, then the studio's screens under one signed-in layout. */
export default function StaffApp() {
  return (
    <Routes>
      <Route path="login" element={<Login realm="staff" />} />
      <Route path="reset-password" element={<ResetPassword realm="staff" />} />
      <Route element={<SignedIn />}>
        <Route index element={<Members />} />
        <Route path="members/import" element={<ImportMembers />} />
        <Route path="members/:memberId" element={<MemberDetail />} />
        <Route path="timetable" element={<Timetable />} />
        <Route path="lessons/new" element={<NewLesson />} />
        <Route path="lessons/:lessonId" element={<Lesson />} />
        <Route path="front-desk" element={<FrontDesk />} />
        <Route path="plans" element={<Plans />} />
        <Route path="invoices" element={<Invoices />} />
        <Route path="invoices/:invoiceId" element={<InvoicePage />} />
        <Route path="settings" element={<Settings />} />
        <Route path="staff" element={<StaffPage />} />
        <Route path="setup/*" element={<Setup />} />
        <Route path="dashboard" element={<Dashboard />} />
        <Route path="reports/*" element={<Reports />} />
        <Route path="data-requests" element={<DataRequests />} />
        <Route path="membership-requests" element={<MembershipRequests />} />
        <Route path="membership-requests/:requestId" element={<MembershipRequest />} />
        <Route path="account/security" element={<AccountSecurity />} />
        <Route path="audit" element={<AuditLog />} />
        <Route path="*" element={<NotFound />} />
      </Route>
    </Routes>
  );
}

/** Signed-in staff see the studio's header and navigation; anyone else is sent to sign in. */
function SignedIn() {
  const me = $api.useQuery('get', '/api/auth/me', {}, { retry: false });
  if (isSignedOut(me.error)) return <Navigate to="/login" replace />;
  if (me.isError) return <main className="card"><ErrorState error={me.error} retry={() => void me.refetch()} /></main>;
  if (!me.data) return <main className="card"><Skeleton /></main>;
  return (
    <MeContext.Provider value={me.data}>
      <StaffLayout me={me.data} />
    </MeContext.Provider>
  );
}

function StaffLayout({ me }: { me: StaffMe }) {
  const intl = useIntl();
  const studio = useStudio();
  const navigate = useNavigate();
  const links: Array<[string, string]> = [
    ...(can.manage(me.role) ? [['/dashboard', 'nav.dashboard'] as [string, string]] : []),
    ['/', 'nav.members'],
    ['/timetable', 'nav.timetable'],
    ['/front-desk', 'nav.frontDesk'],
    ['/plans', 'nav.plans'],
    ...(can.manage(me.role) ? [['/setup', 'nav.setup'] as [string, string]] : []),
    ...(can.sell(me.role) ? [['/invoices', 'nav.invoices'] as [string, string]] : []),
    ...(can.sell(me.role) ? [['/membership-requests', 'nav.membershipRequests'] as [string, string]] : []),
    ...(can.manage(me.role) ? [['/reports', 'nav.reports'] as [string, string]] : []),
    ...(can.manage(me.role) ? [['/settings', 'nav.settings'] as [string, string]] : []),
    ...(can.manage(me.role) ? [['/data-requests', 'nav.dataRequests'] as [string, string]] : []),
    ...(manages[me.role].length > 0 ? [['/staff', 'nav.staff'] as [string, string]] : []),
    ...(me.role === 'owner' ? [['/audit', 'nav.audit'] as [string, string]] : []),
  ];
  async function signOut() {
    await api.POST('/api/auth/logout').catch(() => undefined);
    queryClient.clear();
    navigate('/login');
  }
  return (
    <>
      <header className="topbar">
        <span className="brand">{studio.displayName}</span>
        <span className="who">
          <FormattedMessage id="staff.signedInAs" values={{ name: me.displayName, role: intl.formatMessage({ id: `role.${me.role}` }) }} />
        </span>
        <NavLink to="/account/security" className="topbar-link"><FormattedMessage id="security.nav" /></NavLink>
        <LanguageSwitch />
        <button type="button" className="secondary" onClick={() => void signOut()}><FormattedMessage id="common.signOut" /></button>
      </header>
      <nav className="staff-nav" aria-label={intl.formatMessage({ id: 'nav.label' })}>
        {links.map(([to, id]) => (
          <NavLink key={to} to={to} end={to === '/'} className={({ isActive }) => (isActive ? 'tab active' : 'tab')}>
            <FormattedMessage id={id} />
          </NavLink>
        ))}
      </nav>
      <main className="card wide" id="main">
        <Outlet />
      </main>
    </>
  );
}

function NotFound() {
  return <p role="alert"><FormattedMessage id="common.pageNotFound" /></p>;
}
