-- An expert's price keeps the basis it was set on.
--
-- A meeting whose price the expert set (price_source 'expert') is re-priced pro rata when its
-- length changes. Scaling the current price, itself rounded up to whole credits, let a length
-- changed and changed back cost more than before (10 credits for 60 minutes → 5 minutes, 1
-- credit → 60 minutes, 12 credits). The price and length the expert set are kept here, and
-- every new length is priced from them.
ALTER TABLE meetings
    ADD COLUMN price_basis_credits bigint,
    ADD COLUMN price_basis_minutes integer,
    ADD CONSTRAINT meetings_price_basis CHECK ((price_basis_credits IS NULL) = (price_basis_minutes IS NULL) AND price_basis_minutes > 0);

-- What is known of the meetings already priced by an expert: their price as it stands.
UPDATE meetings SET price_basis_credits = price_credits, price_basis_minutes = length_minutes WHERE price_source = 'expert';

-- Set once, when the expert's meeting is written first: the apply step writes the price and
-- length, and the basis follows them here (never changed afterwards: no update sets it).
CREATE FUNCTION ml_price_basis() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.price_basis_credits := NEW.price_credits;
    NEW.price_basis_minutes := NEW.length_minutes;
    RETURN NEW;
END $$;

CREATE TRIGGER meetings_price_basis BEFORE INSERT ON meetings FOR EACH ROW
    WHEN (NEW.price_source = 'expert' AND NEW.price_basis_credits IS NULL) EXECUTE FUNCTION ml_price_basis();
