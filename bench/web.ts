/**
 * Web app (section 10): what a cold load of the member timetable and of the staff member list costs in bytes,
 * and how long it takes to show content on a slow phone, for the web app before its rebuild (456c6b0: one
 * bundle, sent uncompressed) and as it is now (code split, brotli/gzip written at build time).
 *
 * Both builds are served by the current server code (`buildApp` with another `webRoot`), on one runtime and
 * database, so the API they call is the same and only the app's own files differ. Chromium offers brotli only
 * over HTTPS, and a studio is reached over HTTPS through a TLS-terminating proxy in production, so the pages are
 * loaded through such a proxy in the bench process (HTTP/2, and HTTP/1.1 for comparison), with a throw-away
 * certificate Chromium is told to accept by its key. Debian's Chromium loads them through playwright-core, as
 * the browser tests do (test/support/browser.ts), never a downloaded browser.
 */
import { execFile } from 'node:child_process';
import { createHash, randomUUID, X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser } from 'playwright-core';
import { buildApp } from '../src/platform/http/app.js';
import { CHROMIUM, chromiumArgs } from '../test/support/chromium.js';
import { createLogger, type Runtime } from '../src/platform/runtime.js';
import { openAppRuntime } from '../src/app/composition.js';
import { seedDemoTenant } from '../src/app/demo-seed.js';
import { startBenchCluster, withAdmin } from './cluster.js';
import { runtimeConfig, type DensitySettings } from './density.js';
import { REPO_ROOT, WORK_DIR, assertPortsFree, fmt, log, onCleanup, sleep, table, unmeasuredSection } from './lib.js';

const run = promisify(execFile);

export interface WebPorts {
  pg: number;
  /** The first of 7 ports: three app servers (one per build and way of sending it), then four TLS proxies. */
  first: number;
}

export interface WebBenchSettings {
  /** The web app before the rebuild. */
  beforeCommit: string;
  /** Timed cold loads per page and version. */
  loads: number;
  latencyMs: number;
  /** Download and upload, bytes/s. */
  throughput: number;
  cpuSlowdown: number;
  /** Members registered beside the demo studio's own three. */
  extraMembers: number;
  /** After content shows, the network must be quiet this long before a load's bytes are summed. */
  quietMs: number;
  timeoutMs: number;
}

/**
 * What is loaded, and how: BEFORE as 456c6b0's server sent it (uncompressed); the same build compressed on the
 * fly by today's server (what compression alone does); AFTER; AFTER through an HTTP/1.1 proxy (what the
 * split costs without HTTP/2's one connection); AFTER over plain http, where Chromium offers no brotli.
 */
export type Version = 'before' | 'beforeOnTheFly' | 'after' | 'afterHttp1' | 'afterPlainHttp';
export type PageKind = 'member' | 'staff';
type Transport = 'h2' | 'h1' | 'http';

const VARIANTS: Record<Version, { build: 'before' | 'after'; compress: boolean; transport: Transport; timed: boolean }> = {
  before: { build: 'before', compress: false, transport: 'h2', timed: true },
  beforeOnTheFly: { build: 'before', compress: true, transport: 'h2', timed: true },
  after: { build: 'after', compress: true, transport: 'h2', timed: true },
  afterHttp1: { build: 'after', compress: true, transport: 'h1', timed: true },
  afterPlainHttp: { build: 'after', compress: true, transport: 'http', timed: false },
};
export const VERSIONS = Object.keys(VARIANTS) as Version[];

export interface Bytes {
  requests: number;
  /** Received on the wire (Chromium's encodedDataLength: compressed as sent, response headers included), by kind. */
  js: number;
  css: number;
  html: number;
  other: number;
  total: number;
  /** The same responses' bodies once decoded. */
  decodedJs: number;
  decodedTotal: number;
  jsFiles: number;
  /**
   * The JS responses' bodies alone, as the build wrote them (the .br, .gz or plain file that was sent), without
   * headers; null where the server compressed on the fly.
   */
  jsBodies: number | null;
  /** The Content-Encoding of the JS responses, e.g. "br ×9". */
  jsEncoding: string;
  /** The page's own request: its protocol and the Accept-Encoding Chromium sent. */
  protocol: string;
  acceptEncoding: string;
  /** Every response, for reading the JSON: path, MIME type, encoding, bytes on the wire. */
  list: Array<{ path: string; mime: string; encoding: string; wire: number; decoded: number }>;
}

export interface Timed {
  fcpMs: number;
  contentMs: number;
  /** What the content selector matched at that moment. */
  matched: number;
  /**
   * When the last response that had finished before the content showed finished, from the page's request
   * (Chromium's network clock): what came after it is the page's own work on the slowed CPU.
   */
  lastResponseMs: number;
  wire: number;
}

export interface PageFigures {
  bytes: Bytes;
  /** Empty for a version measured for its bytes only. */
  runs: Timed[];
  fcpMedianMs: number;
  contentMedianMs: number;
  /** The most the timed loads' bytes on the wire differed from the unthrottled load's. */
  wireSpread: number;
}

export type WebOutcome =
  | { skipped: string }
  | {
      settings: WebBenchSettings;
      beforeCommit: string;
      /** The last commit that changed web/ when the bench ran. */
      afterCommit: string;
      viteVersion: string;
      chromium: string;
      pages: Record<PageKind, Record<Version, PageFigures>>;
      members: number;
      lessonsThisWeek: number;
      cores: number;
      loadAverage: { start: number[]; end: number[] };
      date: string;
      seconds: number;
    };

