-- Double-entry credit ledger with two-phase (pending → post | void) transfers.
-- Balances live on the account row and change only through ledger_transfer / ledger_resolve,
-- in the same statement as the transfer; every transfer records both accounts' balances after
-- it, so a past balance is one indexed lookup per side.

CREATE TABLE accounts (
    community_id text NOT NULL REFERENCES communities (community_id),
    id text NOT NULL CHECK (id ~ '^acc_[0-9a-f]{32}$'),
    kind text NOT NULL CHECK (kind IN ('user_wallet', 'expert_earnings', 'platform_revenue', 'issuance', 'payouts')),
    owner_id text,
    debits_posted bigint NOT NULL DEFAULT 0 CHECK (debits_posted >= 0),
    credits_posted bigint NOT NULL DEFAULT 0 CHECK (credits_posted >= 0),
    debits_pending bigint NOT NULL DEFAULT 0 CHECK (debits_pending >= 0),
    credits_pending bigint NOT NULL DEFAULT 0 CHECK (credits_pending >= 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (community_id, id),
    FOREIGN KEY (community_id, owner_id) REFERENCES people (community_id, id),
    CONSTRAINT accounts_owner CHECK ((kind IN ('user_wallet', 'expert_earnings')) = (owner_id IS NOT NULL)),
    -- Only issuance (where purchased credits come from) may go negative.
    CONSTRAINT accounts_no_overdraft CHECK (kind = 'issuance' OR debits_posted + debits_pending <= credits_posted)
);
CREATE UNIQUE INDEX accounts_one_per_owner ON accounts (community_id, kind, owner_id) WHERE owner_id IS NOT NULL;
CREATE UNIQUE INDEX accounts_one_per_community ON accounts (community_id, kind) WHERE owner_id IS NULL;

CREATE TABLE transfers (
    community_id text NOT NULL,
    id text NOT NULL CHECK (id ~ '^trf_[0-9a-f]{32}$'),
    seq bigint GENERATED ALWAYS AS IDENTITY,
    debit_account_id text NOT NULL,
    credit_account_id text NOT NULL,
    amount bigint NOT NULL CHECK (amount > 0 AND amount <= 1000000000000),
    kind text NOT NULL CHECK (kind IN ('grant', 'adjustment', 'payout', 'hold', 'capture', 'release', 'fee')),
    phase text NOT NULL CHECK (phase IN ('posted', 'pending', 'post_pending', 'void_pending')),
    pending_id text,
    meeting_id text,
    reference text CHECK (char_length(reference) <= 200),
    reason text CHECK (char_length(reason) <= 10000),
    actor_id text,
    created_at timestamptz NOT NULL,
    -- The debit account's and the credit account's four sums after this transfer.
    debit_debits_posted bigint NOT NULL,
    debit_credits_posted bigint NOT NULL,
    debit_debits_pending bigint NOT NULL,
    debit_credits_pending bigint NOT NULL,
    credit_debits_posted bigint NOT NULL,
    credit_credits_posted bigint NOT NULL,
    credit_debits_pending bigint NOT NULL,
    credit_credits_pending bigint NOT NULL,
    PRIMARY KEY (community_id, id),
    FOREIGN KEY (community_id, debit_account_id) REFERENCES accounts (community_id, id),
    FOREIGN KEY (community_id, credit_account_id) REFERENCES accounts (community_id, id),
    FOREIGN KEY (community_id, pending_id) REFERENCES transfers (community_id, id),
    CHECK (debit_account_id <> credit_account_id),
    CHECK ((phase IN ('post_pending', 'void_pending')) = (pending_id IS NOT NULL)),
    CHECK ((kind = 'hold') = (phase = 'pending')),
    CHECK ((kind = 'capture') = (phase = 'post_pending')),
    CHECK ((kind = 'release') = (phase = 'void_pending'))
);
-- A pending transfer is resolved (posted or voided) at most once.
CREATE UNIQUE INDEX transfers_resolved_once ON transfers (community_id, pending_id) WHERE pending_id IS NOT NULL;
-- One external purchase reference is granted once.
CREATE UNIQUE INDEX transfers_grant_reference ON transfers (community_id, reference) WHERE kind = 'grant';
CREATE INDEX transfers_meeting ON transfers (community_id, meeting_id, seq) WHERE meeting_id IS NOT NULL;
-- Each account's history in order (created_at is taken after the account is locked, so it
-- grows with each account's transfers): statements page over these, a past balance is the
-- last row at or before a time.
CREATE INDEX transfers_debit_history ON transfers (community_id, debit_account_id, created_at, seq);
CREATE INDEX transfers_credit_history ON transfers (community_id, credit_account_id, created_at, seq);

CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = '55000';
END $$;

CREATE TRIGGER transfers_append_only BEFORE UPDATE OR DELETE ON transfers FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER transfers_no_truncate BEFORE TRUNCATE ON transfers FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();

-- The id of an account by kind and owner (NULL owner for the community's own accounts). One
-- query per partial unique index, so the lookup is an index probe whatever the number of
-- accounts; PL/pgSQL keeps both plans for the session instead of planning on every call.
CREATE FUNCTION ledger_account(p_community text, p_kind text, p_owner text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_id text;
BEGIN
    IF p_owner IS NULL THEN
        SELECT id INTO v_id FROM accounts WHERE community_id = p_community AND kind = p_kind AND owner_id IS NULL;
    ELSE
        SELECT id INTO v_id FROM accounts WHERE community_id = p_community AND kind = p_kind AND owner_id = p_owner;
    END IF;
    RETURN v_id;
END $$;

-- Applies one movement to both accounts' stored sums, updating them in id order (so two
-- movements over the same accounts can never deadlock), and records the transfer with both
-- accounts' balances after it. Errors (SQLSTATE):
--   ML004 account not found · ML020 insufficient credits (DETAIL: available)
--   23505 on transfers_grant_reference: a grant reference already used
CREATE FUNCTION ledger_apply(
    p_community text, p_debit text, p_credit text,
    p_debit_posted bigint, p_debit_pending bigint, p_credit_posted bigint, p_credit_pending bigint, p_needed bigint,
    OUT o_debit accounts, OUT o_credit accounts
) LANGUAGE plpgsql AS $$
DECLARE
    v_available bigint;
BEGIN
    IF p_debit IS NULL OR p_credit IS NULL THEN
        RAISE EXCEPTION 'account not found' USING ERRCODE = 'ML004';
    END IF;
    IF p_credit < p_debit THEN
        UPDATE accounts SET credits_posted = credits_posted + p_credit_posted, credits_pending = credits_pending + p_credit_pending
        WHERE community_id = p_community AND id = p_credit RETURNING * INTO o_credit;
        IF NOT FOUND THEN RAISE EXCEPTION 'account not found' USING ERRCODE = 'ML004'; END IF;
    END IF;
    UPDATE accounts SET debits_posted = debits_posted + p_debit_posted, debits_pending = debits_pending + p_debit_pending
    WHERE community_id = p_community AND id = p_debit
      AND (kind = 'issuance' OR credits_posted - debits_posted - debits_pending >= p_needed)
    RETURNING * INTO o_debit;
    IF NOT FOUND THEN
        SELECT credits_posted - debits_posted - debits_pending INTO v_available
        FROM accounts WHERE community_id = p_community AND id = p_debit;
        IF NOT FOUND THEN RAISE EXCEPTION 'account not found' USING ERRCODE = 'ML004'; END IF;
        RAISE EXCEPTION 'insufficient credits' USING ERRCODE = 'ML020', DETAIL = v_available::text;
    END IF;
    IF p_credit > p_debit THEN
        UPDATE accounts SET credits_posted = credits_posted + p_credit_posted, credits_pending = credits_pending + p_credit_pending
        WHERE community_id = p_community AND id = p_credit RETURNING * INTO o_credit;
        IF NOT FOUND THEN RAISE EXCEPTION 'account not found' USING ERRCODE = 'ML004'; END IF;
    END IF;
END $$;

CREATE TYPE ledger_result AS (
    transfer_id text,
    seq bigint,
    amount bigint,
    created_at timestamptz,
    debit_account_id text,
    credit_account_id text,
    debit_available bigint,
    credit_available bigint
);

-- A new movement, posted or pending (a hold). `p_at` is the service's time under a test
-- clock; otherwise the database's clock once the accounts are locked.
CREATE FUNCTION ledger_transfer(
    p_community text, p_id text, p_debit text, p_credit text, p_amount bigint, p_kind text, p_phase text,
    p_meeting text, p_reference text, p_reason text, p_actor text, p_at timestamptz
) RETURNS ledger_result LANGUAGE plpgsql AS $$
DECLARE
    v_debit accounts;
    v_credit accounts;
    v_seq bigint;
    v_at timestamptz;
    v_posted boolean := p_phase = 'posted';
    v_applied record;
BEGIN
    IF p_phase NOT IN ('posted', 'pending') THEN
        RAISE EXCEPTION 'ledger_transfer takes posted or pending, not %', p_phase USING ERRCODE = '22023';
    END IF;
    SELECT * INTO v_applied FROM ledger_apply(
        p_community, p_debit, p_credit,
        CASE WHEN v_posted THEN p_amount ELSE 0 END, CASE WHEN v_posted THEN 0 ELSE p_amount END,
        CASE WHEN v_posted THEN p_amount ELSE 0 END, CASE WHEN v_posted THEN 0 ELSE p_amount END, p_amount);
    v_debit := v_applied.o_debit;
    v_credit := v_applied.o_credit;
    v_at := coalesce(p_at, clock_timestamp());
    INSERT INTO transfers (community_id, id, debit_account_id, credit_account_id, amount, kind, phase,
                           meeting_id, reference, reason, actor_id, created_at,
                           debit_debits_posted, debit_credits_posted, debit_debits_pending, debit_credits_pending,
                           credit_debits_posted, credit_credits_posted, credit_debits_pending, credit_credits_pending)
    VALUES (p_community, p_id, p_debit, p_credit, p_amount, p_kind, p_phase, p_meeting, p_reference, p_reason, p_actor, v_at,
            v_debit.debits_posted, v_debit.credits_posted, v_debit.debits_pending, v_debit.credits_pending,
            v_credit.debits_posted, v_credit.credits_posted, v_credit.debits_pending, v_credit.credits_pending)
    RETURNING seq INTO v_seq;
    RETURN ROW(p_id, v_seq, p_amount, v_at, p_debit, p_credit,
               v_debit.credits_posted - v_debit.debits_posted - v_debit.debits_pending,
               v_credit.credits_posted - v_credit.debits_posted - v_credit.debits_pending)::ledger_result;
END $$;

-- Resolves a pending transfer exactly once: post (capture, possibly of less than the pending
-- amount — the rest returns to the debit account) or void (release). Errors (SQLSTATE):
--   ML002 no such pending transfer · ML003 already resolved
CREATE FUNCTION ledger_resolve(
    p_community text, p_id text, p_pending text, p_post boolean, p_amount bigint, p_actor text, p_reason text, p_at timestamptz
) RETURNS ledger_result LANGUAGE plpgsql AS $$
DECLARE
    v_pending transfers;
    v_debit accounts;
    v_credit accounts;
    v_amount bigint;
    v_posted bigint;
    v_seq bigint;
    v_at timestamptz;
    v_applied record;
BEGIN
    -- Locking the pending transfer makes concurrent resolutions of it take turns; the check
    -- below then sees whether an earlier one committed.
    SELECT * INTO v_pending FROM transfers WHERE community_id = p_community AND id = p_pending FOR NO KEY UPDATE;
    IF NOT FOUND OR v_pending.phase <> 'pending' THEN
        RAISE EXCEPTION 'no pending transfer %', p_pending USING ERRCODE = 'ML002';
    END IF;
    IF EXISTS (SELECT 1 FROM transfers WHERE community_id = p_community AND pending_id = p_pending) THEN
        RAISE EXCEPTION 'pending transfer % is already resolved', p_pending USING ERRCODE = 'ML003';
    END IF;
    v_amount := CASE WHEN p_post THEN coalesce(p_amount, v_pending.amount) ELSE v_pending.amount END;
    IF v_amount <= 0 OR v_amount > v_pending.amount THEN
        RAISE EXCEPTION 'a post takes 1..% credits, not %', v_pending.amount, v_amount USING ERRCODE = '22023';
    END IF;
    v_posted := CASE WHEN p_post THEN v_amount ELSE 0 END;
    SELECT * INTO v_applied FROM ledger_apply(
        p_community, v_pending.debit_account_id, v_pending.credit_account_id,
        v_posted, -v_pending.amount, v_posted, -v_pending.amount, 0);
    v_debit := v_applied.o_debit;
    v_credit := v_applied.o_credit;
    v_at := coalesce(p_at, clock_timestamp());
    INSERT INTO transfers (community_id, id, debit_account_id, credit_account_id, amount, kind, phase, pending_id,
                           meeting_id, reference, reason, actor_id, created_at,
                           debit_debits_posted, debit_credits_posted, debit_debits_pending, debit_credits_pending,
                           credit_debits_posted, credit_credits_posted, credit_debits_pending, credit_credits_pending)
    VALUES (p_community, p_id, v_pending.debit_account_id, v_pending.credit_account_id, v_amount,
            CASE WHEN p_post THEN 'capture' ELSE 'release' END,
            CASE WHEN p_post THEN 'post_pending' ELSE 'void_pending' END,
            p_pending, v_pending.meeting_id, NULL, p_reason, p_actor, v_at,
            v_debit.debits_posted, v_debit.credits_posted, v_debit.debits_pending, v_debit.credits_pending,
            v_credit.debits_posted, v_credit.credits_posted, v_credit.debits_pending, v_credit.credits_pending)
    RETURNING seq INTO v_seq;
    RETURN ROW(p_id, v_seq, v_amount, v_at, v_debit.id, v_credit.id,
               v_debit.credits_posted - v_debit.debits_posted - v_debit.debits_pending,
               v_credit.credits_posted - v_credit.debits_posted - v_credit.debits_pending)::ledger_result;
END $$;

-- An account's four sums after its last transfer at or before p_at (zeros before any): two
-- index probes, whatever the size of the ledger.
CREATE FUNCTION ledger_balance_as_of(p_community text, p_account text, p_at timestamptz,
    OUT debits_posted bigint, OUT credits_posted bigint, OUT debits_pending bigint, OUT credits_pending bigint)
LANGUAGE sql STABLE AS $$
    SELECT coalesce(max(x.dp), 0), coalesce(max(x.cp), 0), coalesce(max(x.dpe), 0), coalesce(max(x.cpe), 0) FROM (
        SELECT * FROM (
            (SELECT created_at, seq, debit_debits_posted AS dp, debit_credits_posted AS cp, debit_debits_pending AS dpe,
                    debit_credits_pending AS cpe
             FROM transfers WHERE community_id = p_community AND debit_account_id = p_account AND created_at <= p_at
             ORDER BY created_at DESC, seq DESC LIMIT 1)
            UNION ALL
            (SELECT created_at, seq, credit_debits_posted, credit_credits_posted, credit_debits_pending, credit_credits_pending
             FROM transfers WHERE community_id = p_community AND credit_account_id = p_account AND created_at <= p_at
             ORDER BY created_at DESC, seq DESC LIMIT 1)
        ) both_sides ORDER BY created_at DESC, seq DESC LIMIT 1
    ) x
$$;

-- Every ledger invariant of the community, one row per problem found (none when healthy).
CREATE FUNCTION ledger_problems(p_community text) RETURNS TABLE (kind text, subject text, detail text)
LANGUAGE sql STABLE AS $$
    WITH totals AS (
        SELECT sum(credits_posted - debits_posted) AS posted, sum(credits_pending - debits_pending) AS pending
        FROM accounts WHERE community_id = p_community
    ),
    open_pending AS (
        SELECT t.* FROM transfers t
        WHERE t.community_id = p_community AND t.phase = 'pending'
          AND NOT EXISTS (SELECT 1 FROM transfers r WHERE r.community_id = p_community AND r.pending_id = t.id)
    ),
    movements AS (
        SELECT debit_account_id AS account_id,
               CASE WHEN phase IN ('posted', 'post_pending') THEN amount ELSE 0 END AS dp, 0::bigint AS cp
        FROM transfers WHERE community_id = p_community
        UNION ALL
        SELECT credit_account_id, 0, CASE WHEN phase IN ('posted', 'post_pending') THEN amount ELSE 0 END
        FROM transfers WHERE community_id = p_community
    ),
    moved AS (
        SELECT account_id, sum(dp) AS dp, sum(cp) AS cp FROM movements GROUP BY account_id
    ),
    held AS (
        SELECT account_id, sum(dpend) AS dpend, sum(cpend) AS cpend FROM (
            SELECT debit_account_id AS account_id, amount AS dpend, 0::bigint AS cpend FROM open_pending
            UNION ALL
            SELECT credit_account_id, 0, amount FROM open_pending
        ) x GROUP BY account_id
    ),
    computed AS (
        SELECT a.id, coalesce(m.dp, 0) AS dp, coalesce(m.cp, 0) AS cp, coalesce(h.dpend, 0) AS dpend,
               coalesce(h.cpend, 0) AS cpend,
               a.debits_posted, a.credits_posted, a.debits_pending, a.credits_pending, a.kind
        FROM accounts a
        LEFT JOIN moved m ON m.account_id = a.id
        LEFT JOIN held h ON h.account_id = a.id
        WHERE a.community_id = p_community
    ),
    sides AS (
        SELECT debit_account_id AS account_id, seq, debit_debits_posted AS debits_posted, debit_credits_posted AS credits_posted,
               debit_debits_pending AS debits_pending, debit_credits_pending AS credits_pending
        FROM transfers WHERE community_id = p_community
        UNION ALL
        SELECT credit_account_id, seq, credit_debits_posted, credit_credits_posted, credit_debits_pending, credit_credits_pending
        FROM transfers WHERE community_id = p_community
    ),
    latest AS (
        SELECT DISTINCT ON (account_id) * FROM sides ORDER BY account_id, seq DESC
    )
    SELECT 'posted_total', p_community, 'sum of credits_posted - debits_posted is ' || posted
    FROM totals WHERE posted <> 0
    UNION ALL
    SELECT 'pending_total', p_community, 'sum of credits_pending - debits_pending is ' || pending
    FROM totals WHERE pending <> 0
    UNION ALL
    SELECT 'account_balance', id, format('stored %s/%s/%s/%s, transfers give %s/%s/%s/%s',
           debits_posted, credits_posted, debits_pending, credits_pending, dp, cp, dpend, cpend)
    FROM computed
    WHERE (debits_posted, credits_posted, debits_pending, credits_pending) <> (dp, cp, dpend, cpend)
    UNION ALL
    SELECT 'overdraft', id, format('debits %s + pending %s exceed credits %s', debits_posted, debits_pending, credits_posted)
    FROM computed WHERE kind <> 'issuance' AND debits_posted + debits_pending > credits_posted
    UNION ALL
    SELECT 'history_balance', c.id, 'the balances recorded with its latest transfer differ from the stored ones'
    FROM computed c JOIN latest l ON l.account_id = c.id
    WHERE (l.debits_posted, l.credits_posted, l.debits_pending, l.credits_pending)
       <> (c.debits_posted, c.credits_posted, c.debits_pending, c.credits_pending)
    UNION ALL
    SELECT 'resolution_amount', r.id, 'a resolution exceeds its pending transfer'
    FROM transfers r JOIN transfers p ON p.community_id = r.community_id AND p.id = r.pending_id
    WHERE r.community_id = p_community AND (r.amount > p.amount OR (r.phase = 'void_pending' AND r.amount <> p.amount))
$$;

-- Finance staff's read-only SQL access: these views and nothing else.
CREATE VIEW finance_accounts AS
SELECT a.community_id, a.id AS account_id, a.kind, a.owner_id,
       p.email AS owner_email, p.first_name AS owner_first_name, p.last_name AS owner_last_name,
       a.debits_posted, a.credits_posted, a.debits_pending, a.credits_pending,
       a.credits_posted - a.debits_posted AS posted_balance,
       a.debits_pending AS blocked,
       a.credits_posted - a.debits_posted - a.debits_pending AS available,
       a.created_at
FROM accounts a LEFT JOIN people p ON p.community_id = a.community_id AND p.id = a.owner_id;

-- One row per account per transfer, with that account's balances after it.
CREATE VIEW finance_transfers AS
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

CREATE VIEW finance_meeting_trail AS
SELECT t.community_id, t.meeting_id, t.seq, t.id AS transfer_id, t.kind, t.phase, t.amount,
       t.debit_account_id, t.credit_account_id, t.pending_id, t.created_at
FROM transfers t WHERE t.meeting_id IS NOT NULL;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'meetingledger_finance') THEN
        CREATE ROLE meetingledger_finance LOGIN;
    END IF;
END $$;
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM meetingledger_finance;
GRANT USAGE ON SCHEMA public TO meetingledger_finance;
GRANT SELECT ON finance_accounts, finance_transfers, finance_meeting_trail TO meetingledger_finance;
