import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { latestMail, tokenInMail } from '../../../test/support/fixtures.js';
import { startTestPlatform, type TestPlatform, type TestTenant } from '../../../test/support/platform.js';
import { totpAt } from '../../../test/support/two-factor.js';

let platform: TestPlatform;

// A fixed instant (not today), moved on a step per code, so each code is a new one and none is a replay.
let clock = new Date('2031-03-03T03:00:00Z').getTime();
const nextStep = () => platform.runtime.clock.set(new Date((clock += 30_000)));

const call = (tenant: TestTenant, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: object, token?: string) =>
  platform.call(tenant, { method, url, payload, token });
const login = (tenant: TestTenant, email: string, password: string) => call(tenant, 'POST', '/api/auth/login', { email, password });

/** Turns two-factor sign-in on for the holder of `token`: the secret and the recovery codes. */
async function enable(tenant: TestTenant, token: string) {
  const setup = await call(tenant, 'POST', '/api/account/two-factor', undefined, token);
  expect(setup.statusCode, setup.body).toBe(201);
  const { secret, qrCode, otpauthUri } = setup.json();
  expect(qrCode).toMatch(/^data:image\/png;base64,/);
  expect(otpauthUri).toContain(`secret=${secret}`);
  nextStep();
  const confirmed = await call(tenant, 'POST', '/api/account/two-factor/confirm', { code: await totpAt(platform, secret) }, token);
  expect(confirmed.statusCode, confirmed.body).toBe(200);
  return { secret: secret as string, recoveryCodes: confirmed.json().recoveryCodes as string[] };
}

async function challengeFor(tenant: TestTenant, email: string, password: string) {
  const res = await login(tenant, email, password);
  expect(res.statusCode, res.body).toBe(200);
  expect(res.json().token).toBeUndefined();
  expect(res.headers['set-cookie']).toBeUndefined();
  return res.json() as { twoFactor: 'code' | 'enrol'; challenge: string };
}

const withCode = (tenant: TestTenant, challenge: string, code: string) => call(tenant, 'POST', '/api/auth/login/code', { challenge, code });

/** A front-desk account with a password of its own (set from the invitation mail). */
async function deskOf(tenant: TestTenant) {
  const email = `desk-${Math.random().toString(36).slice(2, 8)}@${tenant.slug}.example.com`;
  const password = 'desk password 12';
  const created = await call(tenant, 'POST', '/api/staff', { email, displayName: 'Desk', role: 'front_desk' }, tenant.ownerToken);
  expect(created.statusCode, created.body).toBe(201);
  const token = tokenInMail(await latestMail(platform, tenant, email, 'staff_invite'));
  expect((await call(tenant, 'POST', '/api/auth/password-reset/confirm', { token, password })).statusCode).toBe(204);
  return { id: created.json().id as string, email, password };
}

beforeAll(async () => {
  platform = await startTestPlatform({ LOGIN_MAX_FAILURES_PER_ACCOUNT: '3' });
  platform.runtime.clock.set(new Date(clock));
});
afterAll(() => {
  platform?.runtime.clock.set(null);
  return platform?.close();
});

