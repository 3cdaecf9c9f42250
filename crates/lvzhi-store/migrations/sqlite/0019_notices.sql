-- 站内信 (issue 17): every user's inbox. A notice is written in the same
-- transaction as the change it reports (交办, 转办, 退回, 催办 …); the daily
-- 临期/超期 notices carry `day_key` (kind:record:day:user), unique, so they are
-- written once per item per day however many servers scan one database.
CREATE TABLE notices (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL,
    record_id INTEGER REFERENCES records(id),
    title TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT '',
    actor_name TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    read_at TEXT,
    day_key TEXT UNIQUE
);
CREATE INDEX notices_user ON notices(user_id, id);
CREATE INDEX notices_unread ON notices(user_id) WHERE read_at IS NULL;
