import type pg from 'pg';
import pino, { type Logger } from 'pino';
import type { Config } from '../config.js';
import { createAuthService, type AuthService } from './auth/auth.service.js';
import { createStaffService } from './auth/staff.service.js';
import { Databases, databaseName } from './db/databases.js';
import { startEmbeddedPostgres, loadLocalSecrets, type EmbeddedServer } from './db/embedded.js';
import { migrateDatabase } from './db/migrate.js';
import { ensureDatabase, ensureLoginRole, grantRoles, type RoleNames } from './db/roles.js';
import type { Placement, Tenant } from './db/types.js';
import { Jobs } from './jobs/jobs.js';
import { systemClock, type SettableClock } from './clock.js';
import { currentTenant } from './tenancy/context.js';
import { TenantDirectory } from './tenancy/directory.js';
import { createMetrics, type Metrics } from './observability/metrics.js';
import { createTenantsService, type TenantsService } from './tenancy/tenants.service.js';
import { tenantsRepo } from './tenancy/tenants.repo.js';

export interface Runtime {
  config: Config;
  log: Logger;
  databases: Databases;
  directory: TenantDirectory;
  jobs: Jobs;
  auth: AuthService;
  staff: ReturnType<typeof createStaffService>;
  tenants: TenantsService;
  /** Prometheus registry of this process (/metrics). */
  metrics: Metrics;
  platformAdminToken: string | undefined;
  /** Owner connection of the control-plane database (migrations, jobs, provisioning). */
  adminUrl: string;
  embedded: EmbeddedServer | null;
  tenantUrl(tenant: Pick<Tenant, 'slug'>): string;
  /** The time as the app sees it; tests move it to exercise date rules (cut-off days, month ends). */
  clock: SettableClock;
  migrate(): Promise<string[]>;
  close(): Promise<void>;
}

export function createLogger(config: Pick<Config, 'LOG_LEVEL'>): Logger {
  return pino({
    level: config.LOG_LEVEL,
    // Any line logged while serving a tenant carries its id, without passing it around.
    mixin: () => {
      const tenant = currentTenant();
      return tenant ? { tenantId: tenant.id } : {};
    },
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-api-key"]', '*.password', '*.token', '*.key'],
      censor: '[redacted]',
    },
  });
}

/**
 * Opens databases (starting the embedded PostgreSQL when DATABASE_URL is unset) and wires the services.
 * Nothing here listens on a port; main.ts and the CLI decide what to run.
 */
