-- hc-cloud schema, PostgreSQL dialect. Keep in step with ../sqlite/0001_init.sql.

CREATE TABLE accounts (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- A session is one login: the family of refresh tokens rotated from it.
CREATE TABLE sessions (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

CREATE TABLE access_tokens (
    token_hash BYTEA PRIMARY KEY,
    session_id BIGINT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX access_tokens_by_expiry ON access_tokens (expires_at);
CREATE INDEX access_tokens_by_session ON access_tokens (session_id);

CREATE TABLE refresh_tokens (
    token_hash BYTEA PRIMARY KEY,
    session_id BIGINT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX refresh_tokens_by_expiry ON refresh_tokens (expires_at);
CREATE INDEX refresh_tokens_by_session ON refresh_tokens (session_id);

CREATE TABLE devices (
    serial TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    firmware TEXT NOT NULL,
    sealed_key BYTEA NOT NULL,
    label_hash BYTEA NOT NULL,
    provisioned_at BIGINT NOT NULL,
    owner_account_id BIGINT REFERENCES accounts (id),
    name TEXT,
    added_at BIGINT
);
CREATE INDEX devices_by_owner ON devices (owner_account_id);

CREATE TABLE audit_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id BIGINT NOT NULL,
    at BIGINT NOT NULL,
    serial TEXT,
    nonce TEXT,
    outcome TEXT NOT NULL,
    client_addr TEXT
);
CREATE INDEX audit_events_by_account ON audit_events (account_id, id);

CREATE TABLE rate_limit_hits (
    bucket TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    hits BIGINT NOT NULL,
    PRIMARY KEY (bucket, window_start)
);
