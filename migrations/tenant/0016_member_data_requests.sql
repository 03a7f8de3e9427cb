-- Member data requests (issue 20, APPI / GDPR): a member may ask from the app for a copy of their data (answered at
-- once, nothing stored) or for their account to be erased. An erasure request waits for the studio's owner or
-- manager, who carries it out or declines it with a reason; the member sees its state.
create table app.member_data_requests (
  tenant_id uuid not null default app.current_tenant_id(),
  id uuid not null default gen_random_uuid(),
  member_id uuid not null,
  kind text not null default 'erasure' check (kind in ('erasure')),
  status text not null default 'pending' check (status in ('pending', 'completed', 'declined')),
  requested_at timestamptz not null default now(),
  decided_at timestamptz,
  decided_by uuid,
  decline_reason text check (length(decline_reason) between 1 and 1000),
  primary key (tenant_id, id),
  foreign key (tenant_id, member_id) references app.members (tenant_id, id),
  foreign key (tenant_id, decided_by) references app.staff (tenant_id, id),
  check ((status = 'pending') = (decided_at is null)),
  check ((status = 'declined') = (decline_reason is not null))
);
-- One open request per member: asking twice finds the first.
create unique index member_data_requests_pending_idx on app.member_data_requests (tenant_id, member_id) where status = 'pending';
create index member_data_requests_status_idx on app.member_data_requests (tenant_id, status, requested_at);
select app.isolate_by_tenant('app.member_data_requests');

-- An erased member keeps its row (invoices, the ledger and reservations point at it) and its member number, and
-- loses everything that says who they were.
alter table app.members add column erased_at timestamptz;

-- An issued invoice stays as issued, with one exception: the erasure of its recipient. Japanese tax law (the
-- qualified invoice system) and bookkeeping keep the number, dates, amounts and tax for seven years; they do not
-- need the person's name once the person asked to be erased, so APPI's and the GDPR's right to erasure wins for
-- that one field. The name may change only to the erased member's marker (its name now), and only once erased.
create or replace function app.invoices_keep_issued() returns trigger
  language plpgsql
  as $$
  begin
    if old.number is not null and (
      new.number is distinct from old.number or new.billing_member_id <> old.billing_member_id or new.period <> old.period
      or new.total <> old.total or new.tax_total <> old.tax_total or new.tax_breakdown <> old.tax_breakdown
      or new.subtotal_excluding_tax <> old.subtotal_excluding_tax or new.issued_on <> old.issued_on
      or (new.recipient_name <> old.recipient_name and not (
        exists (select 1 from app.members m where m.tenant_id = new.tenant_id and m.id = new.billing_member_id
                  and m.erased_at is not null and m.family_name = new.recipient_name)
      ))
      or new.registration_number is distinct from old.registration_number
      or new.currency <> old.currency
    ) then
      raise exception 'invoice % is issued and cannot be changed', old.number using errcode = 'check_violation';
    end if;
    return new;
  end
  $$;

-- Append-only tables (status history, the credit ledger) keep every row as written, with one exception: an
-- erasure empties the free-text reason staff typed, which may name the person. The erasure turns app.erasure on
-- for its own transaction; even then nothing but the reason may change, and only to empty.
create or replace function app.refuse_change() returns trigger
  language plpgsql
  as $$
  begin
    if tg_op = 'DELETE' and current_setting('app.purge', true) = 'on' then
      return old;
    end if;
    if tg_op = 'UPDATE' and current_setting('app.erasure', true) = 'on'
       and to_jsonb(new) ->> 'reason' = '' and (to_jsonb(new) - 'reason') = (to_jsonb(old) - 'reason') then
      return new;
    end if;
    raise exception '% is append-only: % is not allowed', tg_table_name, tg_op
      using errcode = 'integrity_constraint_violation';
  end
  $$;
