-- Finance staff's SQL roles, each confined to one community, or to every community only where
-- an operator asks for it. Operators create them with finance_role_create(community_id,
-- role_name) or finance_platform_role_create(role_name) and remove them with
-- finance_role_drop(role_name). The finance views show a role the rows of the communities it is
-- confined to and nothing else.

-- meetingledger_finance is now the group that holds the grants on the views: nobody logs in as
-- it, and on its own it is confined to no community, so through it alone no row is visible.
ALTER ROLE meetingledger_finance NOLOGIN;

-- Which role may see which community (community_id NULL: every community).
CREATE TABLE finance_roles (
    role_name text PRIMARY KEY,
    -- The role is recognised by oid and name together: a role dropped behind the functions'
    -- back, or renamed, is confined to nothing, whatever later takes its oid or name.
    role_oid oid NOT NULL UNIQUE,
    community_id text REFERENCES communities (community_id),
    platform_wide boolean NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK (platform_wide = (community_id IS NULL))
);
CREATE INDEX finance_roles_community ON finance_roles (community_id);

-- What the calling role may see. current_user is the caller even inside a view, while the
-- tables are read as the view's owner. finance_everywhere has a row when the caller sees every
-- community: a platform-wide finance role, or meetingd's own role (the owner of the ledger's
-- tables, which serves ledger.statement and ledger.meeting_trail from these views); it does not
-- depend on the row, so it is evaluated once per query. finance_scope lists the communities of
-- the community roles the caller is (or is a member of).
CREATE VIEW finance_everywhere WITH (security_barrier = true) AS
SELECT true AS everywhere
WHERE pg_has_role((SELECT c.relowner FROM pg_class c WHERE c.oid = 'public.accounts'::regclass), 'MEMBER')
   OR EXISTS (SELECT 1 FROM finance_roles r JOIN pg_roles g ON g.oid = r.role_oid AND g.rolname = r.role_name
              WHERE r.platform_wide AND pg_has_role(r.role_oid, 'MEMBER'));

CREATE VIEW finance_scope WITH (security_barrier = true) AS
SELECT r.community_id
FROM finance_roles r JOIN pg_roles g ON g.oid = r.role_oid AND g.rolname = r.role_name
WHERE NOT r.platform_wide AND pg_has_role(r.role_oid, 'MEMBER');

-- The views as before, confined. security_barrier: the confinement is applied before any
-- condition of the caller's own, so no function the caller writes in WHERE (a cast whose error
-- quotes the value…) ever sees a row of another community. A UNION ALL view would be flattened
-- into its branches, taking the caller's conditions with it, so finance_transfers confines a
-- view of both sides (finance_transfer_sides, not granted to anyone) instead.
CREATE OR REPLACE VIEW finance_accounts WITH (security_barrier = true) AS
SELECT a.community_id, a.id AS account_id, a.kind, a.owner_id,
       p.email AS owner_email, p.first_name AS owner_first_name, p.last_name AS owner_last_name,
       a.debits_posted, a.credits_posted, a.debits_pending, a.credits_pending,
       a.credits_posted - a.debits_posted AS posted_balance,
       a.debits_pending AS blocked,
       a.credits_posted - a.debits_posted - a.debits_pending AS available,
       a.created_at
FROM accounts a LEFT JOIN people p ON p.community_id = a.community_id AND p.id = a.owner_id
WHERE EXISTS (SELECT 1 FROM finance_everywhere) OR a.community_id IN (SELECT s.community_id FROM finance_scope s);

CREATE VIEW finance_transfer_sides AS
SELECT t.community_id, t.debit_account_id AS account_id, a.kind AS account_kind, t.seq, t.id AS transfer_id, t.kind AS transfer_kind,
       t.phase, 'debit'::text AS side, t.amount, -t.amount AS signed_amount,
       t.debit_credits_posted - t.debit_debits_posted AS posted_balance_after,
       t.debit_credits_posted - t.debit_debits_posted - t.debit_debits_pending AS available_after,
       t.debit_debits_pending AS blocked_after,
       t.pending_id, t.meeting_id, t.reference, t.reason, t.actor_id, t.created_at
FROM transfers t JOIN accounts a ON a.community_id = t.community_id AND a.id = t.debit_account_id
UNION ALL
SELECT t.community_id, t.credit_account_id, a.kind, t.seq, t.id, t.kind, t.phase, 'credit', t.amount, t.amount,
       t.credit_credits_posted - t.credit_debits_posted,
       t.credit_credits_posted - t.credit_debits_posted - t.credit_debits_pending,
       t.credit_debits_pending,
       t.pending_id, t.meeting_id, t.reference, t.reason, t.actor_id, t.created_at
