-- The tenant's last measured stored bytes, copied onto its catalog row by the quota_usage job. The catalog row
-- travels with every request (the tenant directory caches it), so the storage quota is checked without another
-- query, whichever cluster and database the tenant lives in (a silo's database has no platform schema).
alter table platform.tenants add column stored_bytes bigint not null default 0 check (stored_bytes >= 0);
