/**
 * The member app's service worker (built from web/pwa/sw.js): offline page, cached app shell, Web Push. Scoped to
 * /member, so the staff app is never served from a member's cache. Only in a build: Vite's dev server has none.
 */
export function registerServiceWorker(): Promise<ServiceWorkerRegistration> | null {
  if (!import.meta.env.PROD || !('serviceWorker' in navigator)) return null;
  return navigator.serviceWorker.register('/sw.js', { scope: '/member' });
}
