import type { Insertable } from 'kysely';
import type { Tx } from '../../platform/db/databases.js';
import type { DB } from '../../platform/db/generated.js';

export const lineRepo = {
  channel: (db: Tx) => db.selectFrom('app.line_channels').selectAll().executeTakeFirst(),

  saveChannel: (db: Tx, row: Omit<Insertable<DB['app.line_channels']>, 'tenant_id'>) =>
    db
      .insertInto('app.line_channels')
      .values(row)
      .onConflict((oc) => oc.column('tenant_id').doUpdateSet(row))
      .returningAll()
      .executeTakeFirstOrThrow(),

  /** Without the channel no link can be used: they all go with it. */
  removeChannel: async (db: Tx) => {
    await db.deleteFrom('app.member_line_links').execute();
    await db.deleteFrom('app.line_link_nonces').execute();
    return db.deleteFrom('app.line_channels').executeTakeFirst();
  },

  linkOf: (db: Tx, memberId: string) => db.selectFrom('app.member_line_links').selectAll().where('member_id', '=', memberId).executeTakeFirst(),
  isLinked: async (db: Tx, lineUserId: string) =>
    (await db.selectFrom('app.member_line_links').select('member_id').where('line_user_id', '=', lineUserId).executeTakeFirst()) !== undefined,

  addNonce: (db: Tx, row: { nonce_hash: Buffer; member_id: string; expires_at: Date }) => db.insertInto('app.line_link_nonces').values(row).execute(),

  /** The member a nonce was issued to, if it is still valid; used once (deleted). */
  takeNonce: async (db: Tx, nonceHash: Buffer, now: Date) => {
    const row = await db.deleteFrom('app.line_link_nonces').where('nonce_hash', '=', nonceHash).returning(['member_id', 'expires_at']).executeTakeFirst();
    return row && row.expires_at > now ? row.member_id : null;
  },

  /** One LINE account reaches one member: linking it here unlinks it from whoever had it. */
  link: async (db: Tx, memberId: string, lineUserId: string, now: Date) => {
    await db.deleteFrom('app.member_line_links').where('line_user_id', '=', lineUserId).where('member_id', '<>', memberId).execute();
    await db
      .insertInto('app.member_line_links')
      .values({ member_id: memberId, line_user_id: lineUserId, linked_at: now })
      .onConflict((oc) => oc.columns(['tenant_id', 'member_id']).doUpdateSet({ line_user_id: lineUserId, linked_at: now }))
      .execute();
  },

  unlinkMember: (db: Tx, memberId: string) => db.deleteFrom('app.member_line_links').where('member_id', '=', memberId).execute(),
  unlinkUser: (db: Tx, lineUserId: string) => db.deleteFrom('app.member_line_links').where('line_user_id', '=', lineUserId).execute(),

  /** Records a webhook event as handled; false when it already was (LINE redelivered it). */
  firstDelivery: async (db: Tx, eventId: string, type: string) =>
    (await db
      .insertInto('app.webhook_events')
      .values({ gateway: 'line', event_id: eventId, type })
      .onConflict((oc) => oc.columns(['tenant_id', 'gateway', 'event_id']).doNothing())
      .returning('event_id')
      .executeTakeFirst()) !== undefined,
  seen: async (db: Tx, eventId: string) =>
    (await db.selectFrom('app.webhook_events').select('event_id').where('gateway', '=', 'line').where('event_id', '=', eventId).executeTakeFirst()) !== undefined,
};
