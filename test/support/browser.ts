import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import { CHROMIUM, chromiumArgs } from './chromium.js';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { startTestPlatform, type TestPlatform, type TestTenant } from './platform.js';

/** Where the browser tests leave their screenshots: CI keeps .ci/report/ as the run's artifacts. */
export const screens = path.resolve('.ci/report/screens');
mkdirSync(screens, { recursive: true });

/**
 * Fails on any violation of WCAG 2.1 A or AA that axe-core finds on the page as it is now, naming each rule and
 * the elements that break it.
 */
export async function expectAccessible(page: Page, what: string): Promise<void> {
  const { violations } = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const found = violations.map((v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.slice(0, 5).map((n) => n.target.join(' ')).join('\n    ')}`);
  if (found.length > 0) throw new Error(`${what}: ${found.length} accessibility violation(s)\n  ${found.join('\n  ')}`);
}

/** A screenshot of the whole page for the review of every screen, and an axe-core check of it. */
export async function review(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(screens, `${name}.png`), fullPage: true });
  await expectAccessible(page, name);
}

export interface BrowserPlatform {
  platform: TestPlatform;
  browser: Browser;
  /** A studio, and its address on the listening server. */
  T: TestTenant;
  base: string;
  close(): Promise<void>;
}

/** The app listening on a port, a studio, and Debian's Chromium (never a downloaded browser) aimed at it. */
export async function startBrowserPlatform(env: Record<string, string> = {}): Promise<BrowserPlatform> {
  if (!existsSync(CHROMIUM)) throw new Error(`No Chromium at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`);
  const platform = await startTestPlatform(env);
  await platform.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = platform.app.server.address() as { port: number };
  const T = await platform.createTenant();
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Studio addresses are {slug}.studiohive.test in tests; all of them go to this server.
    args: chromiumArgs('studiohive.test'),
    // Chromium crawls under libfaketime (CI's clock-ahead run), so it runs on the real clock; newContext gives its
    // pages the suite's time instead.
    env: { ...process.env, LD_PRELOAD: '' },
  });
  return {
    platform,
    browser,
    T,
    base: `http://${T.host}:${port}`,
    async close() {
      await browser.close();
      await platform.close();
    },
  };
}

/**
 * A file's browser platform: started before its tests (before the file's own beforeAll, when declared above it) and
 * closed after them. Its fields are filled in by the time a test runs. `env` may be a function, for the address of a
 * server the file starts in an earlier beforeAll.
 */
export function browserSuite(env: Record<string, string> | (() => Record<string, string>) = {}): BrowserPlatform {
  const web = {} as BrowserPlatform;
  beforeAll(async () => {
    Object.assign(web, await startBrowserPlatform(typeof env === 'function' ? env() : env));
  });
  afterAll(() => web.close?.());
  return web;
}

/**
 * A browser context whose pages live at the same time as the rest of the suite: under libfaketime (FAKETIME set)
 * the browser itself runs on the real clock, so its Date starts at this process's (faked) now and runs on from there.
 */
export async function newContext(browser: Browser, options: BrowserContextOptions & { language?: 'ja' | 'en' } = {}): Promise<BrowserContext> {
  const { language = 'en', ...rest } = options;
  const context = await browser.newContext({ locale: language === 'ja' ? 'ja-JP' : 'en-US', ...rest });
  if (process.env.FAKETIME) await context.clock.install({ time: new Date() });
  // The person's own language choice, as the language menu leaves it (studios default to Japanese).
  await context.addInitScript((lang) => localStorage.setItem('studiohive.locale', lang), language);
  return context;
}

/**
 * Signs a browser in as the server does at sign-in: the session in the realm's HttpOnly cookie (path /api), which
 * the page's scripts cannot read.
 */
export async function signIn(context: BrowserContext, base: string, sessions: { staff?: string; member?: string }): Promise<void> {
  const cookie = (name: string, value: string) => ({ name, value, url: `${base}/api`, httpOnly: true, sameSite: 'Lax' as const });
  await context.addCookies([
    ...(sessions.staff ? [cookie('studiohive_staff', sessions.staff)] : []),
    ...(sessions.member ? [cookie('studiohive_member', sessions.member)] : []),
  ]);
}

/** A fresh browser context sized as a member's phone or a front-desk screen. */
/**
 * The screens the app is built for: a phone (390×844), a desk (1366×800), the smallest phone still in use (320×568),
 * and a desk zoomed to 200% (WCAG 1.4.10 reflow: half the CSS pixels, each drawn twice).
 */
export const DEVICES = {
  phone: { viewport: { width: 390, height: 844 } },
  desk: { viewport: { width: 1366, height: 800 } },
  small: { viewport: { width: 320, height: 568 } },
  zoomed: { viewport: { width: 683, height: 400 }, deviceScaleFactor: 2 },
} satisfies Record<string, BrowserContextOptions>;
export type Device = keyof typeof DEVICES;

export async function newPage(browser: Browser, device: Device, language: 'ja' | 'en' = 'en'): Promise<Page> {
  const context = await newContext(browser, { language, ...DEVICES[device] });
  return context.newPage();
}

/**
 * Types a calendar date into a date field (web/src/ui/date-field.tsx, React Aria): into its first segment, the
 * digits in the order the field's language writes them (年月日 in Japanese, month/day/year in English).
 */
export async function fillDate(page: Page, label: string, isoDate: string, language: 'ja' | 'en' = 'en'): Promise<void> {
  const [y, m, d] = isoDate.split('-') as [string, string, string];
  await page.getByRole('group', { name: label, exact: true }).getByRole('spinbutton').first().click();
  await page.keyboard.type(language === 'ja' ? `${y}${m}${d}` : `${m}${d}${y}`);
}
