import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { startTestPlatform, type TestPlatform, type TestTenant } from './platform.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Where the browser tests leave their screenshots, to look at after a run. */
export const screens = path.join(os.tmpdir(), 'studiohive-screens');

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
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync',
      // Studio addresses are {slug}.studiohive.test in tests; send them all to this server.
      '--host-resolver-rules=MAP *.studiohive.test 127.0.0.1',
    ],
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
 * A browser context whose pages live at the same time as the rest of the suite: under libfaketime (FAKETIME set)
 * the browser itself runs on the real clock, so its Date starts at this process's (faked) now and runs on from there.
 */
export async function newContext(browser: Browser, options: BrowserContextOptions = {}): Promise<BrowserContext> {
  const context = await browser.newContext(options);
  if (process.env.FAKETIME) await context.clock.install({ time: new Date() });
  return context;
}

/** A fresh browser context sized as a member's phone or a front-desk screen. */
export async function newPage(browser: Browser, device: 'phone' | 'desk'): Promise<Page> {
  const context = await newContext(browser, { viewport: device === 'phone' ? { width: 390, height: 844 } : { width: 1100, height: 800 } });
  return context.newPage();
}
