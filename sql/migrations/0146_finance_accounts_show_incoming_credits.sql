-- finance_accounts shows incoming credits: meetctl accounts, balance and their CSV files have an
-- incoming column (credits_pending: open holds to the account, such as an expert's earnings from
-- meetings not settled yet), and finance_transfers has incoming_after since 0123, but the view of
-- the accounts left it to the reader to work out from credits_pending. The column is added at the
-- end; the view is otherwise as 0011 made it (its confinement included).
CREATE OR REPLACE VIEW finance_accounts WITH (security_barrier = true) AS
SELECT a.community_id, a.id AS account_id, a.kind, a.owner_id,
       p.email AS owner_email, p.first_name AS owner_first_name, p.last_name AS owner_last_name,
       a.debits_posted, a.credits_posted, a.debits_pending, a.credits_pending,
       a.credits_posted - a.debits_posted AS posted_balance,
       a.debits_pending AS blocked,
       a.credits_posted - a.debits_posted - a.debits_pending AS available,
       a.created_at,
       a.credits_pending AS incoming
FROM accounts a LEFT JOIN people p ON p.community_id = a.community_id AND p.id = a.owner_id
WHERE EXISTS (SELECT 1 FROM finance_everywhere) OR a.community_id IN (SELECT s.community_id FROM finance_scope s);

COMMENT ON COLUMN finance_accounts.incoming IS 'The same as credits_pending: credits on their way in (open holds to the account, such as an expert''s earnings: the full prices of meetings not settled yet, before the platform''s fee, which comes off each as it is captured). meetctl''s files call it incoming too; posted_balance is their posted.';
