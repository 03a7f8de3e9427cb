import { sql, type Selectable } from 'kysely';
import type { Tx } from '../../platform/db/databases.js';
import type { AppWaitingRoomEntries, AppWaitingRooms } from '../../platform/db/types.js';

export type WaitingRoom = Selectable<AppWaitingRooms>;
export type WaitingRoomEntry = Selectable<AppWaitingRoomEntries>;

export const waitingRoomRepo = {
  rooms: (db: Tx, opensAt: Date[]) => db.selectFrom('app.waiting_rooms').selectAll().where('opens_at', 'in', opensAt).execute(),

  entries: (db: Tx, memberId: string, opensAt: Date[]) =>
    db.selectFrom('app.waiting_room_entries').selectAll().where('member_id', '=', memberId).where('opens_at', 'in', opensAt).execute(),

  entry: (db: Tx, opensAt: Date, memberId: string) =>
    db.selectFrom('app.waiting_room_entries').selectAll().where('opens_at', '=', opensAt).where('member_id', '=', memberId).executeTakeFirst(),

  /** Makes the opening's room unless it is there, and locks it: every join and the draw of one opening take turns. */
  async lockRoom(db: Tx, room: Pick<WaitingRoom, 'opens_at' | 'admission_order' | 'admit_per_second'>) {
    await db.insertInto('app.waiting_rooms').values(room).onConflict((oc) => oc.columns(['tenant_id', 'opens_at']).doNothing()).execute();
    return db.selectFrom('app.waiting_rooms').selectAll().where('opens_at', '=', room.opens_at).forUpdate().executeTakeFirstOrThrow();
  },

  lockDrawable: (db: Tx, opensAt: Date) =>
    db.selectFrom('app.waiting_rooms').selectAll().where('opens_at', '=', opensAt).where('drawn_at', 'is', null).forUpdate().executeTakeFirst(),

  /** The next ticket, and the next position too when places are given as members arrive (the room locked). */
  takeTicket: (db: Tx, opensAt: Date, placed: boolean) =>
    db
      .updateTable('app.waiting_rooms')
      .set((eb) => ({ joined: eb('joined', '+', 1), last_position: eb('last_position', '+', placed ? 1 : 0) }))
      .where('opens_at', '=', opensAt)
      .returning(['joined', 'last_position'])
      .executeTakeFirstOrThrow(),

  insertEntry: (db: Tx, row: { opens_at: Date; member_id: string; ticket: number; position: number | null; joined_at: Date }) =>
    db.insertInto('app.waiting_room_entries').values(row).returningAll().executeTakeFirstOrThrow(),

  /**
   * The opening's draw (the room locked): those who queued before it get places 1..n by lot, and later arrivals
   * queue behind them.
   */
  async draw(db: Tx, room: WaitingRoom, now: Date) {
    // In arrival order every place was given on joining; only a lottery has places to give.
    if (room.admission_order === 'lottery') {
      await sql`
        update app.waiting_room_entries e set position = d.n
          from (select member_id, row_number() over (order by random()) as n from app.waiting_room_entries where opens_at = ${room.opens_at}) d
         where e.opens_at = ${room.opens_at} and e.member_id = d.member_id`.execute(db);
    }
    return db
      .updateTable('app.waiting_rooms')
      .set((eb) => ({ drawn_at: now, last_position: eb.ref('joined') }))
      .where('opens_at', '=', room.opens_at)
      .returningAll()
      .executeTakeFirstOrThrow();
  },

  /** Rooms of openings long past: their queues are over, and who queued is nobody's business after. */
  purge: (db: Tx, openedBefore: Date) => db.deleteFrom('app.waiting_rooms').where('opens_at', '<', openedBefore).executeTakeFirst(),
};
