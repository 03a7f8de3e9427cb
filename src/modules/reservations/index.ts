import { z } from 'zod';
import type { AppModule } from '../../platform/composition.js';
import { perTenantSweep, tenantPayload } from '../../platform/jobs/tenant-tasks.js';
import { memberReservationRoutes, staffReservationRoutes } from './reservations.routes.js';
import { runPromotion, runReservationUpkeep } from './upkeep.js';

const lessonPayload = tenantPayload.extend({ lessonId: z.uuid() });

export const reservationsModule: AppModule = {
  name: 'reservations',
  routes: [memberReservationRoutes, staffReservationRoutes],
  // Every minute: lapsed offers, waitlist promotion the request path could not kick, no-shows.
  crontab: ['* * * * * reservations_sweep'],
  tasks: (runtime) => ({
    reservations_sweep: perTenantSweep(runtime, 'reservations_upkeep'),
    reservations_upkeep: async (payload, helpers) => {
      const { tenantId } = tenantPayload.parse(payload);
      const result = await runReservationUpkeep(runtime.directory, tenantId, runtime.clock.now());
      helpers.logger.debug(`reservation upkeep: ${JSON.stringify(result)}`);
    },
    /** Kicked after a seat is given up, so the next in line need not wait for the minute's sweep. */
    waitlist_promote: async (payload) => {
      const { tenantId, lessonId } = lessonPayload.parse(payload);
      await runPromotion(runtime.directory, tenantId, lessonId, () => runtime.clock.now());
    },
  }),
};

/** The capacity planner reads lessons and their booking windows through this. */
export { lessonCalendar } from './lesson-calendar.js';
