import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform, type TestTenant } from '../../../test/support/platform.js';

let platform: TestPlatform;
let T: TestTenant;

const login = (tenant: TestTenant, email: string, password: string) =>
  platform.call(tenant, { method: 'POST', url: '/api/auth/login', payload: { email, password } });

async function latestMail(tenant: TestTenant, to: string) {
  const admin = await platform.admin();
  const r = await admin.query(
    'select template, subject, body from app.outbox where tenant_id = $1 and to_address = $2 order by created_at desc limit 1',
    [tenant.id, to],
  );
  return r.rows[0] as { template: string; subject: string; body: string } | undefined;
}
const tokenIn = (body: string) => /token=([A-Za-z0-9_%-]+)/.exec(body)![1]!;

beforeAll(async () => {
  platform = await startTestPlatform({ LOGIN_MAX_FAILURES_PER_ACCOUNT: '3' });
  T = await platform.createTenant();
});
afterAll(() => platform?.close());

describe('staff sign-in', () => {
  it('signs in with the right password, case-insensitively by email, and reads its own profile', async () => {
    const res = await login(T, T.ownerEmail.toUpperCase(), T.ownerPassword);
    expect(res.statusCode).toBe(200);
    expect(res.json().token).toMatch(/^shs_/);
    const me = await platform.call(T, { method: 'GET', url: '/api/auth/me', token: res.json().token });
    expect(me.json()).toMatchObject({ email: T.ownerEmail, role: 'owner' });
  });

  it('answers a wrong password and an unknown email the same way, as problem+json', async () => {
    const wrong = await login(T, T.ownerEmail, 'not the password');
    const unknown = await login(T, 'nobody@example.com', 'not the password');
    for (const res of [wrong, unknown]) {
      expect(res.statusCode).toBe(401);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json().code).toBe('invalid_credentials');
    }
  });

  it('stores only a hash of the session token, and logout ends the session', async () => {
    const { token } = (await login(T, T.ownerEmail, T.ownerPassword)).json();
    const admin = await platform.admin();
    const hashed = await admin.query(`select count(*)::int as n from app.staff_sessions where token_hash = sha256(convert_to($1, 'UTF8'))`, [token]);
    expect(hashed.rows[0].n).toBe(1);
    const raw = await admin.query(`select count(*)::int as n from app.staff_sessions s where s::text like '%' || $1 || '%'`, [token]);
    expect(raw.rows[0].n).toBe(0);
    expect((await platform.call(T, { method: 'POST', url: '/api/auth/logout', token })).statusCode).toBe(204);
    const after = await platform.call(T, { method: 'GET', url: '/api/auth/me', token });
    expect(after.statusCode).toBe(401);
  });

  it('locks an account after repeated failures, with Retry-After, and even the right password waits', async () => {
    const tenant = await platform.createTenant();
    for (let i = 0; i < 3; i += 1) expect((await login(tenant, tenant.ownerEmail, 'wrong-password')).statusCode).toBe(401);
    const locked = await login(tenant, tenant.ownerEmail, tenant.ownerPassword);
    expect(locked.statusCode).toBe(429);
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    // Other accounts of the same studio are not locked out by it.
    const other = await platform.call(tenant, { method: 'POST', url: '/api/auth/login', payload: { email: 'someone@example.com', password: 'x' } });
    expect(other.statusCode).toBe(401);
  });

  it('throttles failed sign-ins per tenant and per client address, never counting successes', async () => {
    const limited = await startTestPlatform({ LOGIN_MAX_FAILURES_PER_TENANT_MINUTE: '4', LOGIN_MAX_FAILURES_PER_IP: '100' });
    try {
      const tenant = await limited.createTenant(); // its owner's successful sign-in does not count
      const attempt = (email: string, password = 'x') =>
        limited.call(tenant, { method: 'POST', url: '/api/auth/login', payload: { email, password } });
      const statuses: number[] = [];
      for (let i = 0; i < 5; i += 1) statuses.push((await attempt(`u${i}@example.com`)).statusCode);
      expect(statuses).toEqual([401, 401, 401, 401, 429]);
    } finally {
      await limited.close();
    }
    const perIp = await startTestPlatform({ LOGIN_MAX_FAILURES_PER_IP: '3' });
    try {
      const tenant = await perIp.createTenant();
      for (let i = 0; i < 3; i += 1) {
        await perIp.call(tenant, { method: 'POST', url: '/api/auth/login', payload: { email: `s${i}@example.com`, password: 'x' } });
      }
      const blocked = await perIp.call(tenant, { method: 'POST', url: '/api/auth/login', payload: { email: tenant.ownerEmail, password: tenant.ownerPassword } });
      expect(blocked.statusCode).toBe(429);
      expect(blocked.json().detail).toBe('お使いのネットワークからのログインの失敗が続いています。しばらくしてからもう一度お試しください。');
    } finally {
      await perIp.close();
    }
  });

  it('lets parallel sign-ins with the right password through, asking a few to retry in a second', async () => {
    const tenant = await platform.createTenant();
    const burst = await Promise.all(Array.from({ length: 8 }, () => login(tenant, tenant.ownerEmail, tenant.ownerPassword)));
    for (const res of burst) {
      if (res.statusCode === 429) expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(2);
      else expect(res.statusCode).toBe(200);
    }
    expect(burst.some((r) => r.statusCode === 200)).toBe(true);
    expect((await login(tenant, tenant.ownerEmail, tenant.ownerPassword)).statusCode).toBe(200);
  });

  it('counts parallel guesses one by one, so a burst cannot slip past the account limit', async () => {
    const tenant = await platform.createTenant();
    const burst = await Promise.all(
      Array.from({ length: 12 }, () => login(tenant, tenant.ownerEmail, 'parallel guess')),
    );
    const statuses = burst.map((r) => r.statusCode).sort();
    expect(statuses.filter((s) => s === 401)).toHaveLength(3);
    expect(statuses.filter((s) => s === 429)).toHaveLength(9);
    // Once those have failed, the account is locked for the window, right password or not.
    const after = await login(tenant, tenant.ownerEmail, tenant.ownerPassword);
    expect(after.statusCode).toBe(429);
    expect(Number(after.headers['retry-after'])).toBeGreaterThan(60);
  });
});

