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
