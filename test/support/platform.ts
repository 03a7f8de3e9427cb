import { randomUUID } from 'node:crypto';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import pg from 'pg';
import type { Logger } from 'pino';
import { inject } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { buildApp } from '../../src/platform/http/app.js';
import { createLogger, type Runtime } from '../../src/platform/runtime.js';
import { openAppRuntime } from '../../src/app/composition.js';
import { TEST_ENV } from './env.js';

export interface TestTenant {
  id: string;
  slug: string;
  host: string;
  ownerEmail: string;
  ownerPassword: string;
  ownerToken: string;
}

export interface TestPlatform {
  runtime: Runtime;
  app: FastifyInstance;
  adminUrl: string;
  /** DATABASE_URL and EXTRA_CLUSTERS of this run, for a CLI or server started as its own process. */
  databaseEnv: Record<string, string>;
  platformToken: string;
  /** Sends a request to a tenant's address, optionally as a bearer. */
  call(tenant: Pick<TestTenant, 'host'>, opts: InjectOptions & { token?: string }): Promise<LightMyRequestResponse>;
  platform(opts: InjectOptions): Promise<LightMyRequestResponse>;
  createTenant(opts?: { tier?: 'pool' | 'silo'; placementId?: string }): Promise<TestTenant>;
  /** A superuser client: it bypasses RLS, for looking at what really is in the tables. */
  admin(): Promise<pg.Client>;
  close(): Promise<void>;
}

export const uniqueSlug = (prefix = 't') => `${prefix}-${randomUUID().slice(0, 8)}`;

/** The run's databases as environment variables (the global setup chose them: embedded, or a real server). */
export const testDatabaseEnv = (): Record<string, string> => ({
  DATABASE_URL: inject('adminUrl'),
  EXTRA_CLUSTERS: JSON.stringify(inject('extraClusters')),
});

export async function startTestPlatform(env: Record<string, string> = {}, log?: Logger): Promise<TestPlatform> {
  const databaseEnv = testDatabaseEnv();
  const adminUrl = databaseEnv.DATABASE_URL!;
  const config = loadConfig({ ...TEST_ENV, ...databaseEnv, ...env });
  const runtime = await openAppRuntime(config, log ?? createLogger({ LOG_LEVEL: 'silent' }));
  const app = await buildApp(runtime);
  const admins: pg.Client[] = [];
  const platformToken = TEST_ENV.PLATFORM_ADMIN_TOKEN;

  const call: TestPlatform['call'] = (tenant, { token, headers, ...opts }) =>
    app.inject({
      ...opts,
      headers: { host: tenant.host, ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    });

  const platform: TestPlatform = {
    runtime,
    app,
    adminUrl,
    databaseEnv,
    platformToken,
    call,
    platform: (opts) => app.inject({ ...opts, headers: { authorization: `Bearer ${platformToken}`, ...opts.headers } }),
    async createTenant(opts = {}) {
      const slug = uniqueSlug();
      const ownerEmail = `owner@${slug}.example.com`;
      const ownerPassword = `pw-${randomUUID()}`;
      const created = await runtime.tenants.create({
        slug,
        displayName: `Studio ${slug}`,
        tier: opts.tier ?? 'pool',
        plan: 'standard',
        placementId: opts.placementId,
        owner: { email: ownerEmail, displayName: 'Owner', password: ownerPassword },
      });
      const host = `${slug}.${config.BASE_DOMAIN}`;
      const login = await app.inject({
        method: 'POST',
        url: '/api/auth/login',
        headers: { host },
        payload: { email: ownerEmail, password: ownerPassword },
      });
      if (login.statusCode !== 200) throw new Error(`owner login failed: ${login.body}`);
      return { id: created.tenant.id, slug, host, ownerEmail, ownerPassword, ownerToken: login.json().token };
    },
    async admin() {
      const client = new pg.Client({ connectionString: inject('superuserUrl') });
      await client.connect();
      admins.push(client);
      return client;
    },
    async close() {
      await Promise.all(admins.map((c) => c.end()));
      await app.close();
      await runtime.close();
    },
  };
  return platform;
}
