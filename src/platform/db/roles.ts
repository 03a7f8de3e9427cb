import pg from 'pg';

/**
 * The app role logs in, owns nothing, and cannot bypass RLS. It is (re)asserted at every migrate so that a
 * hand-made change to the role does not survive a deploy.
 */
export async function ensureAppRole(adminUrl: string, role: string, password: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const ident = client.escapeIdentifier(role);
    const exists = await client.query('select 1 from pg_roles where rolname = $1', [role]);
    if (exists.rowCount === 0) {
      await client.query(`create role ${ident} login`).catch((error: { code?: string }) => {
        if (error.code !== '42710') throw error; // another instance created it concurrently
      });
    }
    await client.query(
      `alter role ${ident} with login nosuperuser nocreatedb nocreaterole nobypassrls noreplication inherit password ${client.escapeLiteral(password)}`,
    );
  } finally {
    await client.end();
  }
}

/** Grants the app role the data access it needs on one database, and nothing more. Idempotent. */
export async function grantAppRole(adminUrl: string, role: string, opts: { controlPlane: boolean }): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const ident = client.escapeIdentifier(role);
    const statements = [
      `revoke create on schema public from public`,
      `revoke all on schema studiohive_meta from ${ident}`,
      `grant usage on schema app to ${ident}`,
      `grant select, insert, update, delete on all tables in schema app to ${ident}`,
      `grant usage, select on all sequences in schema app to ${ident}`,
      `revoke execute on function app.isolate_by_tenant(regclass) from public`,
    ];
    if (opts.controlPlane) {
      statements.push(
        `grant usage on schema platform to ${ident}`,
        `grant select, insert, update, delete on all tables in schema platform to ${ident}`,
      );
    }
    for (const statement of statements) await client.query(statement);
  } finally {
    await client.end();
  }
}

/** Creates a database on a cluster unless it exists (connecting to the cluster's maintenance database). */
export async function ensureDatabase(clusterAdminUrl: string, database: string): Promise<void> {
  const maintenance = new URL(clusterAdminUrl);
  maintenance.pathname = '/postgres';
  const client = new pg.Client({ connectionString: maintenance.toString() });
  await client.connect();
  try {
    const exists = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (exists.rowCount === 0) await client.query(`create database ${client.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
}
