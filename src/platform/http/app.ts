import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import fastifyCompress from '@fastify/compress';
import fastifyCookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import helmet from 'helmet';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { z } from 'zod';
import { sql } from 'kysely';
import { apiKeyRoutes, authRoutes, staffRoutes } from '../auth/auth.routes.js';
import { twoFactorRoutes } from '../auth/two-factor.routes.js';
import type { Runtime } from '../runtime.js';
import { platformRoutes } from '../tenancy/tenants.routes.js';
import { mailEventsRoutes } from '../messaging/mail-events.routes.js';
import { AppError } from '../errors.js';
import { rejectIllFormedText } from './well-formed-text.js';
import { handleClientError, handleError, handleNotFound, problem, problemSchema, requestRef, sendProblem } from './problems.js';
import { text } from '../i18n.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { beaconRoutes } from '../analytics/beacon.routes.js';
import { observabilityRoutes } from '../observability/observability.routes.js';
import { tenantRoutes, type RouteConfig } from './tenant-route.js';
import type { TenantRoutes } from '../composition.js';
import { auditRoutes } from '../audit/audit.routes.js';
import { archiveRoutes } from '../tenancy/archive.routes.js';
import { isDepartedTenant } from '../tenancy/directory.js';

declare module 'fastify' {
  interface FastifyInstance {
    routeCatalog: RouteEntry[];
  }
  interface FastifyRequest {
    tenantId: string | null;
    /** The resolved tenant's tier, for metrics labelled by tier (never by tenant). */
    tenantTier: 'pool' | 'silo' | null;
    /** The resolved tenant's language and time zone: problems speak them when the person's client asks for neither. */
    tenantLocale: string | null;
    tenantTimeZone: string | null;
  }
}

export interface RouteEntry {
  method: string;
  url: string;
  config: RouteConfig;
}

/**
 * The platform's own tenant routes; the business modules' come from the composition root (runtime.composition).
 * All of them are registered through the tenant router, so the cross-tenant test walks them all.
 */
const platformTenantRoutes: TenantRoutes[] = [
  authRoutes,
  staffRoutes,
  apiKeyRoutes,
  twoFactorRoutes,
  beaconRoutes,
  auditRoutes,
  archiveRoutes,
];

const requestIdPattern = /^[A-Za-z0-9._:-]{1,128}$/;

/** The staff web app (built by `npm install`'s prepare step into web/dist). */
const defaultWebRoot = fileURLToPath(new URL('../../../web/dist/', import.meta.url));

export interface AppOptions {
  /** The built web app to serve; web/dist unless given. The web bench serves an older release's build beside this one. */
  webRoot?: string;
  /**
   * false: the web app's files are sent as they are on disk, never compressed on the fly, as releases before the
   * precompressed build sent them (the web bench's "before"); the API's answers are compressed either way.
   */
  compressWebApp?: boolean;
}

