-- The first invoice at the sale (issue 15): selling a plan invoices its first month (pro-rated), the enrollment
-- fee and the options at once, so the desk can collect them on the spot. That invoice is the sale's own: the
-- account may already have this month's invoice from the monthly run, and a sale must not stop the run from
-- making the account's next one. So "one invoice per account and month" holds for the run's invoices only, and a
-- sale has at most one invoice. Each charge is still invoiced once (invoice_lines_charge_idx), and the contract's
-- billed_through moves in the sale's transaction, so the run does not bill those months again.
alter table app.invoices
  add column kind text not null default 'monthly' check (kind in ('monthly', 'sale')),
  add column contract_id uuid,
  add foreign key (tenant_id, contract_id) references app.contracts (tenant_id, id),
  add check ((kind = 'sale') = (contract_id is not null));
alter table app.invoices drop constraint invoices_tenant_id_billing_member_id_period_key;
create unique index invoices_monthly_idx on app.invoices (tenant_id, billing_member_id, period) where kind = 'monthly';
create unique index invoices_sale_idx on app.invoices (tenant_id, contract_id) where kind = 'sale';
