import { sql, type RawBuilder } from 'kysely';
import type { Tx } from '../db/databases.js';

/**
 * Queries shared by every sign-in realm (staff, members): sign-in attempts, session tables and mailed-token
 * tables. Each realm has its own tables of the same shape; one piece of code serves them all, named by table.
 */
export type LoginRealm = 'staff' | 'member';

export const loginAttemptsRepo = {
  /** Serialises sign-ins (and sign-ups) of one email in one realm, so parallel guesses are counted in turn. */
  lockAccount: (db: Tx, realm: LoginRealm, email: string) =>
    sql`select pg_advisory_xact_lock(hashtextextended(${`login:${realm}:`} || current_setting('app.tenant_id') || ':' || ${email}, 0))`.execute(db),

  /** Recorded as pending before the password is checked; the check's outcome settles it. */
  recordPending: (db: Tx, realm: LoginRealm, row: { email: string; ip: string | null }) =>
    db.insertInto('app.login_attempts').values({ ...row, realm, succeeded: null }).returning('id').executeTakeFirstOrThrow(),

  settle: (db: Tx, id: string, succeeded: boolean) =>
    db.updateTable('app.login_attempts').set({ succeeded }).where('id', '=', id).execute(),

  /**
   * This email's attempts since its last success, within the window: failures (and attempts left pending for
   * over 30 s, by a crash), and attempts still pending right now.
   */
  accountAttempts: async (db: Tx, realm: LoginRealm, email: string, windowMinutes: number) => {
    const row = await db
      .selectFrom('app.login_attempts as a')
      .select([
        sql<string>`count(*) filter (where a.succeeded is false or a.attempted_at < now() - interval '30 seconds')`.as('failed'),
        sql<string>`count(*) filter (where a.succeeded is null and a.attempted_at >= now() - interval '30 seconds')`.as('pending'),
        sql<Date | null>`min(a.attempted_at) filter (where a.succeeded is false or a.attempted_at < now() - interval '30 seconds')`.as('oldest'),
      ])
      .where('a.realm', '=', realm)
      .where('a.email', '=', email)
      .where(sql<boolean>`a.succeeded is not true`)
      .where('a.attempted_at', '>', sql<Date>`now() - make_interval(mins => ${windowMinutes})`)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('app.login_attempts as ok')
              .select(sql`1`.as('one'))
              .whereRef('ok.realm', '=', 'a.realm')
              .whereRef('ok.email', '=', 'a.email')
              .where('ok.succeeded', '=', true)
              .whereRef('ok.attempted_at', '>', 'a.attempted_at'),
          ),
        ),
      )
      .executeTakeFirstOrThrow();
    return { failed: Number(row.failed), pending: Number(row.pending), oldest: row.oldest };
  },

  /** Failures (and pending attempts) of this realm, from one client address or (without one) the whole studio. */
  failuresSince: async (db: Tx, realm: LoginRealm, minutes: number, ip?: string) => {
    let query = db
      .selectFrom('app.login_attempts')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('realm', '=', realm)
      .where(sql<boolean>`succeeded is not true`)
      .where('attempted_at', '>', sql<Date>`now() - make_interval(mins => ${minutes})`);
    if (ip !== undefined) query = query.where('ip', '=', ip);
    return Number((await query.executeTakeFirstOrThrow()).n);
  },

  /** Sign-ins tidy up after themselves: a few day-old attempts of this tenant go with each one. */
  pruneOld: (db: Tx) =>
    sql`delete from app.login_attempts where ctid in (
          select ctid from app.login_attempts where attempted_at < now() - interval '1 day' limit 100)`.execute(db),
};

export interface SessionTable {
  table: 'app.staff_sessions' | 'app.member_sessions';
  /** The column naming the account a session belongs to, and that account's table. */
  owner: 'staff_id' | 'account_id';
  ownerTable: 'app.staff' | 'app.member_accounts';
  /** What a live session tells about its account (columns of `o`, the account row). */
  principal: RawBuilder<unknown>;
  /** While this holds for the account (`o`), its sessions work. */
  ownerActive: RawBuilder<boolean>;
}

