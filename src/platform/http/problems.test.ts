import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bodySample, bodySchema, propertiesOfFormat, queryParameters } from '../../../test/support/openapi-sample.js';
import { startTestPlatform, type TestPlatform, type TestTenant } from '../../../test/support/platform.js';

let platform: TestPlatform;
let T: TestTenant;
let doc: Record<string, any>;

beforeAll(async () => {
  platform = await startTestPlatform();
  T = await platform.createTenant();
  doc = (await platform.app.inject({ method: 'GET', url: '/openapi.json' })).json();
});
afterAll(() => platform?.close());

/**
 * `text`: the attempt carries a string no database or page can hold (NUL, a lone surrogate), and must be refused
 * for that reason (400 validation_failed naming it), whatever else is wrong with the request.
 */
type Attempt = { label: string; url: string; payload?: string; contentType?: string; text?: RegExp };

const NUL = /U\+0000/;
/** A date outside every window the API allows, in each date field a route takes: refused for being out of range. */
const FAR_DATE = { date: '9999-12-31', 'date-time': '9999-12-31T10:00:00+09:00' } as const;
const OUTSIDE_WINDOW = /between \S+ and \S+/;
const SURROGATE = /lone surrogate/;

/** Every string in a value (and every key) with `extra` put in the middle of it. */
function spoilStrings(value: unknown, extra: string): unknown {
  if (typeof value === 'string') return `${value.slice(0, 1)}${extra}${value.slice(1)}`;
  if (Array.isArray(value)) return value.map((v) => spoilStrings(v, extra));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, spoilStrings(v, extra)]));
  return value;
}

/** A fresh session: the sweep also called logout with the owner's token. */
const signIn = async (): Promise<string> =>
  (await platform.call(T, { method: 'POST', url: '/api/auth/login', payload: { email: T.ownerEmail, password: T.ownerPassword } })).json().token;

