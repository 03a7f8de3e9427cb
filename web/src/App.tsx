import { lazy, Suspense, useEffect } from 'react';
import { BrowserRouter, Route, Routes, useLocation } from 'react-router';
import { reportPageView } from './beacon';
import { setApiLanguage } from './api/client';
import { useLocale } from './i18n/i18n';
import { Skeleton } from './ui/states';

/* The members' app and the staff app are separate chunks: a member's phone never downloads the staff screens. */
const loadMemberApp = () => import('./member/MemberApp');
const loadStaffApp = () => import('./staff/StaffApp');
const MemberApp = lazy(loadMemberApp);
const StaffApp = lazy(loadStaffApp);

/** Starts loading the code of the app a path opens, while the studio is still being looked up. */
export function preloadApp(path: string): void {
  void (path === '/member' || path.startsWith('/member/') ? loadMemberApp() : loadStaffApp());
}

export function App() {
  return (
    <BrowserRouter>
      <PageViews />
      <Suspense fallback={<main className="card"><Skeleton /></main>}>
        <Routes>
          <Route path="/member/*" element={<MemberApp />} />
          <Route path="/*" element={<StaffApp />} />
        </Routes>
      </Suspense>
    </BrowserRouter>
  );
}

/** Each screen opened is one page view for the studio's analytics; the API answers in the language in use. */
function PageViews() {
  const { pathname } = useLocation();
  const { locale } = useLocale();
  useEffect(() => reportPageView(), [pathname]);
  useEffect(() => setApiLanguage(locale), [locale]);
  return null;
}
