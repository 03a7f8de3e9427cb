import { readFileSync } from 'node:fs';
import { z } from 'zod';

const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

const postgresUrl = z
  .string()
  .url()
  .refine((u) => /^postgres(ql)?:\/\//.test(u), 'must be a postgres:// or postgresql:// URL');

/** A JSON value in an environment variable, then checked by `schema`; `example` says what is expected. */
const jsonEnv = <T extends z.ZodType>(schema: T, example: string) =>
  z
    .string()
    .transform((raw, ctx) => {
      try {
        return JSON.parse(raw) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: `must be JSON like ${example}` });
        return z.NEVER;
      }
    })
    .pipe(schema);

const clusters = jsonEnv(z.record(z.string().regex(/^[a-z][a-z0-9_-]{0,30}$/), postgresUrl), '{"name": "postgres://..."}');

/** A threshold: a percentage of the limit ("70%") or an absolute usage (4900). */
const threshold = z.union([z.string().regex(/^\d+(\.\d+)?%$/), z.number().int().min(0)]);

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  BASE_DOMAIN: z
    .string()
    .regex(/^[a-z0-9.-]+$/, 'must be a lower-case host name such as studiohive.app or localhost')
    .default('localhost'),
  TRUST_PROXY: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  PUBLIC_URL_SCHEME: z.enum(['http', 'https']).default('http'),
  DATABASE_URL: postgresUrl.optional(),
  EXTRA_CLUSTERS: clusters.optional(),
  APP_DATABASE_USER: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/).default('studiohive_app'),
  APP_DATABASE_PASSWORD: z.string().min(16, 'must be at least 16 characters').optional(),
  PLATFORM_DATABASE_USER: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/).default('studiohive_platform'),
  PLATFORM_DATABASE_PASSWORD: z.string().min(16, 'must be at least 16 characters').optional(),
  PLATFORM_ADMIN_TOKEN: z.string().min(24, 'must be at least 24 characters').optional(),
  LOG_LEVEL: logLevel.default('info'),
  DATA_DIR: z.string().min(1).default('.studiohive'),
  EMBEDDED_PG_PORT: z.coerce.number().int().min(1024).max(65535).default(54329),
  DB_POOL_MAX: z.coerce.number().int().min(1).max(500).default(10),
  SILO_POOL_MAX: z.coerce.number().int().min(1).max(100).default(3),
  SILO_POOLS_OPEN_MAX: z.coerce.number().int().min(1).max(10_000).default(50),
  DB_IDLE_TIMEOUT_MS: z.coerce.number().int().min(1000).default(30_000),
  // Named prepared statements per database connection; 0 sends every statement unnamed (PgBouncer before 1.21 in
  // transaction mode needs 0).
  DB_PREPARED_STATEMENTS: z.coerce.number().int().min(0).max(10_000).default(200),
  // Fair admission (docs/operating.md): one tenant's part of a pool cell's connections, its queue and wait.
  ADMISSION_TENANT_SHARE: z.coerce.number().gt(0).max(1).default(0.5),
  ADMISSION_QUEUE_MAX: z.coerce.number().int().min(1).max(100_000).default(1000),
  ADMISSION_WAIT_MS: z.coerce.number().int().min(10).max(60_000).default(5000),
  // A studio's waiting room lets this many members in each second after a booking window opens (docs/operating.md).
  WAITING_ROOM_ADMIT_PER_SECOND: z.coerce.number().int().min(1).max(10_000).default(25),
  TENANT_CACHE_TTL_MS: z.coerce.number().int().min(0).max(60_000).default(5_000),
  TENANT_CACHE_MAX: z.coerce.number().int().min(1).default(10_000),
  SESSION_TTL_HOURS: z.coerce.number().int().min(1).max(24 * 90).default(24 * 14),
  MEMBER_SESSION_TTL_HOURS: z.coerce.number().int().min(1).max(24 * 400).default(24 * 90),
  TENANT_PURGE_DELAY_HOURS: z.coerce.number().min(0).default(0),
  TENANT_PURGE_SETTLE_MS: z.coerce.number().int().min(0).default(60_000),
  LOGIN_MAX_FAILURES_PER_ACCOUNT: z.coerce.number().int().min(1).default(5),
  LOGIN_MAX_FAILURES_PER_IP: z.coerce.number().int().min(1).default(30),
  LOGIN_MAX_FAILURES_PER_TENANT_MINUTE: z.coerce.number().int().min(1).default(300),
  PASSWORD_RESETS_PER_EMAIL_HOUR: z.coerce.number().int().min(1).default(3),
  LOGIN_WINDOW_MINUTES: z.coerce.number().int().min(1).default(15),
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(10_000),
  // Another Stripe API base (stripe-mock, the test fake); Stripe itself when unset.
  STRIPE_API_URL: z
    .string()
    .url()
    .refine((u) => /^https?:\/\//.test(u), 'must be an http:// or https:// URL')
    .optional(),
  // Operations (issue 6). /metrics answers on METRICS_PORT without a token when set, else on PORT to a bearer
  // token: METRICS_TOKEN, or the platform admin token.
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  METRICS_TOKEN: z.string().min(24, 'must be at least 24 characters').optional(),
  // Per-tenant request counts and time are kept in memory and added to platform.tenant_usage this often.
  USAGE_FLUSH_MS: z.coerce.number().int().min(100).default(60_000),
  // Page-view beacon: where batches go, how many events memory may hold, and when a batch is written.
  ANALYTICS_STORAGE: z.enum(['local', 's3']).default('local'),
  ANALYTICS_DIR: z.string().min(1).optional(),
  S3_BUCKET: z.string().min(3).optional(),
  S3_PREFIX: z.string().regex(/^([A-Za-z0-9._-]+\/)*$/, 'must be empty or end with /, like analytics/').default(''),
  S3_ENDPOINT: z.string().url().optional(),
  S3_REGION: z.string().min(1).default('us-east-1'),
  S3_FORCE_PATH_STYLE: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  BEACON_BUFFER_MAX: z.coerce.number().int().min(1).max(10_000_000).default(50_000),
  BEACON_FLUSH_MS: z.coerce.number().int().min(100).default(10_000),
  BEACON_FLUSH_EVENTS: z.coerce.number().int().min(1).default(5_000),
  // Per-tenant request rate limit (each tenant's plan sets requests per minute); off only for experiments.
  RATE_LIMIT: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  // Platform capacity limits and threshold overrides (see docs/operating.md, Limits and quotas).
  DB_SIZE_LIMIT_BYTES: z.coerce.number().int().min(1).default(100 * 1024 ** 3),
  JOB_BACKLOG_LIMIT: z.coerce.number().int().min(1).default(10_000),
  LIMIT_THRESHOLDS: jsonEnv(
    z.record(z.string(), z.object({ warning: threshold.optional(), critical: threshold.optional() }).strict()),
    '{"tenant.members": {"warning": "70%", "critical": 4900}}',
  ).optional(),
  RUN_WORKER: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  SEED_DEMO: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  // false: start without migrating (production runs `studiohive migrate` as a release step); the instance then
  // refuses to start while the control plane lacks a migration of its code.
  MIGRATE_ON_START: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  // Mail delivery (issue 18): an SMTP server by URL (smtp://user:pass@host:587, smtps://… for TLS from the start);
  // without one, mail stays in the outbox. Mail goes from MAIL_FROM (no-reply@BASE_DOMAIN by default) under each
  // studio's name; a send that takes longer than MAIL_SEND_TIMEOUT_MS fails and is retried, MAIL_MAX_ATTEMPTS times
  // in all; one job sends at most MAIL_BATCH mails of a studio before the other studios' jobs get their turn.
  SMTP_URL: z
    .string()
    .url()
    .refine((u) => /^smtps?:\/\//.test(u), 'must be an smtp:// or smtps:// URL')
    .optional(),
  MAIL_FROM: z.email().optional(),
  MAIL_SEND_TIMEOUT_MS: z.coerce.number().int().min(100).max(300_000).default(30_000),
  MAIL_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(8),
  MAIL_BATCH: z.coerce.number().int().min(1).max(1000).default(50),
  // Web Push (issue 18): the VAPID key pair that signs this deployment's pushes (`npx web-push generate-vapid-keys`)
  // and the contact push services may reach (mailto: or https:). All three or none: without keys the embedded mode
  // makes a pair once and keeps it in DATA_DIR, and a deployment with DATABASE_URL sends no push.
  VAPID_PUBLIC_KEY: z.string().regex(/^[A-Za-z0-9_-]{87}$/, 'must be the URL-safe base64 of an uncompressed P-256 public key (65 bytes)').optional(),
  VAPID_PRIVATE_KEY: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be the URL-safe base64 of a P-256 private key (32 bytes)').optional(),
  VAPID_SUBJECT: z.string().regex(/^(mailto:\S+@\S+|https:\/\/\S+)$/, 'must be a mailto: or https:// URL').optional(),
  // PEM certificates trusted for push services besides the system's (a TLS-inspecting proxy's, or a test's own).
  PUSH_CA_FILE: z.string().min(1).optional(),
  // The push services a subscription may name (a host or its parent domain): the server posts to the endpoint a
  // member sends, so only these, not any host on the network a browser-shaped request could reach.
  PUSH_SERVICE_HOSTS: z
    .string()
    .regex(/^[a-z0-9.-]+(:\d+)?(,[a-z0-9.-]+(:\d+)?)*$/, 'must be a comma-separated list of host names')
    .default('fcm.googleapis.com,push.services.mozilla.com,push.apple.com,notify.windows.com')
    .transform((v) => v.split(',')),
  PUSH_SEND_TIMEOUT_MS: z.coerce.number().int().min(100).max(300_000).default(15_000),
  // LINE (issue 18): the Messaging API, and the page where a member approves linking their LINE account; another
  // base only for a stand-in (tests, a staging proxy). Each studio connects its own channel (docs/line.md).
  LINE_API_URL: z
    .string()
    .url()
    .refine((u) => /^https?:\/\//.test(u), 'must be an http:// or https:// URL')
    .default('https://api.line.me'),
  LINE_ACCESS_URL: z
    .string()
    .url()
    .refine((u) => /^https?:\/\//.test(u), 'must be an http:// or https:// URL')
    .default('https://access.line.me'),
  // DKIM signing of every mail with the platform's sending domain (MAIL_FROM's): the domain, the selector of the
  // DNS record (<selector>._domainkey.<domain>) and the private key, as PEM or in a file.
  DKIM_DOMAIN: z.string().regex(/^[a-z0-9.-]+\.[a-z]{2,}$/i, 'must be a domain name').optional(),
  DKIM_SELECTOR: z.string().regex(/^[a-z0-9._-]+$/i, 'must be a DNS label').optional(),
  DKIM_PRIVATE_KEY: z.string().includes('PRIVATE KEY', { message: 'must be a PEM private key' }).optional(),
  DKIM_PRIVATE_KEY_FILE: z.string().optional(),
  // The shared token a mail provider's bounce and complaint notices are posted with (POST /platform/mail/events).
  MAIL_EVENTS_TOKEN: z.string().min(24, 'must be at least 24 characters').optional(),
  // Placements (silos, pool cells) migrated at once by a migrate; each holds one owner connection to its cluster.
  MIGRATE_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(8),
});

export type Config = z.infer<typeof envSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Reads and validates the environment once; a bad value fails by name. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`));
  }
  const config = parsed.data;
  const missing: string[] = [];
  if (config.DATABASE_URL && !config.APP_DATABASE_PASSWORD) {
    missing.push('APP_DATABASE_PASSWORD: required when DATABASE_URL is set (the password of the tenant-serving app role)');
  }
  if (config.DATABASE_URL && !config.PLATFORM_DATABASE_PASSWORD) {
    missing.push('PLATFORM_DATABASE_PASSWORD: required when DATABASE_URL is set (the password of the control-plane role)');
  }
  if (config.TENANT_PURGE_SETTLE_MS < config.TENANT_CACHE_TTL_MS) {
    missing.push('TENANT_PURGE_SETTLE_MS: must be at least TENANT_CACHE_TTL_MS, or a purge could race requests still let in by a cached tenant');
  }
  if (config.ANALYTICS_STORAGE === 's3' && !config.S3_BUCKET) {
    missing.push('S3_BUCKET: required when ANALYTICS_STORAGE is s3');
  }
  const vapid = [config.VAPID_PUBLIC_KEY, config.VAPID_PRIVATE_KEY].filter(Boolean).length;
  if (vapid === 1) missing.push('VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY: set both (a pair) or neither');
  if (config.DKIM_PRIVATE_KEY_FILE && !config.DKIM_PRIVATE_KEY) {
    try {
      config.DKIM_PRIVATE_KEY = readFileSync(config.DKIM_PRIVATE_KEY_FILE, 'utf8');
    } catch (error) {
      missing.push(`DKIM_PRIVATE_KEY_FILE: cannot be read (${(error as Error).message})`);
    }
  }
  if (config.DKIM_DOMAIN && (!config.DKIM_SELECTOR || !config.DKIM_PRIVATE_KEY)) {
    missing.push('DKIM_SELECTOR, DKIM_PRIVATE_KEY: required when DKIM_DOMAIN is set (the DNS selector and the PEM key, or DKIM_PRIVATE_KEY_FILE)');
  }
  if (missing.length > 0) throw new ConfigError(missing);
  return config;
}