FROM transfers t JOIN accounts a ON a.community_id = t.community_id AND a.id = t.credit_account_id;

CREATE OR REPLACE VIEW finance_transfers WITH (security_barrier = true) AS
SELECT x.community_id, x.account_id, x.account_kind, x.seq, x.transfer_id, x.transfer_kind, x.phase, x.side, x.amount, x.signed_amount,
       x.posted_balance_after, x.available_after, x.blocked_after, x.pending_id, x.meeting_id, x.reference, x.reason, x.actor_id, x.created_at
FROM finance_transfer_sides x
WHERE EXISTS (SELECT 1 FROM finance_everywhere) OR x.community_id IN (SELECT s.community_id FROM finance_scope s);

CREATE OR REPLACE VIEW finance_meeting_trail WITH (security_barrier = true) AS
SELECT t.community_id, t.meeting_id, t.seq, t.id AS transfer_id, t.kind, t.phase, t.amount,
       t.debit_account_id, t.credit_account_id, t.pending_id, t.created_at
FROM transfers t
WHERE t.meeting_id IS NOT NULL
  AND (EXISTS (SELECT 1 FROM finance_everywhere) OR t.community_id IN (SELECT s.community_id FROM finance_scope s));

COMMENT ON VIEW finance_accounts IS 'Every credit account of the communities your role is confined to, with its stored sums and balances now. Credits are whole numbers; available = credits_posted - debits_posted - debits_pending.';
COMMENT ON COLUMN finance_accounts.community_id IS 'The community (com_…) the account belongs to.';
COMMENT ON COLUMN finance_accounts.account_id IS 'The account (acc_…).';
COMMENT ON COLUMN finance_accounts.kind IS 'user_wallet (one per user), expert_earnings (one per expert), platform_revenue, issuance (where purchased credits come from; may be negative) or payouts.';
COMMENT ON COLUMN finance_accounts.owner_id IS 'The person (per_…) owning a user_wallet or expert_earnings account; empty for the community''s own accounts.';
COMMENT ON COLUMN finance_accounts.owner_email IS 'The owner''s e-mail address; empty for the community''s own accounts.';
COMMENT ON COLUMN finance_accounts.owner_first_name IS 'The owner''s first name; empty for the community''s own accounts.';
COMMENT ON COLUMN finance_accounts.owner_last_name IS 'The owner''s last name; empty for the community''s own accounts.';
COMMENT ON COLUMN finance_accounts.debits_posted IS 'Credits that have left the account for good: the sum of its posted debits.';
COMMENT ON COLUMN finance_accounts.credits_posted IS 'Credits that have come into the account for good: the sum of its posted credits.';
COMMENT ON COLUMN finance_accounts.debits_pending IS 'Credits held on the account for meetings not yet settled (open holds from it).';
COMMENT ON COLUMN finance_accounts.credits_pending IS 'Credits held for this account that it will receive if the meetings are captured (open holds to it).';
COMMENT ON COLUMN finance_accounts.posted_balance IS 'credits_posted - debits_posted: the balance counting settled movements only.';
COMMENT ON COLUMN finance_accounts.blocked IS 'The same as debits_pending: credits the owner cannot spend while their meetings are open.';
COMMENT ON COLUMN finance_accounts.available IS 'posted_balance - blocked: what the owner can spend or be paid out now. Never below 0 except for issuance.';
COMMENT ON COLUMN finance_accounts.created_at IS 'When the account was opened (UTC).';

