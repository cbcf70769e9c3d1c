-- A statement shows incoming credits: an expert's earnings account receives a hold's credits as
-- pending (incoming) until the hold is captured or released, and `ledger.balance`, `ledger.accounts`
-- and the earnings report show them, but a statement's rows showed only the posted, blocked and
-- available balances, so a hold on an expert's earnings read as a row that changed nothing. Each
-- side of a movement now carries the account's incoming credits just after it (credits_pending),
-- in `finance_transfer_sides` and in `finance_transfers`, which finance staff read; the statement
-- (`ledger_statement_entries`, of the rows of `finance_transfer_sides`) carries it with them.
-- Columns are added at the end: the views are otherwise as 0011 made them.
CREATE OR REPLACE VIEW finance_transfer_sides AS
SELECT t.community_id, t.debit_account_id AS account_id, a.kind AS account_kind, t.seq, t.id AS transfer_id, t.kind AS transfer_kind,
       t.phase, 'debit'::text AS side, t.amount, -t.amount AS signed_amount,
       t.debit_credits_posted - t.debit_debits_posted AS posted_balance_after,
       t.debit_credits_posted - t.debit_debits_posted - t.debit_debits_pending AS available_after,
       t.debit_debits_pending AS blocked_after,
       t.pending_id, t.meeting_id, t.reference, t.reason, t.actor_id, t.created_at,
       t.debit_credits_pending AS incoming_after
FROM transfers t JOIN accounts a ON a.community_id = t.community_id AND a.id = t.debit_account_id
UNION ALL
SELECT t.community_id, t.credit_account_id, a.kind, t.seq, t.id, t.kind, t.phase, 'credit', t.amount, t.amount,
       t.credit_credits_posted - t.credit_debits_posted,
       t.credit_credits_posted - t.credit_debits_posted - t.credit_debits_pending,
       t.credit_debits_pending,
       t.pending_id, t.meeting_id, t.reference, t.reason, t.actor_id, t.created_at,
       t.credit_credits_pending
FROM transfers t JOIN accounts a ON a.community_id = t.community_id AND a.id = t.credit_account_id;

CREATE OR REPLACE VIEW finance_transfers WITH (security_barrier = true) AS
SELECT x.community_id, x.account_id, x.account_kind, x.seq, x.transfer_id, x.transfer_kind, x.phase, x.side, x.amount, x.signed_amount,
       x.posted_balance_after, x.available_after, x.blocked_after, x.pending_id, x.meeting_id, x.reference, x.reason, x.actor_id, x.created_at,
       x.incoming_after
FROM finance_transfer_sides x
WHERE EXISTS (SELECT 1 FROM finance_everywhere) OR x.community_id IN (SELECT s.community_id FROM finance_scope s);

COMMENT ON COLUMN finance_transfers.incoming_after IS 'account_id''s incoming credits (open holds to it, such as an expert''s earnings from meetings not yet settled) just after this movement.';
COMMENT ON COLUMN finance_transfer_sides.incoming_after IS 'account_id''s incoming credits (open holds to it) just after this movement.';
