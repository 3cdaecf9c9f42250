-- The working-day calendar (issue 17): a year's holiday plan (放假调休) as the
-- admin loaded it, in the calendar file format (TOML, see
-- lvzhi-core/data/calendar.toml). The plans embedded in the binary (2025, 2026)
-- are not stored; a year stored here replaces the embedded one.
CREATE TABLE calendar_years (
    year BIGINT PRIMARY KEY,
    plan TEXT NOT NULL,
    source TEXT NOT NULL,
    loaded_at TEXT NOT NULL,
    loaded_by TEXT NOT NULL
);
