import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { startTestPlatform, uniqueSlug, type TestPlatform } from '../support/platform.js';

let platform: TestPlatform;
const cli = (...args: string[]) => runCli(platform.databaseEnv, args);

beforeAll(async () => {
  platform = await startTestPlatform();
});
afterAll(() => platform?.close());

describe('studiohive placements and tenants create --cluster', () => {
  it('adds a pool cell on another cluster, creates a silo there, and lists both', async () => {
    const id = `pool-cli-${uniqueSlug('c').slice(2)}`;
    const added = await cli('placements', 'add', '--tier', 'pool', '--cluster', 'second', '--id', id, '--capacity', '50', '--json');
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    expect(JSON.parse(added.stdout)).toEqual([{ id, tier: 'pool', cluster: 'second', database: `studiohive_${id.replaceAll('-', '_')}`, tenantCapacity: 50, tenantCount: 0 }]);

    const slug = uniqueSlug();
    const created = await cli('tenants', 'create', '--slug', slug, '--name', 'Silo elsewhere', '--owner-email', `owner@${slug}.example.com`,
      '--owner-password', 'owner password 123', '--tier', 'silo', '--cluster', 'second', '--json');
    expect(created.code, created.stderr).toBe(0);
    expect(JSON.parse(created.stdout).tenant).toMatchObject({ slug, tier: 'silo', placementId: `silo-${slug}` });

    const listed = await cli('placements', 'list', '--json');
    const rows = JSON.parse(listed.stdout) as Array<{ id: string; cluster: string; tenantCount: number }>;
    expect(rows.find((p) => p.id === id)).toMatchObject({ cluster: 'second', tenantCount: 0 });
    expect(rows.find((p) => p.id === `silo-${slug}`)).toMatchObject({ cluster: 'second', tenantCount: 1 });
    // The silo on the other cluster serves its owner.
    const login = await platform.app.inject({
      method: 'POST', url: '/api/auth/login', headers: { host: `${slug}.studiohive.test` },
      payload: { email: `owner@${slug}.example.com`, password: 'owner password 123' },
    });
    expect(login.statusCode).toBe(200);
  });

  it('refuses an unknown cluster and a missing tier with exit code 2, creating nothing', async () => {
    const unknown = await cli('placements', 'add', '--tier', 'pool', '--cluster', 'nowhere', '--id', 'pool-never-made');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/No database cluster "nowhere" \(configured: main, second;/);
    const noTier = await cli('placements', 'add');
    expect(noTier.code).not.toBe(0);
    expect(noTier.stderr).toMatch(/--tier/);
    const rows = JSON.parse((await cli('placements', 'list', '--json')).stdout) as Array<{ id: string }>;
    expect(rows.map((p) => p.id)).not.toContain('pool-never-made');
  });
});
