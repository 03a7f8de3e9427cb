import { sql } from 'kysely';
import type { Tx } from '../../platform/db/databases.js';
import type { Channel } from '../../platform/messaging/channels.js';

export interface Reach {
  locale: 'ja' | 'en' | null;
  mail: boolean;
  line: boolean;
  push: boolean;
  family_lead_id: string | null;
  lead_name: string | null;
}

export const notificationsRepo = {
  /** The member's language and the channels that reach them now; undefined for no such (or an erased) member. */
  reach: async (db: Tx, memberId: string): Promise<Reach | undefined> => {
    const { rows } = await sql<Reach>`
      select m.locale, m.email is not null as mail,
             exists (select 1 from app.member_line_links l where l.member_id = m.id) as line,
             exists (select 1 from app.push_subscriptions s where s.member_id = m.id) as push,
             m.family_lead_id, trim(lead.family_name || ' ' || lead.given_name) as lead_name
        from app.members m
        left join app.members lead on lead.id = m.family_lead_id and lead.erased_at is null
       where m.id = ${memberId} and m.erased_at is null`.execute(db);
    return rows[0];
  },

  preferences: (db: Tx, memberId: string) =>
    db.selectFrom('app.message_preferences').select(['kind', 'channel', 'enabled']).where('member_id', '=', memberId).execute(),

  savePreferences: async (db: Tx, memberId: string, choices: Array<{ kind: string; enabled: boolean; channel: Channel | null }>, at: Date) => {
    if (choices.length === 0) return;
    await db
      .insertInto('app.message_preferences')
      .values(choices.map((c) => ({ member_id: memberId, kind: c.kind, enabled: c.enabled, channel: c.channel, updated_at: at })))
      .onConflict((oc) => oc.columns(['tenant_id', 'member_id', 'kind']).doUpdateSet((eb) => ({ enabled: eb.ref('excluded.enabled'), channel: eb.ref('excluded.channel'), updated_at: eb.ref('excluded.updated_at') })))
      .execute();
  },

  setLocale: (db: Tx, memberId: string, locale: 'ja' | 'en' | null) => db.updateTable('app.members').set({ locale }).where('id', '=', memberId).execute(),
};