describe('password reset and invitations', () => {
  it('mails a single-use link; the new password works and old sessions end', async () => {
    const tenant = await platform.createTenant();
    // The reset mail goes to the person asking, in the language they ask in.
    const accepted = await platform.call(tenant, { method: 'POST', url: '/api/auth/password-reset', headers: { 'accept-language': 'en' }, payload: { email: tenant.ownerEmail } });
    expect(accepted.statusCode).toBe(202);
    const mail = await latestMail(tenant, tenant.ownerEmail);
    expect(mail?.template).toBe('staff_password_reset');
    expect(mail?.subject).toMatch(/^Reset your .+ password$/);
    expect(mail?.body).toContain('Open this link within an hour');
    expect(mail?.body).toContain(`${tenant.slug}.studiohive.test`);
    const token = decodeURIComponent(tokenIn(mail!.body));
    const confirm = () =>
      platform.call(tenant, { method: 'POST', url: '/api/auth/password-reset/confirm', payload: { token, password: 'a brand new password' } });
    expect((await confirm()).statusCode).toBe(204);
    expect((await confirm()).statusCode).toBe(422);
    expect((await platform.call(tenant, { method: 'GET', url: '/api/auth/me', token: tenant.ownerToken })).statusCode).toBe(401);
    expect((await login(tenant, tenant.ownerEmail, 'a brand new password')).statusCode).toBe(200);
    expect((await login(tenant, tenant.ownerEmail, tenant.ownerPassword)).statusCode).toBe(401);
  });

  it('sends at most the hourly allowance of reset mails, however many requests arrive at once', async () => {
    const tenant = await platform.createTenant();
    const replies = await Promise.all(
      Array.from({ length: 10 }, () => platform.call(tenant, { method: 'POST', url: '/api/auth/password-reset', payload: { email: tenant.ownerEmail } })),
    );
    expect(replies.every((r) => r.statusCode === 202)).toBe(true);
    const admin = await platform.admin();
    const mails = await admin.query(`select count(*)::int as n from app.outbox where tenant_id = $1 and template = 'staff_password_reset'`, [tenant.id]);
    expect(mails.rows[0].n).toBe(3);
  });

  it('does not reveal whether an email has an account', async () => {
    const res = await platform.call(T, { method: 'POST', url: '/api/auth/password-reset', payload: { email: 'ghost@example.com' } });
    expect(res.statusCode).toBe(202);
    expect(await latestMail(T, 'ghost@example.com')).toBeUndefined();
  });

  it('invites new staff, who choose a password from the link', async () => {
    // The invitation goes to someone other than the person asking: in the studio's language (Japanese), whatever the owner reads.
    const created = await platform.call(T, {
      method: 'POST', url: '/api/staff', token: T.ownerToken, headers: { 'accept-language': 'en' },
      payload: { email: 'Coach@Example.com', displayName: 'Coach', role: 'instructor' },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ email: 'coach@example.com', role: 'instructor', status: 'active' });
    const invite = await latestMail(T, 'coach@example.com');
    expect(invite?.template).toBe('staff_invite');
    expect(invite?.subject).toMatch(/^【.+】Studiohive へのご招待$/);
    expect(invite?.body).toContain('のインストラクターアカウントが作成されました。');
    const token = decodeURIComponent(tokenIn(invite!.body));
    await platform.call(T, { method: 'POST', url: '/api/auth/password-reset/confirm', payload: { token, password: 'coach password 1' } });
    const session = await login(T, 'coach@example.com', 'coach password 1');
    expect(session.statusCode).toBe(200);
    expect(session.json().staff.role).toBe('instructor');
  });
});

