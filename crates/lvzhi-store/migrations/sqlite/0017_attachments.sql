-- Evidence attachments (issue 16): one row per uploaded file of a record.
-- The file itself lives in the content-addressed attachment directory under
-- `hash`; the same facts are in the record.attach event on the hash chain.
-- Never deleted: voided with a reason (a record.attach_void event).
CREATE TABLE attachments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    record_id INTEGER NOT NULL REFERENCES records(id),
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    size INTEGER NOT NULL,
    mime TEXT NOT NULL,
    hash TEXT NOT NULL,
    thumb_hash TEXT,
    width INTEGER,
    height INTEGER,
    taken_at TEXT,
    gps TEXT,
    uploaded_by INTEGER,
    uploader_name TEXT NOT NULL,
    uploaded_at TEXT NOT NULL,
    seq INTEGER NOT NULL,
    voided BOOLEAN NOT NULL DEFAULT FALSE,
    void_reason TEXT
);
CREATE INDEX attachments_record ON attachments(record_id, id);
