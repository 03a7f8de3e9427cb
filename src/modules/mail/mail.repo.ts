import { sql } from 'kysely';
import type { Tx } from '../../platform/db/databases.js';

export const mailRepo = {
  memberExists: async (db: Tx, memberId: string) =>
    (await db.selectFrom('app.members').select('id').where('id', '=', memberId).executeTakeFirst()) !== undefined,

  /** Turns one kind of message off for the member, keeping the channel they chose for it. */
  turnOff: (db: Tx, memberId: string, kind: string, at: Date) =>
    db
      .insertInto('app.message_preferences')
      .values({ member_id: memberId, kind, enabled: false, updated_at: at })
      .onConflict((oc) => oc.columns(['tenant_id', 'member_id', 'kind']).doUpdateSet({ enabled: false, updated_at: at }))
      .execute(),

  /** The member's own mail address (lower case), if they have one. */
  addressOf: async (db: Tx, memberId: string): Promise<string | null | undefined> => {
    const row = await db.selectFrom('app.members').select(sql<string | null>`lower(email)`.as('email')).where('id', '=', memberId).executeTakeFirst();
    return row && row.email;
  },

  undeliverable: (db: Tx, address: string) =>
    db.selectFrom('app.undeliverable_addresses').select(['address', 'reason', 'reported_at']).where('address', '=', address).execute(),

  clear: (db: Tx, address: string) => db.deleteFrom('app.undeliverable_addresses').where('address', '=', address).executeTakeFirst(),
};

export const templatesRepo = {
  all: (db: Tx) => db.selectFrom('app.message_templates').select(['kind', 'locale', 'subject', 'body', 'updated_at']).execute(),

  save: (db: Tx, row: { kind: string; locale: 'ja' | 'en'; subject: string; body: string; updated_by: string | null }, at: Date) =>
    db
      .insertInto('app.message_templates')
      .values({ ...row, updated_at: at })
      .onConflict((oc) => oc.columns(['tenant_id', 'kind', 'locale']).doUpdateSet({ subject: row.subject, body: row.body, updated_by: row.updated_by, updated_at: at }))
      .execute(),

  remove: (db: Tx, kind: string, locale: 'ja' | 'en') => db.deleteFrom('app.message_templates').where('kind', '=', kind).where('locale', '=', locale).execute(),
};
