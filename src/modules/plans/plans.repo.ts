import { sql, type Insertable, type Selectable, type Updateable } from 'kysely';
import type { Tx } from '../../platform/db/databases.js';
import type { AppPlans, AppPlanVersions, PlanKind } from '../../platform/db/types.js';

export type PlanRow = Selectable<AppPlans>;
export type PlanVersionRow = Selectable<AppPlanVersions> & { lesson_type_ids: string[] | null; location_ids: string[] | null };

/** A version's row with its lesson-type and location lists (NULL when the plan books them all). */
const versionsQuery = (db: Tx) =>
  db
    .selectFrom('app.plan_versions as v')
    .selectAll('v')
    .select([
      sql<string[] | null>`case when v.all_lesson_types then null else array(
        select lesson_type_id from app.plan_version_lesson_types x
         where x.plan_id = v.plan_id and x.version = v.version order by 1) end`.as('lesson_type_ids'),
      sql<string[] | null>`case when v.all_locations then null else array(
        select location_id from app.plan_version_locations x
         where x.plan_id = v.plan_id and x.version = v.version order by 1) end`.as('location_ids'),
    ]);

export const plansRepo = {
  list: (db: Tx, q: { kind?: PlanKind; includeArchived: boolean; soldOnline?: true }) => {
    let query = db.selectFrom('app.plans').selectAll().orderBy('kind').orderBy('name');
    if (q.kind) query = query.where('kind', '=', q.kind);
    // Options sold online are added by members to their monthly contract (never bought on their own).
    if (q.soldOnline) query = query.where('sold_online', '=', true);
    if (!q.includeArchived) query = query.where('archived_at', 'is', null);
    return query.execute();
  },

  byId: (db: Tx, id: string) => db.selectFrom('app.plans').selectAll().where('id', '=', id).executeTakeFirst(),

  /** Locks the plan row so two edits cannot both make "version n + 1". */
  byIdForUpdate: (db: Tx, id: string) => db.selectFrom('app.plans').selectAll().where('id', '=', id).forUpdate().executeTakeFirst(),

  insert: (db: Tx, row: Insertable<AppPlans>) => db.insertInto('app.plans').values(row).returningAll().executeTakeFirstOrThrow(),

  update: (db: Tx, id: string, changes: Updateable<AppPlans>) =>
    db.updateTable('app.plans').set({ ...changes, updated_at: sql`now()` }).where('id', '=', id).returningAll().executeTakeFirst(),

  async insertVersion(db: Tx, row: Insertable<AppPlanVersions>, lists: { lessonTypeIds: string[] | null; locationIds: string[] | null }) {
    await db.insertInto('app.plan_versions').values(row).execute();
    const key = { plan_id: row.plan_id, version: row.version };
    if (lists.lessonTypeIds?.length) {
      await db.insertInto('app.plan_version_lesson_types').values(lists.lessonTypeIds.map((id) => ({ ...key, lesson_type_id: id }))).execute();
    }
    if (lists.locationIds?.length) {
      await db.insertInto('app.plan_version_locations').values(lists.locationIds.map((id) => ({ ...key, location_id: id }))).execute();
    }
  },

  version: (db: Tx, planId: string, version: number): Promise<PlanVersionRow | undefined> =>
    versionsQuery(db).where('v.plan_id', '=', planId).where('v.version', '=', version).executeTakeFirst(),

  allVersions: (db: Tx, planId: string): Promise<PlanVersionRow[]> =>
    versionsQuery(db).where('v.plan_id', '=', planId).orderBy('v.version', 'desc').execute(),

  /** The current versions of these plans. */
  currentVersions: (db: Tx, planIds: string[]): Promise<PlanVersionRow[]> =>
    planIds.length === 0
      ? Promise.resolve([])
      : versionsQuery(db)
          .innerJoin('app.plans as p', (j) => j.onRef('p.tenant_id', '=', 'v.tenant_id').onRef('p.id', '=', 'v.plan_id').onRef('p.current_version', '=', 'v.version'))
          .where('v.plan_id', 'in', planIds)
          .execute(),

  versionHistory: (db: Tx, planId: string) =>
    db.selectFrom('app.plan_versions').select(['version', 'price', 'created_at']).where('plan_id', '=', planId).orderBy('version', 'desc').execute(),
};
