import { useEffect, useState } from 'react';
import { api, ApiError, session, type Tenant } from './api';
import { Home } from './pages/Home';
import { Login } from './pages/Login';
import { ResetPassword } from './pages/ResetPassword';
import { MemberConfirm } from './pages/MemberConfirm';
import { MemberApp } from './member/MemberApp';

export function navigate(path: string) {
  history.pushState(null, '', path);
  dispatchEvent(new PopStateEvent('popstate'));
}

/** The current path; every navigation re-renders, even to the same path (sign-in goes from / to /). */
function usePath() {
  const [route, setRoute] = useState({ path: location.pathname });
  useEffect(() => {
    const update = () => setRoute({ path: location.pathname });
    addEventListener('popstate', update);
    return () => removeEventListener('popstate', update);
  }, []);
  return route.path;
}

export function App() {
  const path = usePath();
  const [tenant, setTenant] = useState<Tenant | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    api<Tenant>('GET', '/api/tenant')
      .then((t) => {
        setTenant(t);
        document.title = `${t.displayName} · Studiohive`;
      })
      .catch((e: unknown) => setProblem(e instanceof ApiError ? e.message : 'The server cannot be reached.'));
  }, []);

  if (problem) {
    return (
      <main className="card narrow">
        <h1>Studiohive</h1>
        <p role="alert">{problem}</p>
      </main>
    );
  }
  if (!tenant) return <main className="card narrow">Loading…</main>;

  let page;
  if (path === '/reset-password') page = <ResetPassword />;
  else if (path === '/member/reset-password') page = <ResetPassword realm="member" />;
  else if (path === '/member/confirm') page = <MemberConfirm />;
  else if (path === '/member' || path.startsWith('/member/')) page = <MemberApp tenant={tenant} path={path} />;
  else if (path === '/login' || !session.get()) page = <Login tenant={tenant} />;
  else page = <Home tenant={tenant} path={path} />;
  return (
    <>
      <header className="topbar">
        <span className="brand">{tenant.displayName}</span>
        <span className="muted">Studiohive</span>
      </header>
      {page}
    </>
  );
}
