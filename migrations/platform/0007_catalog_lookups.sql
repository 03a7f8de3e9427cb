-- The tenant-serving role (app) reads none of the catalog's tables. It finds the tenant a request names (by id, by
-- the slug of its host, or by a registered custom domain) and that tenant's placement through these functions,
-- each of which returns at most one row and cannot list. They run as their owner (SECURITY DEFINER) with a fixed
-- search_path, so nothing a caller sets can redirect them. Execute is granted to the app role by grantRoles at
-- every migrate, since the roles' names are configuration; nobody else gets it by default.
create function platform.tenant_by_id(p_id uuid) returns setof platform.tenants
  language sql stable security definer set search_path = pg_catalog, pg_temp rows 1
  as $$ select * from platform.tenants where id = p_id $$;

create function platform.tenant_by_slug(p_slug text) returns setof platform.tenants
  language sql stable security definer set search_path = pg_catalog, pg_temp rows 1
  as $$ select * from platform.tenants where slug = p_slug $$;

create function platform.tenant_by_domain(p_domain text) returns setof platform.tenants
  language sql stable security definer set search_path = pg_catalog, pg_temp rows 1
  as $$ select t.* from platform.tenant_domains d join platform.tenants t on t.id = d.tenant_id where d.domain = p_domain $$;

create function platform.placement_by_id(p_id text) returns setof platform.placements
  language sql stable security definer set search_path = pg_catalog, pg_temp rows 1
  as $$ select * from platform.placements where id = p_id $$;

revoke execute on function platform.tenant_by_id(uuid), platform.tenant_by_slug(text), platform.tenant_by_domain(text),
  platform.placement_by_id(text) from public;
