-- Two reads that grew with rows they do not answer (a review with a community of 246,000
-- transfers and 246,000 undelivered messages beside 300 small ones):
--   - outbox.claim and outbox.dead_letters found the messages whose lease ran out after their
--     last attempt (status leased) by reading every message of the community still to be
--     delivered: a claim of 5 took 570 ms behind a backlog, and each claim slowed as it grew.
--     They are a handful at most: an index of the leased messages by lease end finds them.
--   - The finance views kept each role to its communities with a condition the planner could not
--     take to an index (the row's community among those of finance_scope, or every community):
--     a small community's finance role reading its 50 latest movements from finance_transfers
--     read every community's transfers (684 ms; 1.4 ms with its community named). The
--     communities a role reads are now gathered once per query into an array the views' rows
--     are matched against, which the tables' community indexes answer. Who reads what is as
--     0011 made it: every community for the service's own role and platform-wide roles
--     (finance_everywhere), else those of finance_scope; none, for anyone else.

CREATE INDEX outbox_leased ON outbox (community_id, lease_expires_at) WHERE status = 'leased';

-- The communities the calling role reads, as one array (NULL when none).
CREATE VIEW finance_visible_communities WITH (security_barrier = true) AS
SELECT array_agg(v.community_id) AS community_ids
FROM (SELECT c.community_id FROM communities c WHERE EXISTS (SELECT 1 FROM finance_everywhere)
      UNION
      SELECT s.community_id FROM finance_scope s) v;

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
WHERE a.community_id = ANY ((SELECT v.community_ids FROM finance_visible_communities v)::text[]);

CREATE OR REPLACE VIEW finance_transfers WITH (security_barrier = true) AS
SELECT x.community_id, x.account_id, x.account_kind, x.seq, x.transfer_id, x.transfer_kind, x.phase, x.side, x.amount, x.signed_amount,
       x.posted_balance_after, x.available_after, x.blocked_after, x.pending_id, x.meeting_id, x.reference, x.reason, x.actor_id, x.created_at,
       x.incoming_after
FROM finance_transfer_sides x
WHERE x.community_id = ANY ((SELECT v.community_ids FROM finance_visible_communities v)::text[]);

CREATE OR REPLACE VIEW finance_meeting_trail WITH (security_barrier = true) AS
SELECT t.community_id, t.meeting_id, t.seq, t.id AS transfer_id, t.kind, t.phase, t.amount,
       t.debit_account_id, t.credit_account_id, t.pending_id, t.created_at
FROM transfers t
WHERE t.meeting_id IS NOT NULL
  AND t.community_id = ANY ((SELECT v.community_ids FROM finance_visible_communities v)::text[]);

COMMENT ON VIEW finance_visible_communities IS 'The communities the calling role reads in the finance views, as one array: every community for the service''s own role and platform-wide roles, else those of the role''s own grant (finance_scope).';
COMMENT ON COLUMN finance_visible_communities.community_ids IS 'The community ids (com_…), or NULL when the role reads none.';
