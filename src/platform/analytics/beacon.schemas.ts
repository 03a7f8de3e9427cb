import { z } from 'zod';
import { pagePath } from './page-catalog.js';

/** A referrer is the previous page of the app (a path) or another site (its origin only): never a full URL. */
function referrerOf(raw: string): string | null {
  if (raw.startsWith('/')) return pagePath(raw);
  try {
    const origin = new URL(raw).origin;
    return origin === 'null' ? null : origin;
  } catch {
    return null;
  }
}

/**
 * What the web app's beacon sends. The server strips query strings and ids again, so a hand-made request
 * cannot store what the app would never send.
 */
export const beaconBody = z
  .object({
    path: z.string().min(1).max(512).startsWith('/', 'must start with /').transform(pagePath),
    referrer: z.string().max(512).nullish().transform((r) => (r ? referrerOf(r) : null)),
    screen: z.string().regex(/^\d{1,5}x\d{1,5}$/, 'must be like 390x844').nullish().transform((s) => s ?? null),
    language: z.string().regex(/^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8}){0,4}$/, 'must be a language tag like ja-JP').max(35).nullish().transform((l) => l ?? null),
  })
  .strict();
