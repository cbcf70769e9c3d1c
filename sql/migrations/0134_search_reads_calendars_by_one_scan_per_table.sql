-- ml_expert_calendars (0132) read each expert's periods and meetings by a lookup per expert,
-- planned with whatever statistics the tables had: on a new database whose meetings autovacuum had
-- not yet counted, each lookup scanned the community's meetings, and a search over 800 experts
-- took 3-4 times as long as the three statements it replaced. availability.search now reads the
-- calendars with one scan per table for all its experts (`= ANY`), as those statements did, in
-- one statement of the Store module (AvailabilityStore.calendars); the function is unused.
DROP FUNCTION ml_expert_calendars(text, text[], timestamptz, timestamptz);
