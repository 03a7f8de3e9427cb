import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { RouteEntry } from '../../src/platform/http/app.js';
import type { PopulatedTenant } from './fixtures.js';
import type { TestPlatform, TestTenant } from './platform.js';
import { bodySample, bodySchema, queryParameters, sampleOf, uuidProperties } from './openapi-sample.js';

type IdsByTable = Map<string, string[]>;

/** Every uuid value in the tenant's rows (tenant_id aside), per table, read as superuser past RLS. */
async function idsOf(admin: pg.Client, tenantId: string, schema = 'app'): Promise<IdsByTable> {
  const columns = await admin.query<{ table: string; column: string }>(
    `select format('%I.%I', table_schema, table_name) as table, column_name as column
       from information_schema.columns
      where table_schema = $1 and data_type = 'uuid' and column_name <> 'tenant_id'
        -- No route names an audit row by its id, and the fixture's writes leave many: trying each on every route
        -- would only slow the search for the ids routes do take.
        and table_name <> 'audit_log'
      order by 1, 2`,
    [schema],
  );
  const ids: IdsByTable = new Map();
  for (const { table, column } of columns.rows) {
    if (!ids.has(table)) ids.set(table, []);
    if (column !== 'id') continue; // a row's own id names it; other uuid columns are references
    const rows = await admin.query(`select ${column}::text as v from ${table} where tenant_id = $1`, [tenantId]);
    ids.get(table)!.push(...rows.rows.map((r) => r.v));
  }
  return ids;
}

/**
 * A fingerprint of every row a tenant has (in every tenant table, unless named), to prove a request changed nothing.
 * The audit log is left out: a refused attempt's audit row is the trail of the attempt, not a change to the
 * studio's data (expectRefused and the 403 checks rely on this).
 */
export async function fingerprint(admin: pg.Client, tenantId: string, tables?: string[]): Promise<string> {
  tables ??= (await admin.query<{ t: string }>(`select format('%I.%I', schemaname, tablename) as t from pg_tables where schemaname = 'app' and tablename <> 'audit_log' order by 1`)).rows.map((r) => r.t);
  const parts: string[] = [];
  for (const table of tables) {
    const r = await admin.query(`select md5(coalesce(string_agg(t::text, '|' order by t::text), '')) as h from ${table} t where tenant_id = $1`, [tenantId]);
    parts.push(`${table}:${r.rows[0].h}`);
  }
  return parts.join(',');
}

const paramsOf = (url: string) => [...url.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]!);

/**
 * A public route addressed by a signed token (a calendar feed: `/api/calendar-feeds/:token`) names no row by id:
 * the token carries its claims and the studio's key signs them. No id of A's opens it, so the id-driven checks
 * below cannot apply; its own tests prove that a token of another studio, or one changed, opens nothing.
 */
const bySignedToken = (r: RouteEntry) => r.config.access === 'public' && paramsOf(r.url).length > 0 && paramsOf(r.url).every((p) => p === 'token');
const fill = (url: string, values: Record<string, string>) => url.replace(/:([A-Za-z0-9_]+)/g, (_, p: string) => values[p]!);

/**
 * Drives every tenant route in the app's route table with tenant A's principals against tenant B's ids, and
 * lists what leaked: staff routes as A's owner, member routes (access 'member') as A's signed-in member. It
 * learns which table each path parameter names by finding A's own ids that the GET routes accept (a positive
 * control: a route that 404s on everything proves nothing and is reported).
 */
