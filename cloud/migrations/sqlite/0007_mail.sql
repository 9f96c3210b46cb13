-- Issue 21: verified e-mail, a forgotten account password, mail sent for real. Keep in step with
-- ../postgres/0007_mail.sql.

-- When the address was proven (a mailed code typed back, or a password reset with one); NULL: not
-- yet. Accounts made before this migration signed up when no mail was sent: they count as
-- verified from their creation, so no existing owner is locked out of adding devices.
ALTER TABLE accounts ADD COLUMN email_verified_at INTEGER;
UPDATE accounts SET email_verified_at = created_at;

-- The one live code per account and purpose (`verify_email`, `reset_password`): a new one
-- replaces the old. Only the keyed hash is kept (hc_protocol::account_code).
CREATE TABLE account_codes (
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL,
    code_hash BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    tries_left INTEGER NOT NULL,
    PRIMARY KEY (account_id, purpose)
);

-- Mail to send, written in the transaction of the action it tells of, so a crash never loses one
-- and no mail leaves for an action that did not commit. Leased, retried and parked like
-- push_outbox. `message` is the whole RFC 5322 message (it holds the code): it is cleared once
-- the row is sent or dead. `created_at` and `due_at_ms` are unix milliseconds.
CREATE TABLE mail_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    recipient TEXT NOT NULL,
    kind TEXT NOT NULL,
    message BLOB,
    created_at INTEGER NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    due_at_ms INTEGER NOT NULL,
    lease_until_ms INTEGER,
    lease TEXT,
    last_error TEXT
);
CREATE INDEX mail_outbox_due ON mail_outbox (state, due_at_ms);
