import type pg from 'pg';

/**
 * Drops a database a test made, as the owner that made it. A closed pool's backends can take a moment to exit on
 * the server; until they have, a non-superuser owner may not terminate them (WITH (FORCE) needs membership in
 * their role), so that refusal is retried for a while.
 */
export async function dropTestDatabase(client: pg.Client, database: string): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await client.query(`drop database if exists ${client.escapeIdentifier(database)} with (force)`);
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== '42501' || attempt >= 50) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