/** Client mistakes of every common kind, for one route. */
function mistakesFor(method: string, url: string): Attempt[] {
  const withParams = (value: string) => url.replace(/:[A-Za-z0-9_]+/g, value);
  const plain = withParams('00000000-0000-4000-8000-000000000000');
  const attempts: Attempt[] = [
    { label: 'not-an-id param', url: withParams('not-an-id') },
    { label: 'huge param', url: withParams('x'.repeat(2000)) },
    { label: 'odd query', url: `${plain}?limit=-1&after[]=x&status=nope&%zz=1` },
    { label: 'NUL in the query', url: `${plain}?q=a%00b&from=%00`, text: NUL },
  ];
  if (url.includes(':')) attempts.push({ label: 'NUL in a path parameter', url: withParams('a%00b'), text: NUL });
  for (const p of queryParameters(doc, { method, url })) {
    const format = p.schema?.format as keyof typeof FAR_DATE;
    if (format in FAR_DATE) attempts.push({ label: `${p.name} far out`, url: `${plain}?${p.name}=${encodeURIComponent(FAR_DATE[format])}`, text: OUTSIDE_WINDOW });
  }
  if (method !== 'GET' && method !== 'DELETE') {
    // A body that would pass the route's schema, but for the one character in each of its strings.
    // A body without strings gets one.
    const sample = bodySample(doc, { method, url }) ?? {};
    const spoilt = (extra: string) => {
      const body = JSON.stringify(spoilStrings(sample, extra));
      return body === JSON.stringify(sample) ? JSON.stringify({ ...(sample as object), note: `x${extra}` }) : body;
    };
    const schema = bodySchema(doc, { method, url });
    for (const format of ['date', 'date-time'] as const) {
      for (const name of propertiesOfFormat(schema, doc, [format])) {
        const payload = JSON.stringify({ ...(sample as object), [name]: FAR_DATE[format] });
        attempts.push({ label: `${name} far out`, url: plain, payload, contentType: 'application/json', text: OUTSIDE_WINDOW });
      }
    }
    attempts.push(
      { label: 'NUL in the body', url: plain, payload: spoilt('\u0000'), contentType: 'application/json', text: NUL },
      { label: 'lone surrogate in the body', url: plain, payload: spoilt('\ud800'), contentType: 'application/json', text: SURROGATE },
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
            // The reasons the sweep looks for are matched in English; the next block covers the languages.
            'accept-language': 'en',
            authorization: `Bearer ${isPlatform ? platform.platformToken : T.ownerToken}`,
            ...(attempt.contentType ? { 'content-type': attempt.contentType } : {}),
          },
          ...(attempt.payload !== undefined ? { payload: attempt.payload } : {}),
        });
        const where = `${route.method} ${route.url} (${attempt.label})`;
        if (attempt.text && !(res.statusCode === 400 && res.json().code === 'validation_failed' && attempt.text.test(res.json().detail))) {
          failures.push(`${where}: ${res.statusCode} ${res.body.slice(0, 200)} instead of 400 naming ${attempt.text}`);
        } else if (res.statusCode >= 500) failures.push(`${where}: ${res.statusCode} ${res.body.slice(0, 200)}`);
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
    const token = await signIn();
    const admin = await platform.admin();
    const before = (await admin.query('select count(*)::int as n from app.staff where tenant_id = $1', [T.id])).rows[0].n;
    const invalid = await platform.call(T, { method: 'POST', url: '/api/staff', token, payload: { email: 'ok@example.com', displayName: 'x', role: 'king' } });
    const duplicate = await platform.call(T, { method: 'POST', url: '/api/staff', token, payload: { email: T.ownerEmail, displayName: 'dup', role: 'manager' } });
    expect(invalid.statusCode).toBe(400);
    expect(duplicate.statusCode).toBe(409);
    const after = (await admin.query('select count(*)::int as n from app.staff where tenant_id = $1', [T.id])).rows[0].n;
    expect(after).toBe(before);
  });

  it('sweep the date fields of every route', () => {
    // The sweep above is only as good as its reach: it found the date fields the API takes.
    const dateFields = platform.app.routeCatalog.flatMap((r) => mistakesFor(r.method, r.url)).filter((a) => a.text === OUTSIDE_WINDOW);
    expect(dateFields.length).toBeGreaterThan(15);
  });

  it('refuse text that cannot be stored, and store nothing of it', async () => {
    const token = await signIn();
    const admin = await platform.admin();
    const members = async () => (await admin.query('select count(*)::int as n from app.members where tenant_id = $1', [T.id])).rows[0].n;
    const before = await members();
    for (const familyName of ['山\u0000田', '山\ud800田', '\udfff']) {
      const res = await platform.call(T, { method: 'POST', url: '/api/members', token, payload: { familyName, staffNotes: 'ok' } });
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json().errors).toEqual([expect.objectContaining({ location: 'body', path: 'familyName' })]);
    }
    const inNotes = await platform.call(T, { method: 'POST', url: '/api/members', token, payload: { familyName: '山田', staffNotes: 'a\ud83d' } });
    expect(inNotes.json().errors).toEqual([expect.objectContaining({ path: 'staffNotes', message: expect.stringMatching(/サロゲート/) })]);
    // A whole emoji is a surrogate pair, and welcome.
    const emoji = await platform.call(T, { method: 'POST', url: '/api/members', token, payload: { familyName: '山田', staffNotes: 'よろしく😀' } });
    expect(emoji.statusCode, emoji.body).toBe(201);
    expect(await members()).toBe(before + 1);
    const search = await platform.call(T, { method: 'GET', url: '/api/members?q=%00', token });
    expect(search.json()).toMatchObject({ status: 400, errors: [{ location: 'querystring', path: 'q' }] });
    const tenant = await platform.app.inject({ method: 'GET', url: '/platform/tenants/%00', headers: { authorization: `Bearer ${platform.platformToken}` } });
    expect(tenant.json()).toMatchObject({ status: 400, code: 'validation_failed', errors: [{ location: 'params' }] });
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

describe('the language of a problem', () => {
  const nul = (headers: Record<string, string> = {}) =>
    platform.call(T, { method: 'POST', url: '/api/members', token: T.ownerToken, headers, payload: { familyName: '山\u0000田' } });

  it('is the studio\'s (Japanese unless it chose English) when the client asks for none', async () => {
    const ja = (await nul()).json();
    expect(ja).toMatchObject({ title: '入力内容に誤りがあります', errors: [{ path: 'familyName', message: 'NUL 文字（U+0000）は使えません' }] });
    expect(ja.detail).toBe('body.familyName: NUL 文字（U+0000）は使えません');
    const missing = await platform.call(T, { method: 'POST', url: '/api/members', token: T.ownerToken, payload: { staffNotes: 'x' } });
    expect(missing.json().errors).toEqual([{ location: 'body', path: 'familyName', message: '入力してください' }]);
    const route = await platform.call(T, { method: 'GET', url: '/api/nothing-here' });
    expect(route.json()).toMatchObject({ title: '見つかりません', detail: 'GET /api/nothing-here という API はありません。' });
  });

  it('is the one the client asks for, which wins over the studio\'s', async () => {
    expect((await nul({ 'accept-language': 'en-US,en;q=0.9' })).json()).toMatchObject({
      title: 'The request is not valid',
      detail: 'body.familyName: must not contain the NUL character (U+0000)',
    });
    expect((await nul({ 'accept-language': 'ja-JP' })).json().title).toBe('入力内容に誤りがあります');
    // A language the server does not speak falls back to the studio's.
    expect((await nul({ 'accept-language': 'fr-FR' })).json().title).toBe('入力内容に誤りがあります');
    // zod's own words come in the reader's language too.
    const tooLong = (lang: string) =>
      platform.call(T, { method: 'POST', url: '/api/members', token: T.ownerToken, headers: { 'accept-language': lang }, payload: { familyName: 'x'.repeat(500) } });
    expect((await tooLong('en')).json().errors[0].message).toMatch(/Too big/);
    expect((await tooLong('ja')).json().errors[0].message).toMatch(/大きすぎる/);
  });

  it('follows the studio when it chooses English', async () => {
    const E = await platform.createTenant();
    const chose = await platform.call(E, { method: 'PUT', url: '/api/tenant/locale', token: E.ownerToken, payload: { locale: 'en' } });
    expect(chose.statusCode, chose.body).toBe(200);
    const nul = (headers: Record<string, string> = {}) =>
      platform.call(E, { method: 'POST', url: '/api/members', token: E.ownerToken, headers, payload: { familyName: '山\u0000田' } });
    expect((await nul()).json()).toMatchObject({ title: 'The request is not valid', detail: 'body.familyName: must not contain the NUL character (U+0000)' });
    expect((await nul({ 'accept-language': 'ja' })).json().title).toBe('入力内容に誤りがあります');
    // A path that is no route is answered before any studio is looked up: in the client's language, else Japanese.
    const unknown = await platform.call(E, { method: 'GET', url: '/api/nothing-here', headers: { 'accept-language': 'en' } });
    expect(unknown.json()).toMatchObject({ title: 'Not found', detail: 'No route GET /api/nothing-here' });
  });
});

/** One exchange over a raw TCP connection: what the HTTP parser refuses never reaches inject(). */
async function rawExchange(port: number, request: string | Buffer): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  const socket = net.connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    socket.on('connect', () => socket.write(request));
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', (e) => ((e as { code?: string }).code === 'ECONNRESET' && chunks.length > 0 ? resolve() : reject(e)));
    socket.on('close', () => resolve());
  });
  const text = Buffer.concat(chunks).toString('utf8');
  const [head, ...rest] = text.split('\r\n\r\n');
  const [statusLine, ...lines] = head!.split('\r\n');
  const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
  return { status: Number(statusLine!.split(' ')[1]), headers, body: rest.join('\r\n\r\n') };
}

