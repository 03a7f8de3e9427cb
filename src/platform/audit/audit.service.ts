import type { z } from 'zod';
import { formatInTimeZone } from 'date-fns-tz';
import { csvFile, csvLine } from '../csv.js';
import type { Selectable } from 'kysely';
import type { AppAuditLog } from '../db/types.js';
import { AppError } from '../errors.js';
import { render, text, type MessageId } from '../i18n.js';
import type { TenantContext } from '../tenancy/context.js';
import { auditRepo, type AuditQuery } from './audit.repo.js';
import type * as s from './audit.schemas.js';

const EXPORT_PAGE = 1000;

function queryOf(ctx: TenantContext, q: z.output<typeof s.auditFilters> & { before?: string; limit?: number }): AuditQuery {
  let before: AuditQuery['before'];
  if (q.before) {
    const [at, id] = q.before.split('~') as [string, string];
    const date = new Date(at);
    if (Number.isNaN(date.getTime())) throw new AppError('bad_request', text('audit.bad_cursor'));
    before = { at: date, id };
  }
  return { ...q, timeZone: ctx.tenant.timezone, before, limit: q.limit ?? EXPORT_PAGE };
}

const cursorOf = (row: Selectable<AppAuditLog>) => `${row.at.toISOString()}~${row.id}`;

function entryOf(row: Selectable<AppAuditLog>): z.input<typeof s.auditEntry> {
  return {
    id: row.id, at: row.at.toISOString(),
    actor: { kind: row.actor_kind, id: row.actor_id, name: row.actor_name, role: row.actor_role },
    ip: row.ip, userAgent: row.user_agent, method: row.method, route: row.route, area: row.area, params: row.params,
    outcome: row.outcome, status: row.status, problemCode: row.problem_code, changes: row.changes, requestId: row.request_id,
  };
}

export const auditService = {
  async list(ctx: TenantContext, q: z.output<typeof s.auditListQuery>) {
    const rows = await auditRepo.page(ctx.db, queryOf(ctx, q));
    return {
      items: rows.map(entryOf),
      nextCursor: rows.length === q.limit ? cursorOf(rows.at(-1)!) : null,
      actors: await auditRepo.actors(ctx.db),
      areas: await auditRepo.areas(ctx.db),
    };
  },

  /** The filtered log as CSV, headers and words in the reader's language, times in the studio's zone. */
  async exportCsv(ctx: TenantContext, q: z.output<typeof s.auditFilters>) {
    const { locale } = ctx.request;
    const say = (id: string) => render(text(id as MessageId), locale);
    const columns = ['at', 'actor', 'actor_kind', 'role', 'method', 'route', 'params', 'outcome', 'status', 'problem', 'changes', 'ip', 'user_agent', 'request_id'];
    const lines = [csvLine(columns.map((c) => say(`audit.csv.${c}`)))];
    const query = queryOf(ctx, q);
    for (;;) {
      const rows = await auditRepo.page(ctx.db, query);
      for (const r of rows) {
        lines.push(csvLine([
          formatInTimeZone(r.at, ctx.tenant.timezone, "yyyy-MM-dd HH:mm:ss xxx"), r.actor_name, say(`audit.actor.${r.actor_kind}`), say(`platform.role.${r.actor_role}`),
          r.method, r.route, Object.entries(r.params).map(([k, v]) => `${k}=${v}`).join(' '), say(`audit.outcome.${r.outcome}`), String(r.status),
          r.problem_code ?? '', r.changes ? JSON.stringify(r.changes) : '', r.ip, r.user_agent ?? '', r.request_id,
        ]));
      }
      if (rows.length < query.limit) break;
      query.before = { at: rows.at(-1)!.at, id: rows.at(-1)!.id };
    }
    return csvFile(lines);
  },
};
