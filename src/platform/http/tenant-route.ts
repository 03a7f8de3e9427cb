import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest, preParsingAsyncHookHandler } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z, type ZodType } from 'zod';
import { checkCsrf, clearSessionCookie, cookieSession, setSessionCookie, type CookieSettings, type SessionRealm } from './session-cookie.js';
import { AppError } from '../errors.js';
import { requestLocale, text } from '../i18n.js';
import { roleList } from '../auth/roles.js';
import { inTenantTransaction } from '../db/databases.js';
import type { StaffRole, Tenant } from '../db/types.js';
import { runWithTenant, type Principal, type RequestInfo, type TenantContext, type TenantSession } from '../tenancy/context.js';
import type { Runtime } from '../runtime.js';
import { problemSchema } from './problems.js';
import { IDEMPOTENCY_HEADER, once } from './idempotency.js';
import { tenantRateLimiter } from '../limits/rate-limit.js';
import { changedFields, isStaffPrincipal, recordAudit, type AuditLoader } from '../audit/audit.js';

/** Thrown to roll back a dry run's transaction while keeping its result. */
const rawBodies = new WeakMap<FastifyRequest, Buffer>();

const keepRawBody: preParsingAsyncHookHandler = async (req, _reply, payload) => {
  const chunks: Buffer[] = [];
  for await (const chunk of payload) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  const raw = Buffer.concat(chunks);
  rawBodies.set(req, raw);
  return Object.assign(Readable.from([raw]), { receivedEncodedLength: raw.length });
};

class DryRunResult {
  constructor(readonly result: unknown) {}
}

/**
 * Who may call a route: anyone at the tenant's address; any signed-in staff member or API key
 * ('authenticated'); the listed staff roles; or only a signed-in member ('member'). Staff and members are
 * separate realms: a member is refused by every staff access, staff and API keys by 'member'.
 */
export type Access = 'public' | 'authenticated' | 'member' | readonly StaffRole[];

export const ALL_STAFF: readonly StaffRole[] = ['owner', 'manager', 'front_desk', 'instructor'];

interface Schemas {
  params?: ZodType;
  querystring?: ZodType;
  body?: ZodType;
  response?: ZodType;
}
type Out<T> = T extends ZodType ? z.output<T> : undefined;
export type RouteInput<S extends Schemas> = {
  params: Out<S['params']>;
  query: Out<S['querystring']>;
  body: Out<S['body']>;
  /** The body as sent and the headers, for routes that verify a signature over the bytes (webhooks). */
  raw: { body: Buffer | undefined; headers: FastifyRequest['headers'] };
};
type Result<S extends Schemas> = S['response'] extends ZodType ? z.input<S['response']> : void;

interface BaseDef<S extends Schemas> {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  summary: string;
  tags: string[];
  access: Access;
  status?: 200 | 201 | 202 | 204;
  schema: S;
  /** A retryable write: it needs an Idempotency-Key header, and a retry gets the first answer. */
  idempotent?: boolean;
  /**
   * A preview: the handler runs exactly as the real write would, and its transaction is then rolled back, so
   * what it shows is what the write will do.
   */
  dryRun?: boolean;
  /** Also register `<url>/preview`: the same handler as a dry run (answering 200), for "what will this do?". */
  preview?: boolean;
  /** Keep the body's bytes as sent (input.raw.body), for a signature over them. */
  rawBody?: boolean;
  /** Bytes the body may have, when the app's 1 MiB is too few (an uploaded file). */
  bodyLimit?: number;
  /** A binary answer (a PDF, a CSV file) instead of JSON; the handler returns a Buffer. */
  produces?: 'application/pdf' | 'application/zip' | 'application/manifest+json' | 'text/csv; charset=utf-8' | 'text/calendar; charset=utf-8';
  /** false: not counted against the tenant's request rate limit (a route that bounds its own cost). */
  metered?: boolean;
  /**
   * A sign-in (`issues`: the answer's `token` is also set as the realm's HttpOnly session cookie) or a sign-out
   * (`ends`: the cookie is cleared).
   */
  sessionCookie?: { issues: SessionRealm } | { ends: SessionRealm };
  /** How to load what the write changes, so its audit row shows the fields before and after (docs/audit.md). */
  audit?: AuditLoader;
}

/** The usual route: one transaction for the whole request, tenant set, principal authenticated inside it. */
interface RequestTxDef<S extends Schemas> extends BaseDef<S> {
  handler(ctx: TenantContext, input: RouteInput<S>): Promise<Result<S>>;
}

