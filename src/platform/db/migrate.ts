import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import pg from 'pg';

export type MigrationSet = 'platform' | 'tenant';

const migrationsRoot = fileURLToPath(new URL('../../../migrations/', import.meta.url));
// Arbitrary constant: every Studiohive instance takes the same lock, so two starting together queue up.
const MIGRATION_LOCK_KEY = 7_301_942_118;

interface MigrationFile {
  id: number;
  name: string;
  sql: string;
  checksum: string;
}

const readOnce = new Map<MigrationSet, Promise<MigrationFile[]>>();

/** The set's files, read and checked once per process: a migrate of 1,000 silos would otherwise read them 1,000 times. */
export function readMigrations(set: MigrationSet): Promise<MigrationFile[]> {
  let files = readOnce.get(set);
  if (!files) {
    files = readMigrationFiles(set);
    readOnce.set(set, files);
    files.catch(() => readOnce.delete(set)); // a bad file is reported again on the next call, not cached
  }
  return files;
}

async function readMigrationFiles(set: MigrationSet): Promise<MigrationFile[]> {
  const dir = path.join(migrationsRoot, set);
  const names = (await readdir(dir)).filter((n) => n.endsWith('.sql')).sort();
  const files: MigrationFile[] = [];
  for (const name of names) {
    const match = /^(\d{4})_[a-z0-9_]+\.sql$/.exec(name);
    if (!match) throw new Error(`Migration file name ${set}/${name} must look like 0001_some_name.sql`);
    const id = Number(match[1]);
    if (id !== files.length + 1) throw new Error(`Migration ${set}/${name} breaks the numbering: expected ${files.length + 1}`);
    const sql = await readFile(path.join(dir, name), 'utf8');
    files.push({ id, name, sql, checksum: createHash('sha256').update(sql).digest('hex') });
  }
  return files;
}

/** A run that stopped part-way: the migrations it applied before the failure stay (each commits on its own). */
export class MigrationRunError extends Error {
  constructor(
    message: string,
    readonly applied: string[],
    options: { cause: unknown },
  ) {
    super(message, options);
    this.name = 'MigrationRunError';
  }
}

export interface MigrationResult {
  applied: string[];
  /** Per set, the highest migration the database has after the run (numbering has no gaps, so also how many). */
  versions: Partial<Record<MigrationSet, number>>;
}

/**
 * Applies the pending migrations of one set to one database, each in its own transaction, recorded in
 * studiohive_meta.migrations. A session advisory lock serialises concurrent runners; a file edited after it
 * was applied stops the run, because migrations are append-only.
 */
export async function migrateDatabase(
  connectionString: string,
  sets: MigrationSet[],
  /** Runs after the migrations, still under the lock (role and grant changes collide when run concurrently). */
  afterwards?: (client: pg.Client) => Promise<void>,
): Promise<MigrationResult> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  const applied: string[] = [];
  const versions: MigrationResult['versions'] = {};
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query(`
      create schema if not exists studiohive_meta;
      create table if not exists studiohive_meta.migrations (
        set_name text not null,
        id integer not null,
        name text not null,
        checksum text not null,
        applied_at timestamptz not null default now(),
        primary key (set_name, id)
      )`);
    for (const set of sets) {
      const done = await client.query<{ id: number; name: string; checksum: string }>(
        'select id, name, checksum from studiohive_meta.migrations where set_name = $1',
        [set],
      );
      const doneById = new Map(done.rows.map((r) => [r.id, r]));
      // A database a newer release migrated further keeps its higher number.
      versions[set] = Math.max(0, ...doneById.keys());
      for (const file of await readMigrations(set)) {
        const previous = doneById.get(file.id);
        if (previous) {
          if (previous.checksum !== file.checksum) {
            throw new Error(
              `Migration ${set}/${file.name} was changed after it was applied (migrations are append-only; add a new file instead)`,
            );
          }
          continue;
        }
        await client.query('begin');
        try {
          await client.query(file.sql);
          await client.query(
            'insert into studiohive_meta.migrations (set_name, id, name, checksum) values ($1, $2, $3, $4)',
            [set, file.id, file.name, file.checksum],
          );
          await client.query('commit');
        } catch (error) {
          await client.query('rollback');
          throw new Error(`Migration ${set}/${file.name} failed: ${(error as Error).message}`, { cause: error });
        }
        applied.push(`${set}/${file.name}`);
        versions[set] = Math.max(versions[set]!, file.id);
      }
    }
    await afterwards?.(client);
  } catch (error) {
    throw new MigrationRunError((error as Error).message, applied, { cause: error });
  } finally {
    await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await client.end();
  }
  return { applied, versions };
}

/**
 * The migrations of these sets that this code has and the database does not (`set/file`), without changing
 * anything: for an instance that starts without migrating (MIGRATE_ON_START=false).
 */
export async function pendingMigrations(connectionString: string, sets: MigrationSet[]): Promise<string[]> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    const recorded = await client.query<{ set_name: string; id: number }>('select set_name, id from studiohive_meta.migrations').catch((error: { code?: string }) => {
      if (error.code === '42P01' || error.code === '3F000') return { rows: [] }; // never migrated
      throw error;
    });
    const done = new Set(recorded.rows.map((r) => `${r.set_name}/${r.id}`));
    const pending: string[] = [];
    for (const set of sets) {
      for (const file of await readMigrations(set)) if (!done.has(`${set}/${file.id}`)) pending.push(`${set}/${file.name}`);
    }
    return pending;
  } finally {
    await client.end();
  }
}
