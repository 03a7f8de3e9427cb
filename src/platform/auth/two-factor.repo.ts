import { sql } from 'kysely';
import type { Tx } from '../db/databases.js';

export const twoFactorRepo = {
  get: (db: Tx, staffId: string) =>
    db.selectFrom('app.staff_two_factor').select(['secret', 'enabled_at', 'last_used_step']).where('staff_id', '=', staffId).executeTakeFirst(),

  /** The row lock makes two codes of one step, sent at once, count as one use. */
  lock: (db: Tx, staffId: string) =>
    db.selectFrom('app.staff_two_factor').select(['secret', 'enabled_at', 'last_used_step']).where('staff_id', '=', staffId).forUpdate().executeTakeFirst(),

  /** A new pending secret replaces an unconfirmed one; an enabled one is never replaced here. */
  startPending: (db: Tx, staffId: string, secret: string) =>
    db
      .insertInto('app.staff_two_factor')
      .values({ staff_id: staffId, secret })
      .onConflict((oc) => oc.column('tenant_id').column('staff_id').doUpdateSet({ secret, created_at: sql`now()`, last_used_step: null }).where('app.staff_two_factor.enabled_at', 'is', null))
      .returning('secret')
      .executeTakeFirst(),

  enable: (db: Tx, staffId: string, step: number) =>
    db.updateTable('app.staff_two_factor').set({ enabled_at: sql`now()`, last_used_step: step }).where('staff_id', '=', staffId).execute(),

  useStep: (db: Tx, staffId: string, step: number) =>
    db.updateTable('app.staff_two_factor').set({ last_used_step: step }).where('staff_id', '=', staffId).execute(),

  remove: async (db: Tx, staffId: string) => {
    await db.deleteFrom('app.staff_recovery_codes').where('staff_id', '=', staffId).execute();
    return (await db.deleteFrom('app.staff_two_factor').where('staff_id', '=', staffId).executeTakeFirst()).numDeletedRows > 0n;
  },

  /** Who has two-factor sign-in on, for the staff list. */
  enabledStaff: async (db: Tx) =>
    new Set((await db.selectFrom('app.staff_two_factor').select('staff_id').where('enabled_at', 'is not', null).execute()).map((r) => r.staff_id)),
};

export const recoveryCodesRepo = {
  replace: async (db: Tx, staffId: string, hashes: string[]) => {
    await db.deleteFrom('app.staff_recovery_codes').where('staff_id', '=', staffId).execute();
    await db.insertInto('app.staff_recovery_codes').values(hashes.map((code_hash) => ({ staff_id: staffId, code_hash }))).execute();
  },

  unused: (db: Tx, staffId: string) =>
    db.selectFrom('app.staff_recovery_codes').select(['id', 'code_hash']).where('staff_id', '=', staffId).where('used_at', 'is', null).execute(),

  /** True only for the one caller that marks it used. */
  use: async (db: Tx, id: string) =>
    (await db.updateTable('app.staff_recovery_codes').set({ used_at: sql`now()` }).where('id', '=', id).where('used_at', 'is', null).executeTakeFirst()).numUpdatedRows > 0n,

  countUnused: async (db: Tx, staffId: string) =>
    Number((await db.selectFrom('app.staff_recovery_codes').select((eb) => eb.fn.countAll<string>().as('n')).where('staff_id', '=', staffId).where('used_at', 'is', null).executeTakeFirstOrThrow()).n),
};

export const challengesRepo = {
  insert: (db: Tx, row: { staff_id: string; token_hash: Buffer; purpose: 'code' | 'enrol'; expires_at: Date }) =>
    db.insertInto('app.staff_sign_in_challenges').values(row).execute(),

  /** An unused, unexpired challenge of these purposes. */
  find: (db: Tx, tokenHash: Buffer, purposes: readonly ('code' | 'enrol')[]) =>
    db
      .selectFrom('app.staff_sign_in_challenges')
      .select(['id', 'staff_id', 'purpose'])
      .where('token_hash', '=', tokenHash)
      .where('used_at', 'is', null)
      .where('expires_at', '>', sql<Date>`now()`)
      .where('purpose', 'in', purposes)
      .executeTakeFirst(),

  /** True only for the one caller that marks it used. */
  use: async (db: Tx, id: string) =>
    (await db.updateTable('app.staff_sign_in_challenges').set({ used_at: sql`now()` }).where('id', '=', id).where('used_at', 'is', null).executeTakeFirst()).numUpdatedRows > 0n,

  /** Challenges tidy up after themselves, like sign-in attempts. */
  pruneOld: (db: Tx) =>
    sql`delete from app.staff_sign_in_challenges where ctid in (
          select ctid from app.staff_sign_in_challenges where expires_at < now() - interval '1 day' limit 100)`.execute(db),
};

export const staffSecurityRepo = {
  requireTwoFactor: async (db: Tx) =>
    (await db.selectFrom('app.staff_security_settings').select('require_staff_two_factor').executeTakeFirst())?.require_staff_two_factor ?? false,

  setRequireTwoFactor: (db: Tx, value: boolean) =>
    db
      .insertInto('app.staff_security_settings')
      .values({ require_staff_two_factor: value })
      .onConflict((oc) => oc.column('tenant_id').doUpdateSet({ require_staff_two_factor: value, updated_at: sql`now()` }))
      .execute(),

  /** Ends the sessions of staff without two-factor sign-in, when the studio starts requiring it. */
  revokeSessionsWithoutTwoFactor: (db: Tx) =>
    sql`update app.staff_sessions s set revoked_at = now()
         where s.revoked_at is null
           and not exists (select 1 from app.staff_two_factor t where t.tenant_id = s.tenant_id and t.staff_id = s.staff_id and t.enabled_at is not null)`.execute(db),
};