/**
 * A write that must call out (a payment gateway) after its own transaction commits: `handler` records what is
 * about to happen (a pending payment), and `afterCommit` does the outside call with short transactions of its
 * own and answers. `afterCommit` also runs when a retry replays the handler's stored result, so it must be
 * idempotent (the gateway call is, by the key the handler wrote).
 */
interface SettlingDef<S extends Schemas, T> extends BaseDef<S> {
  handler(ctx: TenantContext, input: RouteInput<S>): Promise<T>;
  afterCommit(session: TenantSession & { principal: Principal | null }, started: T, input: RouteInput<S>): Promise<Result<S>>;
  /**
   * The handler only checks and writes nothing but the Idempotency-Key (saving a card): when `afterCommit` refuses
   * (4xx), the key is removed again, so the refused request leaves no row behind and the same key may be used
   * again, as with any refused write.
   */
  refusalForgetsKey?: boolean;
}

/** For public routes doing slow work (password hashing) that must not hold a connection meanwhile. */
interface SessionDef<S extends Schemas> extends BaseDef<S> {
  access: 'public';
  sessionHandler(session: TenantSession, input: RouteInput<S>): Promise<Result<S>>;
}

export interface RouteConfig {
  tenantRoute?: boolean;
  rawBody?: boolean;
  access?: Access;
  metered?: boolean;
  /** A rolled-back twin of a write (`preview`): it changes nothing, so it is not audited. */
  dryRun?: boolean;
  /** A staff write (not a dry run): every attempt, done or refused, gets an audit row. */
  audited?: boolean;
}

const uuid = z.uuid();

/** The bearer secret of a request, if any; a malformed Authorization header is a client mistake, unless lenient. */
export function bearerOf(req: FastifyRequest, lenient = false): string | null {
  const header = req.headers.authorization;
  if (!header) return null;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) {
    if (lenient) return null;
    throw new AppError('unauthenticated', text('platform.bearer_format'));
  }
  return match[1]!;
}

function authorize(access: Access, principal: Principal | null) {
  if (access === 'public') return;
  if (!principal) throw new AppError('unauthenticated', text('platform.sign_in_required'));
  if (access === 'member') {
    if (principal.kind !== 'member') throw new AppError('forbidden', text('platform.members_only'));
    return;
  }
  if (principal.kind === 'member') throw new AppError('forbidden', text('platform.staff_only'));
  if (access !== 'authenticated' && !access.includes(principal.role)) {
    throw new AppError('forbidden', text('platform.needs_roles', { roles: roleList(access) }));
  }
}

const errorResponses = Object.fromEntries(
  [400, 401, 403, 404, 409, 422, 429].map((status) => [status, problemSchema]),
) as Record<number, typeof problemSchema>;

