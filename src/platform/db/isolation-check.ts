import type pg from 'pg';
import { TENANT_SCHEMA } from './catalog.js';

/** The policy expression every tenant table must have, as pg_policies prints it. */
const ISOLATING_EXPRESSION = '(tenant_id = app.current_tenant_id())';

export interface Violation {
  table: string;
  problem: string;
}

/**
 * Reads PostgreSQL's catalog and lists every way a table of the tenant schema could leak across tenants:
 * no tenant_id, RLS off or not FORCEd, no policy on app.current_tenant_id(), or a primary, unique or foreign
 * key that does not lead with tenant_id. Tables are found from the catalog, so a new one is checked unasked.
 */
export async function checkTenantSchema(client: pg.Client | pg.PoolClient, schema = 'app'): Promise<Violation[]> {
  const violations: Violation[] = [];
  const tables = await client.query<{ oid: number; name: string; rls: boolean; force: boolean }>(
    `select c.oid, c.oid::regclass::text as name, c.relrowsecurity as rls, c.relforcerowsecurity as force
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = $1 and c.relkind in ('r', 'p') order by 2`,
    [schema],
  );
  for (const t of tables.rows) {
    const add = (problem: string) => violations.push({ table: t.name, problem });
    const column = await client.query<{ type: string; notnull: boolean }>(
      `select format_type(atttypid, atttypmod) as type, attnotnull as notnull
         from pg_attribute where attrelid = $1 and attname = 'tenant_id' and not attisdropped`,
      [t.oid],
    );
    const col = column.rows[0];
    if (!col) add('has no tenant_id column');
    else if (col.type !== 'uuid' || !col.notnull) add(`tenant_id is ${col.type}${col.notnull ? '' : ' and nullable'}, not uuid not null`);
    if (!t.rls) add('row-level security is not enabled');
    if (!t.force) add('row-level security is not FORCEd');

    const policies = await client.query<{ cmd: string; permissive: string; qual: string | null; with_check: string | null }>(
      `select cmd, permissive, qual, with_check from pg_policies where schemaname = $1 and tablename = $2`,
      [schema, t.name.split('.').pop()],
    );
    // Compared whole, not by substring: "… = app.current_tenant_id() OR true" must not pass.
    const isolating = policies.rows.filter(
      (p) => p.cmd === 'ALL' && p.qual === ISOLATING_EXPRESSION && p.with_check === ISOLATING_EXPRESSION,
    );
    if (isolating.length === 0) add('has no policy for ALL commands with USING and WITH CHECK on app.current_tenant_id()');
    // A second permissive policy would widen access (permissive policies are OR-ed together).
    const widening = policies.rows.filter((p) => p.permissive === 'PERMISSIVE' && !isolating.includes(p));
    if (widening.length > 0) add(`has ${widening.length} other permissive polic(ies) that could widen access`);

    const keys = await client.query<{ name: string; kind: string; first: string | null; ref_first: string | null }>(
      `select con.conname as name, con.contype as kind,
              (select attname from pg_attribute where attrelid = con.conrelid and attnum = con.conkey[1]) as first,
              (select attname from pg_attribute where attrelid = con.confrelid and attnum = con.confkey[1]) as ref_first
         from pg_constraint con where con.conrelid = $1 and con.contype in ('p', 'u', 'f')`,
      [t.oid],
    );
    if (!keys.rows.some((k) => k.kind === 'p')) add('has no primary key');
    for (const k of keys.rows) {
      const label = { p: 'primary key', u: 'unique key', f: 'foreign key' }[k.kind];
      if (k.first !== 'tenant_id') add(`${label} ${k.name} does not lead with tenant_id`);
      if (k.kind === 'f' && k.ref_first !== 'tenant_id') add(`foreign key ${k.name} does not reference tenant_id first`);
    }
    // Unique indexes made without a constraint count as unique keys too.
    const indexes = await client.query<{ name: string; first: string | null }>(
      `select i.indexrelid::regclass::text as name,
              (select attname from pg_attribute where attrelid = i.indrelid and attnum = i.indkey[0]) as first
         from pg_index i
        where i.indrelid = $1 and i.indisunique
          and not exists (select 1 from pg_constraint c where c.conindid = i.indexrelid)`,
      [t.oid],
    );
    for (const i of indexes.rows) if (i.first !== 'tenant_id') add(`unique index ${i.name} does not lead with tenant_id`);
  }
  return violations;
}

/**
 * A runtime role must own nothing, have no way around RLS, belong to no other role, and write only tables that
 * are under RLS, except in the schemas it is meant to administer (the platform role's catalog).
 */