const PAGES: Record<PageKind, { path: string; storageKey: string; cookie: string; selector: string; viewport: { width: number; height: number } }> = {
  // Both versions render the day tabs (role="tab") and the lesson cards only once the week's lessons have come.
  member: { path: '/member', storageKey: 'studiohive.memberSession', cookie: 'studiohive_member', selector: '[role=tab], article.lesson', viewport: { width: 390, height: 844 } },
  // Both versions render table rows only for members that came back from the search.
  staff: { path: '/', storageKey: 'studiohive.session', cookie: 'studiohive_staff', selector: 'tbody tr', viewport: { width: 1366, height: 800 } },
};

/**
 * Installed before the page's own scripts: at every animation frame, until the selector matches a visible
 * element, then the time since navigation start is kept on window. A frame-by-frame watcher inside the page, so
 * that no round trip to the bench process falls between the content appearing and its time being taken.
 * A string rather than a function: tsx would wrap a function's inner names in a helper the page does not have.
 */
const watchScript = (selector: string) => `(() => {
  const look = () => {
    const found = Array.from(document.querySelectorAll(${JSON.stringify(selector)})).filter((el) => el.checkVisibility());
    if (found.length > 0) window.__benchContent = { at: performance.now(), matched: found.length };
    else requestAnimationFrame(look);
  };
  requestAnimationFrame(look);
})();`;

type PageWindow = Window & { __benchContent?: { at: number; matched: number } };

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** A throw-away certificate for the studio's address, and the hash of its key that Chromium is told to accept. */
async function certificate(host: string) {
  const dir = path.join(WORK_DIR, 'web-tls');
  await mkdir(dir, { recursive: true });
  const [keyFile, certFile] = [path.join(dir, 'key.pem'), path.join(dir, 'cert.pem')];
  await run('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
    '-keyout', keyFile, '-out', certFile, '-subj', `/CN=${host}`, '-addext', `subjectAltName=DNS:${host}`,
  ]);
  const [key, cert] = [await readFile(keyFile, 'utf8'), await readFile(certFile, 'utf8')];
  const spki = createHash('sha256').update(new X509Certificate(cert).publicKey.export({ type: 'spki', format: 'der' })).digest('base64');
  return { key, cert, spki };
}

const kindOf = (mime: string) => (/javascript/.test(mime) ? 'js' : /css/.test(mime) ? 'css' : /html/.test(mime) ? 'html' : 'other');

/**
 * The JS a load received, as the build wrote it: the file of the encoding sent. The build leaves a file of a few
 * dozen bytes without compressed copies (they would be larger), and the server compresses it on the fly: its plain
 * size counts. Null when a larger file was compressed on the fly (the old build has no compressed copies).
 */
async function jsBodies(list: Bytes['list'], root: string): Promise<number | null> {
  let sum = 0;
  for (const r of list.filter((x) => kindOf(x.mime) === 'js')) {
    const suffix = ({ br: '.br', gzip: '.gz', identity: '' } as Record<string, string>)[r.encoding];
    const plain = path.join(root, new URL(r.path, 'http://x').pathname);
    if (suffix !== undefined && existsSync(plain + suffix)) sum += (await stat(plain + suffix)).size;
    else if (existsSync(plain) && (await stat(plain)).size < 1024) sum += (await stat(plain)).size;
    else return null;
  }
  return sum;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'http2-settings', 'te']);

/**
 * A TLS-terminating proxy in front of an app server, as a deployment puts one in front of the app: HTTP/2 to the
 * browser and HTTP/1.1 keep-alive to the app, or TLS around the same HTTP/1.1 bytes. Bodies go through as they
 * are (the app compresses; the proxy does not).
 */
