import { randomBytes } from 'node:crypto';
import type { Tx } from '../db/databases.js';

/** What a studio's secret signs: its check-in QR codes, the one-click unsubscribe links of its mail, members' calendar feeds. */
export type SigningPurpose = 'check_in' | 'unsubscribe' | 'calendar_feed';

/** Per-studio secrets for signed tokens (app.signing_keys): made on first use, they never leave the database. */
export const signingKeys = {
  /**
   * The studio's secret for a purpose, made on first use. Two first uses at once both insert; the loser's insert
   * waits for the winner's commit and does nothing, and its read (a new snapshot) then sees the winner's secret.
   */
  async ensure(db: Tx, purpose: SigningPurpose): Promise<Buffer> {
    await db.insertInto('app.signing_keys').values({ purpose, secret: randomBytes(32) }).onConflict((oc) => oc.columns(['tenant_id', 'purpose']).doNothing()).execute();
    return (await signingKeys.find(db, purpose))!;
  },
  /** Verification never makes a key: a studio without one has signed nothing. */
  find: async (db: Tx, purpose: SigningPurpose): Promise<Buffer | undefined> =>
    (await db.selectFrom('app.signing_keys').select('secret').where('purpose', '=', purpose).executeTakeFirst())?.secret,
};

/** A uuid as the 16 bytes a signed token carries, and back. */
export const uuidBytes = (id: string) => Buffer.from(id.replaceAll('-', ''), 'hex');
export const uuidOf = (bytes: Buffer) => bytes.toString('hex').replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');
