-- lvzhi schema v1 (SQLite). Keep in step with ../postgres/0001_init.sql:
-- a test compares the tables and columns of the two.
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE divisions (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    level INTEGER NOT NULL,
    parent TEXT
);
CREATE TABLE units (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    division TEXT REFERENCES divisions(code),
    sort INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE people (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    post TEXT NOT NULL DEFAULT '',
    unit_id INTEGER REFERENCES units(id),
    is_leader BOOLEAN NOT NULL DEFAULT FALSE,
    sort INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE oversight (
    person_id INTEGER NOT NULL REFERENCES people(id),
    unit_id INTEGER NOT NULL REFERENCES units(id),
    PRIMARY KEY (person_id, unit_id)
);
CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL DEFAULT '',
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    unit_id INTEGER REFERENCES units(id),
    division TEXT,
    person_id INTEGER REFERENCES people(id),
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT,
    created_at TEXT NOT NULL
);
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    csrf TEXT NOT NULL,
    kind TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE TABLE records (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ledger TEXT NOT NULL,
    state TEXT NOT NULL,
    unit_id INTEGER,
    source_unit_id INTEGER,
    division TEXT,
    owner_id INTEGER,
    deadline TEXT,
    closed BOOLEAN NOT NULL DEFAULT FALSE,
    voided BOOLEAN NOT NULL DEFAULT FALSE,
    void_reason TEXT,
    title TEXT NOT NULL,
    search TEXT NOT NULL,
    fields TEXT NOT NULL,
    version INTEGER NOT NULL,
    state_since TEXT NOT NULL,
    urge_count INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    created_by INTEGER,
    updated_at TEXT NOT NULL,
    last_event INTEGER NOT NULL
);
CREATE INDEX records_ledger ON records(ledger, id);
CREATE INDEX records_state ON records(ledger, state, id);
CREATE INDEX records_unit ON records(ledger, unit_id, id);
CREATE INDEX records_source ON records(ledger, source_unit_id, id);
CREATE INDEX records_division ON records(ledger, division, id);
CREATE INDEX records_owner ON records(ledger, owner_id, id);
CREATE INDEX records_deadline ON records(ledger, closed, deadline, id);
CREATE TABLE events (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor INTEGER,
    actor_name TEXT NOT NULL,
    kind TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT,
    ledger TEXT,
    data TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX events_entity ON events(entity, entity_id, seq);