async function tlsProxy(transport: 'h2' | 'h1', port: number, backend: number, creds: { key: string; cert: string }) {
  const sockets = new Set<net.Socket>();
  let server: net.Server;
  if (transport === 'h2') {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
    server = http2.createSecureServer({ ...creds }, (req, res) => {
      const headers: http.OutgoingHttpHeaders = {};
      for (const [k, v] of Object.entries(req.headers)) if (!k.startsWith(':') && !HOP_BY_HOP.has(k) && v !== undefined) headers[k] = v;
      headers.host = req.headers[':authority'];
      const upstream = http.request({ host: '127.0.0.1', port: backend, method: req.method, path: req.url, headers, agent }, (answer) => {
        const out: http.OutgoingHttpHeaders = {};
        for (const [k, v] of Object.entries(answer.headers)) if (!HOP_BY_HOP.has(k) && v !== undefined) out[k] = v;
        res.writeHead(answer.statusCode ?? 502, out);
        answer.pipe(res);
      });
      upstream.on('error', () => {
        if (!res.headersSent) res.writeHead(502);
        res.end();
      });
      req.pipe(upstream);
    });
    server.on('close', () => agent.destroy());
  } else {
    server = tls.createServer({ ...creds, ALPNProtocols: ['http/1.1'] }, (socket) => {
      const upstream = net.connect(backend, '127.0.0.1');
      socket.pipe(upstream).pipe(socket);
      socket.on('error', () => upstream.destroy());
      upstream.on('error', () => socket.destroy());
    });
  }
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

async function git(...args: string[]) {
  return (await run('git', args, { cwd: REPO_ROOT })).stdout.trim();
}

/** Builds both apps with the current vite: the old one from web/ and src/ of its commit (its web app imports the page list from src/). */
async function buildBoth(beforeCommit: string) {
  const vite = path.join(REPO_ROOT, 'node_modules', '.bin', 'vite');
  const beforeSrc = path.join(WORK_DIR, 'web-before');
  await rm(beforeSrc, { recursive: true, force: true });
  await mkdir(beforeSrc, { recursive: true });
  // Under bench/.work/, so that the old sources resolve react and the rest from this checkout's node_modules.
  await run('sh', ['-c', `git archive ${beforeCommit} web src | tar -x -C "${beforeSrc}"`], { cwd: REPO_ROOT });
  await run(vite, ['build', '--config', path.join(beforeSrc, 'web', 'vite.config.ts'), '--logLevel', 'warn'], { cwd: REPO_ROOT });
  const afterRoot = path.join(WORK_DIR, 'web-after');
  await run(vite, ['build', '--config', path.join(REPO_ROOT, 'web', 'vite.config.ts'), '--outDir', afterRoot, '--emptyOutDir', '--logLevel', 'warn'], { cwd: REPO_ROOT });
  const viteVersion = (await run(vite, ['--version'], { cwd: REPO_ROOT })).stdout.trim();
  return { beforeRoot: path.join(beforeSrc, 'web', 'dist'), afterRoot, viteVersion };
}

interface Studio {
  host: string;
  staffToken: string;
  memberToken: string;
  members: number;
  lessonsThisWeek: number;
}

/**
 * The demo studio a first start seeds (a location, three lesson types, weekly lessons from tomorrow, plans, three
 * members), with two lessons later today, a few dozen more members, and a member who signed up, confirmed from
 * the mailed link, bought the pack and booked a lesson: the member's own session and the owner's.
 */
async function seedStudio(runtime: Runtime, app: FastifyInstance, adminUrl: string, extraMembers: number): Promise<Studio> {
  const demo = await seedDemoTenant(runtime);
  const host = `demo.${runtime.config.BASE_DOMAIN}`;
  const call = async <T = Record<string, unknown>>(method: 'GET' | 'POST', url: string, token?: string, payload?: object): Promise<T> => {
    const res = await app.inject({
      method,
      url,
      payload,
      headers: { host, 'idempotency-key': randomUUID(), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    });
    if (res.statusCode >= 300) throw new Error(`web bench seeding: ${method} ${url} answered ${res.statusCode}: ${res.body}`);
    return (res.body ? res.json() : {}) as T;
  };
  const staffToken = (await call<{ token: string }>('POST', '/api/auth/login', undefined, { email: demo.email, password: demo.password })).token;

  const [type] = (await call<{ items: Array<{ id: string }> }>('GET', '/api/lesson-types', staffToken)).items;
  const rooms = (await call<{ items: Array<{ id: string; name: string }> }>('GET', '/api/rooms', staffToken)).items;
  const room = rooms.find((r) => r.name === 'Studio A') ?? rooms[0];
  if (!type || !room) throw new Error('web bench seeding: the demo studio has no lesson type or room');
  // On the hour, in an hour and in three: today in the studio's time zone unless the day is nearly over there.
  const hour = 3_600_000;
  for (const ahead of [1, 3]) {
    const startsAt = new Date(Math.ceil(Date.now() / hour) * hour + ahead * hour).toISOString();
    await call('POST', '/api/lessons', staffToken, { lessonTypeId: type.id, roomId: room.id, startsAt });
  }

  const family = ['山田', '佐藤', '鈴木', '高橋', '田中', '伊藤', '渡辺', '中村'];
  const given = ['花子', '健', '美咲', '翔', '陽菜', '大翔', '結衣', '蓮'];
  for (let i = 0; i < extraMembers; i++) {
    await call('POST', '/api/members', staffToken, {
      familyName: family[i % family.length],
      givenName: given[(i * 3) % given.length],
      phone: `090${String(10_000_000 + i * 7919).slice(-8)}`,
    });
  }

  const email = 'member@demo-bench.example.com';
  await call('POST', '/api/member-auth/sign-up', undefined, { email, password: 'member password 1', familyName: '鈴木', givenName: '一郎', acceptedTermsVersion: '2026-04' });
  const body = await withAdmin(adminUrl, async (c) =>
    (await c.query<{ body: string }>(`select body from app.outbox where to_address = $1 and template = 'member_confirm_email' order by created_at desc limit 1`, [email])).rows[0]?.body,
  );
  const mailed = body && /token=([A-Za-z0-9_%-]+)/.exec(body)?.[1];
  if (!mailed) throw new Error('web bench seeding: no confirmation mail for the member');
  const session = await call<{ token: string; member: { id: string } }>('POST', '/api/member-auth/confirm', undefined, { token: decodeURIComponent(mailed) });
  const plans = (await call<{ items: Array<{ id: string; kind: string }> }>('GET', '/api/plans', staffToken)).items;
  const pack = plans.find((p) => p.kind === 'pack');
  if (!pack) throw new Error('web bench seeding: the demo studio has no pack plan');
  await call('POST', '/api/contracts', staffToken, { memberId: session.member.id, planId: pack.id });
  const week = await call<{ lessons: Array<{ id: string; me: { state: string } }> }>('GET', '/api/me/schedule?days=7', session.token);
  const bookable = week.lessons.find((l) => l.me.state === 'bookable');
  if (bookable) await call('POST', '/api/me/reservations', session.token, { lessonId: bookable.id });
  const members = await withAdmin(adminUrl, async (c) => (await c.query<{ n: number }>('select count(*)::int as n from app.members')).rows[0]!.n);
  return { host, staffToken, memberToken: session.token, members, lessonsThisWeek: week.lessons.length };
}

interface CdpEvent {
  requestId: string;
  type?: string;
  request?: { url: string };
  response?: { url: string; mimeType: string; headers: Record<string, string>; protocol?: string };
  headers?: Record<string, string>;
  encodedDataLength?: number;
  dataLength?: number;
  /** Seconds, on Chromium's monotonic network clock. */
  timestamp?: number;
}

interface LoadResult {
  bytes: Bytes;
  timed: Timed;
}

/**
 * One cold load: a new browser context (empty cache, no connections), signed in first the way each version keeps
 * its session: the release before in localStorage, the current one in its HttpOnly cookie.
 */
async function coldLoad(browser: Browser, origin: string, kind: PageKind, token: string, throttled: boolean, s: WebBenchSettings): Promise<LoadResult> {
  const p = PAGES[kind];
  const context = await browser.newContext({ viewport: p.viewport, locale: 'ja-JP' });
  try {
    await context.addInitScript(`localStorage.setItem(${JSON.stringify(p.storageKey)}, ${JSON.stringify(token)});`);
    await context.addCookies([{ name: p.cookie, value: token, url: `${origin}/api`, httpOnly: true, sameSite: 'Lax' }]);
    await context.addInitScript(watchScript(p.selector));
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    const responses = new Map<string, { url: string; mime: string; encoding: string; protocol: string; decoded: number; wire?: number }>();
    const acceptEncoding = new Map<string, string>();
    const inFlight = new Set<string>();
    let startedAt: number | undefined;
    const finishedAt: number[] = [];
    let lastActivity = performance.now();
    const touch = () => (lastActivity = performance.now());
    cdp.on('Network.requestWillBeSent', (e: CdpEvent) => {
      if (!e.request?.url.startsWith('http')) return;
      startedAt ??= e.timestamp;
      inFlight.add(e.requestId);
      touch();
    });
    cdp.on('Network.requestWillBeSentExtraInfo', (e: CdpEvent) => {
      const header = Object.entries(e.headers ?? {}).find(([k]) => k.toLowerCase() === 'accept-encoding');
      if (header) acceptEncoding.set(e.requestId, header[1]);
    });
    cdp.on('Network.responseReceived', (e: CdpEvent) => {
      const r = e.response!;
      if (!r.url.startsWith('http')) return;
      const encoding = Object.entries(r.headers).find(([k]) => k.toLowerCase() === 'content-encoding')?.[1] ?? 'identity';
      responses.set(e.requestId, { url: r.url, mime: r.mimeType, encoding, protocol: r.protocol ?? '', decoded: 0 });
      touch();
    });
    cdp.on('Network.dataReceived', (e: CdpEvent) => {
      const r = responses.get(e.requestId);
      if (r) r.decoded += e.dataLength ?? 0;
      touch();
    });
    cdp.on('Network.loadingFinished', (e: CdpEvent) => {
      const r = responses.get(e.requestId);
      if (r) r.wire = e.encodedDataLength ?? 0;
      if (e.timestamp !== undefined && startedAt !== undefined) finishedAt.push((e.timestamp - startedAt) * 1000);
      inFlight.delete(e.requestId);
      touch();
    });
    cdp.on('Network.loadingFailed', (e: CdpEvent) => {
      inFlight.delete(e.requestId);
      touch();
    });
    await cdp.send('Network.enable');
    if (throttled) {
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: s.latencyMs, downloadThroughput: s.throughput, uploadThroughput: s.throughput });
      await cdp.send('Emulation.setCPUThrottlingRate', { rate: s.cpuSlowdown });
    }
    await page.goto(origin + p.path, { waitUntil: 'commit', timeout: s.timeoutMs });
    try {
      // Functions, not strings: a string would be eval'ed in the page, which its Content-Security-Policy forbids.
      await page.waitForFunction(() => (window as PageWindow).__benchContent !== undefined, undefined, { polling: 100, timeout: s.timeoutMs });
    } catch (error) {
      const text = await page.evaluate(() => document.body.innerText).catch(() => '');
      throw new Error(`${kind} at ${origin}: no "${p.selector}" within ${s.timeoutMs} ms; the page says: ${text.slice(0, 300)}`, { cause: error });
    }
    const seen = await page.evaluate(() => ({
      ...(window as PageWindow).__benchContent!,
      fcp: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null,
    }));
    // Whatever the page goes on to fetch once its content shows (the rest of the week, a page view) is part of its load.
    const deadline = performance.now() + s.timeoutMs;
    while ((inFlight.size > 0 || performance.now() - lastActivity < s.quietMs) && performance.now() < deadline) await sleep(100);
    const list = [...responses.values()].map((r) => ({ path: new URL(r.url).pathname + new URL(r.url).search, mime: r.mime, encoding: r.encoding, wire: r.wire ?? 0, decoded: r.decoded }));
    const sum = (k: string | null, field: 'wire' | 'decoded') => list.filter((r) => k === null || kindOf(r.mime) === k).reduce((a, r) => a + r[field], 0);
    const js = list.filter((r) => kindOf(r.mime) === 'js');
    const encodings = new Map<string, number>();
    for (const r of js) encodings.set(r.encoding, (encodings.get(r.encoding) ?? 0) + 1);
    const documentId = [...responses].find(([, r]) => /html/.test(r.mime))?.[0] ?? '';
    const bytes: Bytes = {
      requests: list.length,
      js: sum('js', 'wire'),
      css: sum('css', 'wire'),
      html: sum('html', 'wire'),
      other: sum('other', 'wire'),
      total: sum(null, 'wire'),
      decodedJs: sum('js', 'decoded'),
      decodedTotal: sum(null, 'decoded'),
      jsFiles: js.length,
      jsBodies: null,
      jsEncoding: [...encodings].map(([e, n]) => `${e} ×${n}`).join(', '),
      protocol: responses.get(documentId)?.protocol ?? '',
      acceptEncoding: acceptEncoding.get(documentId) ?? '',
      list,
    };
    if (seen.fcp === null) throw new Error(`${kind} at ${origin}: content showed but no first-contentful-paint entry`);
    const lastResponseMs = Math.max(0, ...finishedAt.filter((t) => t <= seen.at));
    return { bytes, timed: { fcpMs: seen.fcp, contentMs: seen.at, matched: seen.matched, lastResponseMs, wire: bytes.total } };
  } finally {
    await context.close();
  }
}

