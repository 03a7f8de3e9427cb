import { sql } from 'kysely';
import { deleteOrder, type TenantTable } from '../db/catalog.js';
import type { Tx } from '../db/databases.js';

const PURGE_BATCH = 5_000;

/**
 * Deletes a tenant's rows in batches, children before parents, each batch its own transaction (run by `inTenant`,
 * with the tenant set), until a pass finds none left. A deleted tenant's purge and a move's cleanup of its old
 * database both use it.
 */
export async function purgeRows(inTenant: (work: (trx: Tx) => Promise<number>) => Promise<number>, tables: TenantTable[]): Promise<number> {
  let rows = 0;
  for (let pass = 0; ; pass += 1) {
    let deletedThisPass = 0;
    for (const table of deleteOrder(tables)) {
      for (;;) {
        const deleted = await inTenant(async (trx) => {
          // Append-only tables (member history, credit ledger) let rows go only in a purge.
          await sql`select set_config('app.purge', 'on', true)`.execute(trx);
          const result = await sql`delete from ${sql.raw(table)} where ctid in (
              select ctid from ${sql.raw(table)} where tenant_id = app.current_tenant_id() limit ${PURGE_BATCH})`.execute(trx);
          return Number(result.numAffectedRows ?? 0);
        });
        deletedThisPass += deleted;
        if (deleted < PURGE_BATCH) break;
      }
    }
    rows += deletedThisPass;
    if (deletedThisPass === 0 || pass >= 10) return rows;
  }
}
