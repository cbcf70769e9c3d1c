-- One payout reference (the bank transfer that paid the expert) is recorded once per community,
-- as a grant's purchase reference is: the same payout entered twice is refused instead of
-- taking the expert's earnings twice. A retry that must not pay twice uses an idempotency key.
CREATE UNIQUE INDEX transfers_payout_reference ON transfers (community_id, reference) WHERE kind = 'payout';
