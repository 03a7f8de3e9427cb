-- A counter per placement: choosing a cell and enforcing its capacity becomes one row update under a row lock,
-- instead of counting every tenant on each creation (slower as the catalog grows, and racy).
alter table platform.placements add column tenant_count integer not null default 0 check (tenant_count >= 0);
update platform.placements p
   set tenant_count = (select count(*) from platform.tenants t where t.placement_id = p.id and t.purged_at is null);
