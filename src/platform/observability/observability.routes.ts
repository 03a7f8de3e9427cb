import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { constantTimeEqual } from '../auth/secrets.js';
import { AppError } from '../errors.js';
import { text } from '../i18n.js';
import { problemSchema } from '../http/problems.js';
import { bearerOf } from '../http/tenant-route.js';
import type { Runtime } from '../runtime.js';
import { admissionMetrics, httpLabels, registerPlatformMetrics, type Metrics } from './metrics.js';
import { UsageRecorder } from './usage.js';

declare module 'fastify' {
  interface FastifyInstance {
    observability: {
      /** Per-tenant usage counted by this app; `usage.flush()` writes it now. */
      usage: UsageRecorder;
      /** Where the separate metrics listener is (METRICS_PORT), once the app is ready. */
      metricsAddress(): AddressInfo | null;
    };
  }
}

/** /metrics (or its own port), the request metrics and per-tenant usage hooks, flushed when the app closes. */
export async function observabilityRoutes(app: FastifyInstance, runtime: Runtime): Promise<void> {
  const { config, metrics, log } = runtime;
  registerPlatformMetrics(metrics, { databases: runtime.databases, jobs: runtime.jobs, log });
  const usage = new UsageRecorder({ db: runtime.databases.platform, clock: runtime.clock, log });
  const admission = admissionMetrics(metrics.registry, runtime.databases);
  runtime.databases.admissionObserver = {
    waited: (tier, tenantId, ms) => {
      admission.waited(tier, ms);
      usage.queued(tenantId, ms);
    },
    refused: (tier, _tenantId, why) => admission.refused(tier, why),
  };
  let metricsServer: http.Server | null = null;
  app.decorate('observability', {
    usage,
    metricsAddress: () => (metricsServer?.address() as AddressInfo | null) ?? null,
  });

  // Counted when the answer has gone out, so every request is seen once, whatever answered it.
  app.addHook('onResponse', (req, reply, done) => {
    const labels = httpLabels(req, reply.statusCode);
    metrics.http.requests.inc(labels);
    metrics.http.duration.observe(labels, reply.elapsedTime / 1000);
    if (req.tenantId) usage.record(req.tenantId, reply.statusCode, reply.elapsedTime);
    done();
  });

  app.addHook('onReady', async () => {
    usage.start(config.USAGE_FLUSH_MS);
    if (config.METRICS_PORT !== undefined) metricsServer = await listenForMetrics(metrics, config.METRICS_PORT, config.HOST);
  });
  // Fastify runs onClose hooks after its server has closed and in-flight requests have been answered (and
  // counted), and main.ts closes the runtime's databases only after app.close(): the last flush still has them.
  app.addHook('onClose', async () => {
    if (metricsServer) await closeServer(metricsServer);
    const left = usage.pendingRows;
    await usage.stop().catch((error: unknown) => log.error({ err: error, rows: left }, 'usage counts lost at shutdown: the final flush failed'));
  });

  if (config.METRICS_PORT === undefined) {
    const tokens = [config.METRICS_TOKEN, runtime.platformAdminToken].filter((t): t is string => Boolean(t));
    app.get('/metrics', {
      schema: {
        tags: ['operations'],
        summary: 'Prometheus metrics (Bearer METRICS_TOKEN or the platform admin token; on METRICS_PORT without a token when that is set)',
        security: [{ platformAdmin: [] }],
        produces: ['text/plain'],
        response: { 401: problemSchema },
      },
    }, async (req: FastifyRequest, reply: FastifyReply) => {
      const given = bearerOf(req);
      // Every configured token is compared, so the time taken does not tell which one was close.
      const matches = tokens.map((t) => given !== null && constantTimeEqual(given, t));
      if (!matches.includes(true)) throw new AppError('unauthenticated', text(tokens.length ? 'platform.metrics_token_required' : 'platform.metrics_off'));
      return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    });
  }
}

/** A plain listener with only /metrics: meant for an internal network, so no token. */
async function listenForMetrics(metrics: Metrics, port: number, host: string): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found: try GET /metrics\n');
      return;
    }
    metrics.registry.metrics().then(
      (body) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(req.method === 'HEAD' ? undefined : body),
      () => res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics collection failed\n'),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}

async function closeServer(server: http.Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // A scraper keeps its connection alive; it must not hold the shutdown.
  server.closeAllConnections();
  await closed;
}
