import type { Selectable } from 'kysely';
import { AppError, notFound, unlessDuplicate } from '../../platform/errors.js';
import { text } from '../../platform/i18n.js';
import type { AppRooms } from '../../platform/db/types.js';
import type { TenantContext } from '../../platform/tenancy/context.js';
import { locationsRepo } from './catalog.repo.js';
import { roomsRepo } from './rooms.repo.js';
import type { SeatMap } from './rooms.schemas.js';

type Spot = { spot: number; label: string };

const toRoom = (r: Selectable<AppRooms>, spots: Spot[]) => ({
  id: r.id,
  locationId: r.location_id,
  name: r.name,
  capacity: r.capacity,
  spots: spots.length > 0 ? spots : null,
  archived: r.archived_at !== null,
});

async function withSpots(ctx: TenantContext, rooms: Array<Selectable<AppRooms>>) {
  const spots = await roomsRepo.spotsOf(ctx.db, rooms.map((r) => r.id));
  return rooms.map((r) => toRoom(r, spots.filter((s) => s.room_id === r.id).map(({ spot, label }) => ({ spot, label }))));
}

/** With a seat map the capacity is the number of spots: a capacity that disagrees is a mistake to point out. */
function capacityOf(capacity: number | undefined, spots: SeatMap | null): number {
  if (spots) {
    if (capacity !== undefined && capacity !== spots.length) {
      throw new AppError('unprocessable', text('schedule.seat_map_capacity', { spots: spots.length, capacity }));
    }
    return spots.length;
  }
  if (capacity === undefined) throw new AppError('validation_failed', text('schedule.capacity_or_seat_map'));
  return capacity;
}

const uniqueName = <T>(name: string | undefined, write: () => Promise<T>) => unlessDuplicate(write, text('schedule.duplicate.room', { name: name ?? '' }));

export const roomsService = {
  list: async (ctx: TenantContext, q: { locationId?: string; includeArchived: boolean }) => ({ items: await withSpots(ctx, await roomsRepo.list(ctx.db, q)) }),

  async get(ctx: TenantContext, id: string) {
    const room = await roomsRepo.byId(ctx.db, id);
    if (!room) throw notFound('schedule.thing.room');
    return (await withSpots(ctx, [room]))[0]!;
  },

  create: (ctx: TenantContext, input: { locationId: string; name: string; capacity?: number; spots?: SeatMap }) =>
    uniqueName(input.name, async () => {
      if ((await locationsRepo.countLive(ctx.db, [input.locationId])) !== 1) {
        throw new AppError('validation_failed', text('schedule.unknown_location'));
      }
      const room = await roomsRepo.insert(ctx.db, { location_id: input.locationId, name: input.name, capacity: capacityOf(input.capacity, input.spots ?? null) });
      if (input.spots) await roomsRepo.replaceSpots(ctx.db, room.id, input.spots);
      return roomsService.get(ctx, room.id);
    }),

  update: (ctx: TenantContext, id: string, input: { name?: string; capacity?: number; spots?: SeatMap | null; archived?: boolean }) =>
    uniqueName(input.name, async () => {
      const current = await roomsService.get(ctx, id);
      const spots = input.spots === undefined ? current.spots : input.spots;
      // Existing lessons keep their own capacity; a smaller room applies to lessons planned from now on.
      const capacity = input.capacity !== undefined || input.spots !== undefined ? capacityOf(input.capacity ?? (spots ? undefined : current.capacity), spots) : undefined;
      await roomsRepo.update(ctx.db, id, {
        name: input.name,
        capacity,
        ...(input.archived === undefined ? {} : { archived_at: input.archived ? ctx.now : null }),
      });
      if (input.spots !== undefined) await roomsRepo.replaceSpots(ctx.db, id, input.spots ?? []);
      return roomsService.get(ctx, id);
    }),
};