export async function runWebBench(ports: WebPorts, s: WebBenchSettings, density: DensitySettings): Promise<WebOutcome> {
  if (!existsSync(CHROMIUM)) return { skipped: `no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)` };
  const t0 = performance.now();
  const appPorts = { before: ports.first, beforeOnTheFly: ports.first + 1, after: ports.first + 2 };
  const proxyPorts = { before: ports.first + 3, beforeOnTheFly: ports.first + 4, after: ports.first + 5, afterHttp1: ports.first + 6 };
  await assertPortsFree([ports.pg, ...Object.values(appPorts), ...Object.values(proxyPorts)]);
  const beforeCommit = await git('rev-parse', '--short', s.beforeCommit);
  const afterCommit = await git('log', '-1', '--format=%h', '--', 'web');
  log(`web: building the web app of ${beforeCommit} and of ${afterCommit}`);
  const builds = await buildBoth(beforeCommit);

  const cluster = await startBenchCluster('web', ports.pg, density.pgPassword);
  try {
    const config = runtimeConfig(cluster.adminUrl, density);
    await mkdir(config.DATA_DIR, { recursive: true });
    const runtime = await openAppRuntime(config, createLogger({ LOG_LEVEL: 'warn' }));
    const apps: FastifyInstance[] = [];
    const proxies: Array<{ close(): Promise<void> }> = [];
    try {
      await runtime.migrate();
      const serve = async (port: number, options: Parameters<typeof buildApp>[1]) => {
        const app = await buildApp(runtime, options);
        apps.push(app);
        await app.listen({ port, host: '127.0.0.1' });
        return app;
      };
      await serve(appPorts.before, { webRoot: builds.beforeRoot, compressWebApp: false });
      await serve(appPorts.beforeOnTheFly, { webRoot: builds.beforeRoot });
      const after = await serve(appPorts.after, { webRoot: builds.afterRoot });
      const studio = await seedStudio(runtime, after, cluster.adminUrl, s.extraMembers);
      log(`web: studio seeded (${studio.members} members, ${studio.lessonsThisWeek} lessons this week)`);
      const creds = await certificate(studio.host);
      proxies.push(await tlsProxy('h2', proxyPorts.before, appPorts.before, creds));
      proxies.push(await tlsProxy('h2', proxyPorts.beforeOnTheFly, appPorts.beforeOnTheFly, creds));
      proxies.push(await tlsProxy('h2', proxyPorts.after, appPorts.after, creds));
      proxies.push(await tlsProxy('h1', proxyPorts.afterHttp1, appPorts.after, creds));
      const origins: Record<Version, string> = {
        before: `https://${studio.host}:${proxyPorts.before}`,
        beforeOnTheFly: `https://${studio.host}:${proxyPorts.beforeOnTheFly}`,
        after: `https://${studio.host}:${proxyPorts.after}`,
        afterHttp1: `https://${studio.host}:${proxyPorts.afterHttp1}`,
        afterPlainHttp: `http://${studio.host}:${appPorts.after}`,
      };

      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        // As the browser tests launch it; the bench's own certificate is accepted by its key (as valid, so the page
        // is a secure context that is offered brotli).
        args: chromiumArgs(config.BASE_DOMAIN, [`--ignore-certificate-errors-spki-list=${creds.spki}`]),
      });
      const removeCleanup = onCleanup('web bench chromium', () => browser.close());
      try {
        const loadStart = os.loadavg();
        const token = (k: PageKind) => (k === 'member' ? studio.memberToken : studio.staffToken);
        const figures = {} as Record<PageKind, Record<Version, PageFigures>>;
        // Unthrottled first: the bytes of each page and version, and a warm server for the timed loads.
        for (const kind of ['member', 'staff'] as const) {
          figures[kind] = {} as Record<Version, PageFigures>;
          for (const v of VERSIONS) {
            const { bytes } = await coldLoad(browser, origins[v], kind, token(kind), false, s);
            bytes.jsBodies = await jsBodies(bytes.list, VARIANTS[v].build === 'after' ? builds.afterRoot : builds.beforeRoot);
            figures[kind][v] = { bytes, runs: [], fcpMedianMs: Number.NaN, contentMedianMs: Number.NaN, wireSpread: 0 };
            log(`web: ${kind} ${v} (${bytes.protocol}, ${bytes.acceptEncoding}): ${bytes.requests} requests, ${fmt(bytes.total / 1000, 1)} kB on the wire (JS ${fmt(bytes.js / 1000, 1)} kB, ${bytes.jsEncoding})`);
          }
        }
        // Round by round, every page and version once per round, so that other work on the machine falls on all alike.
        for (let i = 0; i < s.loads; i++) {
          for (const kind of ['member', 'staff'] as const) {
            for (const v of VERSIONS.filter((x) => VARIANTS[x].timed)) {
              const { timed } = await coldLoad(browser, origins[v], kind, token(kind), true, s);
              figures[kind][v].runs.push(timed);
              log(`web: round ${i + 1} ${kind} ${v}: FCP ${fmt(timed.fcpMs, 0)} ms, content ${fmt(timed.contentMs, 0)} ms`);
            }
          }
        }
        for (const kind of ['member', 'staff'] as const) {
          for (const v of VERSIONS.filter((x) => VARIANTS[x].timed)) {
            const f = figures[kind][v];
            f.fcpMedianMs = median(f.runs.map((r) => r.fcpMs));
            f.contentMedianMs = median(f.runs.map((r) => r.contentMs));
            f.wireSpread = Math.max(...f.runs.map((r) => Math.abs(r.wire - f.bytes.total)));
          }
        }
        return {
          settings: s,
          beforeCommit,
          afterCommit,
          viteVersion: builds.viteVersion,
          chromium: browser.version(),
          pages: figures,
          members: studio.members,
          lessonsThisWeek: studio.lessonsThisWeek,
          cores: os.cpus().length,
          loadAverage: { start: loadStart, end: os.loadavg() },
          date: new Date().toISOString(),
          seconds: (performance.now() - t0) / 1000,
        };
      } finally {
        removeCleanup();
        await browser.close();
      }
    } finally {
      for (const proxy of proxies) await proxy.close();
      for (const app of apps) await app.close();
      await runtime.close();
    }
  } finally {
    await cluster.stop();
  }
}

