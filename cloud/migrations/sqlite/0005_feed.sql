-- Issue 19: the owner's security feed (DESIGN.md section 9). Keep in step with
-- ../postgres/0005_feed.sql.

-- One row per event of an account's feed, written in the transaction of the action it tells of
-- (and of its audit row). The other account is kept by id and masked when read, as the audit does.
CREATE TABLE feed_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL,
    at INTEGER NOT NULL,
    kind TEXT NOT NULL,
    serial TEXT,
    other_account_id INTEGER,
    outcome TEXT,
    client TEXT,
    transfer_id INTEGER
);
-- `WHERE account_id = $1 AND id > $2 ORDER BY id`: the feed's page.
CREATE INDEX feed_events_by_account ON feed_events (account_id, id);
CREATE INDEX feed_events_by_time ON feed_events (at);

-- Where an account's events are pushed. The signing secret is sealed under the master key.
CREATE TABLE push_endpoints (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    url TEXT NOT NULL,
    sealed_secret BLOB NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX push_endpoints_by_account ON push_endpoints (account_id);

-- One delivery of one event to one endpoint, written with the event. `pending` rows are due at
-- `due_at_ms` (unix milliseconds); a worker claims one by setting `lease_until_ms` (and `lease`, its own token) and settles
-- it as `delivered`, back to `pending` later (backoff) or `dead` after the last attempt.
CREATE TABLE push_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id INTEGER NOT NULL REFERENCES feed_events (id) ON DELETE CASCADE,
    endpoint_id INTEGER NOT NULL REFERENCES push_endpoints (id) ON DELETE CASCADE,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    due_at_ms INTEGER NOT NULL,
    lease_until_ms INTEGER,
    lease TEXT,
    last_error TEXT,
    UNIQUE (event_id, endpoint_id)
);
CREATE INDEX push_outbox_due ON push_outbox (state, due_at_ms);
CREATE INDEX push_outbox_by_endpoint ON push_outbox (endpoint_id);
