import { sql } from 'kysely';
import type { Tx } from '../../platform/db/databases.js';
import { sessionTable, tokenTable } from '../../platform/auth/credentials.repo.js';

const credentialColumns = ['id', 'member_id', 'password_hash', 'status', 'confirmed_at'] as const;

export const memberAccountsRepo = {
  /** Sign-in credentials of an email; `lock` takes the row lock (mails are counted one request at a time). */
  credentials: (db: Tx, email: string, lock = false) => {
    const query = db.selectFrom('app.member_accounts').select(credentialColumns).where('email', '=', email);
    return (lock ? query.forUpdate() : query).executeTakeFirst();
  },

  byMemberId: (db: Tx, memberId: string) =>
    db.selectFrom('app.member_accounts').select(['id', 'email', 'confirmed_at']).where('member_id', '=', memberId).executeTakeFirst(),

  /** A sign-up: no member yet, only what the person typed in to make one from once the email is confirmed. */
  insertPending: (db: Tx, row: { email: string; password_hash: string; sign_up_profile: object }) =>
    db
      .insertInto('app.member_accounts')
      .values({ ...row, sign_up_profile: JSON.stringify(row.sign_up_profile) })
      .returning(credentialColumns)
      .executeTakeFirstOrThrow(),

  /** `lock` after the email's lock (loginAttemptsRepo.lockAccount), the order sign-up takes them in. */
  byId: (db: Tx, id: string, lock = false) => {
    const query = db.selectFrom('app.member_accounts').select(['id', 'email', 'member_id', 'sign_up_profile', 'password_hash']).where('id', '=', id);
    return (lock ? query.forUpdate() : query).executeTakeFirst();
  },

  /** The account signs in as this member from now on; what it was made from is no longer needed. */
  link: (db: Tx, id: string, memberId: string) =>
    db.updateTable('app.member_accounts').set({ member_id: memberId, sign_up_profile: null, updated_at: sql`now()` }).where('id', '=', id).execute(),

  /** A new password; the mailed link that allowed it also proves the address, so it confirms it too. */
  setPassword: (db: Tx, id: string, passwordHash: string) =>
    db
      .updateTable('app.member_accounts')
      .set({ password_hash: passwordHash, confirmed_at: sql`coalesce(confirmed_at, now())`, updated_at: sql`now()` })
      .where('id', '=', id)
      .execute(),

  confirm: (db: Tx, id: string) =>
    db
      .updateTable('app.member_accounts')
      .set({ confirmed_at: sql`coalesce(confirmed_at, now())`, updated_at: sql`now()` })
      .where('id', '=', id)
      .returning(credentialColumns)
      .executeTakeFirstOrThrow(),
};

/** Member sessions (shm_…): they work only while the account is active and its email confirmed. */
export const memberSessionsRepo = sessionTable<{ account_id: string; member_id: string }>({
  table: 'app.member_sessions',
  owner: 'account_id',
  ownerTable: 'app.member_accounts',
  principal: sql`o.id as account_id, o.member_id`,
  ownerActive: sql<boolean>`o.status = 'active' and o.confirmed_at is not null`,
});

export const memberTokensRepo = tokenTable<'confirm' | 'reset'>({ table: 'app.member_account_tokens', owner: 'account_id' });

const domainColumns = ['id', 'domain', 'created_at'] as const;

export const blockedDomainsRepo = {
  list: (db: Tx) => db.selectFrom('app.blocked_email_domains').select(domainColumns).orderBy('domain').execute(),

  byId: (db: Tx, id: string) => db.selectFrom('app.blocked_email_domains').select(domainColumns).where('id', '=', id).executeTakeFirst(),

  insert: (db: Tx, domain: string) =>
    db.insertInto('app.blocked_email_domains').values({ domain }).returning(domainColumns).executeTakeFirstOrThrow(),

  delete: (db: Tx, id: string) =>
    db.deleteFrom('app.blocked_email_domains').where('id', '=', id).returning('id').executeTakeFirst(),

  /** The first of these domains the studio blocks, if any (one indexed lookup per domain). */
  firstOf: (db: Tx, domains: string[]) =>
    db.selectFrom('app.blocked_email_domains').select('domain').where('domain', 'in', domains).limit(1).executeTakeFirst(),
};
