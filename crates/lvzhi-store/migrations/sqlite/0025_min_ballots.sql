-- Annual assessment: the minimum number of ballots below which a campaign's
-- results are not published (0: no minimum). Keep in step with
-- ../postgres/0025_min_ballots.sql.
ALTER TABLE assess_campaigns ADD COLUMN min_ballots INTEGER NOT NULL DEFAULT 0;
