import type { FastifyInstance } from 'fastify';
import type { Runtime } from '../runtime.js';

/** /metrics (or its own port), the request metrics and per-tenant usage hooks, flushed when the app closes. */
export async function observabilityRoutes(app: FastifyInstance, runtime: Runtime): Promise<void> {
  void app;
  void runtime;
}
