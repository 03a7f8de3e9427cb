import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform, type TestTenant } from '../../../test/support/platform.js';

let platform: TestPlatform;
let T: TestTenant;

beforeAll(async () => {
  platform = await startTestPlatform();
  T = await platform.createTenant();
});
afterAll(() => platform?.close());

type Attempt = { label: string; url: string; payload?: string; contentType?: string };

/** Client mistakes of every common kind, for one route. */
function mistakesFor(method: string, url: string): Attempt[] {
  const withParams = (value: string) => url.replace(/:[A-Za-z0-9_]+/g, value);
  const plain = withParams('00000000-0000-4000-8000-000000000000');
  const attempts: Attempt[] = [
    { label: 'not-an-id param', url: withParams('not-an-id') },
    { label: 'huge param', url: withParams('x'.repeat(2000)) },
    { label: 'odd query', url: `${plain}?limit=-1&after[]=x&status=nope&%zz=1` },
  ];
  if (method !== 'GET' && method !== 'DELETE') {
    attempts.push(
      { label: 'broken JSON', url: plain, payload: '{"email": ', contentType: 'application/json' },
      { label: 'JSON array', url: plain, payload: '[1,2,3]', contentType: 'application/json' },
      { label: 'wrong types', url: plain, payload: JSON.stringify({ email: 12, password: null, slug: [], role: 'king', displayName: {}, name: 9, owner: 'x', token: 1 }), contentType: 'application/json' },
      { label: 'text body', url: plain, payload: 'hello', contentType: 'text/plain' },
      { label: 'too large', url: plain, payload: JSON.stringify({ pad: 'x'.repeat(2 * 1024 * 1024) }), contentType: 'application/json' },
      { label: 'prototype pollution', url: plain, payload: '{"__proto__": {"admin": true}, "constructor": {"prototype": {"x": 1}}}', contentType: 'application/json' },
    );
  }
  return attempts;
}

describe('client mistakes', () => {
  it('never produce a 500 on any route, and always come back as problem+json', async () => {
    const failures: string[] = [];
    let tried = 0;
    // Logout last: it ends the session the other attempts use to get past authentication.
    const routes = [...platform.app.routeCatalog].sort((a, b) => Number(a.url.endsWith('/logout')) - Number(b.url.endsWith('/logout')));
    for (const route of routes) {
      if (route.url === '/openapi.json' || route.url === '/healthz' || route.url === '/readyz') continue;
      const isPlatform = route.url.startsWith('/platform');
      for (const attempt of mistakesFor(route.method, route.url)) {
        tried += 1;
        const res = await platform.app.inject({
          method: route.method as 'GET',
          url: attempt.url,
          headers: {
            host: T.host,
            authorization: `Bearer ${isPlatform ? platform.platformToken : T.ownerToken}`,
            ...(attempt.contentType ? { 'content-type': attempt.contentType } : {}),
          },
          ...(attempt.payload !== undefined ? { payload: attempt.payload } : {}),
        });
        const where = `${route.method} ${route.url} (${attempt.label})`;
        if (res.statusCode >= 500) failures.push(`${where}: ${res.statusCode} ${res.body.slice(0, 200)}`);
        else if (res.statusCode >= 400 && !String(res.headers['content-type']).startsWith('application/problem+json')) {
          failures.push(`${where}: ${res.statusCode} is not problem+json`);
        }
      }
    }
    expect(failures).toEqual([]);
    expect(tried).toBeGreaterThan(50);
  });

  it('describe validation failures field by field', async () => {
    const res = await platform.call(T, { method: 'POST', url: '/api/staff', token: T.ownerToken, payload: { email: 'nope', role: 'king' } });
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body).toMatchObject({ type: 'urn:studiohive:problem:validation_failed', status: 400, code: 'validation_failed', instance: '/api/staff' });
    expect(body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['displayName', 'email', 'role']);
    expect(body.requestId).toBe(res.headers['x-request-id']);
  });

  it('change nothing', async () => {
    // A fresh session: the sweep above also called logout with the owner's token.
    const token = (await platform.call(T, { method: 'POST', url: '/api/auth/login', payload: { email: T.ownerEmail, password: T.ownerPassword } })).json().token;
    const admin = await platform.admin();
    const before = (await admin.query('select count(*)::int as n from app.staff where tenant_id = $1', [T.id])).rows[0].n;
    const invalid = await platform.call(T, { method: 'POST', url: '/api/staff', token, payload: { email: 'ok@example.com', displayName: 'x', role: 'king' } });
    const duplicate = await platform.call(T, { method: 'POST', url: '/api/staff', token, payload: { email: T.ownerEmail, displayName: 'dup', role: 'manager' } });
    expect(invalid.statusCode).toBe(400);
    expect(duplicate.statusCode).toBe(409);
    const after = (await admin.query('select count(*)::int as n from app.staff where tenant_id = $1', [T.id])).rows[0].n;
    expect(after).toBe(before);
  });

  it('answer unknown routes and bad auth headers with problems too', async () => {
    const unknown = await platform.call(T, { method: 'GET', url: '/api/nothing-here' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.headers['content-type']).toContain('application/problem+json');
    const basic = await platform.call(T, { method: 'GET', url: '/api/auth/me', headers: { authorization: 'Basic abc' } });
    expect(basic.statusCode).toBe(401);
    const fake = await platform.call(T, { method: 'GET', url: '/api/auth/me', token: 'shs_forged' });
    expect(fake.statusCode).toBe(401);
  });
});

describe('request ids and health', () => {
  it('echoes a sane incoming request id and makes one otherwise', async () => {
    const given = await platform.call(T, { method: 'GET', url: '/api/tenant', headers: { 'x-request-id': 'lb-123.abc' } });
    expect(given.headers['x-request-id']).toBe('lb-123.abc');
    const odd = await platform.call(T, { method: 'GET', url: '/api/tenant', headers: { 'x-request-id': 'bad id with spaces' } });
    expect(odd.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('is ready when the database answers and documents the API', async () => {
    expect((await platform.app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await platform.app.inject({ method: 'GET', url: '/readyz' })).json()).toEqual({ status: 'ready' });
    const doc = (await platform.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/auth/login', '/api/staff/{staffId}', '/platform/tenants']));
  });
});
