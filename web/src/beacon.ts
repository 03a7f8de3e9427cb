import { pagePath } from '../../src/platform/analytics/page-catalog';

/**
 * Page-view beacon: reports each route change of the app (its first page, then every navigation, told by the
 * router) to the studio's collect endpoint. No cookies and no
 * storage; the path goes without its query string (reset links carry tokens there) and with ids as `:id`;
 * the referrer is the previous page of the app or, on arrival, only the other site's origin.
 */
let lastLocation: string | null = null;
let last: string | null = null;

function outsideOrigin(referrer: string): string | null {
  try {
    const origin = new URL(referrer).origin;
    return origin === location.origin || origin === 'null' ? null : origin;
  } catch {
    return null;
  }
}

/** Reports the current page, unless it is the one reported last. */
export function reportPageView() {
  // A repeat is the same location (a re-render, sign-in going from / to /); another member's page is a new view.
  if (location.pathname === lastLocation) return;
  lastLocation = location.pathname;
  const path = pagePath(location.pathname);
  const referrer = last ?? outsideOrigin(document.referrer);
  last = path;
  const body = JSON.stringify({ path, referrer, screen: `${screen.width}x${screen.height}`, language: navigator.language || null });
  navigator.sendBeacon?.('/api/beacon', new Blob([body], { type: 'application/json' }));
}
