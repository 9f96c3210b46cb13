-- Issue 19 part B: device transfer (DESIGN.md section 9). Keep in step with
-- ../postgres/0006_transfer.sql.

CREATE TABLE transfers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    serial TEXT NOT NULL,
    from_account_id INTEGER NOT NULL,
    to_account_id INTEGER NOT NULL,
    -- The QR's challenge nonce (hex): a nonce serves one transfer request, and none a reset code
    -- was asked with.
    nonce TEXT NOT NULL,
    state TEXT NOT NULL,
    requested_at INTEGER NOT NULL,
    completes_at INTEGER NOT NULL,
    settled_at INTEGER,
    UNIQUE (serial, nonce)
);
-- One open request per device.
CREATE UNIQUE INDEX transfers_one_open ON transfers (serial) WHERE state = 'open';
CREATE INDEX transfers_by_from ON transfers (from_account_id, id);
CREATE INDEX transfers_by_to ON transfers (to_account_id, id);
CREATE INDEX transfers_due ON transfers (state, completes_at);
-- Has a reset code been asked with this QR's nonce?
CREATE INDEX audit_events_by_nonce ON audit_events (serial, nonce) WHERE nonce IS NOT NULL;
