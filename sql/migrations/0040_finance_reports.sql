-- Finance reports and dead letters: the indexes their bounded reads use, and a description of
-- every finance view and column (the views a finance role reads were described by 0011; these
-- are the ones behind them, and the table of roles, for the operator reading the schema).

-- Monthly reports read one community's movements of a range of months.
CREATE INDEX transfers_time ON transfers (community_id, created_at, seq);

-- outbox.dead_letters pages through one community's dead messages in order.
CREATE INDEX outbox_dead ON outbox (community_id, seq) WHERE status = 'dead';

COMMENT ON VIEW finance_transfer_sides IS 'Not granted to finance roles: every movement twice, once per account, unconfined. finance_transfers shows it confined to the reader''s communities.';
COMMENT ON COLUMN finance_transfer_sides.community_id IS 'The community (com_…) of the movement.';
COMMENT ON COLUMN finance_transfer_sides.account_id IS 'The account (acc_…) this row is about: the debited one on side debit, the credited one on side credit.';
COMMENT ON COLUMN finance_transfer_sides.account_kind IS 'The kind of that account: user_wallet, expert_earnings, platform_revenue, issuance or payouts.';
COMMENT ON COLUMN finance_transfer_sides.seq IS 'The movement''s number: increasing in the order the ledger recorded the movements.';
COMMENT ON COLUMN finance_transfer_sides.transfer_id IS 'The movement (trf_…).';
COMMENT ON COLUMN finance_transfer_sides.transfer_kind IS 'grant, adjustment, payout, hold, capture, release or fee.';
COMMENT ON COLUMN finance_transfer_sides.phase IS 'posted, pending (a hold), post_pending (a capture) or void_pending (a release).';
COMMENT ON COLUMN finance_transfer_sides.side IS 'debit: credits leave account_id; credit: credits come into account_id.';
COMMENT ON COLUMN finance_transfer_sides.amount IS 'The credits moved, always positive.';
COMMENT ON COLUMN finance_transfer_sides.signed_amount IS 'amount, negative on the debit side.';
COMMENT ON COLUMN finance_transfer_sides.posted_balance_after IS 'account_id''s posted balance just after this movement.';
COMMENT ON COLUMN finance_transfer_sides.available_after IS 'account_id''s available credits just after this movement.';
COMMENT ON COLUMN finance_transfer_sides.blocked_after IS 'account_id''s blocked credits just after this movement.';
COMMENT ON COLUMN finance_transfer_sides.pending_id IS 'For a capture or a release: the hold (trf_…) it settles.';
COMMENT ON COLUMN finance_transfer_sides.meeting_id IS 'The meeting (mtg_…) of a hold, capture, release or fee.';
COMMENT ON COLUMN finance_transfer_sides.reference IS 'The external reference of a grant or a payout.';
COMMENT ON COLUMN finance_transfer_sides.reason IS 'The reason of an adjustment, or the step that settled a hold.';
COMMENT ON COLUMN finance_transfer_sides.actor_id IS 'The person (per_…) whose call made the movement.';
COMMENT ON COLUMN finance_transfer_sides.created_at IS 'When the movement was recorded (UTC).';

COMMENT ON VIEW finance_everywhere IS 'Not granted to finance roles: one row when the calling role sees every community (a platform-wide finance role, or meetingd''s own role), none otherwise.';
COMMENT ON COLUMN finance_everywhere.everywhere IS 'Always true: the row''s presence is the answer.';
COMMENT ON VIEW finance_scope IS 'Not granted to finance roles: the communities the calling role is confined to (the finance_roles rows of the roles it is or belongs to).';
COMMENT ON COLUMN finance_scope.community_id IS 'A community (com_…) the calling role may read.';
COMMENT ON VIEW finance_forbidden_functions IS 'Not granted to finance roles: the functions of pg_catalog a finance role must not run (advisory locks, large objects, pg_notify, WAL messages, transaction ids); finance_access_problems() lists those still open.';
COMMENT ON COLUMN finance_forbidden_functions.function IS 'The function with its argument types.';
COMMENT ON COLUMN finance_forbidden_functions.service_uses_it IS 'meetingd itself uses it (the advisory locks): finance_lockdown() grants it to meetingd''s role before taking it from PUBLIC.';
COMMENT ON TABLE finance_roles IS 'Which finance role sees which community; written only by finance_role_create, finance_platform_role_create and finance_role_drop.';
COMMENT ON COLUMN finance_roles.role_name IS 'The role''s name.';
COMMENT ON COLUMN finance_roles.role_oid IS 'The role''s oid: a role renamed or dropped behind the functions'' back is confined to nothing.';
COMMENT ON COLUMN finance_roles.community_id IS 'The community (com_…) the role sees; empty for a platform-wide role.';
COMMENT ON COLUMN finance_roles.platform_wide IS 'The role sees every community (only where an operator asked for it).';
COMMENT ON COLUMN finance_roles.created_at IS 'When the role was created.';

-- ledger.accounts pages through a community's accounts by kind, then id.
CREATE INDEX accounts_by_kind ON accounts (community_id, kind, id);