export interface NewSession {
  ownerId: string;
  tokenHash: Buffer;
  expiresAt: Date;
  ip: string | null;
  userAgent: string | null;
}

/** The queries of one realm's session table; P is what `principal` selects. */
export function sessionTable<P>(spec: SessionTable) {
  const table = sql.table(spec.table);
  const owner = sql.ref(spec.owner);
  return {
    insert: async (db: Tx, s: NewSession) => {
      const { rows } = await sql<{ id: string; expires_at: Date }>`
        insert into ${table} (${owner}, token_hash, expires_at, ip, user_agent)
        values (${s.ownerId}, ${s.tokenHash}, ${s.expiresAt}, ${s.ip}, ${s.userAgent})
        returning id, expires_at`.execute(db);
      return rows[0]!;
    },

    /** An unrevoked, unexpired session of an account that may still sign in; RLS keeps it to this tenant. */
    activeByHash: async (db: Tx, tokenHash: Buffer) => {
      const { rows } = await sql<P & { session_id: string; last_seen_at: Date; read_only: boolean }>`
        select s.id as session_id, s.last_seen_at, current_setting('transaction_read_only')::boolean as read_only, ${spec.principal}
          from ${table} s
          join ${sql.table(spec.ownerTable)} o on o.tenant_id = s.tenant_id and o.id = ${sql.ref(`s.${spec.owner}`)}
         where s.token_hash = ${tokenHash} and s.revoked_at is null and s.expires_at > now() and ${spec.ownerActive}`.execute(db);
      return rows[0];
    },

    touch: (db: Tx, id: string) => sql`update ${table} set last_seen_at = now() where id = ${id}`.execute(db),

    revoke: (db: Tx, id: string) => sql`update ${table} set revoked_at = coalesce(revoked_at, now()) where id = ${id}`.execute(db),

    revokeAllFor: (db: Tx, ownerId: string) =>
      sql`update ${table} set revoked_at = now() where ${owner} = ${ownerId} and revoked_at is null`.execute(db),
  };
}

export type SessionStore<P = unknown> = ReturnType<typeof sessionTable<P>>;

/** The queries of one realm's table of mailed single-use tokens (reset, invite, confirm). */
export function tokenTable<Purpose extends string>(spec: {
  table: 'app.password_reset_tokens' | 'app.member_account_tokens';
  owner: 'staff_id' | 'account_id';
}) {
  const table = sql.table(spec.table);
  const owner = sql.ref(spec.owner);
  return {
    insert: (db: Tx, t: { ownerId: string; tokenHash: Buffer; expiresAt: Date; purpose: Purpose }) =>
      sql`insert into ${table} (${owner}, token_hash, expires_at, purpose)
          values (${t.ownerId}, ${t.tokenHash}, ${t.expiresAt}, ${t.purpose})`.execute(db),

    issuedSince: async (db: Tx, ownerId: string, purpose: Purpose, minutes: number) => {
      const { rows } = await sql<{ n: number }>`
        select count(*)::int as n from ${table}
         where ${owner} = ${ownerId} and purpose = ${purpose} and created_at > now() - make_interval(mins => ${minutes})`.execute(db);
      return rows[0]!.n;
    },

    /** Marks the token used and returns its account, only if it was unused, unexpired and of these purposes. */
    consume: async (db: Tx, tokenHash: Buffer, purposes: readonly Purpose[]) => {
      const { rows } = await sql<{ owner_id: string; purpose: Purpose }>`
        update ${table} set used_at = now()
         where token_hash = ${tokenHash} and used_at is null and expires_at > now()
           and purpose in (${sql.join(purposes)})
        returning ${owner} as owner_id, purpose`.execute(db);
      // Using one mailed link retires every other link of the account: an older confirmation or reset mail
      // must not open a session after the password changed.
      if (rows[0]) await sql`update ${table} set used_at = now() where ${owner} = ${rows[0].owner_id} and used_at is null`.execute(db);
      return rows[0];
    },
  };
}

export type TokenStore<Purpose extends string> = ReturnType<typeof tokenTable<Purpose>>;
