-- An erasure (0016) reaches the audit log (0014) too: the before/after a staff write kept of a member's profile
-- names them. While app.erasure is on, an audit row's `changes` may be replaced by the marker {"erased": true}, and
-- nothing else about the row may change; the app role may update that one column only (db/roles.ts). Who did what,
-- when and from where stays.
create or replace function app.refuse_change() returns trigger
  language plpgsql
  as $$
  begin
    if tg_op = 'DELETE' and current_setting('app.purge', true) = 'on' then
      return old;
    end if;
    if tg_op = 'UPDATE' and current_setting('app.erasure', true) = 'on' then
      if to_jsonb(new) ->> 'reason' = '' and (to_jsonb(new) - 'reason') = (to_jsonb(old) - 'reason') then
        return new;
      end if;
      if to_jsonb(new) -> 'changes' = '{"erased": true}'::jsonb and (to_jsonb(new) - 'changes') = (to_jsonb(old) - 'changes') then
        return new;
      end if;
    end if;
    raise exception '% is append-only: % is not allowed', tg_table_name, tg_op
      using errcode = 'integrity_constraint_violation';
  end
  $$;
