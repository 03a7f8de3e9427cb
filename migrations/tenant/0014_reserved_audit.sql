-- Placeholder so that 0016 applies on the erasure branch alone: the audit and two-factor helpers own 0014
-- and 0015. The coordinator drops this file when merging their migrations.
select 1;
