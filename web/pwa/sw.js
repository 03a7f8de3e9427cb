/*
 * The member app's service worker (scope /member), written into the build by web/pwa/plugin.ts, which fills in
 * the build's version and its app shell. It keeps the shell (the entry script and styles) and every hashed file
 * the app loads, so a phone opens the app fast; a page opened without a network gets the offline page; and it
 * shows the studio's Web Push messages and opens what they lead to.
 */
const VERSION = '__VERSION__';
const SHELL = __SHELL__;
const CACHE = `studiohive-${VERSION}`;
const OFFLINE = '/offline.html';

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll([OFFLINE, ...SHELL])).then(() => self.skipWaiting()));
});

// A new build's worker drops the caches of the old one (hashed files no page will ask for again).
self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith('studiohive-') && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (request.mode === 'navigate') {
    // Pages always come from the network (a deploy is seen at once); without one, the offline page.
    event.respondWith(fetch(request).catch(() => caches.match(OFFLINE)));
    return;
  }
  if (url.pathname.startsWith('/assets/') || url.pathname.startsWith('/icons/')) {
    // Hashed files never change: the cached copy is the file.
    event.respondWith(
      caches.match(request).then(
        (cached) =>
          cached ??
          fetch(request).then((response) => {
            if (response.ok) {
              const copy = response.clone();
              event.waitUntil(caches.open(CACHE).then((cache) => cache.put(request, copy)));
            }
            return response;
          }),
      ),
    );
  }
  // The API is never cached: a member sees the studio's data as it is, or the app's own error.
});

self.addEventListener('push', (event) => {
  let message = {};
  try {
    message = event.data ? event.data.json() : {};
  } catch {
    // Not ours (no JSON): show nothing rather than a broken notification.
    return;
  }
  if (!message.title) return;
  event.waitUntil(
    self.registration.showNotification(message.title, {
      body: message.body,
      icon: '/icons/icon-192.png',
      badge: '/icons/icon-192.png',
      data: { url: message.url || '/member' },
    }),
  );
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const target = new URL(event.notification.data?.url || '/member', self.location.origin);
  event.waitUntil(
    self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then((windows) => {
      // The member app already open in a window: bring it up there; else a new window.
      const open = windows.find((w) => w.url.startsWith(`${self.location.origin}/member`));
      if (!open) return self.clients.openWindow(target.href);
      return open.focus().then((w) => w.navigate(target.href)).catch(() => self.clients.openWindow(target.href));
    }),
  );
});
