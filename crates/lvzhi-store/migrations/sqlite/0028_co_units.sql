-- A record's 协办单位 (issue 17): units that assist its responsible unit
-- (主办单位, `records.unit_id`). They see the record and add 协办意见; they do
-- not handle it. Changes are evented (`record.co_units` on the record's chain);
-- this table is the current set. `(unit_id, record_id)` serves the scope's
-- subquery `id IN (SELECT record_id FROM record_co_units WHERE unit_id = …)`.
CREATE TABLE record_co_units (
    record_id BIGINT NOT NULL,
    unit_id BIGINT NOT NULL,
    added_at TEXT NOT NULL,
    added_by BIGINT NOT NULL,
    PRIMARY KEY (record_id, unit_id)
);
CREATE INDEX record_co_units_unit ON record_co_units (unit_id, record_id);