describe('staff two-factor sign-in', () => {
  it('asks for a code after the password once it is on; a code and a recovery code each work once', async () => {
    const T = await platform.createTenant();
    const { secret, recoveryCodes } = await enable(T, T.ownerToken);
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    const status = await call(T, 'GET', '/api/account/two-factor', undefined, T.ownerToken);
    expect(status.json()).toMatchObject({ enabled: true, recoveryCodesLeft: 10, requiredByStudio: false });

    // The code the set-up was confirmed with is spent.
    const first = await challengeFor(T, T.ownerEmail, T.ownerPassword);
    expect(first.twoFactor).toBe('code');
    const replayed = await withCode(T, first.challenge, await totpAt(platform, secret));
    expect(replayed.statusCode).toBe(422);
    expect(replayed.headers['content-type']).toContain('application/problem+json');
    expect(replayed.json().reason).toBe('code_wrong');

    nextStep();
    const code = await totpAt(platform, secret);
    const signedIn = await withCode(T, first.challenge, code);
    expect(signedIn.statusCode, signedIn.body).toBe(200);
    expect(signedIn.json().token).toMatch(/^shs_/);
    expect(signedIn.headers['set-cookie']).toBeDefined();
    expect((await call(T, 'GET', '/api/auth/me', undefined, signedIn.json().token)).statusCode).toBe(200);

    // The challenge is spent, and the same code with a new challenge is a replay.
    expect((await withCode(T, first.challenge, code)).json().reason).toBe('challenge_expired');
    const second = await challengeFor(T, T.ownerEmail, T.ownerPassword);
    expect((await withCode(T, second.challenge, code)).statusCode).toBe(422);

    const byRecovery = await withCode(T, second.challenge, recoveryCodes[3]!.toUpperCase());
    expect(byRecovery.statusCode, byRecovery.body).toBe(200);
    const third = await challengeFor(T, T.ownerEmail, T.ownerPassword);
    expect((await withCode(T, third.challenge, recoveryCodes[3]!)).statusCode).toBe(422);
    expect((await call(T, 'GET', '/api/account/two-factor', undefined, T.ownerToken)).json().recoveryCodesLeft).toBe(9);

    // New recovery codes retire the old ones.
    nextStep();
    const renewed = await call(T, 'POST', '/api/account/two-factor/recovery-codes', { code: await totpAt(platform, secret) }, T.ownerToken);
    expect(renewed.statusCode, renewed.body).toBe(200);
    expect((await withCode(T, third.challenge, recoveryCodes[0]!)).statusCode).toBe(422);
    expect((await withCode(T, third.challenge, renewed.json().recoveryCodes[0])).statusCode).toBe(200);
  });

  it('throttles wrong codes like wrong passwords, and a right password does not reset the count', async () => {
    const T = await platform.createTenant();
    const { secret } = await enable(T, T.ownerToken);
    for (let i = 0; i < 3; i += 1) {
      const { challenge } = await challengeFor(T, T.ownerEmail, T.ownerPassword);
      expect((await withCode(T, challenge, '000000')).statusCode).toBe(422);
    }
    const { challenge } = await challengeFor(T, T.ownerEmail, T.ownerPassword);
    nextStep();
    const limited = await withCode(T, challenge, await totpAt(platform, secret));
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBeDefined();
  });

  it('turns off with a current code, and refuses to start again while it is on', async () => {
    const T = await platform.createTenant();
    const { secret } = await enable(T, T.ownerToken);
    expect((await call(T, 'POST', '/api/account/two-factor', undefined, T.ownerToken)).json().reason).toBe('already_enabled');
    expect((await call(T, 'POST', '/api/account/two-factor/disable', { code: '123456' }, T.ownerToken)).statusCode).toBe(422);
    nextStep();
    const off = await call(T, 'POST', '/api/account/two-factor/disable', { code: await totpAt(platform, secret) }, T.ownerToken);
    expect(off.statusCode, off.body).toBe(204);
    expect((await login(T, T.ownerEmail, T.ownerPassword)).json().token).toMatch(/^shs_/);
  });

  it('when the studio requires it, a password alone gives no session, only enrolment, then the session', async () => {
    const T = await platform.createTenant();
    expect((await call(T, 'PUT', '/api/settings/staff-security', { requireStaffTwoFactor: true }, T.ownerToken)).json().reason).toBe('enable_own_first');
    const desk = await deskOf(T);
    const deskSession = (await login(T, desk.email, desk.password)).json().token;
    await enable(T, T.ownerToken);
    const required = await call(T, 'PUT', '/api/settings/staff-security', { requireStaffTwoFactor: true }, T.ownerToken);
    expect(required.statusCode, required.body).toBe(200);
    // Sessions without two-factor sign-in end; the owner's goes on.
    expect((await call(T, 'GET', '/api/auth/me', undefined, deskSession)).statusCode).toBe(401);
    expect((await call(T, 'GET', '/api/auth/me', undefined, T.ownerToken)).statusCode).toBe(200);

    const { twoFactor, challenge } = await challengeFor(T, desk.email, desk.password);
    expect(twoFactor).toBe('enrol');
    // The enrolment challenge allows nothing but enrolment.
    expect((await withCode(T, challenge, '123456')).json().reason).toBe('challenge_expired');
    expect((await call(T, 'GET', '/api/auth/me', undefined, challenge)).statusCode).toBe(401);
    const setup = await call(T, 'POST', '/api/auth/login/enrolment', { challenge });
    expect(setup.statusCode, setup.body).toBe(200);
    const secret = setup.json().secret;
    expect((await call(T, 'POST', '/api/auth/login/enrolment/confirm', { challenge, code: '000000' })).statusCode).toBe(422);
    nextStep();
    const enrolled = await call(T, 'POST', '/api/auth/login/enrolment/confirm', { challenge, code: await totpAt(platform, secret) });
    expect(enrolled.statusCode, enrolled.body).toBe(200);
    expect(enrolled.json().token).toMatch(/^shs_/);
    expect(enrolled.json().recoveryCodes).toHaveLength(10);
    const token = enrolled.json().token;
    expect((await call(T, 'GET', '/api/account/two-factor', undefined, token)).json()).toMatchObject({ enabled: true, requiredByStudio: true });

    nextStep();
    const off = await call(T, 'POST', '/api/account/two-factor/disable', { code: await totpAt(platform, secret) }, token);
    expect(off.json().reason).toBe('required_by_studio');
  });

  it('lets an owner reset another staff member’s two-factor sign-in, shown on the staff list', async () => {
    const T = await platform.createTenant();
    const desk = await deskOf(T);
    await enable(T, (await login(T, desk.email, desk.password)).json().token);
    const listed = async () => (await call(T, 'GET', '/api/staff', undefined, T.ownerToken)).json().items.find((s: { id: string }) => s.id === desk.id);
    expect((await listed()).twoFactorEnabled).toBe(true);
    expect((await challengeFor(T, desk.email, desk.password)).twoFactor).toBe('code');

    const reset = await call(T, 'DELETE', `/api/staff/${desk.id}/two-factor`, undefined, T.ownerToken);
    expect(reset.statusCode, reset.body).toBe(204);
    expect((await listed()).twoFactorEnabled).toBe(false);
    expect((await login(T, desk.email, desk.password)).json().token).toMatch(/^shs_/);
    expect((await call(T, 'DELETE', `/api/staff/${desk.id}/two-factor`, undefined, T.ownerToken)).json().reason).toBe('not_enabled');
  });
});
