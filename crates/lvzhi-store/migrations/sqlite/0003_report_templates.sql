-- lvzhi schema v3 (SQLite): report templates edited in the UI. Keep in step
-- with ../postgres/0003_report_templates.sql: a test compares the tables and columns.
--
-- Every saved version is a row (never updated, never deleted) and an event
-- (`report.template.save`, written in the same transaction by the writer).
-- A restore is a new version with an older version's text.
CREATE TABLE report_templates (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    version INTEGER NOT NULL,
    source TEXT NOT NULL,
    base TEXT,
    note TEXT NOT NULL,
    author_id INTEGER,
    author_name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (name, version)
);
