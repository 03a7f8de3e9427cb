import { sql } from 'kysely';
import type { Db } from '../db/databases.js';

export interface UsageCounts {
  requests: number;
  clientErrors: number;
  serverErrors: number;
  durationMs: number;
  /** Time waited for a turn at a database pool (fair admission). */
  queuedMs: number;
}

export interface UsageRow extends UsageCounts {
  tenantId: string;
  hour: Date;
}

export interface UsageWindow {
  since: Date;
  until: Date;
  tenantId?: string;
  limit: number;
}

/** Rows whose hour overlaps [since, until): the hour starting at 10:00 counts for a window from 10:30. */
const inWindow = (w: UsageWindow) =>
  sql`u.hour > ${new Date(w.since.getTime() - 3_600_000)} and u.hour < ${w.until}${w.tenantId ? sql` and u.tenant_id = ${w.tenantId}` : sql``}`;

export const usageRepo = {
  /**
   * Adds a batch to the hourly rows in one statement (another instance may have written the same hours).
   * Tenants no longer in the catalog are skipped rather than failing the batch; rows go in key order so two
   * instances flushing overlapping keys lock them in the same order and cannot deadlock. Returns rows written.
   */
  async add(db: Db, rows: UsageRow[]): Promise<number> {
    if (rows.length === 0) return 0;
    const batch = JSON.stringify(
      rows.map((r) => ({
        tenant_id: r.tenantId,
        hour: r.hour.toISOString(),
        requests: r.requests,
        client_errors: r.clientErrors,
        server_errors: r.serverErrors,
        duration_ms: r.durationMs,
        queued_ms: r.queuedMs,
      })),
    );
    const result = await sql`
      insert into platform.tenant_usage as u (tenant_id, hour, requests, client_errors, server_errors, duration_ms, queued_ms)
      select r.tenant_id, r.hour, r.requests, r.client_errors, r.server_errors, r.duration_ms, r.queued_ms
        from jsonb_to_recordset(${batch}::jsonb)
             as r(tenant_id uuid, hour timestamptz, requests bigint, client_errors bigint, server_errors bigint, duration_ms double precision, queued_ms double precision)
       where exists (select 1 from platform.tenants t where t.id = r.tenant_id)
       order by r.tenant_id, r.hour
      on conflict (tenant_id, hour) do update set
        requests = u.requests + excluded.requests,
        client_errors = u.client_errors + excluded.client_errors,
        server_errors = u.server_errors + excluded.server_errors,
        duration_ms = u.duration_ms + excluded.duration_ms,
        queued_ms = u.queued_ms + excluded.queued_ms`.execute(db);
    return Number(result.numAffectedRows ?? 0);
  },

  /** Totals per tenant over the window, the busiest first. */
  totalsByTenant: async (db: Db, w: UsageWindow) =>
    (
      await sql<{ tenant_id: string; slug: string; requests: number; client_errors: number; server_errors: number; duration_ms: number; queued_ms: number; hours: number }>`
        select u.tenant_id, t.slug, sum(u.requests)::bigint as requests, sum(u.client_errors)::bigint as client_errors,
               sum(u.server_errors)::bigint as server_errors, sum(u.duration_ms) as duration_ms, sum(u.queued_ms) as queued_ms, count(*)::int as hours
          from platform.tenant_usage u
          join platform.tenants t on t.id = u.tenant_id
         where ${inWindow(w)}
         group by u.tenant_id, t.slug
         order by requests desc, t.slug
         limit ${w.limit}`.execute(db)
    ).rows,

  /** Hourly rows over the window, oldest first. */
  hourly: async (db: Db, w: UsageWindow) =>
    (
      await sql<{ tenant_id: string; slug: string; hour: Date; requests: number; client_errors: number; server_errors: number; duration_ms: number; queued_ms: number }>`
        select u.tenant_id, t.slug, u.hour, u.requests, u.client_errors, u.server_errors, u.duration_ms, u.queued_ms
          from platform.tenant_usage u
          join platform.tenants t on t.id = u.tenant_id
         where ${inWindow(w)}
         order by u.hour, t.slug
         limit ${w.limit}`.execute(db)
    ).rows,
};
