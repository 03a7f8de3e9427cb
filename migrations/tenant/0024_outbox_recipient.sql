-- The member a message reached: the member it is about, or their family lead, who gets a child's messages (issue
-- 18). The recipient's own choices picked the channel, so a one-click unsubscribe turns the kind off for them, not
-- for the child. Null for rows written before, and for mail to an address that is no member's (staff, a prospect).
alter table app.outbox add column recipient_id uuid;
alter table app.outbox
  add foreign key (tenant_id, recipient_id) references app.members (tenant_id, id) on delete set null (recipient_id);
create index outbox_recipient_idx on app.outbox (tenant_id, recipient_id) where recipient_id is not null;
