import { describe, expect, it } from 'vitest';
import { collectorFor } from '../../src/platform/analytics/collector.js';
import { browserSuite, newContext, signIn } from '../support/browser.js';

// HeadlessChrome says so in its User-Agent and would be dropped as a bot; this browser passes for a person's.
const DESKTOP_CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

const web = browserSuite();

describe('the web app’s page-view beacon', () => {
  it('reports the first page and each route change, without query strings or ids, and skips a repeat of the same path', async () => {
    const { browser, base, T, platform } = web;
    const collector = collectorFor(platform.runtime);
    const mine = () => collector.waiting().filter((v) => v.tenantId === T.id);
    const context = await newContext(browser, { userAgent: DESKTOP_CHROME, viewport: { width: 390, height: 844 }, screen: { width: 390, height: 844 }, locale: 'ja-JP' });
    // Signed in as staff, so that the screens open rather than send the browser on to the sign-in page.
    await signIn(context, base, { staff: T.ownerToken });
    const page = await context.newPage();
    // A reset link carries its token in the query string: the token must not leave the browser.
    await page.goto(`${base}/reset-password?token=very-secret-token`);
    await page.getByRole('heading').first().waitFor();
    const arrived = async (n: number) => {
      const deadline = Date.now() + 10_000;
      while (mine().length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    };
    const go = async (path: string, expected: number | null) => {
      await page.evaluate((to) => {
        history.pushState(null, '', to);
        dispatchEvent(new PopStateEvent('popstate'));
      }, path);
      if (expected) await arrived(expected);
    };
    await arrived(1);
    await go('/reset-password?token=another', null);
    await go('/invoices/0b6d3c9e-7f1a-4c2b-9d8e-1a2b3c4d5e6f', 2);
    await go('/invoices/11111111-2222-4333-8444-555555555555', 3);
    await go('/plans', 4);
    await page.goBack();
    await arrived(5);
    const sent = mine().map(({ path, referrer, screen, language }) => ({ path, referrer, screen, language }));
    const invoice = '/invoices/:id';
    expect(sent).toEqual([
      { path: '/reset-password', referrer: null, screen: '390x844', language: 'ja-JP' },
      { path: invoice, referrer: '/reset-password', screen: '390x844', language: 'ja-JP' },
      { path: invoice, referrer: invoice, screen: '390x844', language: 'ja-JP' },
      { path: '/plans', referrer: invoice, screen: '390x844', language: 'ja-JP' },
      { path: invoice, referrer: '/plans', screen: '390x844', language: 'ja-JP' },
    ]);
    expect(JSON.stringify(collector.waiting())).not.toContain('secret');
    // The beacon sets no cookie: only the session this test signed in with is there.
    expect((await page.context().cookies()).map((c) => c.name)).toEqual(['studiohive_staff']);
    await context.close();
  });
});
