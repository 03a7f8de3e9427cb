import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../db/databases.js';

const dayOf = (at: Date) => at.toISOString().slice(0, 10);
const addDays = (day: string, n: number) => dayOf(new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000));

/**
 * The daily salts of cookieless visitor counting. One random salt per UTC day lives in
 * platform.analytics_salts, so every instance hashes a visitor alike; salts older than yesterday are deleted
 * (yesterday's stays for batches flushed just after midnight), after which no hash can be recomputed from an
 * address and a browser.
 */
export class VisitorSalts {
  // Promises, so the partitions of one flush written side by side share one lookup.
  private readonly cache = new Map<string, Promise<Buffer>>();

  constructor(private readonly db: Db, private readonly today: () => Date) {}

  saltFor(day: string): Promise<Buffer> {
    let salt = this.cache.get(day);
    if (!salt) {
      salt = this.load(day);
      this.cache.set(day, salt);
      salt.catch(() => this.cache.delete(day));
    }
    return salt;
  }

  private async load(day: string): Promise<Buffer> {
    await this.db
      .insertInto('platform.analytics_salts')
      .values({ day, salt: randomBytes(32) })
      .onConflict((oc) => oc.column('day').doNothing())
      .execute();
    const row = await this.db.selectFrom('platform.analytics_salts').select('salt').where('day', '=', day).executeTakeFirstOrThrow();
    const yesterday = addDays(dayOf(this.today()), -1);
    await this.db.deleteFrom('platform.analytics_salts').where('day', '<', sql<string>`${yesterday}::date`).execute();
    // A late batch of an old day gets a fresh salt that is deleted again at once: never kept, never reusable.
    for (const key of this.cache.keys()) if (key < yesterday) this.cache.delete(key);
    return row.salt;
  }
}

/** A visitor of one tenant on one day: not linkable across days (the salt) or tenants (the tenant id). */
export function visitorHash(salt: Buffer, tenantId: string, ip: string, userAgent: string): string {
  return createHash('sha256').update(salt).update(`\0${tenantId}\0${ip}\0${userAgent}`).digest('base64url').slice(0, 22);
}
