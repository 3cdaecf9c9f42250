-- Record numbers people can say on the phone (issue 16): 隐患〔2026〕第123号, one
-- series per ledger and year (Shanghai year of creation), allotted by the writer
-- in the create transaction from record_numbers (so gapless unless a whole
-- transaction rolls back). Records created before this migration have none.
ALTER TABLE records ADD COLUMN number TEXT;
CREATE TABLE record_numbers (
    ledger TEXT NOT NULL,
    year INTEGER NOT NULL,
    last INTEGER NOT NULL,
    PRIMARY KEY (ledger, year)
);
CREATE UNIQUE INDEX records_number ON records(ledger, number);