describe('answers before a route runs', () => {
  let port: number;
  beforeAll(async () => {
    await platform.app.listen({ port: 0, host: '127.0.0.1' });
    port = (platform.app.server.address() as net.AddressInfo).port;
  });

  const cases: Array<{ label: string; request: () => string; status: number; code: string }> = [
    { label: 'headers over the limit (431)', status: 431, code: 'headers_too_large', request: () => `GET /api/members?q=${'x'.repeat(20_000)} HTTP/1.1\r\nHost: ${T.host}\r\n\r\n` },
    { label: 'no Host header (400)', status: 400, code: 'bad_request', request: () => 'GET /api/tenant HTTP/1.1\r\nConnection: close\r\n\r\n' },
    { label: 'not HTTP (400)', status: 400, code: 'bad_request', request: () => 'HELLO THERE\r\n\r\n' },
    {
      label: 'a body over the limit (413)', status: 413, code: 'payload_too_large',
      request: () => `POST /api/members HTTP/1.1\r\nHost: ${T.host}\r\nContent-Type: application/json\r\nContent-Length: ${2 * 1024 * 1024}\r\nConnection: close\r\n\r\n{}`,
    },
    {
      label: 'a body of another type (415)', status: 415, code: 'unsupported_media_type',
      request: () => `POST /api/members HTTP/1.1\r\nHost: ${T.host}\r\nContent-Type: application/xml\r\nContent-Length: 4\r\nConnection: close\r\n\r\n<a/>`,
    },
  ];
  for (const c of cases) {
    it(`are problem+json too: ${c.label}`, async () => {
      const res = await rawExchange(port, c.request());
      expect(res.status, res.body).toBe(c.status);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(JSON.parse(res.body)).toMatchObject({ status: c.status, code: c.code, type: `urn:studiohive:problem:${c.code}`, requestId: expect.any(String) });
    });
  }
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
