import { sql, type Insertable, type RawBuilder, type Updateable } from 'kysely';
import type { Tx } from '../../platform/db/databases.js';
import type { AppMembers, MemberStatus } from '../../platform/db/types.js';

const summaryColumns = [
  'id', 'member_number', 'family_name', 'given_name', 'family_name_kana', 'given_name_kana', 'email', 'phone', 'tags',
  'family_lead_id', 'status',
] as const;

export interface MemberSearch {
  /** Already normalised prefixes; each is tried against its own column. */
  namePrefix?: string;
  kanaPrefix?: string;
  digitsPrefix?: string;
  emailPrefix?: string;
  tag?: string;
  status?: MemberStatus;
  afterNumber?: number;
  limit: number;
}

/**
 * "Starts with" as a byte-wise range (~>=~ and ~<~, which text_pattern_ops indexes serve). LIKE would be simpler,
 * but it is not leakproof, so under row-level security PostgreSQL may not use it in an index scan and reads
 * every row of the table instead.
 */
function startsWith(column: RawBuilder<unknown>, prefix: string) {
  const last = prefix.codePointAt(prefix.length - 1)!;
  const upper = `${[...prefix].slice(0, -1).join('')}${String.fromCodePoint(Math.min(last + 1, 0x10ffff))}`;
  return sql<boolean>`(${column} ~>=~ ${prefix} and ${column} ~<~ ${upper})`;
}

const MAX_MEMBER_NUMBER = 2_147_483_647;

/**
 * "Member number starts with these digits" as integer ranges on the (tenant_id, member_number) key: 12 is 12,
 * 120–129, 1200–1299 and so on. A cast to text would not be leakproof, and under RLS would read every member.
 * Member numbers never start with 0 (phone numbers do), so such a prefix asks nothing of them.
 */
function numberStartsWith(digits: string) {
  if (digits.startsWith('0') || digits.length > 10) return [];
  const ranges = [];
  for (let low = Number(digits), width = 1; low <= MAX_MEMBER_NUMBER; low *= 10, width *= 10) {
    ranges.push(sql<boolean>`member_number between ${low} and ${Math.min(low + width - 1, MAX_MEMBER_NUMBER)}`);
  }
  return ranges;
}

export const membersRepo = {
  /** The next member number of this tenant; the counter row is locked until the transaction ends. */
  nextMemberNumber: (db: Tx) => membersRepo.nextMemberNumbers(db, 1),

  /** n member numbers at once (an import): the last of them comes back, the first is last - n + 1. */
  nextMemberNumbers: async (db: Tx, n: number) => {
    const row = await db
      .insertInto('app.counters')
      .values({ name: 'member_number', value: n })
      .onConflict((oc) => oc.columns(['tenant_id', 'name']).doUpdateSet({ value: sql`app.counters.value + ${n}` }))
      .returning('value')
      .executeTakeFirstOrThrow();
    return Number(row.value);
  },

  /**
   * One import of the studio at a time (the next reads the ids this one added, so member numbers stay gapless).
   * Whatever gives a member an email takes it shared: an import cannot lock each of its thousands of emails (the
   * lock table would overflow), so it keeps out every email change of the studio instead, for its few seconds.
   */
  lockImports: (db: Tx, tenantId: string, mode: 'import' | 'email') =>
    mode === 'import'
      ? sql`select pg_advisory_xact_lock(hashtextextended(${`member_import:${tenantId}`}, 0))`.execute(db)
      : sql`select pg_advisory_xact_lock_shared(hashtextextended(${`member_import:${tenantId}`}, 0))`.execute(db),

  /** An import's rows; an external id already here is skipped (never expected under lockImports, but never doubled). */
  insertImported: (db: Tx, rows: Array<Insertable<AppMembers>>) =>
    db.insertInto('app.members').values(rows).onConflict((oc) => oc.columns(['tenant_id', 'external_id']).doNothing()).returning(['id', 'external_id']).execute(),

  withExternalIds: (db: Tx, ids: string[]) =>
    ids.length === 0 ? Promise.resolve([]) : db.selectFrom('app.members').select(['external_id']).where('external_id', 'in', ids).execute(),

  withEmails: (db: Tx, emails: string[]) =>
    emails.length === 0
      ? Promise.resolve([])
      : db.selectFrom('app.members').select(['email', 'member_number', 'family_name', 'given_name']).where('email', 'in', emails).orderBy('member_number').execute(),

  insert: (db: Tx, row: Insertable<AppMembers>) => db.insertInto('app.members').values(row).returningAll().executeTakeFirstOrThrow(),

  byId: (db: Tx, id: string) => db.selectFrom('app.members').selectAll().where('id', '=', id).executeTakeFirst(),

  /**
   * The members with this email, those who could be the person first: not a family member of someone else (a child
   * may carry the parent's address), then the earliest registered; with whether an account already signs in as them.
   */
  withEmail: (db: Tx, email: string) =>
    db
      .selectFrom('app.members as m')
      .leftJoin('app.member_accounts as a', 'a.member_id', 'm.id')
      .select(['m.id', 'm.member_number', 'm.family_name', 'm.given_name', sql<boolean>`a.id is not null`.as('has_account')])
      .where('m.email', '=', email)
      .orderBy(sql`m.family_lead_id is not null`)
      .orderBy('m.member_number')
      .execute(),

  /** Locks the member row for a change that depends on its current state (family links). */
  byIdForUpdate: (db: Tx, id: string) => db.selectFrom('app.members').selectAll().where('id', '=', id).forUpdate().executeTakeFirst(),

  dependents: (db: Tx, leadId: string) =>
    db
      .selectFrom('app.members')
      .select(['id', 'member_number', 'family_name', 'given_name'])
      .where('family_lead_id', '=', leadId)
      .orderBy('member_number')
      .execute(),

  update: (db: Tx, id: string, changes: Updateable<AppMembers>) =>
    db
      .updateTable('app.members')
      .set({ ...changes, updated_at: sql`now()` })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst(),

  search: (db: Tx, q: MemberSearch) => {
    const filtered = Boolean(q.namePrefix || q.kanaPrefix || q.digitsPrefix || q.emailPrefix);
    let query = db.selectFrom('app.members').select(summaryColumns).orderBy('member_number').limit(q.limit);
    if (q.afterNumber !== undefined) query = query.where('member_number', '>', q.afterNumber);
    if (q.status) query = query.where('status', '=', q.status);
    if (q.tag) query = query.where(sql<boolean>`tags @> array[${q.tag}]::text[]`);
    const { namePrefix, kanaPrefix, digitsPrefix, emailPrefix } = q;
    if (filtered) {
      const terms = [
        ...(namePrefix ? [startsWith(sql.ref('search_name'), namePrefix)] : []),
        ...(kanaPrefix ? [startsWith(sql.ref('search_kana'), kanaPrefix)] : []),
        ...(digitsPrefix ? [...numberStartsWith(digitsPrefix), startsWith(sql.ref('phone'), digitsPrefix)] : []),
        ...(emailPrefix ? [startsWith(sql.ref('email'), emailPrefix)] : []),
      ];
      query = query.where(sql<boolean>`(${sql.join(terms, sql` or `)})`);
    }
    return query.execute();
  },
};
