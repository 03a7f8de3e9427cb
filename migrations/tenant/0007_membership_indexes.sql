-- Member numbers are searched as integer ranges on the unique key now (a text cast is not leakproof under RLS,
-- so this index was never used).
drop index app.members_member_number_text_idx;

-- Carry-over reads last month's lots of one contract.
create index credit_ledger_contract_lots_idx on app.credit_ledger (tenant_id, contract_id, expires_on) where lot_id is null;
