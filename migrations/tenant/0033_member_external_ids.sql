-- A member's id in the system the studio used before (issue 19): an onboarding import keys on it, so running the
-- same file again adds nobody twice. Null for members registered here.
alter table app.members add column external_id text check (length(external_id) between 1 and 100);
alter table app.members add constraint members_external_id_key unique (tenant_id, external_id);
