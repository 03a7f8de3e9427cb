import { sql, type Insertable, type Selectable, type Updateable } from 'kysely';
import type { Tx } from '../../platform/db/databases.js';
import type { AppLessonTypes, AppLocations, DB } from '../../platform/db/types.js';

type CatalogTable = 'app.locations' | 'app.lesson_types';

/** The queries of a studio catalog table: named rows that are archived rather than deleted. */
function catalogRepo<T extends CatalogTable, Row extends DB[T]>(table: T) {
  // Kysely cannot check a query over a union of tables; every query below is valid for both.
  const t = table as 'app.locations';
  return {
    list: (db: Tx, includeArchived: boolean) =>
      db.selectFrom(t).selectAll().where(includeArchived ? sql<boolean>`true` : sql<boolean>`archived_at is null`).orderBy('name').execute() as unknown as Promise<Array<Selectable<Row>>>,
    byId: (db: Tx, id: string) => db.selectFrom(t).selectAll().where('id', '=', id).executeTakeFirst() as unknown as Promise<Selectable<Row> | undefined>,
    insert: (db: Tx, row: Insertable<Row>) =>
      db.insertInto(t).values(row as never).returningAll().executeTakeFirstOrThrow() as unknown as Promise<Selectable<Row>>,
    update: (db: Tx, id: string, changes: Updateable<Row>) =>
      db.updateTable(t).set(changes as never).where('id', '=', id).returningAll().executeTakeFirst() as unknown as Promise<Selectable<Row> | undefined>,
    /** How many of these ids are this tenant's live rows (a foreign or archived id counts as missing). */
    countLive: async (db: Tx, ids: string[]) =>
      ids.length === 0
        ? 0
        : Number((await db.selectFrom(t).select((eb) => eb.fn.countAll<number>().as('n')).where('id', 'in', ids).where('archived_at', 'is', null).executeTakeFirstOrThrow()).n),
  };
}

export const locationsRepo = catalogRepo<'app.locations', AppLocations>('app.locations');
export const lessonTypesRepo = catalogRepo<'app.lesson_types', AppLessonTypes>('app.lesson_types');
