-- Outbound channels, part 2 (issue 17 item 3): HTTPS robots/gateways trust a
-- CA file of the admin's choosing (`ca_file`, PEM; empty = the system's CA
-- bundle); e-mail over SMTP (`kind = 'email'`: `url` smtp://host:port or
-- smtps://host:port, `smtp_user` with the password in `secret`, `mail_from`,
-- `mail_to` comma-separated). The morning digest is a notice (kind `digest`,
-- day_key `digest:<day>:<user>`), so it needs no table of its own.
--
-- Coalescing: a channel is a broadcast (a group robot, the duty phone, a
-- mailbox), so notices of one kind by one actor written close together — a
-- bulk 催办 of 104 items, the morning's 临期/超期 scan, the 08:30 digests, the
-- clerk and head told of one 交办 — make ONE message per channel, not one per
-- notice. The trigger upserts into the channel's open row for
-- (kind, actor, channel) (`group_key`, unique among unsealed rows), counting
-- the notices (`grouped`, up to `last_notice_id`) and pushing `next_at` to
-- 10 s after the latest, so a bulk action in progress is sent once it is
-- done. The sender seals a row when it claims it; later notices open a new
-- row. Still in the notice's own transaction: nothing is lost.
--
-- SQLite cannot alter a CHECK: channels is rebuilt. outbox references it, so
-- outbox is rebuilt too, its copy referencing channels_new (the rename below
-- rewrites that reference to channels); the trigger and index that name them
-- are made again.
DROP TRIGGER notices_outbox;
CREATE TABLE channels_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('wecom', 'dingtalk', 'sms', 'email')),
    name TEXT NOT NULL,
    url TEXT NOT NULL,
    secret TEXT NOT NULL DEFAULT '',
    method TEXT NOT NULL DEFAULT 'POST',
    body_template TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT '',
    enabled INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    ca_file TEXT NOT NULL DEFAULT '',
    smtp_user TEXT NOT NULL DEFAULT '',
    mail_from TEXT NOT NULL DEFAULT '',
    mail_to TEXT NOT NULL DEFAULT ''
);
INSERT INTO channels_new (id, kind, name, url, secret, method, body_template, phone, enabled, created_at)
    SELECT id, kind, name, url, secret, method, body_template, phone, enabled, created_at FROM channels;
CREATE TABLE outbox_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    notice_id INTEGER NOT NULL REFERENCES notices(id),
    channel_id INTEGER NOT NULL REFERENCES channels_new(id),
    idem_key TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at TEXT NOT NULL,
    last_error TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    delivered_at TEXT,
    group_key TEXT,
    last_notice_id INTEGER,
    grouped INTEGER NOT NULL DEFAULT 1,
    sealed INTEGER NOT NULL DEFAULT 0
);
INSERT INTO outbox_new (id, notice_id, channel_id, idem_key, status, attempts, next_at, last_error, created_at, delivered_at, last_notice_id, sealed)
    SELECT id, notice_id, channel_id, idem_key, status, attempts, next_at, last_error, created_at, delivered_at, notice_id, 1 FROM outbox;
DROP TABLE outbox;
DROP TABLE channels;
ALTER TABLE channels_new RENAME TO channels;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_pending ON outbox(next_at) WHERE status = 'pending';
CREATE UNIQUE INDEX outbox_group ON outbox(group_key) WHERE sealed = 0;
CREATE TRIGGER notices_outbox AFTER INSERT ON notices
BEGIN
    INSERT INTO outbox (notice_id, channel_id, idem_key, status, attempts, next_at, created_at, group_key, last_notice_id, grouped)
    SELECT NEW.id, c.id, 'lvzhi-' || NEW.id || '-' || c.id, 'pending', 0,
        strftime('%Y-%m-%dT%H:%M:%S', NEW.created_at, '+10 seconds') || '.000000Z',
        NEW.created_at, NEW.kind || ':' || NEW.actor_name || ':' || c.id, NEW.id, 1
    FROM channels c WHERE c.enabled <> 0
    ON CONFLICT (group_key) WHERE sealed = 0 DO UPDATE
        SET last_notice_id = excluded.last_notice_id, grouped = grouped + 1, next_at = excluded.next_at;
END;