export async function buildApp(runtime: Runtime, options: AppOptions = {}): Promise<FastifyInstance> {
  const { config } = runtime;
  const webRoot = options.webRoot ?? defaultWebRoot;
  const app = Fastify({
    loggerInstance: runtime.log as FastifyBaseLogger,
    // Fastify's own two lines per request are replaced by the one access-log line below.
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: config.TRUST_PROXY,
    bodyLimit: 1024 * 1024,
    return503OnClosing: true,
    // Bad URLs and over-long path parameters are answered by the router; route them to problem+json too.
    frameworkErrors: handleError,
    // What Node refuses before a request exists (431, a malformed request) is problem+json too.
    clientErrorHandler: handleClientError,
    // Node would answer a request without Host with a bare 400 itself; the hook below answers it as a problem.
    http: { requireHostHeader: false },
    forceCloseConnections: 'idle',
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && requestIdPattern.test(incoming) ? incoming : randomUUID();
    },
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(handleError);
  // A tenant's old database refused it (it has moved): this instance forgets where tenants are, the retry finds it.
  app.addHook('onError', async (_req, _reply, error) => {
    if (isDepartedTenant(error)) runtime.directory.forgetAll();
  });
  // RFC 8058's one-click unsubscribe posts `List-Unsubscribe=One-Click` form-encoded.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))));
  app.addHook('onRequest', async (req) => {
    // RFC 9112 §3.2: an HTTP/1.1 request without Host is refused with 400.
    if (req.raw.httpVersion === '1.1' && req.headers.host === undefined) throw new AppError('bad_request', text('problems.no_host'));
  });
  // Before any route's own schema: no string that PostgreSQL or a page cannot hold gets in, on any route.
  app.addHook('preValidation', rejectIllFormedText);
  const hasWebApp = existsSync(webRoot);
  if (!hasWebApp) runtime.log.warn({ webRoot }, 'web app not built; run `npm run build:web`');
  // Page paths of the single-page app get its index.html; anything else unknown is a problem+json 404.
  app.setNotFoundHandler((req: FastifyRequest, reply: FastifyReply) => {
    const isPage = req.method === 'GET' && !/^\/(api|platform)(\/|$)/.test(req.url) && !/\.[a-z0-9]+$/i.test(req.url.split('?')[0]!);
    if (hasWebApp && isPage && req.headers.accept?.includes('text/html')) {
      return reply.header('cache-control', 'no-cache').sendFile('index.html');
    }
    return handleNotFound(req, reply);
  });
  app.decorateRequest('tenantId', null);
  app.decorateRequest('tenantTier', null);
  app.decorateRequest('tenantLocale', null);
  app.decorateRequest('tenantTimeZone', null);

  app.decorate('routeCatalog', [] as RouteEntry[]);
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (method === 'HEAD') continue;
      app.routeCatalog.push({ method, url: route.url, config: (route.config ?? {}) as RouteConfig });
    }
  });

  app.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });
  // The access log: one line per request, no headers or bodies, so no secrets.
  app.addHook('onResponse', async (req, reply) => {
    req.log.info(
      {
        requestId: req.id,
        tenantId: req.tenantId,
        route: req.routeOptions.url ?? null,
        method: req.method,
        status: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime * 100) / 100,
        bytes: Number(reply.getHeader('content-length') ?? 0),
      },
      'request',
    );
  });

  if (options.compressWebApp === false) {
    // @fastify/compress leaves alone any request that carries this header; only the web app's paths get it.
    app.addHook('onRequest', async (req) => {
      if (!/^\/(api|platform)(\/|$)/.test(req.url)) req.headers['x-no-compression'] = '1';
    });
  }
  // Answers are compressed when the client asks; brotli at a low level, since JSON is compressed on every request
  // (the web app's files are compressed once, at build time, at the highest level, and sent as they are).
  await app.register(fastifyCompress, {
    encodings: ['br', 'gzip'],
    threshold: 1024,
    brotliOptions: { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 4 } },
  });
  // Browser sessions are HttpOnly cookies (http/session-cookie.ts).
  await app.register(fastifyCookie);
  // helmet's middleware is built once: @fastify/helmet built it again on every request, parsing the policy's
  // directives each time (a twentieth of a light request's CPU in the bench), for headers that never change.
  const securityHeaders = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        // Stripe.js, for studios on Stripe: card fields and 3-D Secure are Stripe's own frames, and Stripe.js talks to
        // Stripe's API itself (the sources Stripe documents for a Content-Security-Policy).
        scriptSrc: ["'self'", 'https://js.stripe.com', 'https://*.js.stripe.com'],
        frameSrc: ['https://js.stripe.com', 'https://*.js.stripe.com', 'https://hooks.stripe.com'],
        styleSrc: ["'self'"],
        // The check-in QR code is a data: image.
        imgSrc: ["'self'", 'data:', 'blob:', 'https://*.stripe.com'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'", 'https://api.stripe.com'],
        manifestSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'strict-origin-when-cross-origin' },
    // Studios are served over plain http in development and behind a TLS proxy in production; HSTS is the proxy's.
    strictTransportSecurity: false,
  });
  app.addHook('onRequest', (req, reply, done) => securityHeaders(req.raw, reply.raw, (error?: unknown) => done(error as Error | undefined)));

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Studiohive API', version: '0.1.0', description: 'Multi-tenant platform for subscription studios' },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'A staff session token (shs_…), a member session token (shm_…) or a tenant API key (shk_…)' },
          platformAdmin: { type: 'http', scheme: 'bearer', description: 'PLATFORM_ADMIN_TOKEN' },
          mailEvents: { type: 'http', scheme: 'bearer', description: 'MAIL_EVENTS_TOKEN' },
        },
      },
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });

  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  r.get(
    '/readyz',
    { schema: { tags: ['operations'], summary: 'Ready when the database answers', response: { 200: z.object({ status: z.literal('ready') }), 503: problemSchema } } },
    async (req, reply) => {
      try {
        await sql`select 1`.execute(runtime.databases.control);
        return { status: 'ready' as const };
      } catch {
        return sendProblem(reply, problem('unavailable', text('problems.database_down'), requestRef(req)));
      }
    },
  );

  await observabilityRoutes(app, runtime);
  await app.register(async (platform) => platformRoutes(platform, runtime));
  await app.register(async (scope) => mailEventsRoutes(scope, runtime));
  if (hasWebApp) {
    await app.register(fastifyStatic, {
      root: webRoot,
      wildcard: false,
      cacheControl: false,
      index: ['index.html'],
      // The build writes .br and .gz beside each file; the one the browser accepts is sent.
      preCompressed: true,
      // Hashed assets never change; index.html must be revalidated so a deploy is picked up.
      setHeaders: (res, filePath) =>
        res.setHeader('cache-control', filePath.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache'),
      schemaHide: true,
    });
  }

  const router = tenantRoutes(app, runtime);
  const moduleRoutes = runtime.composition.modules.flatMap((m) => m.routes ?? []);
  for (const register of [...platformTenantRoutes, ...moduleRoutes]) register(router, runtime);

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await app.ready();
  return app;
}