/* ------------------------------------------------------------------------------------------------------------
 * Report
 * ---------------------------------------------------------------------------------------------------------- */

/** The aims: the member timetable's content within 2.0 s on the slow profile, the member app's JS within 120 KB compressed. */
export const AIMS = { memberContentMs: 2_000, memberJsBytes: 120_000 };

const kB = (bytes: number) => fmt(bytes / 1000, 1);
const sec = (ms: number) => fmt(ms / 1000, 2);
const times = (a: number, b: number) => (Number.isFinite(a / b) && b !== 0 ? `${fmt(a / b, 2)}×` : 'n/a');
const LABEL: Record<Version, string> = {
  before: 'BEFORE: 456c6b0, uncompressed',
  beforeOnTheFly: 'BEFORE compressed on the fly (reference)',
  after: '**AFTER**: now',
  afterHttp1: 'AFTER through an HTTP/1.1 proxy (reference)',
  afterPlainHttp: 'AFTER over plain http (reference)',
};
const TRANSPORT: Record<Transport, string> = { h2: 'HTTPS, HTTP/2', h1: 'HTTPS, HTTP/1.1', http: 'http, HTTP/1.1' };
const PAGE_LABEL: Record<PageKind, string> = { member: 'Member timetable `/member`', staff: 'Staff member list `/`' };
const KINDS = ['member', 'staff'] as const;

