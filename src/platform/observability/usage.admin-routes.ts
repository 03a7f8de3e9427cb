import type { FastifyInstance } from 'fastify';
import type { Runtime } from '../runtime.js';

/** Platform admin API for usage; registered inside the admin-token scope of platformRoutes. */
export async function usageAdminRoutes(app: FastifyInstance, runtime: Runtime): Promise<void> {
  void app;
  void runtime;
}
