import { sql, type Selectable, type Updateable } from 'kysely';
import type { Tx } from '../../platform/db/databases.js';
import type { AppTenantSettings } from '../../platform/db/types.js';

export type AppTenantSettingsRow = Selectable<AppTenantSettings>;

export const settingsRepo = {
  get: (db: Tx) => db.selectFrom('app.tenant_settings').selectAll().executeTakeFirst(),

  upsert: (db: Tx, changes: Updateable<AppTenantSettings>) =>
    db
      .insertInto('app.tenant_settings')
      .values(changes)
      .onConflict((oc) => oc.column('tenant_id').doUpdateSet({ ...changes, updated_at: sql`now()` }))
      .returningAll()
      .executeTakeFirstOrThrow(),
};
