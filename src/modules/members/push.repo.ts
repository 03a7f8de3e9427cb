import type { Tx } from '../../platform/db/databases.js';

export const pushRepo = {
  /** A device belongs to whoever turned notifications on last in that browser (a shared family tablet, say). */
  upsert: (db: Tx, memberId: string, s: { endpoint: string; p256dh: string; auth: string }) =>
    db
      .insertInto('app.push_subscriptions')
      .values({ member_id: memberId, endpoint: s.endpoint, p256dh: s.p256dh, auth: s.auth })
      .onConflict((oc) => oc.columns(['tenant_id', 'endpoint']).doUpdateSet({ member_id: memberId, p256dh: s.p256dh, auth: s.auth }))
      .execute(),

  remove: (db: Tx, memberId: string, endpoint: string) =>
    db.deleteFrom('app.push_subscriptions').where('member_id', '=', memberId).where('endpoint', '=', endpoint).execute(),

  endpoints: (db: Tx, memberId: string) =>
    db.selectFrom('app.push_subscriptions').select('endpoint').where('member_id', '=', memberId).execute(),
};
