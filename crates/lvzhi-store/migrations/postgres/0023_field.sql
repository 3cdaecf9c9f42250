-- Per-user settings of the web UI (issue 16): the columns a user chose for a
-- ledger's list (key `list_columns:<ledger>`, value the field keys joined by
-- commas). Written through the writer with an event like every other change.
CREATE TABLE ui_prefs (
    user_id BIGINT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (user_id, key)
);

-- A record's 承办人 (issue 16): one user of its responsible unit, chosen by the
-- unit head or the office. The change is evented (`record.assign` on the
-- record's chain); this table is the current value.
CREATE TABLE record_assignees (
    record_id BIGINT PRIMARY KEY,
    user_id BIGINT NOT NULL,
    assigned_at TEXT NOT NULL,
    assigned_by BIGINT NOT NULL
);
CREATE INDEX record_assignees_user ON record_assignees (user_id);