/** Route registration for tenant data: resolves the tenant, opens its transaction, authenticates, checks roles. */
export function tenantRoutes(app: FastifyInstance, runtime: Runtime) {
  const cookieSettings: CookieSettings = {
    secure: runtime.config.PUBLIC_URL_SCHEME === 'https',
    maxAgeSeconds: { staff: runtime.config.SESSION_TTL_HOURS * 3600, member: runtime.config.MEMBER_SESSION_TTL_HOURS * 3600 },
  };
  app.addHook('preParsing', async (req, reply, payload) => ((req.routeOptions.config as RouteConfig).rawBody ? keepRawBody.call(app, req, reply, payload) : payload));
  const rateLimit = tenantRateLimiter(runtime.config.RATE_LIMIT);
  const resolvedTenants = new WeakMap<FastifyRequest, { tenant: Tenant; viaTenantHeader: boolean }>();
  /** Resolved in onRequest (see register), before the body is read or validated. */
  const tenantOf = (req: FastifyRequest) => resolvedTenants.get(req)!;
  async function resolveTenant(req: FastifyRequest, reply: FastifyReply): Promise<{ tenant: Tenant; viaTenantHeader: boolean }> {
    const header = req.headers['x-tenant-id'];
    let tenant: Tenant | null;
    if (header !== undefined) {
      // No catalog lookup without an API key: the header alone must not reveal whether a tenant exists.
      if (!bearerOf(req)?.startsWith('shk_')) throw new AppError('unauthenticated', text('platform.tenant_header_needs_key'));
      const parsed = uuid.safeParse(header);
      if (!parsed.success) throw new AppError('bad_request', text('platform.tenant_header_uuid'));
      tenant = await runtime.directory.byId(parsed.data);
    } else {
      tenant = await runtime.directory.byHost(req.headers.host);
    }
    if (tenant) {
      req.tenantId = tenant.id;
      req.tenantTier = tenant.tier;
      req.tenantLocale = tenant.locale;
      req.tenantTimeZone = tenant.timezone;
    }
    if (!tenant || tenant.status === 'deleted') {
      throw new AppError('tenant_not_found', text('platform.no_studio'));
    }
    if (tenant.status === 'suspended') {
      throw new AppError('tenant_suspended', text('platform.studio_suspended', { studio: tenant.display_name }));
    }
    // A placement whose migration failed answers 503 maintenance here, before the body is read (cached lookup).
    await runtime.directory.placementOf(tenant);
    await rateLimit(tenant, req, reply);
    return { tenant, viaTenantHeader: header !== undefined };
  }

  /** Who made a request, once authenticated: the refused-attempt hook needs it after the transaction is gone. */
  const principals = new WeakMap<FastifyRequest, Principal | null>();
  /** The problem a refused request was answered with, seen as it is sent. */
  const problems = new WeakMap<FastifyRequest, { type: string; code: string }>();

  /**
   * A refused (4xx) or failed (5xx) staff write is recorded too, in its own short transaction as the answer is
   * sent, since the request's own transaction rolled back. An attempt refused before the handler authenticated
   * (a body that failed validation, a CSRF check) authenticates here to learn who it was.
   */
  async function auditRefusal(req: FastifyRequest, reply: FastifyReply) {
    const resolved = resolvedTenants.get(req);
    if (reply.statusCode < 400 || !resolved) return;
    const { tenant } = resolved;
    try {
      await sessionOf(tenant, req).transaction(async (ctx) => {
        let principal = principals.get(req);
        if (principal === undefined) {
          const bearer = bearerOf(req, true) ?? cookieSession(req);
          principal = bearer ? await runtime.auth.authenticate(ctx.db, bearer) : null;
        }
        if (!isStaffPrincipal(principal)) return;
        await recordAudit(ctx.db, {
          principal, ip: req.ip, userAgent: req.headers['user-agent'] ?? null, method: req.method, route: req.routeOptions.url ?? req.url,
          params: req.params, outcome: reply.statusCode >= 500 ? 'failed' : 'refused', status: reply.statusCode,
          problem: problems.get(req) ?? { type: 'about:blank', code: 'unknown' }, requestId: req.id,
        });
      });
    } catch (error) {
      // The answer has gone; a lost audit row is logged loudly rather than turned into an error nobody sees.
      req.log.error({ err: error }, 'could not record a refused write in the audit log');
    }
  }

  const isAudited = (req: FastifyRequest) => (req.routeOptions.config as RouteConfig | undefined)?.audited === true;
  app.addHook('onSend', async (req, reply, payload) => {
    if (isAudited(req) && reply.statusCode >= 400 && typeof payload === 'string') {
      try {
        const body = JSON.parse(payload) as { type?: unknown; code?: unknown };
        if (typeof body.code === 'string') problems.set(req, { type: String(body.type), code: body.code });
      } catch {
        // not a problem document: the row says 'unknown'
      }
    }
    // Before the answer goes: whoever sees a refusal can already find it in the log.
    // Not when the studio's database is too busy (503 unavailable): the audit row would queue behind the load
    // that refused the write, and delay its answer by another wait.
    if (isAudited(req) && problems.get(req)?.code !== 'unavailable') await auditRefusal(req, reply);
    return payload;
  });

  function requestInfo(req: FastifyRequest): RequestInfo {
    return { requestId: req.id, ip: req.ip, userAgent: req.headers['user-agent'] ?? null, locale: requestLocale(req.raw, req.tenantLocale) };
  }

  function register<S extends Schemas>(def: BaseDef<S>, handler: (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>) {
    if (def.url.includes(':') && !def.schema.params) throw new Error(`${def.method} ${def.url} has path parameters but no params schema`);
    const response: Record<number, ZodType> = { ...errorResponses };
    const audited = def.method !== 'GET' && !def.dryRun && def.access !== 'public' && def.access !== 'member';
    if (def.status === 204) response[204] = z.null().describe('No content');
    else if (def.schema.response) response[def.status ?? 200] = def.schema.response;
    app.withTypeProvider<ZodTypeProvider>().route({
      method: def.method,
      url: def.url,
      ...(def.bodyLimit ? { bodyLimit: def.bodyLimit } : {}),
      // The tenant first, before the body is parsed or validated: an unknown, suspended or rate-limited tenant
      // costs no parsing, and every answer (a 400 too) is counted for the tenant in usage and metrics.
      onRequest: async (req, reply) => {
        resolvedTenants.set(req, await resolveTenant(req, reply));
      },
      config: { tenantRoute: true, access: def.access, rawBody: def.rawBody === true, metered: def.metered !== false, dryRun: def.dryRun === true, audited } satisfies RouteConfig,
      schema: {
        summary: def.summary,
        tags: def.tags,
        ...(def.schema.params ? { params: def.schema.params } : {}),
        // Unknown query parameters are stripped, never passed on unvalidated.
        querystring: def.schema.querystring ?? z.object({}),
        ...(def.schema.body ? { body: def.schema.body } : {}),
        ...(def.idempotent
          ? { headers: z.looseObject({ [IDEMPOTENCY_HEADER]: z.string().optional().describe('Required: a fresh random value (8–200 characters) per action, reused on retry') }) }
          : {}),
        response,
        security: def.access === 'public' ? [] : [{ bearer: [] }],
        // Who may call it (staff roles, 'member' or 'public'): the web app's route-coverage test reads it.
        'x-access': def.access,
      },
      handler: async (req, reply) => {
        let result: unknown;
        try {
          result = await handler(req, reply);
        } catch (error) {
          if (!(error instanceof DryRunResult)) throw error;
          result = error.result;
        }
        reply.code(def.status ?? 200);
        if (def.produces) void reply.type(def.produces);
        const cookie = def.sessionCookie;
        if (cookie && 'issues' in cookie) {
          const token = (result as { token?: unknown } | null)?.token;
          if (typeof token === 'string') setSessionCookie(reply, cookie.issues, token, cookieSettings);
        } else if (cookie) clearSessionCookie(reply, cookie.ends, cookieSettings);
        return def.status === 204 ? reply.send() : result;
      },
    });
  }

  const inputOf = <S extends Schemas>(req: FastifyRequest) =>
    ({ params: req.params, query: req.query, body: req.body, raw: { body: rawBodies.get(req), headers: req.headers } }) as RouteInput<S>;

  function sessionOf(tenant: Tenant, req: FastifyRequest): TenantSession {
    const request = requestInfo(req);
    const now = runtime.clock.now();
    return {
      tenant,
      request,
      now,
      // The pool is looked up per transaction, so one evicted in between is never reused.
      transaction: async (fn) =>
        inTenantTransaction(await runtime.directory.dbFor(tenant), tenant.id, (trx) => fn({ tenant, db: trx, principal: null, request, now })),
    };
  }

  function route<S extends Schemas>(def: RequestTxDef<S>): void {
    transactionRoute(def);
  }

  function settlingRoute<S extends Schemas, T>(def: SettlingDef<S, T>): void {
    transactionRoute(def);
  }

  function transactionRoute<S extends Schemas>(
    def: BaseDef<S> & { handler(ctx: TenantContext, input: RouteInput<S>): Promise<unknown>; afterCommit?: SettlingDef<S, unknown>['afterCommit']; refusalForgetsKey?: boolean },
  ): void {
    if (def.preview) {
      const lower = def.summary.charAt(0).toLowerCase() + def.summary.slice(1);
      transactionRoute({ ...def, url: `${def.url}/preview`, summary: `Preview: ${lower}`, status: 200, preview: false, idempotent: false, dryRun: true });
    }
    register(def, async (req, reply) => {
      const { tenant, viaTenantHeader } = tenantOf(req);
      const header = bearerOf(req, def.access === 'public');
      const fromCookie = header === null ? cookieSession(req) : null;
      if (fromCookie !== null) checkCsrf(req);
      const bearer = header ?? fromCookie;
      const db = await runtime.directory.dbFor(tenant);
      const afterCommit: Array<Parameters<NonNullable<TenantContext['queueAfterCommit']>>> = [];
      let principalSeen: Principal | null = null;
      let claimedKey: string | null = null;
      let settledAudit: { entry: Parameters<typeof recordAudit>[1]; before: unknown } | null = null;
      const result = await inTenantTransaction(db, tenant.id, async (trx) => {
        const principal = bearer ? await runtime.auth.authenticate(trx, bearer) : null;
        // A stale token does not stop a public page (the sign-in page itself) from loading.
        if (bearer && !principal && def.access !== 'public') throw new AppError('unauthenticated', text('platform.token_invalid'));
        if (viaTenantHeader && principal?.kind !== 'api_key') {
          throw new AppError('unauthenticated', text('platform.tenant_header_needs_key'));
        }
        principals.set(req, principal);
        authorize(def.access, principal);
        principalSeen = principal;
        const ctx: TenantContext = {
          tenant, db: trx, principal, request: requestInfo(req), now: runtime.clock.now(),
          queueAfterCommit: (...job) => afterCommit.push(job),
        };
        const input = inputOf<S>(req);
        const audit = !def.dryRun && def.method !== 'GET' && isStaffPrincipal(principal) ? principal : null;
        const handle = () => runWithTenant(tenant, req.id, () => def.handler(ctx, input));
        const params = (req.params ?? {}) as Record<string, string>;
        // A staff write's audit row commits with its change, in this transaction; a settling write's is written
        // once its outside call has succeeded (below), so it says what the call did.
        const run = audit === null
          ? handle
          : async () => {
              const before = def.audit ? await def.audit.load(ctx, params) : undefined;
              const out = await handle();
              const entry = {
                principal: audit, ip: req.ip, userAgent: req.headers['user-agent'] ?? null, method: req.method, route: def.url, params,
                outcome: 'done' as const, status: def.status ?? 200, requestId: req.id,
                changes: def.audit ? changedFields(before, await def.audit.load(ctx, params)) : null,
              };
              if (def.afterCommit) settledAudit = { entry, before };
              else await recordAudit(trx, entry);
              return out;
            };
        if (def.dryRun) throw new DryRunResult(await run());
        if (!def.idempotent) return run();
        const { result, replayed } = await once(trx, { key: req.headers[IDEMPOTENCY_HEADER], principal, route: `${def.method} ${def.url}`, input }, run);
        if (replayed) void reply.header('idempotent-replayed', 'true');
        else claimedKey = String(req.headers[IDEMPOTENCY_HEADER]);
        return result;
      });
      for (const [task, payload, opts] of afterCommit) {
        runtime.jobs.add(task, payload, opts).catch((error: unknown) => req.log.warn({ err: error, task }, 'could not queue a job; its sweep will find the work'));
      }
      if (!def.afterCommit) return result;
      const settle = def.afterCommit;
      try {
        const settled = await runWithTenant(tenant, req.id, () => settle({ ...sessionOf(tenant, req), principal: principalSeen }, result, inputOf<S>(req)));
        const pending = settledAudit as { entry: Parameters<typeof recordAudit>[1]; before: unknown } | null;
        if (pending) {
          // The change has committed: a lost audit row must not turn its answer into an error (and a retry).
          await sessionOf(tenant, req)
            .transaction(async (ctx) => {
              const changes = def.audit ? changedFields(pending.before, await def.audit.load(ctx, (req.params ?? {}) as Record<string, string>)) : null;
              await recordAudit(ctx.db, { ...pending.entry, changes });
            })
            .catch((error: unknown) => req.log.error({ err: error }, 'could not record a settled write in the audit log'));
        }
        return settled;
      } catch (error) {
        const key = claimedKey;
        if (def.refusalForgetsKey && key !== null && error instanceof AppError && error.status < 500) {
          await sessionOf(tenant, req).transaction((ctx) => ctx.db.deleteFrom('app.idempotency_keys').where('key', '=', key).execute());
        }
        throw error;
      }
    });
  }

  return {
    route,
    settlingRoute,

    /** Runs when the app closes, after its in-flight requests have finished (to flush what they buffered). */
    onClose(fn: () => Promise<void>) {
      app.addHook('onClose', async () => fn());
    },

    sessionRoute<S extends Schemas>(def: SessionDef<S>) {
      register(def, async (req, reply) => {
        const { tenant, viaTenantHeader } = tenantOf(req);
        if (viaTenantHeader) throw new AppError('bad_request', text('platform.use_studio_address'));
        const session = sessionOf(tenant, req);
        return runWithTenant(tenant, req.id, () => def.sessionHandler(session, inputOf<S>(req)));
      });
    },
  };
}

export type TenantRouter = ReturnType<typeof tenantRoutes>;
