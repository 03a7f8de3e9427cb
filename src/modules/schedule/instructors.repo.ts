import type { Insertable, Updateable } from 'kysely';
import type { Tx } from '../../platform/db/databases.js';
import type { AppInstructors } from '../../platform/db/types.js';

export const instructorsRepo = {
  list: (db: Tx, includeArchived: boolean) => {
    const query = db.selectFrom('app.instructors').selectAll().orderBy('display_name');
    return (includeArchived ? query : query.where('archived_at', 'is', null)).execute();
  },
  byId: (db: Tx, id: string) => db.selectFrom('app.instructors').selectAll().where('id', '=', id).executeTakeFirst(),
  insert: (db: Tx, row: Insertable<AppInstructors>) => db.insertInto('app.instructors').values(row).returningAll().executeTakeFirstOrThrow(),
  update: (db: Tx, id: string, changes: Updateable<AppInstructors>) =>
    db.updateTable('app.instructors').set(changes).where('id', '=', id).returningAll().executeTakeFirst(),
};
