-- An account took the clock's time as it opened (person.create, a role added, an import), so
-- with the clock set back (the test clock, or a server clock stepped back) a new user's wallet
-- or expert's earnings was opened before transfers already made: the accounts counted in a
-- figure as of a past time already answered (wallets in report.credits_outstanding, accounts in
-- ledger.trial_balance and ledger.accounts, experts in report.earnings_due) changed after the
-- fact (a review: two wallets as of 1 July, three after the clock went back to 1 June and a
-- person was added). Transfers already keep that order (0152).
-- An account now opens at the community's latest transfer time where that is later, as a
-- transfer is timed: on every path that opens one, by the table itself (one probe of
-- transfers_time).

CREATE FUNCTION ml_account_opens_in_order() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.created_at := greatest(NEW.created_at,
                               (SELECT max(t.created_at) FROM transfers t WHERE t.community_id = NEW.community_id));
    RETURN NEW;
END $$;

CREATE TRIGGER accounts_open_in_order BEFORE INSERT ON accounts
    FOR EACH ROW EXECUTE FUNCTION ml_account_opens_in_order();
