-- hc-cloud schema, SQLite dialect. Keep in step with ../postgres/0001_init.sql.

CREATE TABLE accounts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

-- A session is one login: the family of refresh tokens rotated from it.
CREATE TABLE sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);

CREATE TABLE access_tokens (
    token_hash BLOB PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    account_id INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX access_tokens_by_expiry ON access_tokens (expires_at);

CREATE TABLE refresh_tokens (
    token_hash BLOB PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
);
CREATE INDEX refresh_tokens_by_expiry ON refresh_tokens (expires_at);

CREATE TABLE devices (
    serial TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    firmware TEXT NOT NULL,
    sealed_key BLOB NOT NULL,
    label_hash BLOB NOT NULL,
    provisioned_at INTEGER NOT NULL,
    owner_account_id INTEGER REFERENCES accounts (id),
    name TEXT,
    added_at INTEGER
);
CREATE INDEX devices_by_owner ON devices (owner_account_id);

CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL,
    at INTEGER NOT NULL,
    serial TEXT,
    nonce TEXT,
    outcome TEXT NOT NULL,
    client_addr TEXT
);
CREATE INDEX audit_events_by_account ON audit_events (account_id, id);

CREATE TABLE rate_limit_hits (
    bucket TEXT NOT NULL,
    window_start INTEGER NOT NULL,
    hits INTEGER NOT NULL,
    PRIMARY KEY (bucket, window_start)
);