export async function openRuntime(config: Config, log: Logger = createLogger(config)): Promise<Runtime> {
  let embedded: EmbeddedServer | null = null;
  let adminUrl = config.DATABASE_URL;
  let appPassword = config.APP_DATABASE_PASSWORD;
  let platformPassword = config.PLATFORM_DATABASE_PASSWORD;
  let platformAdminToken = config.PLATFORM_ADMIN_TOKEN;
  if (!adminUrl) {
    const secrets = await loadLocalSecrets(config.DATA_DIR);
    embedded = await startEmbeddedPostgres({
      dataDir: config.DATA_DIR,
      port: config.EMBEDDED_PG_PORT,
      database: 'studiohive',
      password: secrets.postgresPassword,
      onLog: (line) => log.debug({ component: 'embedded-postgres' }, line),
    });
    adminUrl = embedded.adminUrl;
    appPassword ??= secrets.appDatabasePassword;
    platformPassword ??= secrets.platformDatabasePassword;
    platformAdminToken ??= secrets.platformAdminToken;
  }
  const clusters = { ...(config.EXTRA_CLUSTERS ?? {}), main: adminUrl };
  const databases = new Databases({
    clusters,
    appUser: config.APP_DATABASE_USER,
    appPassword: appPassword!,
    platformUser: config.PLATFORM_DATABASE_USER,
    platformPassword: platformPassword!,
    poolMax: config.DB_POOL_MAX,
    siloPoolMax: config.SILO_POOL_MAX,
    siloPoolsOpenMax: config.SILO_POOLS_OPEN_MAX,
    idleTimeoutMs: config.DB_IDLE_TIMEOUT_MS,
  });
  const directory = new TenantDirectory(databases, {
    ttlMs: config.TENANT_CACHE_TTL_MS,
    max: config.TENANT_CACHE_MAX,
    baseDomain: config.BASE_DOMAIN,
  });
  const jobs = new Jobs(adminUrl, log.child({ component: 'jobs' }));
  const publicPort = [80, 443].includes(config.PORT) ? '' : `:${config.PORT}`;
  const tenantUrl = (tenant: Pick<Tenant, 'slug'>) =>
    `${config.PUBLIC_URL_SCHEME}://${tenant.slug}.${config.BASE_DOMAIN}${publicPort}`;
  const auth = createAuthService({
    sessionTtlHours: config.SESSION_TTL_HOURS,
    maxFailuresPerAccount: config.LOGIN_MAX_FAILURES_PER_ACCOUNT,
    maxFailuresPerIp: config.LOGIN_MAX_FAILURES_PER_IP,
    maxFailuresPerTenantMinute: config.LOGIN_MAX_FAILURES_PER_TENANT_MINUTE,
    resetsPerEmailHour: config.PASSWORD_RESETS_PER_EMAIL_HOUR,
    windowMinutes: config.LOGIN_WINDOW_MINUTES,
    tenantUrl,
  });

  const roles: RoleNames = { app: config.APP_DATABASE_USER, platform: config.PLATFORM_DATABASE_USER };

  async function migrateTenantDatabase(placement: Pick<Placement, 'cluster' | 'database'>, opts: { ensureRoles?: boolean } = {}) {
    const result = await migrateDatabase(databases.adminUrl(placement), ['tenant'], async (client) => {
      if (opts.ensureRoles) await ensureRuntimeRoles(client);
      await grantRoles(client, roles, { controlPlane: false });
    });
    return result.applied;
  }

  /** Roles belong to a cluster, not a database: a placement on another cluster needs them made there too. */
  async function ensureRuntimeRoles(client: pg.Client) {
    await ensureLoginRole(client, roles.app, appPassword!);
    await ensureLoginRole(client, roles.platform, platformPassword!);
  }

  async function provisionDatabase(placement: Pick<Placement, 'cluster' | 'database'>) {
    await ensureDatabase(databases.clusterUrl(placement.cluster), placement.database);
    await migrateTenantDatabase(placement, { ensureRoles: true });
  }

  const tenants = createTenantsService({
    databases,
    directory,
    auth,
    jobs,
    purgeDelayMs: config.TENANT_PURGE_DELAY_HOURS * 3_600_000 + config.TENANT_PURGE_SETTLE_MS,
    provisionDatabase,
  });

  const runtime: Runtime = {
    config,
    log,
    databases,
    directory,
    jobs,
    auth,
    staff: createStaffService(auth),
    tenants,
    metrics: createMetrics(),
    platformAdminToken,
    adminUrl,
    embedded,
    tenantUrl,
    clock: systemClock(),
    /** Control plane and its pool first, then every other placement in the catalog. */
    async migrate() {
      const applied = (
        await migrateDatabase(adminUrl, ['platform', 'tenant'], async (client) => {
          await ensureRuntimeRoles(client);
          await grantRoles(client, roles, { controlPlane: true });
        })
      ).applied;
      const mainDb = databaseName(adminUrl);
      for (const placement of await tenantsRepo.placements(databases.control)) {
        if (placement.cluster === 'main' && placement.database === mainDb) continue;
        const more = await migrateTenantDatabase(placement);
        applied.push(...more.map((m) => `${placement.id}:${m}`));
      }
      await jobs.migrate();
      return applied;
    },
    async close() {
      await jobs.stop();
      await databases.close();
      await embedded?.stop();
    },
  };
  return runtime;
}
