import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform, type TestTenant } from '../../../test/support/platform.js';

const lines: Array<Record<string, unknown>> = [];
const raw: string[] = [];
const sink = new Writable({
  write(chunk, _enc, done) {
    for (const line of String(chunk).split('\n').filter(Boolean)) {
      raw.push(line);
      lines.push(JSON.parse(line));
    }
    done();
  },
});

let platform: TestPlatform;
let T: TestTenant;

beforeAll(async () => {
  platform = await startTestPlatform({}, pino({ level: 'info' }, sink));
  T = await platform.createTenant();
});
afterAll(() => platform?.close());

describe('access log', () => {
  it('writes one line per request with id, tenant, route pattern, status, duration and bytes, and no secrets', async () => {
    lines.length = 0;
    raw.length = 0;
    const res = await platform.call(T, {
      method: 'GET', url: `/api/staff/00000000-0000-4000-8000-000000000000?x=1`, token: T.ownerToken, headers: { 'x-request-id': 'trace-42' },
    });
    expect(res.statusCode).toBe(404);
    const login = await platform.call(T, { method: 'POST', url: '/api/auth/login', payload: { email: T.ownerEmail, password: T.ownerPassword } });
    const issued = login.json().token as string;
    const access = lines.filter((l) => l.msg === 'request');
    expect(access).toHaveLength(2);
    expect(access[0]).toMatchObject({
      requestId: 'trace-42',
      tenantId: T.id,
      route: '/api/staff/:staffId',
      method: 'GET',
      status: 404,
    });
    expect(access[0]!.durationMs).toBeTypeOf('number');
    expect(access[0]!.bytes).toBe(Number(res.headers['content-length']));
    const everything = raw.join('\n');
    expect(everything).not.toContain(T.ownerToken);
    expect(everything).not.toContain(issued);
    expect(everything).not.toContain(T.ownerPassword);
  });
});
