import { sql } from 'kysely';
import type { Tx } from '../db/databases.js';
import type { StaffRole } from '../db/types.js';
import { sessionTable, tokenTable } from './credentials.repo.js';

const staffColumns = ['id', 'email', 'display_name', 'role', 'status', 'created_at', 'updated_at'] as const;

export const staffRepo = {
  list: (db: Tx) => db.selectFrom('app.staff').select(staffColumns).orderBy('email').execute(),

  byId: (db: Tx, id: string) => db.selectFrom('app.staff').select(staffColumns).where('id', '=', id).executeTakeFirst(),

  /** Sign-in credentials; `lock` takes the row lock (password reset requests are counted one at a time). */
  credentials: (db: Tx, email: string, lock = false) => {
    const query = db.selectFrom('app.staff').select(['id', 'password_hash', 'status']).where('email', '=', email);
    return (lock ? query.forUpdate() : query).executeTakeFirst();
  },

  insert: (db: Tx, row: { email: string; display_name: string; role: StaffRole; password_hash: string | null }) =>
    db.insertInto('app.staff').values(row).returning(staffColumns).executeTakeFirstOrThrow(),

  update: (
    db: Tx,
    id: string,
    changes: { display_name?: string; role?: StaffRole; status?: 'active' | 'disabled'; password_hash?: string },
  ) =>
    db
      .updateTable('app.staff')
      .set({ ...changes, updated_at: sql`now()` })
      .where('id', '=', id)
      .returning(staffColumns)
      .executeTakeFirst(),

  /** Locks the active owners' rows, so two concurrent demotions cannot both see "another owner is left". */
  lockActiveOwners: (db: Tx) =>
    db.selectFrom('app.staff').select('id').where('role', '=', 'owner').where('status', '=', 'active').forUpdate().execute(),
};

/** Staff sessions (shs_…): those of a disabled account stop working at once. */
export const sessionsRepo = sessionTable<{ staff_id: string; role: StaffRole }>({
  table: 'app.staff_sessions',
  owner: 'staff_id',
  ownerTable: 'app.staff',
  principal: sql`o.id as staff_id, o.role`,
  ownerActive: sql<boolean>`o.status = 'active'`,
});

/** Password reset and invitation tokens; reset mails are rate limited, invitations are not counted. */
export const resetTokensRepo = tokenTable<'reset' | 'invite'>({ table: 'app.password_reset_tokens', owner: 'staff_id' });

const apiKeyColumns = ['id', 'name', 'prefix', 'role', 'created_by', 'created_at', 'last_used_at', 'revoked_at'] as const;

export const apiKeysRepo = {
  list: (db: Tx) => db.selectFrom('app.api_keys').select(apiKeyColumns).orderBy('created_at').execute(),

  byId: (db: Tx, id: string) => db.selectFrom('app.api_keys').select(apiKeyColumns).where('id', '=', id).executeTakeFirst(),

  insert: (db: Tx, row: { name: string; prefix: string; key_hash: Buffer; role: StaffRole; created_by: string | null }) =>
    db
      .insertInto('app.api_keys')
      .values(row)
      .returning(apiKeyColumns)
      .executeTakeFirstOrThrow(),

  activeByHash: (db: Tx, keyHash: Buffer) =>
    db
      .selectFrom('app.api_keys')
      .select(['id', 'role', 'last_used_at', sql<boolean>`current_setting('transaction_read_only')::boolean`.as('read_only')])
      .where('key_hash', '=', keyHash)
      .where('revoked_at', 'is', null)
      .executeTakeFirst(),

  touch: (db: Tx, id: string) =>
    db.updateTable('app.api_keys').set({ last_used_at: sql`now()` }).where('id', '=', id).execute(),

  revoke: (db: Tx, id: string) =>
    db
      .updateTable('app.api_keys')
      .set({ revoked_at: sql`coalesce(revoked_at, now())` })
      .where('id', '=', id)
      .returning(apiKeyColumns)
      .executeTakeFirst(),
};
