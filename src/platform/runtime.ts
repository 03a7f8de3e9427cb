import { readFile } from 'node:fs/promises';
import pg from 'pg';
import pMap from 'p-map';
import pino, { type Logger } from 'pino';
import type { Config } from '../config.js';
import type { Composition } from './composition.js';
import { createAuthService, type AuthService } from './auth/auth.service.js';
import { createStaffService } from './auth/staff.service.js';
import { Databases, withCredentials } from './db/databases.js';
import { startEmbeddedPostgres, loadLocalSecrets, type EmbeddedServer } from './db/embedded.js';
import { MigrationRunError, migrateDatabase, pendingMigrations, readMigrations } from './db/migrate.js';
import { ensureDatabase, ensureLoginRole, grantRoles, type RoleNames } from './db/roles.js';
import type { MigrationStatus, Placement, Tenant, Tier } from './db/types.js';
import { AppError } from './errors.js';
import { text } from './i18n.js';
import { Jobs } from './jobs/jobs.js';
import { systemClock, type SettableClock } from './clock.js';
import { currentTenant } from './tenancy/context.js';
import { TenantDirectory } from './tenancy/directory.js';
import { createMetrics, type Metrics } from './observability/metrics.js';
import { deliverableChannels, type ChannelSenders } from './messaging/channels.js';
import { canDeliver, deliverTenantMessages, type DeliveryResult } from './messaging/delivery.js';
import { createMailTransport, mailSender } from './messaging/mail-sender.js';
import { loadPushKeys, pushSender, type PushKeys } from './messaging/push-sender.js';
import { lineSender } from './messaging/line-sender.js';
import { onMessageQueued } from './messaging/outbox.js';
import { createTenantsService, type TenantsService } from './tenancy/tenants.service.js';
import { tenantsRepo } from './tenancy/tenants.repo.js';

/** One placement's part of a migrate. */
export interface PlacementMigration {
  id: string;
  tier: Tier;
  cluster: string;
  database: string;
  /** Tenant migrations this run applied to its database (those before a failure stay applied). */
  applied: string[];
  status: MigrationStatus;
  error: string | null;
  durationMs: number;
}

export interface MigrationReport {
  /** The control-plane database (platform and tenant migrations: it is also pool-main) and the job queue. */
  controlPlane: { applied: string[]; durationMs: number };
  placements: PlacementMigration[];
}

