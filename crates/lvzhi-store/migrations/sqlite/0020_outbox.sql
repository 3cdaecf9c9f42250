-- Outbound channels and their outbox (issue 17 item 3). The admin configures
-- channels (企业微信/钉钉 robot webhooks, an SMS HTTP gateway). Every notice
-- inserted gets one outbox row per enabled channel from the trigger below, so
-- the row is written in the same transaction as the notice (and the change it
-- reports); a notice skipped by ON CONFLICT DO NOTHING fires nothing. The
-- sender delivers pending rows after commit (at least once), with retries and
-- exponential backoff; `idem_key` travels with every attempt.
CREATE TABLE channels (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('wecom', 'dingtalk', 'sms')),
    name TEXT NOT NULL,
    url TEXT NOT NULL,
    secret TEXT NOT NULL DEFAULT '',
    method TEXT NOT NULL DEFAULT 'POST',
    body_template TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT '',
    enabled INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL
);
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    notice_id INTEGER NOT NULL REFERENCES notices(id),
    channel_id INTEGER NOT NULL REFERENCES channels(id),
    idem_key TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at TEXT NOT NULL,
    last_error TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    delivered_at TEXT
);
CREATE INDEX outbox_pending ON outbox(next_at) WHERE status = 'pending';
CREATE TRIGGER notices_outbox AFTER INSERT ON notices
BEGIN
    INSERT INTO outbox (notice_id, channel_id, idem_key, status, attempts, next_at, created_at)
    SELECT NEW.id, c.id, 'lvzhi-' || NEW.id || '-' || c.id, 'pending', 0, NEW.created_at, NEW.created_at
    FROM channels c WHERE c.enabled <> 0;
END;
