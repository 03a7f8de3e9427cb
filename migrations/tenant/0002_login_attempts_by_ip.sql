-- Sign-in throttling also counts failures per client address.
create index login_attempts_ip_idx on app.login_attempts (tenant_id, ip, attempted_at) where not succeeded;
