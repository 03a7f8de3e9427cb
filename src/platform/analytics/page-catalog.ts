/**
 * The pages of the web app, as path patterns (ids as `:id`). One list for both sides: the browser normalises a
 * path with it before reporting a page view, and `studiohive analytics unused-pages` compares visits with it.
 * Kept free of imports (no Node, no DOM) so the web build and the server both compile it.
 * Keep it in step with web/src/pages/Home.tsx and web/src/member/MemberApp.tsx when pages are added.
 */
export const PAGES: ReadonlyArray<{ path: string; app: 'staff' | 'member' | 'public' }> = [
  { path: '/', app: 'staff' },
  { path: '/login', app: 'public' },
  { path: '/reset-password', app: 'public' },
  { path: '/members/:id', app: 'staff' },
  { path: '/timetable', app: 'staff' },
  { path: '/lessons/:id', app: 'staff' },
  { path: '/front-desk', app: 'staff' },
  { path: '/plans', app: 'staff' },
  { path: '/invoices', app: 'staff' },
  { path: '/invoices/:id', app: 'staff' },
  { path: '/settings', app: 'staff' },
  { path: '/staff', app: 'staff' },
  { path: '/member', app: 'member' },
  { path: '/member/login', app: 'public' },
  { path: '/member/reset-password', app: 'public' },
  { path: '/member/confirm', app: 'public' },
  { path: '/member/bookings', app: 'member' },
  { path: '/member/check-in', app: 'member' },
  { path: '/member/invoices', app: 'member' },
  { path: '/member/invoices/:id', app: 'member' },
  { path: '/member/card', app: 'member' },
];

const uuidSegment = /\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?=\/|$)/gi;

/**
 * A page path as it is reported: no query string or fragment (they can hold tokens, as reset links do), and
 * every id replaced by `:id`, so views aggregate per page and no member's id leaves the browser.
 */
export function pagePath(path: string): string {
  const bare = path.split(/[?#]/, 1)[0] || '/';
  return bare.replace(uuidSegment, '/:id');
}
