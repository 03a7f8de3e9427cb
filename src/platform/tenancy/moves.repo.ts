import { sql, type Selectable } from 'kysely';
import type { Db } from '../db/databases.js';
import type { PlatformTenantMoves } from '../db/generated.js';
import type { Placement } from '../db/types.js';

export type TenantMove = Selectable<PlatformTenantMoves>;
export type MoveState = 'replicating' | 'copying' | 'fenced' | 'switched' | 'done' | 'failed';
export type MoveMethod = 'replication' | 'copy';

/** A move that still has work to do: the one a rerun resumes, and the one a second move is refused for. */
export const UNFINISHED: MoveState[] = ['replicating', 'copying', 'fenced', 'switched'];

export const movesRepo = {
  unfinished: (db: Db, tenantId: string) =>
    db.selectFrom('platform.tenant_moves').selectAll().where('tenant_id', '=', tenantId).where('state', 'in', UNFINISHED).executeTakeFirst(),

  byId: (db: Db, id: string) => db.selectFrom('platform.tenant_moves').selectAll().where('id', '=', id).executeTakeFirst(),

  ofTenant: (db: Db, tenantId: string, limit: number) =>
    db.selectFrom('platform.tenant_moves').selectAll().where('tenant_id', '=', tenantId).orderBy('created_at', 'desc').limit(limit).execute(),

  /** Refused by the one-at-a-time index (23505) when the tenant already has an unfinished move. */
  insert: (db: Db, m: { tenant_id: string; source_placement: string; target_placement: string; method: MoveMethod }) =>
    db
      .insertInto('platform.tenant_moves')
      .values({ ...m, state: m.method === 'replication' ? 'replicating' : 'copying' })
      .returningAll()
      .executeTakeFirstOrThrow(),

  /** Moves a state on, from the one expected (a resumed move never goes back, nor skips a step). */
  advance: (db: Db, id: string, from: MoveState, to: MoveState, set: { tables?: number; rows?: number; write_pause_ms?: number | null; error?: string | null } = {}) =>
    db
      .updateTable('platform.tenant_moves')
      .set({ ...set, state: to, updated_at: sql`now()`, ...(to === 'done' || to === 'failed' ? { finished_at: sql`now()` } : {}) })
      .where('id', '=', id)
      .where('state', '=', from)
      .returningAll()
      .executeTakeFirst(),

  /** How far a move under way is: rows copied (copy), or tables whose first copy is done (replication). */
  progress: (db: Db, id: string, done: { rows?: number; tables?: number }) =>
    db.updateTable('platform.tenant_moves').set({ ...done, updated_at: sql`now()` }).where('id', '=', id).where('state', 'in', ['replicating', 'copying']).execute(),

  markSourcePurged: (db: Db, id: string) =>
    db.updateTable('platform.tenant_moves').set({ source_purged_at: sql`now()`, updated_at: sql`now()` }).where('id', '=', id).execute(),

  /** The catalog's side of the switch: the tenant names its new placement, and each placement's count follows. */
  switchPlacement: (db: Db, tenantId: string, placement: Pick<Placement, 'id' | 'tier'>) =>
    db
      .updateTable('platform.tenants')
      .set({ placement_id: placement.id, tier: placement.tier, updated_at: sql`now()` })
      .where('id', '=', tenantId)
      .returningAll()
      .executeTakeFirstOrThrow(),
};
