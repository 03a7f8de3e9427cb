import { sql, type Selectable } from 'kysely';
import type { Tx } from '../../platform/db/databases.js';
import type { AppWaitingRoomEntries, AppWaitingRooms } from '../../platform/db/types.js';

export type WaitingRoom = Selectable<AppWaitingRooms>;
/** An entry, with its place by arrival among those who queued before the draw (the place it gets in arrival order). */
export type WaitingRoomEntry = Selectable<AppWaitingRoomEntries> & { arrival_place: number };

export const waitingRoomRepo = {
  // In opening order: a read that draws several rooms locks them in one order.
  rooms: (db: Tx, opensAt: Date[]) => db.selectFrom('app.waiting_rooms').selectAll().where('opens_at', 'in', opensAt).orderBy('opens_at').execute(),

  entries: (db: Tx, memberId: string, opensAt: Date[]): Promise<WaitingRoomEntry[]> =>
    db
      .selectFrom('app.waiting_room_entries as e')
      .selectAll('e')
      .select(
        sql<number>`(select count(*)::int from app.waiting_room_entries o
                      where o.opens_at = e.opens_at and (o.joined_at, o.member_id) < (e.joined_at, e.member_id)) + 1`.as('arrival_place'),
      )
      .where('e.member_id', '=', memberId)
      .where('e.opens_at', 'in', opensAt)
      .execute(),

  queued: async (db: Tx, opensAt: Date) =>
    Number((await db.selectFrom('app.waiting_room_entries').select((eb) => eb.fn.countAll<string>().as('n')).where('opens_at', '=', opensAt).executeTakeFirstOrThrow()).n),

  /** Makes the opening's room unless it is there; whether this call made it. Takes no lock on a room that is. */
  ensureRoom: async (db: Tx, room: Pick<WaitingRoom, 'opens_at' | 'admission_order' | 'admit_per_second'>) =>
    (await db.insertInto('app.waiting_rooms').values(room).onConflict((oc) => oc.columns(['tenant_id', 'opens_at']).doNothing()).executeTakeFirst()).numInsertedOrUpdatedRows === 1n,

  lockRoom: (db: Tx, opensAt: Date) => db.selectFrom('app.waiting_rooms').selectAll().where('opens_at', '=', opensAt).forUpdate().executeTakeFirstOrThrow(),

  lockDrawable: (db: Tx, opensAt: Date) =>
    db.selectFrom('app.waiting_rooms').selectAll().where('opens_at', '=', opensAt).where('drawn_at', 'is', null).forUpdate().executeTakeFirst(),

  /** The next place, for a latecomer after the draw (the room's row taken until commit). */
  nextPosition: async (db: Tx, opensAt: Date) =>
    (await db
      .updateTable('app.waiting_rooms')
      .set((eb) => ({ last_position: eb('last_position', '+', 1) }))
      .where('opens_at', '=', opensAt)
      .returning('last_position')
      .executeTakeFirstOrThrow()).last_position,

  /** Queues the member; false when they already were (a second join at the same moment). */
  insertEntry: async (db: Tx, row: { opens_at: Date; member_id: string; joined_at: Date; position: number | null }) =>
    (await db.insertInto('app.waiting_room_entries').values(row).onConflict((oc) => oc.columns(['tenant_id', 'opens_at', 'member_id']).doNothing()).executeTakeFirst())
      .numInsertedOrUpdatedRows === 1n,

  /**
   * The opening's draw (the room locked): everyone who queued before it gets places 1..n, in arrival order or by
   * their lots, and later arrivals queue behind them.
   */
  async draw(db: Tx, room: WaitingRoom, now: Date) {
    const order = room.admission_order === 'lottery' ? sql`lot, member_id` : sql`joined_at, member_id`;
    const { rows } = await sql<WaitingRoom>`
      with drawn as (
        select member_id, row_number() over (order by ${order}) as n from app.waiting_room_entries where opens_at = ${room.opens_at}
      ), placed as (
        update app.waiting_room_entries e set position = drawn.n from drawn
         where e.opens_at = ${room.opens_at} and e.member_id = drawn.member_id returning 1
      )
      update app.waiting_rooms set drawn_at = ${now}, last_position = (select count(*) from placed)
       where opens_at = ${room.opens_at} returning *`.execute(db);
    return rows[0]!;
  },

  /** Rooms of openings long past: their queues are over, and who queued is nobody's business after. */
  purge: (db: Tx, openedBefore: Date) => db.deleteFrom('app.waiting_rooms').where('opens_at', '<', openedBefore).executeTakeFirst(),

  /** An erased member leaves every queue. */
  leaveAll: (db: Tx, memberId: string) => db.deleteFrom('app.waiting_room_entries').where('member_id', '=', memberId).execute(),
};
