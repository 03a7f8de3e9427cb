import { sql } from 'kysely';
import type { Tx } from '../db/databases.js';
import type { StaffRole } from '../db/types.js';

const staffColumns = ['id', 'email', 'display_name', 'role', 'status', 'created_at', 'updated_at'] as const;

export const staffRepo = {
  list: (db: Tx) => db.selectFrom('app.staff').select(staffColumns).orderBy('email').execute(),


  byId: (db: Tx, id: string) => db.selectFrom('app.staff').select(staffColumns).where('id', '=', id).executeTakeFirst(),

  credentialsByEmail: (db: Tx, email: string) =>
    db
      .selectFrom('app.staff')
      .select(['id', 'password_hash', 'status'])
      .where('email', '=', email)
      .executeTakeFirst(),

  /** Locks the account row (password reset requests are counted one at a time). */
  lockCredentials: (db: Tx, email: string) =>
    db
      .selectFrom('app.staff')
      .select(['id', 'password_hash', 'status'])
      .where('email', '=', email)
      .forUpdate()
      .executeTakeFirst(),

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

export const sessionsRepo = {
  insert: (db: Tx, row: { staff_id: string; token_hash: Buffer; expires_at: Date; ip: string | null; user_agent: string | null }) =>
    db.insertInto('app.staff_sessions').values(row).returning(['id', 'expires_at']).executeTakeFirstOrThrow(),

  activeByHash: (db: Tx, tokenHash: Buffer) =>
    db
      .selectFrom('app.staff_sessions as s')
      .innerJoin('app.staff as st', (j) => j.onRef('st.tenant_id', '=', 's.tenant_id').onRef('st.id', '=', 's.staff_id'))
      .select(['s.id as session_id', 's.last_seen_at', 'st.id as staff_id', 'st.role'])
      .where('s.token_hash', '=', tokenHash)
      .where('s.revoked_at', 'is', null)
      .where('s.expires_at', '>', sql<Date>`now()`)
      .where('st.status', '=', 'active')
      .executeTakeFirst(),

  touch: (db: Tx, id: string) =>
    db.updateTable('app.staff_sessions').set({ last_seen_at: sql`now()` }).where('id', '=', id).execute(),

  revoke: (db: Tx, id: string) =>
    db.updateTable('app.staff_sessions').set({ revoked_at: sql`now()` }).where('id', '=', id).execute(),

  revokeAllFor: (db: Tx, staffId: string) =>
    db
      .updateTable('app.staff_sessions')
      .set({ revoked_at: sql`now()` })
      .where('staff_id', '=', staffId)
      .where('revoked_at', 'is', null)
      .execute(),
};

export const loginAttemptsRepo = {
  /** Serialises sign-ins of one account, so parallel guesses are counted one after the other. */
  lockAccount: (db: Tx, email: string) =>
    sql`select pg_advisory_xact_lock(hashtextextended('login:' || current_setting('app.tenant_id') || ':' || ${email}, 0))`.execute(db),

  /** Recorded as pending before the password is checked; the check's outcome settles it. */
  recordPending: (db: Tx, row: { email: string; ip: string | null }) =>
    db.insertInto('app.login_attempts').values({ ...row, succeeded: null }).returning('id').executeTakeFirstOrThrow(),

  settle: (db: Tx, id: string, succeeded: boolean) =>
    db.updateTable('app.login_attempts').set({ succeeded }).where('id', '=', id).execute(),

  /**
   * This email's attempts since its last success, within the window: failures (and attempts left pending for
   * over 30 s, by a crash), and attempts still pending right now.
   */
  accountAttempts: async (db: Tx, email: string, windowMinutes: number) => {
    const row = await db
      .selectFrom('app.login_attempts as a')
      .select([
        sql<string>`count(*) filter (where a.succeeded is false or a.attempted_at < now() - interval '30 seconds')`.as('failed'),
        sql<string>`count(*) filter (where a.succeeded is null and a.attempted_at >= now() - interval '30 seconds')`.as('pending'),
        sql<Date | null>`min(a.attempted_at) filter (where a.succeeded is false or a.attempted_at < now() - interval '30 seconds')`.as('oldest'),
      ])
      .where('a.email', '=', email)
      .where(sql<boolean>`a.succeeded is not true`)
      .where('a.attempted_at', '>', sql<Date>`now() - make_interval(mins => ${windowMinutes})`)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('app.login_attempts as ok')
              .select(sql`1`.as('one'))
              .whereRef('ok.email', '=', 'a.email')
              .where('ok.succeeded', '=', true)
              .whereRef('ok.attempted_at', '>', 'a.attempted_at'),
          ),
        ),
      )
      .executeTakeFirstOrThrow();
    return { failed: Number(row.failed), pending: Number(row.pending), oldest: row.oldest };
  },

  failuresFromIp: async (db: Tx, ip: string, windowMinutes: number) => {
    const row = await db
      .selectFrom('app.login_attempts')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('ip', '=', ip)
      .where(sql<boolean>`succeeded is not true`)
      .where('attempted_at', '>', sql<Date>`now() - make_interval(mins => ${windowMinutes})`)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  },

  failuresLastMinute: async (db: Tx) => {
    const row = await db
      .selectFrom('app.login_attempts')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where(sql<boolean>`succeeded is not true`)
      .where('attempted_at', '>', sql<Date>`now() - interval '1 minute'`)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  },

  /** Sign-ins tidy up after themselves: a few day-old attempts of this tenant go with each one. */
  pruneOld: (db: Tx) =>
    sql`delete from app.login_attempts where ctid in (
          select ctid from app.login_attempts where attempted_at < now() - interval '1 day' limit 100)`.execute(db),
};

export const resetTokensRepo = {
  insert: (db: Tx, row: { staff_id: string; token_hash: Buffer; expires_at: Date; purpose: 'reset' | 'invite' }) =>
    db.insertInto('app.password_reset_tokens').values(row).execute(),

  resetsIssuedSince: async (db: Tx, staffId: string, minutes: number) => {
    const row = await db
      .selectFrom('app.password_reset_tokens')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('staff_id', '=', staffId)
      .where('purpose', '=', 'reset')
      .where('created_at', '>', sql<Date>`now() - make_interval(mins => ${minutes})`)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  },

  /** Marks the token used and returns its staff id, only if it was unused and unexpired: single use. */
  consume: (db: Tx, tokenHash: Buffer) =>
    db
      .updateTable('app.password_reset_tokens')
      .set({ used_at: sql`now()` })
      .where('token_hash', '=', tokenHash)
      .where('used_at', 'is', null)
      .where('expires_at', '>', sql<Date>`now()`)
      .returning('staff_id')
      .executeTakeFirst(),
};

export const outboxRepo = {
  enqueue: (db: Tx, mail: { to_address: string; template: string; subject: string; body: string }) =>
    db.insertInto('app.mail_outbox').values(mail).execute(),
};

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
      .select(['id', 'role', 'last_used_at'])
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