describe('roles', () => {
  async function staffWithRole(role: 'manager' | 'front_desk' | 'instructor') {
    const email = `${role}-${Math.random().toString(36).slice(2, 8)}@example.com`;
    await platform.call(T, { method: 'POST', url: '/api/staff', token: T.ownerToken, payload: { email, displayName: role, role } });
    const invite = await latestMail(T, email);
    const token = decodeURIComponent(tokenIn(invite!.body));
    await platform.call(T, { method: 'POST', url: '/api/auth/password-reset/confirm', payload: { token, password: 'long enough password' } });
    return (await login(T, email, 'long enough password')).json().token as string;
  }

  it('lets each route decide which roles it allows', async () => {
    const desk = await staffWithRole('front_desk');
    const denied = await platform.call(T, { method: 'GET', url: '/api/staff', token: desk });
    expect(denied.statusCode).toBe(403);
    expect(denied.json().code).toBe('forbidden');
    expect((await platform.call(T, { method: 'GET', url: '/api/auth/me', token: desk })).statusCode).toBe(200);
    expect((await platform.call(T, { method: 'GET', url: '/api/staff' })).statusCode).toBe(401);
  });

  it('lets a manager manage floor staff but not create owners or managers', async () => {
    const manager = await staffWithRole('manager');
    const owner = await platform.call(T, { method: 'POST', url: '/api/staff', token: manager, payload: { email: 'o2@example.com', displayName: 'O', role: 'owner' } });
    expect(owner.statusCode).toBe(403);
    const desk = await platform.call(T, { method: 'POST', url: '/api/staff', token: manager, payload: { email: 'd2@example.com', displayName: 'D', role: 'front_desk' } });
    expect(desk.statusCode).toBe(201);
  });

  it('keeps an owner even when two owners are demoted at the same moment', async () => {
    const tenant = await platform.createTenant();
    const second = await platform.call(tenant, {
      method: 'POST', url: '/api/staff', token: tenant.ownerToken, payload: { email: 'second-owner@example.com', displayName: 'Second', role: 'owner' },
    });
    const owners = [(await platform.call(tenant, { method: 'GET', url: '/api/auth/me', token: tenant.ownerToken })).json().id, second.json().id];
    for (let round = 0; round < 3; round += 1) {
      const results = await Promise.all(
        owners.map((id) => platform.call(tenant, { method: 'PATCH', url: `/api/staff/${id}`, token: tenant.ownerToken, payload: { status: 'disabled' } })),
      );
      const admin = await platform.admin();
      const active = await admin.query(`select count(*)::int as n from app.staff where tenant_id = $1 and role = 'owner' and status = 'active'`, [tenant.id]);
      expect(active.rows[0].n).toBeGreaterThanOrEqual(1);
      // One goes through at most. The other is refused (409), or, when the owner's own account was disabled first
      // (its sessions go with it), turned away at the door (401): the same token makes both requests.
      expect(results.filter((r) => r.statusCode === 200).length).toBeLessThanOrEqual(1);
      expect(results.every((r) => [200, 401, 409].includes(r.statusCode)), results.map((r) => r.statusCode).join()).toBe(true);
      if (results.some((r) => r.statusCode === 200)) break;
    }
  });

  it('keeps at least one active owner, and a disabled account loses its sessions', async () => {
    const me = (await platform.call(T, { method: 'GET', url: '/api/auth/me', token: T.ownerToken })).json();
    const demote = await platform.call(T, { method: 'PATCH', url: `/api/staff/${me.id}`, token: T.ownerToken, payload: { role: 'manager' } });
    expect(demote.statusCode).toBe(409);
    const instructorToken = await staffWithRole('instructor');
    const instructor = (await platform.call(T, { method: 'GET', url: '/api/auth/me', token: instructorToken })).json();
    const disabled = await platform.call(T, { method: 'PATCH', url: `/api/staff/${instructor.id}`, token: T.ownerToken, payload: { status: 'disabled' } });
    expect(disabled.json().status).toBe('disabled');
    expect((await platform.call(T, { method: 'GET', url: '/api/auth/me', token: instructorToken })).statusCode).toBe(401);
  });
});

