-- The language a studio works in: its staff and members see the web app, mails and documents in it unless they
-- choose their own. Japanese studios come first, so Japanese is the default.
alter table platform.tenants add column locale text not null default 'ja' check (locale in ('ja', 'en'));
