-- When stored_bytes was measured, on the catalog row beside it: the studio's plan page shows it without a
-- second query (which, inside a pool tenant's transaction, would wait on the same connection pool).
alter table platform.tenants add column stored_bytes_measured_at timestamptz;
update platform.tenants t set stored_bytes_measured_at = q.measured_at from platform.tenant_quota_usage q where q.tenant_id = t.id;
