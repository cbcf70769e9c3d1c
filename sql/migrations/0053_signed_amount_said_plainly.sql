-- signed_amount is the transfer's amount signed by side (negative on the debit side), whatever
-- its phase. It is not what the movement did to the account's balances: a release (void_pending)
-- is on the wallet's debit side, so it reads -amount although it returns amount to the wallet's
-- available credits, and a hold changes no posted balance. The comments said otherwise; they now
-- say where each balance's change is read: the difference of its *_after column from the
-- account's previous row (ledger.statement and `meetctl statement` give it as posted_change,
-- blocked_change and available_change).

COMMENT ON COLUMN finance_transfers.signed_amount IS 'amount, negative on the debit side, whatever the phase: the movement''s direction for account_id, not its effect on a balance (a release on a wallet''s debit side reads -amount though it gives the amount back). What it did to a balance: posted_balance_after, blocked_after or available_after minus the same column on the account''s previous row (ORDER BY created_at, seq).';
COMMENT ON COLUMN finance_transfer_sides.signed_amount IS 'amount, negative on the debit side, whatever the phase (see finance_transfers.signed_amount).';
