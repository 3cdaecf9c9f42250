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
ALTER TABLE channels DROP CONSTRAINT IF EXISTS channels_kind_check;
ALTER TABLE channels ADD CONSTRAINT channels_kind_check CHECK (kind IN ('wecom', 'dingtalk', 'sms', 'email'));
ALTER TABLE channels ADD COLUMN ca_file TEXT NOT NULL DEFAULT '';
ALTER TABLE channels ADD COLUMN smtp_user TEXT NOT NULL DEFAULT '';
ALTER TABLE channels ADD COLUMN mail_from TEXT NOT NULL DEFAULT '';
ALTER TABLE channels ADD COLUMN mail_to TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN group_key TEXT;
ALTER TABLE outbox ADD COLUMN last_notice_id BIGINT;
ALTER TABLE outbox ADD COLUMN grouped INTEGER NOT NULL DEFAULT 1;
ALTER TABLE outbox ADD COLUMN sealed INTEGER NOT NULL DEFAULT 0;
UPDATE outbox SET last_notice_id = notice_id, sealed = 1;
CREATE UNIQUE INDEX outbox_group ON outbox(group_key) WHERE sealed = 0;
CREATE OR REPLACE FUNCTION notices_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO outbox (notice_id, channel_id, idem_key, status, attempts, next_at, created_at, group_key, last_notice_id, grouped)
    SELECT NEW.id, c.id, 'lvzhi-' || NEW.id || '-' || c.id, 'pending', 0,
        to_char((NEW.created_at::timestamptz + interval '10 seconds') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        NEW.created_at, NEW.kind || ':' || NEW.actor_name || ':' || c.id, NEW.id, 1
    FROM channels c WHERE c.enabled
    ON CONFLICT (group_key) WHERE sealed = 0 DO UPDATE
        SET last_notice_id = EXCLUDED.last_notice_id, grouped = outbox.grouped + 1, next_at = EXCLUDED.next_at;
    RETURN NULL;
END
$$;
