import type { FastifyInstance } from 'fastify';
import type { Runtime } from '../runtime.js';

/** Platform admin API for limits; registered inside the admin-token scope of platformRoutes. */
export async function limitsAdminRoutes(app: FastifyInstance, runtime: Runtime): Promise<void> {
  void app;
  void runtime;
}
