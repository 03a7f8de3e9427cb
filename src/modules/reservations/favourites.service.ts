import { notFound } from '../../platform/errors.js';
import type { TenantContext } from '../../platform/tenancy/context.js';
import { favouritesRepo } from './reservations.repo.js';

/** A member follows a lesson series from the timetable, to be told when booking each of its lessons opens. */
export const favouritesService = {
  async set(ctx: TenantContext, memberId: string, seriesId: string, favourite: boolean) {
    if (!(await favouritesRepo.seriesExists(ctx.db, seriesId))) throw notFound('reservations.thing.series');
    if (favourite) await favouritesRepo.add(ctx.db, memberId, seriesId);
    else await favouritesRepo.remove(ctx.db, memberId, seriesId);
    return { seriesId, favourite };
  },
};