describe('API keys', () => {
  it('authenticate with X-Tenant-Id from any host, show the secret once, and stop working when revoked', async () => {
    const created = await platform.call(T, { method: 'POST', url: '/api/api-keys', token: T.ownerToken, payload: { name: 'crm sync', role: 'manager' } });
    expect(created.statusCode).toBe(201);
    const { key, id } = created.json();
    const viaHeader = () =>
      platform.app.inject({ method: 'GET', url: '/api/staff', headers: { host: 'api.elsewhere.example', 'x-tenant-id': T.id, authorization: `Bearer ${key}` } });
    expect((await viaHeader()).statusCode).toBe(200);
    const listed = await platform.call(T, { method: 'GET', url: '/api/api-keys', token: T.ownerToken });
    expect(listed.body).not.toContain(key);
    await platform.call(T, { method: 'DELETE', url: `/api/api-keys/${id}`, token: T.ownerToken });
    expect((await viaHeader()).statusCode).toBe(401);
  });

  it('refuses X-Tenant-Id without an API key, even with a valid session token of that tenant', async () => {
    const none = await platform.app.inject({ method: 'GET', url: '/api/tenant', headers: { host: 'api.elsewhere.example', 'x-tenant-id': T.id } });
    expect(none.statusCode).toBe(401);
    const { token } = (await login(T, T.ownerEmail, T.ownerPassword)).json();
    const withSession = await platform.app.inject({
      method: 'GET', url: '/api/staff', headers: { host: 'api.elsewhere.example', 'x-tenant-id': T.id, authorization: `Bearer ${token}` },
    });
    expect(withSession.statusCode).toBe(401);
    expect(withSession.json().detail).toContain('API キー');
  });

  it('lets a stale token through to public routes (the sign-in page must load) but nowhere else', async () => {
    const { token } = (await login(T, T.ownerEmail, T.ownerPassword)).json();
    await platform.call(T, { method: 'POST', url: '/api/auth/logout', token });
    expect((await platform.call(T, { method: 'GET', url: '/api/tenant', token })).statusCode).toBe(200);
    expect((await platform.call(T, { method: 'GET', url: '/api/tenant', headers: { authorization: 'Basic x' } })).statusCode).toBe(200);
    expect((await platform.call(T, { method: 'GET', url: '/api/auth/me', token })).statusCode).toBe(401);
  });
});

describe('browser sessions in cookies', () => {
  it('sets the staff session as an HttpOnly SameSite cookie, reads it, wants the CSRF header on writes, and clears it at sign-out', async () => {
    const t = await platform.createTenant();
    const res = await login(t, t.ownerEmail, t.ownerPassword);
    const setCookie = String(res.headers['set-cookie']);
    expect(setCookie).toMatch(/^studiohive_staff=shs_[^;]+; Max-Age=\d+; Path=\/api; HttpOnly; SameSite=Lax$/);
    const cookie = `studiohive_staff=${res.json().token}`;
    const call = (method: 'GET' | 'POST', url: string, headers: Record<string, string> = {}, payload?: object) =>
      platform.call(t, { method, url, headers: { cookie, ...headers }, payload });

    expect((await call('GET', '/api/auth/me')).json().email).toBe(t.ownerEmail);
    // A page of another origin can make the browser send the cookie, but not this header.
    const forged = await call('POST', '/api/members', {}, { familyName: '偽' });
    expect(forged.statusCode).toBe(403);
    expect(forged.json().detail).toContain('x-studiohive-csrf');
    const admin = await platform.admin();
    expect((await admin.query(`select count(*)::int as n from app.members where tenant_id = $1`, [t.id])).rows[0].n).toBe(0);
    expect((await call('POST', '/api/members', { 'x-studiohive-csrf': '1' }, { familyName: '本物' })).statusCode).toBe(201);
    // A bearer token (API clients) needs no such header.
    expect((await platform.call(t, { method: 'POST', url: '/api/members', token: t.ownerToken, payload: { familyName: '鍵' } })).statusCode).toBe(201);
    // The member app's routes read the member's cookie, never the staff's.
    expect((await call('GET', '/api/me')).statusCode).toBe(401);

    const out = await call('POST', '/api/auth/logout', { 'x-studiohive-csrf': '1' });
    expect(out.statusCode).toBe(204);
    expect(String(out.headers['set-cookie'])).toMatch(/^studiohive_staff=; Max-Age=0;.*HttpOnly; SameSite=Lax/);
    expect((await call('GET', '/api/auth/me')).statusCode).toBe(401);
  });

  it('marks the cookie Secure when the studios are served over https', async () => {
    const secure = await startTestPlatform({ PUBLIC_URL_SCHEME: 'https' });
    try {
      const t = await secure.createTenant();
      const res = await secure.call(t, { method: 'POST', url: '/api/auth/login', payload: { email: t.ownerEmail, password: t.ownerPassword } });
      expect(String(res.headers['set-cookie'])).toMatch(/; Secure/);
    } finally {
      await secure.close();
    }
  });
});