export async function crossTenantViolations(
  platform: TestPlatform,
  A: PopulatedTenant,
  B: TestTenant,
  admin: pg.Client,
): Promise<{ violations: string[]; checked: number }> {
  const violations: string[] = [];
  let checked = 0;
  const doc = platform.app.swagger() as Record<string, any>;
  const routes: RouteEntry[] = platform.app.routeCatalog;
  const tenantRoutes = routes.filter((r) => r.config.tenantRoute);

  for (const r of routes) {
    if (r.url.startsWith('/api') && !r.config.tenantRoute) violations.push(`${r.method} ${r.url} serves /api without the tenant route wrapper`);
  }

  const aIds = await idsOf(admin, A.id);
  const bIds = await idsOf(admin, B.id);
  const tables = (await admin.query<{ t: string }>(`select format('%I.%I', schemaname, tablename) as t from pg_tables where schemaname = 'app' order by 1`)).rows.map((r) => r.t);
  for (const table of tables) {
    for (const tenant of [A, B]) {
      const n = (await admin.query(`select count(*)::int as n from ${table} where tenant_id = $1`, [tenant.id])).rows[0].n;
      if (n === 0) violations.push(`${table} has no rows for fixture tenant ${tenant.slug}: extend test/support/fixtures.ts`);
    }
  }
  const allA = tables.flatMap((t) => (aIds.get(t) ?? []).map((id) => ({ table: t, id })));
  const bodyFor = (r: RouteEntry) => bodySample(doc, r);
  const queryFor = (r: RouteEntry) => {
    return Object.fromEntries(queryParameters(doc, r).filter((p) => p.required).map((p) => [p.name, String(sampleOf(p.schema, doc))]));
  };
  // Each route is called as the kind of principal it serves.
  const tokenFor = (r: RouteEntry) => (r.config.access === 'member' ? A.memberToken : A.ownerToken);
  const send = (r: RouteEntry, url: string, payload?: unknown) => {
    checked += 1;
    return platform.call(B.host === A.host ? B : A, {
      method: r.method as 'GET',
      url,
      query: queryFor(r),
      token: tokenFor(r),
      // Retryable writes need a key; a fresh one each time, so no request is answered from another's replay.
      headers: { 'idempotency-key': randomUUID() },
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
  };

  // 1. Learn what each path parameter names, from GET routes that accept A's own ids.
  const paramTables = new Map<string, Set<string>>();
  const goodCombo = new Map<string, Record<string, string>>();
  const getRoutes = tenantRoutes.filter((r) => r.method === 'GET' && paramsOf(r.url).length > 0 && !bySignedToken(r));
  for (let pass = 0; pass < 3; pass += 1) {
    for (const r of getRoutes) {
      if (goodCombo.has(r.url)) continue;
      const params = paramsOf(r.url);
      const candidates = params.map((p) =>
        paramTables.has(p) ? allA.filter((x) => paramTables.get(p)!.has(x.table)) : allA,
      );
      const combos = candidates.reduce<Array<Array<{ table: string; id: string }>>>(
        (acc, options) => acc.flatMap((prefix) => options.map((o) => [...prefix, o])),
        [[]],
      );
      // Enough for a route whose second parameter is still unknown: every member with every row of A (the first
      // accepted combination ends the search, so a generous bound costs only when a fixture is missing).
      for (const combo of combos.slice(0, 5000)) {
        const values = Object.fromEntries(params.map((p, i) => [p, combo[i]!.id]));
        const res = await send(r, fill(r.url, values));
        if (res.statusCode >= 200 && res.statusCode < 300) {
          goodCombo.set(r.url, values);
          params.forEach((p, i) => {
            if (!paramTables.has(p)) paramTables.set(p, new Set());
            paramTables.get(p)!.add(combo[i]!.table);
          });
          break;
        }
      }
    }
  }
  for (const r of getRoutes) if (!goodCombo.has(r.url)) violations.push(`GET ${r.url}: no id of A's was accepted, so the route proves nothing (fixture missing?)`);

  // 2. Lists: A's lists answer, and never contain B's ids or B's slug. Read before A's owner sends any of B's ids:
  // A's audit log records every id A's staff send (B's too, as refused attempts), which is A's own record.
  const bNeedles = [...tables.flatMap((t) => bIds.get(t) ?? []), B.slug];
  for (const r of tenantRoutes) {
    if (r.method !== 'GET' || paramsOf(r.url).length > 0) continue;
    const res = await send(r, r.url);
    if (res.statusCode >= 300) violations.push(`GET ${r.url} answered ${res.statusCode} to A's ${r.config.access === 'member' ? 'member' : 'owner'}`);
    for (const needle of bNeedles) if (res.body.includes(needle)) violations.push(`GET ${r.url} shows B's ${needle}`);
  }

  const bBefore = await fingerprint(admin, B.id, tables);

  // 3. Every route with path parameters, each parameter in turn set to each of B's ids of that kind: 404.
  for (const r of tenantRoutes) {
    const params = paramsOf(r.url);
    if (params.length === 0 || bySignedToken(r)) continue;
    const base = goodCombo.get(r.url) ?? Object.fromEntries(params.map((p) => [p, aIds.get([...(paramTables.get(p) ?? [])][0] ?? '')?.[0] ?? '']));
    for (const p of params) {
      const kinds = paramTables.get(p);
      if (!kinds) {
        violations.push(`${r.method} ${r.url}: nothing shows what :${p} names; add a GET route for it or a fixture`);
        continue;
      }
      for (const table of kinds) {
        for (const bId of bIds.get(table) ?? []) {
          const res = await send(r, fill(r.url, { ...base, [p]: bId }), bodyFor(r));
          if (res.statusCode !== 404) violations.push(`${r.method} ${r.url} with B's ${table} id as :${p} answered ${res.statusCode}: ${res.body.slice(0, 200)}`);
        }
      }
    }
  }

  // 4. Bodies that carry ids: each id property set to each of B's ids must be refused, with the path (if any)
  // naming A's own rows, so that only the body's id is foreign.
  for (const r of tenantRoutes) {
    if (r.method === 'GET') continue;
    const params = paramsOf(r.url);
    const base = goodCombo.get(r.url) ?? Object.fromEntries(params.map((p) => [p, aIds.get([...(paramTables.get(p) ?? [])][0] ?? '')?.[0] ?? '']));
    for (const prop of uuidProperties(bodySchema(doc, r), doc)) {
      for (const { id: bId, table } of tables.flatMap((t) => (bIds.get(t) ?? []).map((id) => ({ id, table: t })))) {
        const res = await send(r, fill(r.url, base), { ...(bodyFor(r) as object), [prop]: bId });
        if (res.statusCode < 400) violations.push(`${r.method} ${r.url} accepted B's ${table} id in ${prop} (${res.statusCode})`);
      }
    }
  }

  // 5. A's sessions (staff and member) mean nothing at B's address: every signed-in GET there answers 401.
  for (const r of tenantRoutes) {
    if (r.method !== 'GET' || paramsOf(r.url).length > 0 || r.config.access === 'public') continue;
    checked += 1;
    const res = await platform.call(B, { method: 'GET', url: r.url, query: queryFor(r), token: tokenFor(r) });
    const whose = r.config.access === 'member' ? 'member' : 'staff';
    if (res.statusCode !== 401) violations.push(`GET ${r.url} at B's address did not refuse A's ${whose} session (${res.statusCode})`);
  }

  if ((await fingerprint(admin, B.id, tables)) !== bBefore) violations.push(`B's rows changed while A's owner made requests`);
  return { violations, checked };
}
