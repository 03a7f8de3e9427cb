import { z } from 'zod';
import type { AppModule } from '../../platform/composition.js';
import { perTenantSweep, tenantPayload } from '../../platform/jobs/tenant-tasks.js';
import { memberReservationRoutes, staffReservationRoutes } from './reservations.routes.js';
import { runReminders } from './reminders.js';
import { runPromotion, runReservationUpkeep, runWaitingRoomDraw } from './upkeep.js';

const lessonPayload = tenantPayload.extend({ lessonId: z.uuid() });
const openingPayload = tenantPayload.extend({ opensAt: z.iso.datetime({ offset: true }) });

export const reservationsModule: AppModule = {
  name: 'reservations',
  routes: [memberReservationRoutes, staffReservationRoutes],
  // Every minute: lapsed offers, waitlist promotion the request path could not kick, no-shows.
  // Every minute too: lesson reminders and "booking opens soon" for favourited lessons.
  crontab: ['* * * * * reservations_sweep', '* * * * * reminders_sweep'],
  tasks: (runtime) => ({
    reservations_sweep: perTenantSweep(runtime, 'reservations_upkeep'),
    reservations_upkeep: async (payload, helpers) => {
      const { tenantId } = tenantPayload.parse(payload);
      const result = await runReservationUpkeep(runtime, tenantId, runtime.clock.now());
      helpers.logger.debug(`reservation upkeep: ${JSON.stringify(result)}`);
    },
    reminders_sweep: perTenantSweep(runtime, 'reminders_send'),
    reminders_send: async (payload, helpers) => {
      const { tenantId } = tenantPayload.parse(payload);
      const result = await runReminders(runtime, tenantId, runtime.clock.now());
      helpers.logger.debug(`reminders: ${JSON.stringify(result)}`);
    },
    /** Kicked after a seat is given up, so the next in line need not wait for the minute's sweep. */
    waitlist_promote: async (payload) => {
      const { tenantId, lessonId } = lessonPayload.parse(payload);
      await runPromotion(runtime, tenantId, lessonId, () => runtime.clock.now());
    },
    /** Queued for a lottery's opening by its first join, so its places are drawn on time whoever looks. */
    waiting_room_draw: async (payload) => {
      const { tenantId, opensAt } = openingPayload.parse(payload);
      await runWaitingRoomDraw(runtime, tenantId, new Date(opensAt), runtime.clock.now());
    },
  }),
};

/** The capacity planner reads lessons and their booking windows through this. */
export { lessonCalendar } from './lesson-calendar.js';