COMMENT ON VIEW finance_transfers IS 'Every credit movement of the communities your role is confined to, twice: once for the account debited (side debit) and once for the account credited (side credit), each with that account''s balances just after it. One account''s statement: WHERE account_id = … ORDER BY created_at, seq.';
COMMENT ON COLUMN finance_transfers.community_id IS 'The community (com_…) of the movement.';
COMMENT ON COLUMN finance_transfers.account_id IS 'The account (acc_…) this row is about: the debited one on side debit, the credited one on side credit.';
COMMENT ON COLUMN finance_transfers.account_kind IS 'The kind of that account: user_wallet, expert_earnings, platform_revenue, issuance or payouts.';
COMMENT ON COLUMN finance_transfers.seq IS 'The movement''s number: increasing in the order the ledger recorded the movements.';
COMMENT ON COLUMN finance_transfers.transfer_id IS 'The movement (trf_…); the same on its debit and its credit row.';
COMMENT ON COLUMN finance_transfers.transfer_kind IS 'grant (credits bought), adjustment (a correction), payout (earnings paid out), hold (credits blocked for a meeting), capture (a hold settled), release (a hold returned) or fee (the platform''s share of a capture).';
COMMENT ON COLUMN finance_transfers.phase IS 'posted (final at once), pending (a hold), post_pending (settles a hold: capture) or void_pending (cancels a hold: release).';
COMMENT ON COLUMN finance_transfers.side IS 'debit: credits leave account_id; credit: credits come into account_id.';
COMMENT ON COLUMN finance_transfers.amount IS 'The credits moved, always positive.';
COMMENT ON COLUMN finance_transfers.signed_amount IS 'amount, negative on the debit side: what the movement did to account_id.';
COMMENT ON COLUMN finance_transfers.posted_balance_after IS 'account_id''s posted balance (credits_posted - debits_posted) just after this movement.';
COMMENT ON COLUMN finance_transfers.available_after IS 'account_id''s available credits just after this movement.';
COMMENT ON COLUMN finance_transfers.blocked_after IS 'account_id''s blocked credits (open holds from it) just after this movement.';
COMMENT ON COLUMN finance_transfers.pending_id IS 'For a capture or a release: the hold (trf_…) it settles; empty otherwise.';
COMMENT ON COLUMN finance_transfers.meeting_id IS 'The meeting (mtg_…) the movement belongs to, for holds, captures, releases and fees; empty otherwise.';
COMMENT ON COLUMN finance_transfers.reference IS 'The external reference of a grant (an order number) or a payout (a bank reference).';
COMMENT ON COLUMN finance_transfers.reason IS 'Why: the reason of an adjustment, or what settled a hold (session_logged, cancelled_by_user, …).';
COMMENT ON COLUMN finance_transfers.actor_id IS 'The person (per_…) whose call made the movement; empty for the service''s own jobs.';
COMMENT ON COLUMN finance_transfers.created_at IS 'When the movement was recorded (UTC; the community''s test clock where one is pinned).';

COMMENT ON VIEW finance_meeting_trail IS 'The credit movements of each meeting of the communities your role is confined to, one row per movement: the hold when credits were blocked, then its capture and fee, or its release. One meeting: WHERE meeting_id = … ORDER BY seq.';
COMMENT ON COLUMN finance_meeting_trail.community_id IS 'The community (com_…) of the meeting.';
COMMENT ON COLUMN finance_meeting_trail.meeting_id IS 'The meeting (mtg_…).';
COMMENT ON COLUMN finance_meeting_trail.seq IS 'The movement''s number: increasing in the order the ledger recorded the movements.';
COMMENT ON COLUMN finance_meeting_trail.transfer_id IS 'The movement (trf_…).';
COMMENT ON COLUMN finance_meeting_trail.kind IS 'hold (credits blocked), capture (the hold settled to the expert), release (the hold returned to the user) or fee (the platform''s share of a capture).';
COMMENT ON COLUMN finance_meeting_trail.phase IS 'pending (a hold), post_pending (a capture), void_pending (a release) or posted (a fee).';
COMMENT ON COLUMN finance_meeting_trail.amount IS 'The credits moved, always positive. A late-cancellation capture may take less than its hold; the rest returned.';
COMMENT ON COLUMN finance_meeting_trail.debit_account_id IS 'The account (acc_…) the credits left: the user''s wallet for a hold, capture or release; the expert''s earnings for a fee.';
COMMENT ON COLUMN finance_meeting_trail.credit_account_id IS 'The account (acc_…) the credits went to: the expert''s earnings, or platform_revenue for a fee.';
COMMENT ON COLUMN finance_meeting_trail.pending_id IS 'For a capture or a release: the hold (trf_…) it settles; empty otherwise.';
COMMENT ON COLUMN finance_meeting_trail.created_at IS 'When the movement was recorded (UTC; the community''s test clock where one is pinned).';

