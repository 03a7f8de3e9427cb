import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config.js';
import { loadPushKeys, pushPayload } from './push-sender.js';

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

describe('the VAPID key pair', () => {
  it('is made once for the embedded database and kept in DATA_DIR, readable by its owner only', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'vapid-'));
    dirs.push(dir);
    const config = loadConfig({ DATA_DIR: dir, BASE_DOMAIN: 'studiohive.test' });
    const first = await loadPushKeys(config);
    expect(first).toMatchObject({ publicKey: expect.stringMatching(/^[\w-]{87}$/), privateKey: expect.stringMatching(/^[\w-]{43}$/), subject: 'mailto:no-reply@studiohive.test' });
    // A restart (or a second process) signs with the same pair, so browsers' subscriptions stay valid.
    expect(await loadPushKeys(config)).toEqual(first);
    expect((await stat(path.join(dir, 'vapid.json'))).mode & 0o777).toBe(0o600);
  });

  it('is the configured one, or none with an external database', async () => {
    const keys = { VAPID_PUBLIC_KEY: `B${'a'.repeat(86)}`, VAPID_PRIVATE_KEY: 'k'.repeat(43), VAPID_SUBJECT: 'https://studiohive.test/contact' };
    const external = { DATABASE_URL: 'postgres://localhost/x', APP_DATABASE_PASSWORD: 'p'.repeat(16), PLATFORM_DATABASE_PASSWORD: 'p'.repeat(16) };
    expect(await loadPushKeys(loadConfig({ ...external, ...keys }))).toEqual({ publicKey: keys.VAPID_PUBLIC_KEY, privateKey: keys.VAPID_PRIVATE_KEY, subject: keys.VAPID_SUBJECT });
    expect(await loadPushKeys(loadConfig(external))).toBeNull();
    expect(() => loadConfig({ ...external, VAPID_PUBLIC_KEY: keys.VAPID_PUBLIC_KEY })).toThrow(/VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY: set both/);
    expect(() => loadConfig({ ...external, VAPID_SUBJECT: 'ops@studiohive.test' })).toThrow(/VAPID_SUBJECT/);
  });
});

describe('the payload', () => {
  it('is the message as it is when it fits, and a long body cut with an ellipsis to what push services take', () => {
    expect(JSON.parse(pushPayload('休講のお知らせ', '本文', '/member'))).toEqual({ title: '休講のお知らせ', body: '本文', url: '/member' });
    const long = pushPayload('休講のお知らせ', 'ヨガ'.repeat(3000), 'https://t.studiohive.test/member/bookings');
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(3800);
    const { body } = JSON.parse(long) as { body: string };
    expect(body.endsWith('…')).toBe(true);
    expect(body.length).toBeGreaterThan(1000);
  });
});
