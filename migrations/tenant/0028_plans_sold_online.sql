-- Which plans members may buy themselves in the member app (issue 16). Off until the studio turns it on per plan:
-- a studio decides what it sells online (a trial, a pack) and what only at the desk (a plan with a consultation).
alter table app.plans add column sold_online boolean not null default false;
