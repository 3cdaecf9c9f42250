-- Record lists (records.rs, list_segment) walk the index of their sort order in
-- windows and filter inside each window. Each order index now also carries the
-- columns of the common filters and of the reader's scope, so a window is
-- filtered inside the index, without reading a table row per index entry, and a
-- cursor inside a large tie group (thousands of records share a deadline) is
-- skipped inside the index too.
DROP INDEX records_ledger;
DROP INDEX records_deadline_order;
DROP INDEX records_updated;
CREATE INDEX records_order_id ON records(ledger, id, voided, closed, state, unit_id, source_unit_id, division, owner_id, deadline);
CREATE INDEX records_order_deadline ON records(ledger, deadline, id, voided, closed, state, unit_id, source_unit_id, division, owner_id);
CREATE INDEX records_order_updated ON records(ledger, updated_at, id, voided, closed, state, unit_id, source_unit_id, division, owner_id, deadline);
-- A selective list (e.g. one township's records in one state) is fetched through
-- its filters' indexes and sorted; state + township is the commonest pair.
DROP INDEX records_state;
CREATE INDEX records_state ON records(ledger, state, division, id);