export interface Runtime {
  config: Config;
  /** The business modules and hooks the composition root wired in (src/app/composition.ts). */
  composition: Composition;
  log: Logger;
  databases: Databases;
  directory: TenantDirectory;
  jobs: Jobs;
  auth: AuthService;
  staff: ReturnType<typeof createStaffService>;
  tenants: TenantsService;
  /** Prometheus registry of this process (/metrics). */
  metrics: Metrics;
  /**
   * Message delivery: the channels this deployment sends on (mail needs SMTP_URL; without a channel its messages
   * stay in the outbox), and one batch of a studio's outbox.
   */
  messaging: { senders: ChannelSenders; canDeliver: boolean; deliver(tenantId: string): Promise<DeliveryResult>; push: PushKeys | null };
  platformAdminToken: string | undefined;
  /** Owner connection of the control-plane database (migrations, jobs, provisioning). */
  adminUrl: string;
  embedded: EmbeddedServer | null;
  tenantUrl(tenant: Pick<Tenant, 'slug'>): string;
  /** The time as the app sees it; tests move it to exercise date rules (cut-off days, month ends). */
  clock: SettableClock;
  /**
   * The control plane first (its failure throws: nothing else is tried), then every other placement, or only
   * `placement`, MIGRATE_CONCURRENCY at a time; a placement's failure is reported and marked, not thrown.
   */
  migrate(opts?: { placement?: string }): Promise<MigrationReport>;
  /** The control-plane migrations this code has and its database lacks (for a start without migrating). */
  pendingControlPlaneMigrations(): Promise<string[]>;
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
 * Nothing here listens on a port; main.ts and the CLI decide what to run. Entry points call it through
 * `openAppRuntime` (src/app/composition.ts), which passes the app's modules.
 */
export async function openRuntime(config: Config, composition: Composition, log: Logger = createLogger(config)): Promise<Runtime> {
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
    preparedPerConnection: config.DB_PREPARED_STATEMENTS,
    admission: { tenantShare: config.ADMISSION_TENANT_SHARE, queueMax: config.ADMISSION_QUEUE_MAX, waitMs: config.ADMISSION_WAIT_MS },
  });
  const directory = new TenantDirectory(databases, {
    ttlMs: config.TENANT_CACHE_TTL_MS,
    max: config.TENANT_CACHE_MAX,
    baseDomain: config.BASE_DOMAIN,
    schemaVersion: (await readMigrations('tenant')).length,
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
    memberSessions: composition.hooks.memberSessions,
  });

  const roles: RoleNames = { app: config.APP_DATABASE_USER, platform: config.PLATFORM_DATABASE_USER };

  function migrateTenantDatabase(placement: Pick<Placement, 'cluster' | 'database'>, opts: { ensureRoles?: boolean } = {}) {
    return migrateDatabase(databases.adminUrl(placement), ['tenant'], async (client) => {
      if (opts.ensureRoles) await ensureRuntimeRoles(client);
      await grantRoles(client, roles, { controlPlane: false });
    });
  }

  /** Roles belong to a cluster, not a database: a placement on another cluster needs them made there too. */
  async function ensureRuntimeRoles(client: pg.Client) {
    await ensureLoginRole(client, roles.app, appPassword!);
    await ensureLoginRole(client, roles.platform, platformPassword!);
  }

  /** The runtime roles on one cluster, through its maintenance database (as ensureDatabase connects). */
  async function ensureClusterRoles(cluster: string) {
    const client = new pg.Client({ connectionString: withCredentials(databases.clusterUrl(cluster), { database: 'postgres' }) });
    await client.connect();
    try {
      await ensureRuntimeRoles(client);
    } finally {
      await client.end();
    }
  }

  async function provisionDatabase(placement: Pick<Placement, 'cluster' | 'database'>) {
    await ensureDatabase(databases.clusterUrl(placement.cluster), placement.database);
    const result = await migrateTenantDatabase(placement, { ensureRoles: true });
    return { schemaVersion: result.versions.tenant ?? 0 };
  }

  const since = (start: number) => Math.round(performance.now() - start);
  const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

  /**
   * Migrates one placement other than the control plane and records the outcome in the catalog: a failure marks it
   * (its tenants get 503 maintenance) and is returned, never thrown, so the other placements go on.
   */
  async function migratePlacement(placement: Placement, rolesOn: (cluster: string) => Promise<void>): Promise<PlacementMigration> {
    const started = performance.now();
    const report = (outcome: Pick<PlacementMigration, 'applied' | 'error'>): PlacementMigration => ({
      id: placement.id,
      tier: placement.tier,
      cluster: placement.cluster,
      database: placement.database,
      ...outcome,
      status: outcome.error === null ? 'ok' : 'failed',
      durationMs: since(started),
    });
    if (!(placement.cluster in databases.settings.clusters)) {
      // This instance's configuration is at fault, not the database: nothing is marked in the catalog.
      return report({ applied: [], error: `Cluster "${placement.cluster}" is not configured on this instance (EXTRA_CLUSTERS)` });
    }
    let outcome: Pick<PlacementMigration, 'applied' | 'error'>;
    let schemaVersion = 0;
    try {
      await rolesOn(placement.cluster);
      const result = await migrateTenantDatabase(placement);
      outcome = { applied: result.applied, error: null };
      schemaVersion = result.versions.tenant ?? 0;
    } catch (error) {
      outcome = { applied: error instanceof MigrationRunError ? error.applied : [], error: messageOf(error) };
    }
    try {
      await tenantsRepo.recordMigration(databases.platform, placement.id, outcome.error === null ? { schemaVersion } : { error: outcome.error });
    } catch (error) {
      const before = outcome.error === null ? '' : `${outcome.error}; `;
      outcome = { ...outcome, error: `${before}the catalog could not record the outcome: ${messageOf(error)}` };
    }
    // This instance applies the new state at once; other instances within their placement cache's expiry.
    directory.forgetPlacement(placement.id);
    return report(outcome);
  }

  const tenants = createTenantsService({
    databases,
    directory,
    auth,
    jobs,
    purgeDelayMs: config.TENANT_PURGE_DELAY_HOURS * 3_600_000 + config.TENANT_PURGE_SETTLE_MS,
    provisionDatabase,
  });

  const metrics = createMetrics();
  const mailTransport = createMailTransport(config);
  const pushKeys = await loadPushKeys(config);
  const pushCa = config.PUSH_CA_FILE ? await readFile(config.PUSH_CA_FILE, 'utf8') : undefined;
  // LINE always: a studio without a channel connected has its LINE messages fail at once and go by mail.
  const senders: ChannelSenders = {
    line: lineSender(config),
    ...(mailTransport ? { mail: mailSender(mailTransport, config, tenantUrl) } : {}),
    ...(pushKeys ? { push: pushSender(pushKeys, { ca: pushCa, timeoutMs: config.PUSH_SEND_TIMEOUT_MS }) } : {}),
  };
  // Messages queued by a committed transaction are sent at once, not at the next sweep.
  const stopMessageKicks = canDeliver(senders)
    ? onMessageQueued((tenantId, channels) => {
        // Mail alone without SMTP_URL waits in the outbox: no job would send it.
        if (!deliverableChannels(senders).some((c) => channels.has(c))) return;
        jobs.add('messages_deliver', { tenantId }, { jobKey: `messages:${tenantId}` }).catch((error: unknown) => {
          log.warn({ err: error, tenantId }, 'could not queue message delivery; the messages sweep will send it');
        });
      })
    : () => false;
  const clock = systemClock();

  const runtime: Runtime = {
    config,
    composition,
    log,
    databases,
    directory,
    jobs,
    auth,
    staff: createStaffService(auth),
    tenants,
    metrics,
    messaging: {
      senders,
      push: pushKeys,
      canDeliver: canDeliver(senders),
      deliver: (tenantId) =>
        deliverTenantMessages(
          { directory, senders, config, now: () => clock.now(), count: (channel, outcome) => metrics.deliveries.inc({ channel, outcome }) },
          tenantId,
        ),
    },
    platformAdminToken,
    adminUrl,
    embedded,
    tenantUrl,
    clock,
    async migrate(opts = {}) {
      const started = performance.now();
      const control = await migrateDatabase(adminUrl, ['platform', 'tenant'], async (client) => {
        await ensureRuntimeRoles(client);
        await grantRoles(client, roles, { controlPlane: true });
      });
      await jobs.migrate();
      const controlPlane = { applied: control.applied, durationMs: since(started) };
      const all = await tenantsRepo.placements(databases.platform);
      const chosen = opts.placement === undefined ? all : all.filter((p) => p.id === opts.placement);
      if (chosen.length === 0 && opts.placement !== undefined) throw new AppError('not_found', text('platform.placement_not_found', { id: opts.placement }));
      // Once per cluster holding a placement, before its databases; main's were made with the control plane.
      const clusterRoles = new Map<string, Promise<void>>([['main', Promise.resolve()]]);
      const rolesOn = (cluster: string) => {
        if (!clusterRoles.has(cluster)) clusterRoles.set(cluster, ensureClusterRoles(cluster));
        return clusterRoles.get(cluster)!;
      };
      const placements = await pMap(
        chosen,
        async (placement): Promise<PlacementMigration> => {
          if (!databases.isControlDatabase(placement)) return migratePlacement(placement, rolesOn);
          // pool-main is the control-plane database, migrated above.
          await tenantsRepo.recordMigration(databases.platform, placement.id, { schemaVersion: control.versions.tenant ?? 0 });
          directory.forgetPlacement(placement.id);
          const { id, tier, cluster, database } = placement;
          const applied = control.applied.filter((m) => m.startsWith('tenant/'));
          return { id, tier, cluster, database, applied, status: 'ok', error: null, durationMs: controlPlane.durationMs };
        },
        { concurrency: config.MIGRATE_CONCURRENCY },
      );
      return { controlPlane, placements };
    },
    pendingControlPlaneMigrations: () => pendingMigrations(adminUrl, ['platform', 'tenant']),
    async close() {
      stopMessageKicks();
      await jobs.stop();
      for (const sender of Object.values(senders)) sender.close?.();
      await databases.close();
      await embedded?.stop();
    },
  };
  return runtime;
}
