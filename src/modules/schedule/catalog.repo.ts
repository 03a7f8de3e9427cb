import { sql, type Insertable, type Updateable } from 'kysely';
import type { Tx } from '../../platform/db/databases.js';
import type { AppLessonTypes, AppLocations } from '../../platform/db/types.js';

const archivedFilter = (includeArchived: boolean) => (includeArchived ? sql<boolean>`true` : sql<boolean>`archived_at is null`);

export const locationsRepo = {
  list: (db: Tx, includeArchived: boolean) =>
    db.selectFrom('app.locations').selectAll().where(archivedFilter(includeArchived)).orderBy('name').execute(),
  byId: (db: Tx, id: string) => db.selectFrom('app.locations').selectAll().where('id', '=', id).executeTakeFirst(),
  insert: (db: Tx, row: Insertable<AppLocations>) => db.insertInto('app.locations').values(row).returningAll().executeTakeFirstOrThrow(),
  update: (db: Tx, id: string, changes: Updateable<AppLocations>) =>
    db.updateTable('app.locations').set(changes).where('id', '=', id).returningAll().executeTakeFirst(),
  /** How many of these ids are this tenant's live locations (a foreign or archived id counts as missing). */
  countLive: async (db: Tx, ids: string[]) =>
    ids.length === 0
      ? 0
      : Number((await db.selectFrom('app.locations').select((eb) => eb.fn.countAll<number>().as('n')).where('id', 'in', ids).where('archived_at', 'is', null).executeTakeFirstOrThrow()).n),
};

export const lessonTypesRepo = {
  list: (db: Tx, includeArchived: boolean) =>
    db.selectFrom('app.lesson_types').selectAll().where(archivedFilter(includeArchived)).orderBy('name').execute(),
  byId: (db: Tx, id: string) => db.selectFrom('app.lesson_types').selectAll().where('id', '=', id).executeTakeFirst(),
  insert: (db: Tx, row: Insertable<AppLessonTypes>) => db.insertInto('app.lesson_types').values(row).returningAll().executeTakeFirstOrThrow(),
  update: (db: Tx, id: string, changes: Updateable<AppLessonTypes>) =>
    db.updateTable('app.lesson_types').set(changes).where('id', '=', id).returningAll().executeTakeFirst(),
  countLive: async (db: Tx, ids: string[]) =>
    ids.length === 0
      ? 0
      : Number((await db.selectFrom('app.lesson_types').select((eb) => eb.fn.countAll<number>().as('n')).where('id', 'in', ids).where('archived_at', 'is', null).executeTakeFirstOrThrow()).n),
};
