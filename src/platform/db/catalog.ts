import { sql } from 'kysely';
import type { Db, Tx } from './databases.js';

export const TENANT_SCHEMA = 'app';

export interface TenantTable {
  /** Schema-qualified, quoted as needed (regclass text). */
  name: string;
  /** Tables this one references by foreign key. */
  parents: string[];
}

/** Every table of the tenant schema, as PostgreSQL's catalog sees it: new tables are found without a list. */
export async function tenantTables(db: Db | Tx): Promise<TenantTable[]> {
  const { rows } = await sql<TenantTable>`
    select c.oid::regclass::text as name,
           coalesce(array(
             select distinct f.confrelid::regclass::text from pg_constraint f
             where f.conrelid = c.oid and f.contype = 'f' and f.confrelid <> c.oid), '{}') as parents
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = ${TENANT_SCHEMA} and c.relkind in ('r', 'p')
    order by 1`.execute(db);
  return rows;
}

/** Children before parents, so deleting in this order never trips a foreign key. */
export function deleteOrder(tables: TenantTable[]): string[] {
  const remaining = new Map(tables.map((t) => [t.name, t]));
  const order: string[] = [];
  while (remaining.size > 0) {
    const referenced = new Set([...remaining.values()].flatMap((t) => t.parents));
    const leaves = [...remaining.keys()].filter((name) => !referenced.has(name));
    if (leaves.length === 0) throw new Error(`Foreign-key cycle among ${[...remaining.keys()].join(', ')}`);
    for (const name of leaves) {
      order.push(name);
      remaining.delete(name);
    }
  }
  return order;
}