function verdicts(r: Exclude<WebOutcome, { skipped: string }>) {
  const m = r.pages.member.after;
  const jsCompressed = m.bytes.jsBodies ?? m.bytes.js;
  return { contentMet: m.contentMedianMs < AIMS.memberContentMs, jsCompressed, jsMet: jsCompressed < AIMS.memberJsBytes };
}

export function webHeadline(r: WebOutcome | undefined): string[] {
  if (!r || 'skipped' in r) return [];
  const m = r.pages.member;
  const st = r.pages.staff;
  const v = verdicts(r);
  return [
    `- Web app, cold load over HTTPS/HTTP/2 on slow 4G with a ${r.settings.cpuSlowdown}× slower CPU (median of ${r.settings.loads}): member timetable content in **${sec(m.after.contentMedianMs)} s** (before the rebuild ${sec(m.before.contentMedianMs)} s, ${times(m.after.contentMedianMs, m.before.contentMedianMs)}), staff member list **${sec(st.after.contentMedianMs)} s** (${sec(st.before.contentMedianMs)} s, ${times(st.after.contentMedianMs, st.before.contentMedianMs)}); the member app's JS **${kB(v.jsCompressed)} kB** brotli (${kB(m.before.bytes.js)} kB uncompressed before; ${kB(m.beforeOnTheFly.bytes.js)} kB had the old bundle only been compressed). Aims: content under 2.0 s **${v.contentMet ? 'met' : 'not met'}**, JS under 120 KB compressed **${v.jsMet ? 'met' : 'not met'}**.`,
  ];
}

