import { chmod, mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Analytics } from '../../src/platform/analytics/analytics.service.js';
import pg from 'pg';
import { LocalStore } from '../../src/platform/analytics/storage.js';
import { freePort, startServer } from '../support/server-process.js';
import { loadLocalSecrets, startEmbeddedPostgres } from '../../src/platform/db/embedded.js';

const BROWSER = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/** One beacon over its own connection; resolves with the status, or 0 when the server was already gone. */
function beacon(port: number, i: number): Promise<number> {
  return new Promise((resolve) => {
    const body = JSON.stringify({ path: `/page-${i % 10}`, screen: '1440x900', language: 'ja-JP' });
    const req = http.request(
      { host: '127.0.0.1', port, path: '/api/beacon', method: 'POST', agent: false,
        headers: { host: `demo.localhost:${port}`, 'content-type': 'application/json', 'user-agent': BROWSER, 'content-length': Buffer.byteLength(body) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

describe('a graceful stop', () => {
  it('writes every accepted beacon event to storage, and every counted request to the usage table, before the process exits', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'studiohive-stop-'));
    dirs.push(dataDir);
    await chmod(dataDir, 0o777);
    const analyticsDir = path.join(dataDir, 'analytics');
    const port = await freePort();
    const pgPort = await freePort();
    const { child, output, exited } = await startServer({
      DATA_DIR: dataDir, ANALYTICS_DIR: analyticsDir, PORT: String(port), HOST: '127.0.0.1', EMBEDDED_PG_PORT: String(pgPort), RUN_WORKER: 'false',
      // Nothing is written before the stop: the flush at shutdown must write it all.
      BEACON_FLUSH_MS: '3600000', BEACON_FLUSH_EVENTS: '1000000', USAGE_FLUSH_MS: '3600000',
    });

    const N = 400;
    const before: number[] = [];
    for (let i = 0; i < N; i += 50) before.push(...(await Promise.all(Array.from({ length: 50 }, (_, j) => beacon(port, i + j)))));
    expect(before).toEqual(Array(N).fill(204));
    expect(await new LocalStore(analyticsDir).list('')).toEqual([]);

    // More beacons race the signal: whichever were answered 204 were accepted and must be stored too.
    const racing = Array.from({ length: 200 }, (_, i) => beacon(port, N + i));
    child.kill('SIGTERM');
    const raced = await Promise.all(racing);
    expect(await exited, output()).toBe(0);
    const accepted = N + raced.filter((s) => s === 204).length;

    const analytics = await Analytics.open(new LocalStore(analyticsDir), analyticsDir);
    try {
      expect(await analytics.eventCount({})).toBe(accepted);
      expect((await analytics.visitors({})).reduce((n, r) => n + r.views, 0)).toBe(accepted);
    } finally {
      await analytics.close();
    }

    // The per-tenant usage counters were only in memory too: the stop added them to platform.tenant_usage.
    const secrets = await loadLocalSecrets(dataDir);
    const server = await startEmbeddedPostgres({ dataDir, port: pgPort, database: 'studiohive', password: secrets.postgresPassword, onLog: () => {} });
    const db = new pg.Client({ connectionString: server.adminUrl });
    try {
      await db.connect();
      const usage = await db.query<{ requests: string }>(
        `select coalesce(sum(u.requests), 0)::text as requests
           from platform.tenant_usage u join platform.tenants t on t.id = u.tenant_id where t.slug = 'demo'`,
      );
      expect(Number(usage.rows[0]!.requests)).toBe(accepted);
    } finally {
      await db.end();
      await server.stop();
    }
  });
});
