-- What the last migrate did to each placement's database, so one broken database stops only its own tenants.
-- migration_status: 'failed' while its last migration failed (migration_error says why); its tenants get 503
-- maintenance until a migrate of it succeeds. schema_version: the tenant migrations its database has (the highest
-- applied number), so an instance refuses a placement whose schema is behind its code, such as one no migrate has
-- reached yet (NULL). migrated_at: the last migrate that succeeded.
alter table platform.placements
  add column migration_status text check (migration_status in ('ok', 'failed')),
  add column migration_error text,
  add column migrated_at timestamptz,
  add column schema_version integer check (schema_version >= 0);
