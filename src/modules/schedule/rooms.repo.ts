import type { Updateable } from 'kysely';
import type { Tx } from '../../platform/db/databases.js';
import type { AppRooms } from '../../platform/db/types.js';

export const roomsRepo = {
  list: (db: Tx, q: { locationId?: string; includeArchived: boolean }) => {
    let query = db.selectFrom('app.rooms').selectAll().orderBy('name');
    if (q.locationId) query = query.where('location_id', '=', q.locationId);
    if (!q.includeArchived) query = query.where('archived_at', 'is', null);
    return query.execute();
  },
  byId: (db: Tx, id: string) => db.selectFrom('app.rooms').selectAll().where('id', '=', id).executeTakeFirst(),
  insert: (db: Tx, row: { location_id: string; name: string; capacity: number }) => db.insertInto('app.rooms').values(row).returningAll().executeTakeFirstOrThrow(),
  update: (db: Tx, id: string, changes: Updateable<AppRooms>) => db.updateTable('app.rooms').set(changes).where('id', '=', id).returningAll().executeTakeFirst(),

  /** Which of these rooms have a seat map. */
  withSeatMaps: async (db: Tx, roomIds: string[]) =>
    new Set(
      roomIds.length === 0
        ? []
        : (await db.selectFrom('app.room_spots').select('room_id').distinct().where('room_id', 'in', roomIds).execute()).map((r) => r.room_id),
    ),

  /** Spots of these rooms, in number order. */
  spotsOf: (db: Tx, roomIds: string[]) =>
    roomIds.length === 0
      ? Promise.resolve([])
      : db.selectFrom('app.room_spots').select(['room_id', 'spot', 'label']).where('room_id', 'in', roomIds).orderBy('room_id').orderBy('spot').execute(),
  /** Replaces a room's seat map (reservations name spots by number, so nothing refers to the rows themselves). */
  async replaceSpots(db: Tx, roomId: string, spots: Array<{ spot: number; label: string }>) {
    await db.deleteFrom('app.room_spots').where('room_id', '=', roomId).execute();
    if (spots.length > 0) await db.insertInto('app.room_spots').values(spots.map((s) => ({ room_id: roomId, ...s }))).execute();
  },
};
