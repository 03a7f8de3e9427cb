import { chromium, type Browser, type Page } from 'playwright-core';
import webpush from 'web-push';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bookingStudio, memberWithSession } from '../support/booking.js';
import { browserSuite, DEVICES, expectAccessible, newContext, signIn } from '../support/browser.js';
import { CHROMIUM, chromiumArgs } from '../support/chromium.js';

const vapid = webpush.generateVAPIDKeys();
const web = browserSuite({ VAPID_PUBLIC_KEY: vapid.publicKey, VAPID_PRIVATE_KEY: vapid.privateKey });
let browser: Browser;

beforeAll(async () => {
  // Service workers need a secure context: the studio's test address is plain http, so this browser treats it as
  // https would be (the shared one cannot: it starts before the address is known).
  await web.browser.close();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: chromiumArgs('studiohive.test', [`--unsafely-treat-insecure-origin-as-secure=${web.base}`]),
    env: { ...process.env, LD_PRELOAD: '' },
  });
});
afterAll(() => browser?.close());

/** A file as the page's browser gets it (studio addresses resolve in the browser only). */
const fetched = (page: Page, url: string) =>
  page.evaluate(async (u) => {
    const res = await fetch(u, { cache: 'no-store' });
    return { status: res.status, type: res.headers.get('content-type'), cacheControl: res.headers.get('cache-control'), body: await res.text() };
  }, url);

/** A member signed in on a phone (390 px) in Japanese, at the member app, once its service worker controls it. */
async function memberPhone() {
  const { platform, T, base } = web;
  const member = await memberWithSession(platform, T, await bookingStudio(platform, T));
  const context = await newContext(browser, { language: 'ja', ...DEVICES.phone });
  await signIn(context, base, { member: member.token });
  const page = await context.newPage();
  await page.goto(`${base}/member`);
  await page.getByRole('navigation').waitFor();
  const scope = await page.evaluate(async () => (await navigator.serviceWorker.ready).scope);
  expect(scope).toBe(`${base}/member`);
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  return { context, page, member };
}

describe('the installable member app', () => {
  it('links a valid manifest whose icons load', async () => {
    const { base } = web;
    const context = await newContext(browser, { language: 'ja', ...DEVICES.phone });
    const page = await context.newPage();
    await page.goto(`${base}/member/login`);
    const href = await page.locator('link[rel="manifest"]').getAttribute('href');
    const res = await fetched(page, href!);
    expect(res.type).toMatch(/^application\/manifest\+json/);
    const manifest = JSON.parse(res.body) as { name: string; short_name: string; start_url: string; display: string; theme_color: string; icons: Array<{ src: string; sizes: string; purpose: string }> };
    expect(manifest).toMatchObject({ name: `Studio ${web.T.slug}`, start_url: '/member', display: 'standalone', theme_color: '#2f6f5e' });
    expect(manifest.short_name.length).toBeGreaterThan(0);
    expect(manifest.icons.map((i) => `${i.sizes} ${i.purpose}`)).toEqual(expect.arrayContaining(['192x192 any', '512x512 any', '512x512 maskable']));
    for (const icon of manifest.icons) {
      const got = await fetched(page, icon.src);
      expect(got.status, icon.src).toBe(200);
      expect(got.type).toBe('image/png');
    }
    await context.close();
  });

  it('registers its service worker for the member app only, and shows the offline page in Japanese without a network', async () => {
    const { context, page } = await memberPhone();
    const worker = await fetched(page, '/sw.js');
    expect(worker.type).toMatch(/javascript/);
    expect(worker.cacheControl).toBe('no-cache');

    await context.setOffline(true);
    await page.reload();
    await page.getByRole('heading', { name: 'オフラインです', level: 1 }).waitFor();
    await page.getByRole('link', { name: '再読み込み' }).waitFor();
    await expectAccessible(page, 'offline page');
    await context.setOffline(false);
    await page.goto(`${web.base}/member`);
    await page.getByRole('navigation').waitFor();

    // The staff app is outside its scope: a cache can never serve it an old screen.
    await page.goto(`${web.base}/login`);
    expect(await page.evaluate(() => navigator.serviceWorker.controller)).toBeNull();
    await context.close();
  });

  it('explains why the notifications switch is off when the member blocked notifications', async () => {
    const { context, page } = await memberPhone();
    const cdp = await context.newCDPSession(page);
    // Playwright can grant permissions but not refuse them; Chromium's own protocol can, in this page's context.
    const { targetInfo } = await cdp.send('Target.getTargetInfo');
    await cdp.send('Browser.setPermission', { permission: { name: 'notifications' }, setting: 'denied', origin: web.base, browserContextId: targetInfo.browserContextId });
    await page.goto(`${web.base}/member/notifications`);
    await page.getByRole('heading', { name: 'この端末への通知', level: 2 }).waitFor();
    await page.getByText('このサイトの通知がブロックされています', { exact: false }).waitFor();
    const toggle = page.getByRole('switch', { name: 'この端末で通知を受け取る' });
    expect(await toggle.isDisabled()).toBe(true);
    expect(await toggle.isChecked()).toBe(false);
    await expectAccessible(page, 'my data with notifications blocked');
    await context.close();
  });

  it('asks the browser, and says so when the browser’s push service cannot be reached', async () => {
    const { context, page, member } = await memberPhone();
    await context.grantPermissions(['notifications'], { origin: web.base });
    await page.goto(`${web.base}/member/notifications`);
    const toggle = page.getByRole('switch', { name: 'この端末で通知を受け取る' });
    await toggle.click();
    // Headless Chromium has no push service to subscribe at: the switch stays off and says why.
    await page.getByRole('alert').getByText('このブラウザで通知を切り替えられませんでした', { exact: false }).waitFor();
    expect(await toggle.isChecked()).toBe(false);
    expect((await member.send('GET', '/api/me/push')).json()).toMatchObject({ devices: 0 });
    await expectAccessible(page, 'my data after a failed subscribe');
    await context.close();
  });
});
