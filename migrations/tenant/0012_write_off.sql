-- Money with care (issue 15): an invoice may be paid in parts at the desk (cash, then a transfer for the rest), so
-- it can have more than one successful payment. Paying twice is still prevented where it starts: one payment in
-- flight per invoice (payment_attempts_one_pending_idx), the invoice row locked while a payment is recorded, and
-- no payment taken beyond the amount due.
drop index app.payment_attempts_one_success_idx;