-- Creates a login role confined to p_community (NULL: every community) with the bounds every
-- finance role gets: read-only transactions, statement_timeout, idle_in_transaction and lock
-- timeouts, and a connection limit. The role must not exist yet, so no existing role ever
-- gains or loses powers by mistake. Errors (SQLSTATE): 22023 a bad name or bound, 42710 the
-- role exists, 55000 the database is not locked down yet (see finance_lockdown).
CREATE FUNCTION finance_role_setup(p_role text, p_community text, p_connection_limit integer, p_statement_timeout interval)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    v_problems text;
BEGIN
    IF p_role IS NULL OR p_role !~ '^[a-z][a-z0-9_]{2,62}$' OR p_role LIKE 'pg\_%' THEN
        RAISE EXCEPTION 'a finance role''s name is 3 to 63 lowercase letters, digits and underscores, starting with a letter (and not pg_), not %', quote_literal(p_role)
            USING ERRCODE = '22023';
    END IF;
    IF p_connection_limit IS NULL OR p_connection_limit NOT BETWEEN 1 AND 100 THEN
        RAISE EXCEPTION 'a finance role may have 1 to 100 connections, not %', p_connection_limit USING ERRCODE = '22023';
    END IF;
    IF p_statement_timeout IS NULL OR p_statement_timeout NOT BETWEEN interval '1 second' AND interval '1 hour' THEN
        RAISE EXCEPTION 'a finance role''s statement timeout is 1 second to 1 hour, not %', p_statement_timeout USING ERRCODE = '22023';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = p_role) THEN
        RAISE EXCEPTION 'the role % exists already', p_role USING ERRCODE = '42710',
            HINT = 'Finance roles are created new: choose another name, or remove a finance role with finance_role_drop.';
    END IF;
    SELECT string_agg(privilege, '; ') INTO v_problems FROM finance_access_problems();
    IF v_problems IS NOT NULL THEN
        RAISE EXCEPTION 'finance roles could still lock or write here: every role may use %', v_problems USING ERRCODE = '55000',
            HINT = 'A superuser must run SELECT * FROM finance_lockdown(); in this database first (README: Finance staff''s SQL access).';
    END IF;
    -- A row left by a role dropped behind these functions' back.
    DELETE FROM finance_roles WHERE role_name = p_role;
    EXECUTE format('CREATE ROLE %I LOGIN INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS CONNECTION LIMIT %s IN ROLE meetingledger_finance',
                   p_role, p_connection_limit);
    EXECUTE format('ALTER ROLE %I SET default_transaction_read_only = on', p_role);
    EXECUTE format('ALTER ROLE %I SET statement_timeout = %L', p_role, (extract(epoch FROM p_statement_timeout) * 1000)::bigint || 'ms');
    EXECUTE format('ALTER ROLE %I SET idle_in_transaction_session_timeout = %L', p_role, '60s');
    EXECUTE format('ALTER ROLE %I SET lock_timeout = %L', p_role, '5s');
    INSERT INTO finance_roles (role_name, role_oid, community_id, platform_wide)
    SELECT p_role, r.oid, p_community, p_community IS NULL FROM pg_roles r WHERE r.rolname = p_role;
    RETURN p_role;
END $$;

-- A finance role for one community's staff. Errors as finance_role_setup, and P0002 when there
-- is no such community.
CREATE FUNCTION finance_role_create(p_community text, p_role text, p_connection_limit integer DEFAULT 2,
                                    p_statement_timeout interval DEFAULT '2 minutes')
RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    IF p_community IS NULL OR NOT EXISTS (SELECT 1 FROM communities WHERE community_id = p_community) THEN
        RAISE EXCEPTION 'no community %', quote_literal(p_community) USING ERRCODE = 'P0002',
            HINT = 'Pass a community''s id (com_…); for a role that sees every community use finance_platform_role_create.';
    END IF;
    RETURN finance_role_setup(p_role, p_community, p_connection_limit, p_statement_timeout);
END $$;

-- A finance role that sees every community: only for an operator who asks for one.
CREATE FUNCTION finance_platform_role_create(p_role text, p_connection_limit integer DEFAULT 2,
                                             p_statement_timeout interval DEFAULT '2 minutes')
RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    RETURN finance_role_setup(p_role, NULL, p_connection_limit, p_statement_timeout);
END $$;

-- Removes a finance role made by the functions above (and only such a role). Its open sessions
-- keep running until they end; the operator may end them with pg_terminate_backend.
CREATE FUNCTION finance_role_drop(p_role text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_oid oid;
BEGIN
    DELETE FROM finance_roles WHERE role_name = p_role RETURNING role_oid INTO v_oid;
    IF NOT FOUND THEN
        RAISE EXCEPTION '% is not a finance role', quote_literal(p_role) USING ERRCODE = 'P0002';
    END IF;
    -- Not a role that merely took the name of one dropped behind these functions' back.
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = p_role AND oid = v_oid) THEN
        EXECUTE format('DROP ROLE %I', p_role);
    END IF;
END $$;
