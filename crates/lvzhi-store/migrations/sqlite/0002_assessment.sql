-- lvzhi schema v2 (SQLite): annual assessment (民主测评). Keep in step with
-- ../postgres/0002_assessment.sql: a test compares the tables and columns.
--
-- Anonymity: no table links a ballot to a token or a person. Tokens are kept
-- only as SHA-256 hashes with their campaign, group and a used flag (no time
-- of use); ballots carry campaign, group, a random receipt and the grades,
-- with no id of their own, no time and no token hash. WITHOUT ROWID: rows
-- are kept in key order (random), not in the order they were written.
CREATE TABLE assess_campaigns (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    year INTEGER NOT NULL,
    title TEXT NOT NULL,
    state TEXT NOT NULL,
    opens_at TEXT NOT NULL,
    closes_at TEXT NOT NULL,
    closed_at TEXT,
    published TEXT,
    created_at TEXT NOT NULL
);
CREATE TABLE assess_groups (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign_id INTEGER NOT NULL REFERENCES assess_campaigns(id),
    name TEXT NOT NULL,
    weight TEXT NOT NULL,
    sort INTEGER NOT NULL,
    UNIQUE (campaign_id, name)
);
CREATE TABLE assess_subjects (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign_id INTEGER NOT NULL REFERENCES assess_campaigns(id),
    person_id INTEGER REFERENCES people(id),
    name TEXT NOT NULL,
    post TEXT NOT NULL DEFAULT '',
    sort INTEGER NOT NULL
);
CREATE TABLE assess_tokens (
    hash TEXT PRIMARY KEY,
    campaign_id INTEGER NOT NULL REFERENCES assess_campaigns(id),
    group_id INTEGER NOT NULL REFERENCES assess_groups(id),
    used BOOLEAN NOT NULL DEFAULT FALSE
) WITHOUT ROWID;
CREATE INDEX assess_tokens_group ON assess_tokens(campaign_id, group_id, used);
CREATE TABLE assess_ballots (
    campaign_id INTEGER NOT NULL REFERENCES assess_campaigns(id),
    group_id INTEGER NOT NULL REFERENCES assess_groups(id),
    receipt TEXT NOT NULL,
    grades TEXT NOT NULL,
    PRIMARY KEY (campaign_id, receipt)
) WITHOUT ROWID;
