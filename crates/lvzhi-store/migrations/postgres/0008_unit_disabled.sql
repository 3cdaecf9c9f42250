-- lvzhi schema v8: a unit can be disabled (停用) from the admin pages. A
-- disabled unit keeps its records and its name; forms no longer offer it.
-- Keep in step with the other backend's 0008: a test compares the columns.
ALTER TABLE units ADD COLUMN disabled BOOLEAN NOT NULL DEFAULT FALSE;