export async function checkAppRole(
  client: pg.Client | pg.PoolClient,
  role: string,
  opts: { mayWriteSchemas?: string[] } = {},
): Promise<string[]> {
  const problems: string[] = [];
  const r = await client.query<{ rolsuper: boolean; rolbypassrls: boolean; rolcreaterole: boolean; rolcreatedb: boolean }>(
    'select rolsuper, rolbypassrls, rolcreaterole, rolcreatedb from pg_roles where rolname = $1',
    [role],
  );
  const attrs = r.rows[0];
  if (!attrs) return [`role ${role} does not exist`];
  for (const [attr, on] of Object.entries(attrs)) if (on) problems.push(`${role} has ${attr}`);
  const owned = await client.query<{ what: string }>(
    `select 'table ' || c.oid::regclass::text as what from pg_class c join pg_roles r on r.oid = c.relowner where r.rolname = $1
     union all select 'schema ' || nspname from pg_namespace n join pg_roles r on r.oid = n.nspowner where r.rolname = $1
     union all select 'function ' || p.oid::regprocedure::text from pg_proc p join pg_roles r on r.oid = p.proowner where r.rolname = $1
     union all select 'type ' || t.oid::regtype::text from pg_type t join pg_roles r on r.oid = t.typowner where r.rolname = $1`,
    [role],
  );
  for (const o of owned.rows) problems.push(`${role} owns ${o.what}`);
  const memberOf = await client.query<{ name: string }>(
    `select g.rolname as name from pg_auth_members m join pg_roles g on g.oid = m.roleid join pg_roles u on u.oid = m.member where u.rolname = $1`,
    [role],
  );
  for (const g of memberOf.rows) problems.push(`${role} is a member of ${g.name} (it could act as that role)`);
  const writable = await client.query<{ name: string; schema: string }>(
    `select c.oid::regclass::text as name, n.nspname as schema
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('r', 'p') and not c.relrowsecurity
        and n.nspname not in ('pg_catalog', 'information_schema')
        and (has_any_column_privilege($1, c.oid, 'INSERT') or has_any_column_privilege($1, c.oid, 'UPDATE')
             or has_table_privilege($1, c.oid, 'DELETE') or has_table_privilege($1, c.oid, 'TRUNCATE'))`,
    [role],
  );
  for (const t of writable.rows) {
    if (!(opts.mayWriteSchemas ?? []).includes(t.schema)) problems.push(`${role} can write ${t.name}, which has no RLS`);
  }
  return problems;
}

/**
 * Everything the role can reach outside the tenant schema, one line per privilege ("table platform.tenants:
 * SELECT", "function platform.tenant_by_slug(text): EXECUTE", "schema public: USAGE"), sorted. Tables, views and
 * sequences are listed wherever they are; functions only in schemas the role may use, because every function is
 * executable by PUBLIC unless revoked, and one in a schema the role cannot enter cannot be called.
 */
export async function accessOutsideTenantSchema(client: pg.Client | pg.PoolClient, role: string): Promise<string[]> {
  const { rows } = await client.query<{ access: string }>(
    `with spaces as (
       select n.oid, n.nspname from pg_namespace n
        where n.nspname not in ('pg_catalog', 'information_schema', $2)
          and n.nspname not like 'pg\\_toast%' and n.nspname not like 'pg\\_temp\\_%')
     select 'schema ' || s.nspname || ': ' || p.priv as access
       from spaces s cross join (values ('USAGE'), ('CREATE')) p (priv)
      where has_schema_privilege($1, s.oid, p.priv)
     union all
     select 'table ' || c.oid::regclass::text || ': ' || p.priv
       from pg_class c join spaces s on s.oid = c.relnamespace
            cross join (values ('SELECT'), ('INSERT'), ('UPDATE'), ('DELETE'), ('TRUNCATE'), ('REFERENCES'), ('TRIGGER')) p (priv)
      where c.relkind in ('r', 'p', 'v', 'm', 'f') and has_table_privilege($1, c.oid, p.priv)
     union all
     select 'columns of ' || c.oid::regclass::text || ': ' || p.priv
       from pg_class c join spaces s on s.oid = c.relnamespace cross join (values ('SELECT'), ('INSERT'), ('UPDATE')) p (priv)
      where c.relkind in ('r', 'p', 'v', 'm', 'f') and not has_table_privilege($1, c.oid, p.priv)
        and has_any_column_privilege($1, c.oid, p.priv)
     union all
     select 'sequence ' || c.oid::regclass::text || ': ' || p.priv
       from pg_class c join spaces s on s.oid = c.relnamespace cross join (values ('USAGE'), ('SELECT'), ('UPDATE')) p (priv)
      where c.relkind = 'S' and has_sequence_privilege($1, c.oid, p.priv)
     union all
     select 'function ' || f.oid::regprocedure::text || ': EXECUTE'
       from pg_proc f join spaces s on s.oid = f.pronamespace
      where has_schema_privilege($1, s.oid, 'USAGE') and has_function_privilege($1, f.oid, 'EXECUTE')
     order by 1`,
    [role, TENANT_SCHEMA],
  );
  return rows.map((r) => r.access);
}
