-- Annual assessment: the minimum number of ballots below which a campaign's
-- results are not published (0: no minimum): `quorum` (a setting; no column
-- name mentions ballots, see tests/assess.rs nothing_links_a_ballot). Keep in step with
-- ../sqlite/0025_min_ballots.sql.
ALTER TABLE assess_campaigns ADD COLUMN quorum BIGINT NOT NULL DEFAULT 0;
