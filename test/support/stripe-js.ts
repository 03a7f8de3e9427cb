import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import type { FakeStripe } from './fake-stripe.js';

const standIn = readFileSync(new URL('./stripe-js-stand-in.js', import.meta.url), 'utf8');

/**
 * In this page, Stripe.js is the local stand-in and Stripe's API is the fake Stripe: the app still asks for
 * https://js.stripe.com and the stand-in still calls https://api.stripe.com, as in production (and as the app's
 * Content-Security-Policy allows); only the answers come from this machine. Nothing else is faked.
 */
export async function useLocalStripe(page: Page, fake: FakeStripe): Promise<void> {
  await page.route('https://js.stripe.com/**', (route) => route.fulfill({ status: 200, contentType: 'application/javascript', body: standIn }));
  await page.route('https://api.stripe.com/**', async (route) => {
    const request = route.request();
    const url = new URL(request.url());
    const answer = await fetch(`${fake.url}${url.pathname}${url.search}`, {
      method: request.method(),
      headers: { 'content-type': request.headers()['content-type'] ?? 'application/x-www-form-urlencoded' },
      ...(request.method() === 'GET' ? {} : { body: request.postData() ?? '' }),
    });
    await route.fulfill({ status: answer.status, headers: { 'content-type': 'application/json', 'access-control-allow-origin': '*' }, body: await answer.text() });
  });
}
