import { sql } from 'kysely';
import type { Db, Tx } from '../db/databases.js';
import type { AuditOutcome } from '../db/types.js';
import type { Principal, TenantContext } from '../tenancy/context.js';

type StaffPrincipal = Extract<Principal, { kind: 'staff' | 'api_key' }>;

/**
 * How a route shows what it changes: `load` reads the thing before and after the handler, in the handler's own
 * transaction, and the audit row keeps the fields that differ. Anything JSON-like will do; secrets are redacted
 * by key name (see `redact`), so a loader may return a whole row.
 */
export interface AuditLoader {
  load(ctx: TenantContext, params: Record<string, string>): Promise<unknown>;
}

/**
 * The common loader: the row of a tenant table by the id in a path parameter, or the tenant's single row
 * (settings) when no parameter is named. RLS keeps it to the request's tenant.
 */
export function auditRow(table: `app.${string}`, idParam?: string): AuditLoader {
  return {
    async load(ctx, params) {
      const where = idParam === undefined ? sql`` : sql`where id = ${params[idParam]}`;
      const { rows } = await sql<Record<string, unknown>>`select * from ${sql.table(table)} ${where} limit 1`.execute(ctx.db);
      return rows[0] ?? null;
    },
  };
}

export function isStaffPrincipal(principal: Principal | null): principal is StaffPrincipal {
  return principal?.kind === 'staff' || principal?.kind === 'api_key';
}

// By key name, at any depth: what a secret is called anywhere in the schema or the API (password, password_hash,
// token, stripe_secret_key, webhook secret, api key hashes, card tokens and numbers).
const SECRET_KEY = /pass(word|code)|secret|token|_hash$|hash$|api_?key|card_?(number|token)|cvc|otp|totp/i;
export const REDACTED = '[redacted]';

/** A copy with every value under a secret-looking key replaced; Dates and Buffers become their JSON forms. */
export function redact(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (Buffer.isBuffer(value)) return REDACTED;
  if (Array.isArray(value)) return value.map(redact);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) && v !== null ? REDACTED : redact(v)]));
}

/**
 * The top-level fields that differ, before and after (redacted). A secret that changed shows as changed, never
 * its value: a before/after pair of the same mask still tells the owner the key was replaced.
 */
export function changedFields(before: unknown, after: unknown): { before: Record<string, unknown>; after: Record<string, unknown> } | null {
  const b = asRecord(before);
  const a = asRecord(after);
  const out = { before: {} as Record<string, unknown>, after: {} as Record<string, unknown> };
  for (const key of new Set([...Object.keys(b), ...Object.keys(a)])) {
    if (key === 'updated_at' || key === 'updatedAt') continue; // every write moves it; it is the row's `at` already
    const secret = SECRET_KEY.test(key);
    const [x, y] = secret ? [masked(b[key]), masked(a[key])] : [redact(b[key]), redact(a[key])];
    const changed = secret ? !sameRaw(b[key], a[key]) : JSON.stringify(x) !== JSON.stringify(y);
    if (!changed) continue;
    out.before[key] = x ?? null;
    out.after[key] = y ?? null;
  }
  return out;
}

const masked = (value: unknown) => (value === null || value === undefined ? null : REDACTED);

function sameRaw(x: unknown, y: unknown) {
  if (Buffer.isBuffer(x) && Buffer.isBuffer(y)) return x.equals(y);
  return JSON.stringify(x) === JSON.stringify(y);
}

function asRecord(value: unknown): Record<string, unknown> {
  if (value === null || value === undefined) return {};
  if (typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  return { value };
}

export interface AuditEntry {
  principal: StaffPrincipal;
  ip: string;
  userAgent: string | null;
  method: string;
  route: string;
  params: unknown;
  outcome: AuditOutcome;
  status: number;
  problem?: { type: string; code: string } | null;
  changes?: { before: Record<string, unknown>; after: Record<string, unknown> } | null;
  requestId: string;
}

/** The area a route belongs to: its first path segment after /api/ (members, invoices, settings …). */
export const areaOf = (route: string) => route.split('/')[2] ?? '';

/** Appends one row, naming the actor as they are called now (kept as it was, whatever they are renamed to later). */
export async function recordAudit(db: Tx | Db, entry: AuditEntry): Promise<void> {
  const { principal } = entry;
  const actor =
    principal.kind === 'staff'
      ? { id: principal.staffId, name: (await db.selectFrom('app.staff').select('display_name as name').where('id', '=', principal.staffId).executeTakeFirst())?.name }
      : { id: principal.apiKeyId, name: (await db.selectFrom('app.api_keys').select('name').where('id', '=', principal.apiKeyId).executeTakeFirst())?.name };
  const params = Object.fromEntries(Object.entries((entry.params ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
  await db
    .insertInto('app.audit_log')
    .values({
      actor_kind: principal.kind,
      actor_id: actor.id,
      actor_name: (actor.name ?? '').slice(0, 200),
      actor_role: principal.role,
      ip: entry.ip.slice(0, 64),
      user_agent: entry.userAgent?.slice(0, 500) ?? null,
      method: entry.method as 'POST',
      route: entry.route.slice(0, 300),
      area: areaOf(entry.route).slice(0, 60),
      params: JSON.stringify(params),
      outcome: entry.outcome,
      status: entry.status,
      problem_type: entry.outcome === 'done' ? null : (entry.problem?.type ?? null)?.slice(0, 300) ?? null,
      problem_code: entry.outcome === 'done' ? null : (entry.problem?.code ?? 'unknown').slice(0, 100),
      changes: entry.changes ? JSON.stringify(entry.changes) : null,
      request_id: entry.requestId,
    })
    .execute();
}
