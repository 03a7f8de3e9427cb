-- A member's private calendar feed URL is signed with a studio secret of its own (issue 16): it names the member,
-- so a link to one studio's feed never opens another's, and it is apart from the check-in and unsubscribe keys.
alter table app.signing_keys drop constraint signing_keys_purpose_check;
alter table app.signing_keys add constraint signing_keys_purpose_check check (purpose in ('check_in', 'unsubscribe', 'calendar_feed'));
