import { sql } from 'kysely';
import type { Tx } from '../db/databases.js';
import type { AuditOutcome } from '../db/types.js';

export interface AuditQuery {
  from?: string;
  to?: string;
  timeZone: string;
  actorId?: string;
  area?: string;
  outcome?: AuditOutcome;
  targetId?: string;
  before?: { at: Date; id: string };
  limit: number;
}

export const auditRepo = {
  /** Newest first; days are the studio's, so "the 5th" is the 5th on the studio's clock. */
  page(db: Tx, q: AuditQuery) {
    let query = db.selectFrom('app.audit_log').selectAll();
    if (q.from) query = query.where('at', '>=', sql<Date>`(${q.from}::date)::timestamp at time zone ${q.timeZone}`);
    if (q.to) query = query.where('at', '<', sql<Date>`(${q.to}::date + 1)::timestamp at time zone ${q.timeZone}`);
    if (q.actorId) query = query.where('actor_id', '=', q.actorId);
    if (q.area) query = query.where('area', '=', q.area);
    if (q.outcome) query = query.where('outcome', '=', q.outcome);
    if (q.targetId) query = query.where(sql<boolean>`params @? ${`$.* ? (@ == "${q.targetId}")`}::jsonpath`);
    if (q.before) query = query.where(sql<boolean>`(at, id) < (${q.before.at}, ${q.before.id}::uuid)`);
    return query.orderBy('at', 'desc').orderBy('id', 'desc').limit(q.limit).execute();
  },

  actors: (db: Tx) =>
    db.selectFrom('app.audit_log').select(['actor_id as id', 'actor_name as name']).distinctOn('actor_id').orderBy('actor_id').orderBy('at', 'desc').execute(),

  areas: async (db: Tx) => (await db.selectFrom('app.audit_log').select('area').distinct().orderBy('area').execute()).map((r) => r.area),
};
