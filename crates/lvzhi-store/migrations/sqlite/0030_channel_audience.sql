-- Outbound channels, part 3 (issue 17 item 3): a channel's audience. A
-- county has one robot group per unit (or per 乡镇) and a leaders' group, so
-- a channel need not carry every notice:
--
-- * `audience = 'all'` (the default, so every channel made before this
--   migration keeps receiving everything): every notice;
-- * `audience = 'units'`: only the notices addressed to a user whose account
--   belongs to one of the channel's units (`channel_units`: its clerks, its
--   head, any other account of the unit) and, when `leaders` is set, to a
--   县级领导 (role `leader`). Leaders are addressed explicitly rather than
--   through the units they oversee (分管): a leader's 超期升级 belongs in the
--   leaders' group, not in the robot of every unit she oversees.
--
-- `channel_kinds` optionally narrows a channel to some kinds of notice
-- (`urge`, `escalate`, …): no row = every kind. Both filters are applied by
-- the trigger, still in the notice's own transaction; the sender applies the
-- same filter when it lists the items of a merged message.
ALTER TABLE channels ADD COLUMN audience TEXT NOT NULL DEFAULT 'all' CHECK (audience IN ('all', 'units'));
ALTER TABLE channels ADD COLUMN leaders BOOLEAN NOT NULL DEFAULT FALSE;
CREATE TABLE channel_units (
    channel_id INTEGER NOT NULL REFERENCES channels(id),
    unit_id INTEGER NOT NULL REFERENCES units(id),
    PRIMARY KEY (channel_id, unit_id)
);
CREATE TABLE channel_kinds (
    channel_id INTEGER NOT NULL REFERENCES channels(id),
    kind TEXT NOT NULL,
    PRIMARY KEY (channel_id, kind)
);
DROP TRIGGER notices_outbox;
CREATE TRIGGER notices_outbox AFTER INSERT ON notices
BEGIN
    INSERT INTO outbox (notice_id, channel_id, idem_key, status, attempts, next_at, created_at, group_key, last_notice_id, grouped)
    SELECT NEW.id, c.id, 'lvzhi-' || NEW.id || '-' || c.id, 'pending', 0,
        strftime('%Y-%m-%dT%H:%M:%S', NEW.created_at, '+10 seconds') || '.000000Z',
        NEW.created_at, NEW.kind || ':' || NEW.actor_name || ':' || c.id, NEW.id, 1
    FROM channels c
    WHERE c.enabled <> 0
        AND (c.audience = 'all'
            OR EXISTS (SELECT 1 FROM users u JOIN channel_units cu ON cu.unit_id = u.unit_id
                       WHERE u.id = NEW.user_id AND cu.channel_id = c.id)
            OR (c.leaders <> 0 AND EXISTS (SELECT 1 FROM users u WHERE u.id = NEW.user_id AND u.role = 'leader')))
        AND (NOT EXISTS (SELECT 1 FROM channel_kinds ck WHERE ck.channel_id = c.id)
            OR EXISTS (SELECT 1 FROM channel_kinds ck WHERE ck.channel_id = c.id AND ck.kind = NEW.kind))
    ON CONFLICT (group_key) WHERE sealed = 0 DO UPDATE
        SET last_notice_id = excluded.last_notice_id, grouped = grouped + 1, next_at = excluded.next_at;
END;
