-- The language a message was written in (issue 18), so that what the sender adds at sending time (the unsubscribe
-- line of an optional mail) is in the same language as the words above it. Null for rows written before.
alter table app.outbox add column locale text check (locale in ('ja', 'en'));
