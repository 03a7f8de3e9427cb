import pg from 'pg';

type Client = pg.Client | pg.PoolClient;

/**
 * A login role that owns nothing and cannot bypass RLS. Re-asserted at every migrate (under the migration lock)
 * so a hand-made change to the role does not survive a deploy.
 *
 * The owner running this needs only CREATEROLE (and CREATEDB for silos), not superuser: PostgreSQL 15 lets only
 * a superuser write the SUPERUSER, BYPASSRLS and REPLICATION attributes, even to switch them off (and managed
 * services such as RDS or Cloud SQL never hand out a superuser). A role created here starts without all three,
 * so for a non-superuser owner they are checked instead of set; a role that has one of them is refused, by name.
 */
export async function ensureLoginRole(client: Client, role: string, password: string): Promise<void> {
  const ident = client.escapeIdentifier(role);
  // Roles are cluster-wide but the migration lock is per database: installations sharing a cluster can still
  // race here, which PostgreSQL reports as a duplicate role or "tuple concurrently updated". Retry those.
  for (let attempt = 1; ; attempt += 1) {
    try {
      const exists = await client.query('select 1 from pg_roles where rolname = $1', [role]);
      if (exists.rowCount === 0) await client.query(`create role ${ident} login`);
      const { rows } = await client.query<{ rolsuper: boolean }>('select rolsuper from pg_roles where rolname = current_user');
      const privileged = rows[0]!.rolsuper ? 'nosuperuser nobypassrls noreplication ' : '';
      await client.query(
        `alter role ${ident} with login ${privileged}nocreatedb nocreaterole inherit password ${client.escapeLiteral(password)}`,
      );
      await assertUnprivileged(client, role);
      return;
    } catch (error) {
      const e = error as { code?: string; message?: string };
      const concurrent = e.code === '42710' || e.message === 'tuple concurrently updated';
      if (!concurrent || attempt >= 5) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
    }
  }
}

/** Isolation rests on the runtime roles being unable to step around RLS; refuse to run with one that can. */
async function assertUnprivileged(client: Client, role: string): Promise<void> {
  const { rows } = await client.query<{ rolsuper: boolean; rolbypassrls: boolean; rolreplication: boolean }>(
    'select rolsuper, rolbypassrls, rolreplication from pg_roles where rolname = $1',
    [role],
  );
  const held = Object.entries(rows[0] ?? {})
    .filter(([, on]) => on)
    .map(([attribute]) => attribute.replace(/^rol/, '').toUpperCase());
  if (held.length > 0) {
    throw new Error(
      `The database role "${role}" has ${held.join(', ')}; Studiohive's runtime roles must not. ` +
        `A superuser must run: ALTER ROLE ${client.escapeIdentifier(role)} NOSUPERUSER NOBYPASSRLS NOREPLICATION`,
    );
  }
}

export interface RoleNames {
  /** Serves tenant requests: data access under RLS, and one-row catalog lookups. */
  app: string;
  /** Serves the platform admin API and jobs: writes the catalog, and creates owner accounts under RLS. */
  platform: string;
}

/** The catalog functions the tenant path calls (platform migration 0007); execute on them is all it has there. */
export const CATALOG_LOOKUPS = [
  'platform.tenant_by_id(uuid)',
  'platform.tenant_by_slug(text)',
  'platform.tenant_by_domain(text)',
  'platform.placement_by_id(text)',
];

/**
 * Grants on one database. The app role may write only tables under RLS. Of the catalog it may only look up one
 * tenant or placement at a time, so a bug or an injection on the tenant path can neither change the catalog (resume
 * a tenant, steal a domain) nor read other studios' usage, limits or the analytics salts. Idempotent.
 */
export async function grantRoles(client: Client, roles: RoleNames, opts: { controlPlane: boolean }): Promise<void> {
  const app = client.escapeIdentifier(roles.app);
  const platform = client.escapeIdentifier(roles.platform);
  const statements = [
    `revoke create on schema public from public`,
    `revoke execute on function app.isolate_by_tenant(regclass) from public`,
    `grant usage on schema app to ${app}`,
    `grant select, insert, update, delete on all tables in schema app to ${app}`,
    `grant usage, select on all sequences in schema app to ${app}`,
    // The audit log is append-only for the app: no update or truncate at all; delete stays for a tenant purge,
    // which its trigger allows and nothing else (tenant migration 0014).
    `revoke update, truncate on app.audit_log from ${app}`,
    // …except the before/after of a row, which an erasure replaces by a marker (its trigger allows nothing else; 0017).
    `grant update (changes) on app.audit_log to ${app}`,
  ];
  if (opts.controlPlane) {
    statements.push(
      // The app role reads no catalog table (earlier releases let it read them all): it finds the tenant a request
      // names, and its placement, through platform migration 0007's one-row functions.
      `grant usage on schema platform to ${app}`,
      `revoke all on all tables in schema platform from ${app}`,
      `revoke all on all sequences in schema platform from ${app}`,
      `grant execute on function ${CATALOG_LOOKUPS.join(', ')} to ${app}`,
      `grant usage on schema app, platform to ${platform}`,
      `grant select, insert, update, delete on all tables in schema app to ${platform}`,
      `grant select, insert, update, delete on all tables in schema platform to ${platform}`,
    );
  }
  for (const statement of statements) await client.query(statement);
}

/** Creates a database on a cluster unless it exists (connecting to the cluster's maintenance database). */
export async function ensureDatabase(clusterAdminUrl: string, database: string): Promise<void> {
  const maintenance = new URL(clusterAdminUrl);
  maintenance.pathname = '/postgres';
  const client = new pg.Client({ connectionString: maintenance.toString() });
  await client.connect();
  try {
    const exists = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (exists.rowCount === 0) {
      await client.query(`create database ${client.escapeIdentifier(database)}`).catch((error: { code?: string }) => {
        if (error.code !== '42P04') throw error; // created meanwhile by a concurrent request: fine
      });
    }
  } finally {
    await client.end();
  }
}
