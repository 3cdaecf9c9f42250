-- Record lists walk an index in their sort order and filter inside bounded
-- windows (records.rs, list_segment): one index per order.
CREATE INDEX records_deadline_order ON records(ledger, deadline, id);
CREATE INDEX records_updated ON records(ledger, updated_at, id);