export function renderWebSection(r: WebOutcome | undefined, n: number): string {
  const heading = `## ${n}. Web app: bytes and time to content`;
  if (!r || 'skipped' in r) return unmeasuredSection(heading, r);
  const s = r.settings;
  const out: string[] = [heading];
  const mbit = (s.throughput * 8) / 1_000_000;
  const secure = r.pages.member.after.bytes.acceptEncoding;
  const plain = r.pages.member.afterPlainHttp.bytes.acceptEncoding;
  const spread = Math.max(...KINDS.flatMap((k) => VERSIONS.map((v) => r.pages[k][v].wireSpread)));
  out.push(`### Method

- **Versions.** BEFORE is the web app as of ${r.beforeCommit}, before its rebuild: \`web/\` and \`src/\` of that commit (\`git archive\`; its web app imports the page list from \`src/\`) built with today's vite (${r.viteVersion}) and that commit's own \`web/vite.config.ts\`, which makes one JS bundle and one stylesheet and no compressed copies. AFTER is \`web/\` as of ${r.afterCommit}, built with its own config: code split (the member and staff apps, each staff screen, each language's catalogs by area), every file also written as \`.br\` and \`.gz\` at the highest levels.
- **Server.** One runtime of today's code in the bench process, on a bench cluster of its own (\`web\`), and three Fastify instances built by \`buildApp(runtime, { webRoot, compressWebApp })\`: BEFORE as 456c6b0's server sent it, uncompressed (\`compressWebApp: false\`); the same build compressed on the fly by today's \`@fastify/compress\` (brotli quality 4), a reference that separates what compression alone does from what the rebuild does; and AFTER, whose precompressed files \`@fastify/static\` sends (\`preCompressed: true\`). **All of them answer today's API on one database, whose JSON is compressed (brotli 4, above 1 KiB) for BEFORE too, so only the app's own files differ.** BEFORE's staff page waits 200 ms (its search box's debounce) before its first member search; AFTER searches at once.
- **HTTPS.** Chromium offers brotli only to secure origins: over plain http it sent \`Accept-Encoding: ${plain}\`, and brotli files are never chosen. A studio is reached over HTTPS through a TLS-terminating proxy (\`PUBLIC_URL_SCHEME=https\`, \`TRUST_PROXY=true\`), so the pages were loaded through one in the bench process: HTTP/2 to the browser (Node's \`http2\`, forwarding each request to the app over HTTP/1.1 keep-alive, bodies untouched), with a throw-away certificate for the studio's name that Chromium accepts by its key (\`--ignore-certificate-errors-spki-list\`), so the page is a secure context; Chromium then sent \`Accept-Encoding: ${secure}\` (the server answers brotli; it has no zstd). For reference, AFTER was also loaded through an HTTP/1.1 TLS proxy (TLS around the same bytes, at most 6 connections) and over plain http.
- **Studio.** The demo studio a first start seeds (\`seedDemoTenant\`: a location, three lesson types, weekly lessons from tomorrow for 8 weeks, plans, three members with contracts), plus two lessons later today, ${fmt(s.extraMembers, 0)} more members (${fmt(r.members, 0)} in all), and a member who signed up through the API, confirmed from the mailed link, bought the pack and booked a lesson (${fmt(r.lessonsThisWeek, 0)} lessons in the week the timetable shows). The member page is opened with that member's session, the staff page with the owner's (before: \`studiohive.memberSession\` and \`studiohive.session\` in localStorage, set before the page's scripts run; now: the same sessions as the HttpOnly cookies the server sets at sign-in).
- **Browser.** Debian's Chromium ${r.chromium}, headless, through playwright-core as the browser tests launch it (never a downloaded browser). Every load is a cold one: a new browser context (empty cache, no open connections), ${PAGES.member.viewport.width}×${PAGES.member.viewport.height} for the member page and ${PAGES.staff.viewport.width}×${PAGES.staff.viewport.height} for the staff page, locale ja-JP.
- **Bytes.** Chromium's own count (CDP \`Network.loadingFinished\` \`encodedDataLength\`): what each response took on the wire, compressed as sent, its response headers included (HPACK-compressed over HTTP/2). Every response of the load until the network had been quiet for ${fmt(s.quietMs / 1000, 1)} s after the content showed, grouped by MIME type (JSON/other: the API's answers, the page-view beacon, the icon, a 404 for /favicon.ico). Measured on one unthrottled cold load of each page and version, which also warmed the server; every timed load below received the same total within ${fmt(spread, 0)} bytes. 1 kB = 1,000 bytes.
- **Time.** DevTools throttling over CDP: \`Network.emulateNetworkConditions\` with ${fmt(s.latencyMs, 0)} ms latency and ${fmt(s.throughput, 0)} bytes/s (${fmt(mbit, 1)} Mbit/s) down and up, \`Emulation.setCPUThrottlingRate\` ${s.cpuSlowdown}. First contentful paint is the page's \`first-contentful-paint\` entry; time to content is \`performance.now()\` (from navigation start) at the first animation frame in which the content is visible, taken inside the page by a watcher installed before the page's own scripts: on the member page the day tabs (\`[role=tab]\`) or a lesson card (\`article.lesson\`), on the staff page a member row (\`tbody tr\`). Both versions render those only once their data has come (456c6b0's \`Schedule.tsx\` has the same \`role="tab"\` day tabs, and its member list the same table rows). ${s.loads} cold loads of each page and version, taken round by round (every page and version once per round) so that other work on the machine falls on all of them alike; the median, and the range.`);

  out.push('### Bytes on the wire, cold load');
  const byteRows: string[][] = [];
  for (const kind of KINDS) {
    const base = r.pages[kind].before.bytes;
    for (const v of VERSIONS) {
      const b = r.pages[kind][v].bytes;
      const strong = (x: string) => (v === 'after' ? `**${x}**` : x);
      byteRows.push([
        PAGE_LABEL[kind],
        LABEL[v],
        `${TRANSPORT[VARIANTS[v].transport]}; JS sent ${b.jsEncoding.replace(/ ×\d+/g, '')}`,
        `${b.requests} (${b.jsFiles} JS)`,
        strong(kB(b.js)),
        b.jsBodies === null ? '–' : kB(b.jsBodies),
        kB(b.css),
        kB(b.html),
        kB(b.other),
        strong(kB(b.total)),
        kB(b.decodedTotal),
        v === 'before' ? '1.00×' : times(b.total, base.total),
      ]);
    }
  }
  out.push(table(['Page', 'Version', 'Transport; JS encoding', 'Requests', 'JS kB', 'JS bodies kB', 'CSS kB', 'HTML kB', 'JSON/other kB', 'Total kB', 'Decoded kB', 'Total vs BEFORE'], byteRows));
  out.push(
    '"JS bodies" is the JS alone as the build wrote it (the `.br`, `.gz` or plain file that was sent), without headers; "–" where the server compressed on the fly. "Decoded" is the size of all the load\'s responses once decompressed.',
  );

  out.push(`### Time to content: slow 4G (${fmt(s.latencyMs, 0)} ms, ${fmt(mbit, 1)} Mbit/s) and a ${s.cpuSlowdown}× slower CPU`);
  const timeRows: string[][] = [];
  for (const kind of KINDS) {
    const base = r.pages[kind].before;
    for (const v of VERSIONS.filter((x) => VARIANTS[x].timed)) {
      const f = r.pages[kind][v];
      const range = (pick: (t: Timed) => number) => `${sec(Math.min(...f.runs.map(pick)))}–${sec(Math.max(...f.runs.map(pick)))}`;
      const strong = (x: string) => (v === 'after' ? `**${x}**` : x);
      timeRows.push([
        PAGE_LABEL[kind],
        LABEL[v],
        strong(sec(f.fcpMedianMs)),
        range((t) => t.fcpMs),
        strong(sec(f.contentMedianMs)),
        range((t) => t.contentMs),
        sec(median(f.runs.map((t) => t.lastResponseMs))),
        v === 'before' ? '1.00×' : times(f.contentMedianMs, base.contentMedianMs),
      ]);
    }
  }
  out.push(table(['Page', 'Version', 'FCP median (s)', 'FCP range (s)', 'Content median (s)', 'Content range (s)', 'Last response before content, median (s)', 'Content vs BEFORE'], timeRows));
  out.push(
    '"Last response before content" is when the last response that had arrived before the content showed finished arriving (Chromium\'s network clock, from the page\'s own request): the time after it, to the content, is the page\'s own work on the slowed CPU, and the time before it mixes round trips, transfer and the work between them.',
  );

  const m = r.pages.member;
  const v = verdicts(r);
  out.push('### Against the aims');
  const jsList = m.after.bytes.list.filter((x) => kindOf(x.mime) === 'js').sort((a, b) => b.wire - a.wire);
  const biggest = jsList.slice(0, 4).map((x) => `\`${x.path}\` ${kB(x.wire)} kB`).join(', ');
  out.push(
    `- **Member timetable content under 2.0 s on this profile: ${v.contentMet ? 'met' : 'not met'}.** AFTER showed it in ${sec(m.after.contentMedianMs)} s (median of ${s.loads}; ${sec(Math.min(...m.after.runs.map((t) => t.contentMs)))}–${sec(Math.max(...m.after.runs.map((t) => t.contentMs)))} s), BEFORE in ${sec(m.before.contentMedianMs)} s: ${times(m.after.contentMedianMs, m.before.contentMedianMs)} the time.`,
    `- **The member app's JS under 120 KB compressed: ${v.jsMet ? 'met' : 'not met'}.** A cold load of the member timetable fetched ${m.after.bytes.jsFiles} JS files: ${kB(v.jsCompressed)} kB of brotli bodies (${kB(m.after.bytes.js)} kB on the wire with their headers over HTTP/2, ${kB(m.after.bytes.decodedJs)} kB decoded), against one file of ${kB(m.before.bytes.js)} kB, sent uncompressed, before (${kB(m.beforeOnTheFly.bytes.js)} kB had it been compressed on the fly)${v.jsCompressed >= 120_000 && v.jsCompressed < 122_880 ? '; under 120 KiB (122,880 bytes), though, if KB means KiB' : ''}. The largest: ${biggest}.`,
  );
  const after = m.after;
  const lastAfter = median(after.runs.map((t) => t.lastResponseMs));
  out.push(
    `- In AFTER's median member load the last response before the content finished at ${sec(lastAfter)} s and the content showed at ${sec(after.contentMedianMs)} s. Through an HTTP/1.1 proxy (its ${m.after.bytes.requests} requests on at most 6 connections) AFTER took ${sec(m.afterHttp1.contentMedianMs)} s, ${times(m.afterHttp1.contentMedianMs, after.contentMedianMs)} its time over HTTP/2; the old bundle compressed on the fly took ${sec(m.beforeOnTheFly.contentMedianMs)} s. Over plain http Chromium offered only \`${plain}\`, so AFTER's member JS went as gzip: ${kB(m.afterPlainHttp.bytes.js)} kB on the wire.`,
  );
  out.push(
    `DevTools throttling delays each request by the latency and shares the bandwidth, but does not model connection set-up (TCP and TLS handshakes cost no extra round trips here) or packet loss; a real slow 4G link adds those, to both versions. Load average (1/5/15 min) ${r.loadAverage.start.map((x) => fmt(x, 2)).join(' / ')} when the loads began and ${r.loadAverage.end.map((x) => fmt(x, 2)).join(' / ')} when they ended, on ${r.cores} cores shared by Chromium, the server, PostgreSQL and other work: the CPU slowdown applies to whatever share of a core the page's main thread gets, so a busy machine slows every version, and the ranges show how much single loads varied. Measured on ${r.date}, ${fmt(r.seconds, 0)} s for the whole section (the two builds included).`,
  );
  return out.join('\n\n');
}
