import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { z } from 'zod';
import { AppError } from '../errors.js';
import { text } from '../i18n.js';
import type { Tx } from '../db/databases.js';
import { fixedQuery } from '../db/fixed-query.js';
import type { Principal } from '../tenancy/context.js';
import { actorOf } from '../tenancy/actor.js';

export const IDEMPOTENCY_HEADER = 'idempotency-key';
const keySchema = z.string().min(8).max(200).regex(/^[\x21-\x7e]+$/);

export interface IdempotentRequest {
  key: string | string[] | undefined;
  principal: Principal | null;
  route: string;
  input: unknown;
}

/** Keys are per caller: the same key from two people is two different actions. */
const principalKey = (ctx: { principal: Principal | null }) => {
  const actor = actorOf(ctx);
  return `${actor.kind}:${actor.id ?? '-'}`;
};

// Two statements on every retryable write: compiled once (fixedQuery).
const claimKey = fixedQuery((db, p: { key: string; scope: string; requestHash: string }) =>
  db
    .insertInto('app.idempotency_keys')
    .values({ key: p.key, scope: p.scope, request_hash: p.requestHash })
    .onConflict((oc) => oc.columns(['tenant_id', 'key']).doNothing())
    .returning('key'));
const keepResponse = fixedQuery((db, p: { key: string; response: string }) =>
  db.updateTable('app.idempotency_keys').set({ response: p.response }).where('key', '=', p.key).returning('key'));

/**
 * Runs a write at most once per Idempotency-Key. The key row is written in the request's own transaction before
 * the work, so a parallel retry waits on it, and a failed attempt leaves no key behind and may be retried. A
 * key reused by someone else or for a different request is refused rather than answered with the wrong result.
 */
export async function once<T>(db: Tx, req: IdempotentRequest, work: () => Promise<T>): Promise<{ result: T; replayed: boolean }> {
  if (req.key === undefined) throw new AppError('bad_request', text('platform.idempotency_key_missing'));
  const parsed = keySchema.safeParse(req.key);
  if (!parsed.success) throw new AppError('bad_request', text('platform.idempotency_key_format'));
  const scope = `${principalKey(req)} ${req.route}`;
  const requestHash = createHash('sha256').update(JSON.stringify(req.input ?? null)).digest('hex');
  const [claimed] = await claimKey(db, { key: parsed.data, scope, requestHash });
  if (!claimed) {
    const prior = await db.selectFrom('app.idempotency_keys').select(['scope', 'request_hash', 'response']).where('key', '=', parsed.data).executeTakeFirstOrThrow();
    if (prior.scope !== scope || prior.request_hash !== requestHash) {
      throw new AppError('unprocessable', text('platform.idempotency_key_reused'));
    }
    return { result: prior.response as T, replayed: true };
  }
  const result = await work();
  await keepResponse(db, { key: parsed.data, response: JSON.stringify(result ?? null) });
  return { result, replayed: false };
}

/** Keys are kept for a day: long enough for any client's retries. */
export const pruneIdempotencyKeys = (db: Tx) =>
  sql`delete from app.idempotency_keys where ctid in (
        select ctid from app.idempotency_keys where created_at < now() - interval '1 day' limit 5000)`.execute(db);
