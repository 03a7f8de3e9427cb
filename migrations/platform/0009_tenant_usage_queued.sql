-- Time a tenant's requests and jobs spent waiting for their turn at a database pool (fair admission): the
-- per-tenant answer to "who was queued during the rush", which the metrics give only per tier.
alter table platform.tenant_usage add column queued_ms double precision not null default 0 check (queued_ms >= 0);
