import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform, type TestTenant } from '../support/platform.js';

/*
 * How the web app reaches a phone: compressed (brotli, else gzip), hashed files cached for good and index.html
 * revalidated, with a content security policy that allows no inline script and no framing; and a manifest that
 * puts the studio on the home screen under its own name.
 */
const dist = path.resolve('web/dist');
let platform: TestPlatform;
let T: TestTenant;

beforeAll(async () => {
  platform = await startTestPlatform();
  T = await platform.createTenant();
});
afterAll(() => platform?.close());

const entryScript = () => {
  const html = readFileSync(path.join(dist, 'index.html'), 'utf8');
  return html.match(/<script type="module" crossorigin src="([^"]+)"/)![1]!;
};

describe('web app delivery', () => {
  it('sends the page revalidated and the hashed files immutable, brotli or gzip as the browser accepts', async () => {
    const page = await platform.call(T, { method: 'GET', url: '/member', headers: { accept: 'text/html', 'accept-encoding': 'gzip, deflate, br' } });
    expect(page.statusCode).toBe(200);
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.headers['content-encoding']).toBe('br');
    expect(zlib.brotliDecompressSync(page.rawPayload).toString()).toBe(readFileSync(path.join(dist, 'index.html'), 'utf8'));

    const script = entryScript();
    const original = readFileSync(path.join(dist, script));
    const br = await platform.call(T, { method: 'GET', url: script, headers: { 'accept-encoding': 'gzip, br' } });
    expect(br.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(br.headers['content-encoding']).toBe('br');
    expect(zlib.brotliDecompressSync(br.rawPayload).equals(original)).toBe(true);
    expect(br.rawPayload.length).toBeLessThan(original.length / 2);

    const gzip = await platform.call(T, { method: 'GET', url: script, headers: { 'accept-encoding': 'gzip' } });
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(zlib.gunzipSync(gzip.rawPayload).equals(original)).toBe(true);

    const plain = await platform.call(T, { method: 'GET', url: script });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.rawPayload.equals(original)).toBe(true);
  });

  it('writes a compressed copy of every file the build makes (bar a few bytes long, which compression would grow)', () => {
    const files = readdirSync(path.join(dist, 'assets')).filter((f) => /\.(js|css)$/.test(f) && statSync(path.join(dist, 'assets', f)).size >= 1024);
    expect(files.length).toBeGreaterThan(2);
    for (const f of files) {
      const original = readFileSync(path.join(dist, 'assets', f));
      expect(zlib.brotliDecompressSync(readFileSync(path.join(dist, 'assets', `${f}.br`))).equals(original), f).toBe(true);
    }
  });

  it('compresses large API answers too', async () => {
    const res = await platform.app.inject({ method: 'GET', url: '/openapi.json', headers: { 'accept-encoding': 'br' } });
    expect(res.headers['content-encoding']).toBe('br');
    expect(JSON.parse(zlib.brotliDecompressSync(res.rawPayload).toString()).openapi).toBe('3.1.0');
  });

  it('forbids inline script and framing on every answer', async () => {
    for (const url of ['/', '/api/tenant']) {
      const res = await platform.call(T, { method: 'GET', url, headers: { accept: 'text/html' } });
      const csp = res.headers['content-security-policy'] as string;
      const directives = Object.fromEntries(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v]));
      // Our own scripts, and Stripe.js from Stripe itself (card fields for studios on Stripe); never inline ones.
      expect(directives['script-src'], url).toEqual(["'self'", 'https://js.stripe.com', 'https://*.js.stripe.com']);
      expect(directives['default-src'], url).toEqual(["'self'"]);
      expect(directives['frame-ancestors'], url).toEqual(["'none'"]);
      expect(res.headers['x-frame-options'], url).toBe('DENY');
      expect(res.headers['x-content-type-options'], url).toBe('nosniff');
    }
    // The built page itself has no inline script for the policy to refuse.
    expect(readFileSync(path.join(dist, 'index.html'), 'utf8')).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
  });

  it('gives each studio a manifest under its own name and language, with installable icons', async () => {
    const res = await platform.call(T, { method: 'GET', url: '/api/manifest.webmanifest' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/manifest\+json/);
    const manifest = res.json();
    expect(manifest).toMatchObject({ name: `Studio ${T.slug}`, lang: 'ja', start_url: '/member', display: 'standalone' });
    for (const icon of manifest.icons as Array<{ src: string; sizes: string }>) {
      const file = await platform.call(T, { method: 'GET', url: icon.src });
      expect(file.statusCode, icon.src).toBe(200);
      const png = file.rawPayload;
      expect(png.subarray(1, 4).toString(), icon.src).toBe('PNG');
      expect(`${png.readUInt32BE(16)}x${png.readUInt32BE(20)}`, icon.src).toBe(icon.sizes);
    }
    expect((await platform.call(T, { method: 'GET', url: '/api/tenant' })).json().locale).toBe('ja');
  });
});
