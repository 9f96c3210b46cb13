-- Issue 14. Keep in step with ../sqlite/0002_abuse.sql.

-- The refusals of a rate-limited account are one row per window with a count, so a flood cannot
-- grow the table; rows without a key stay one per event (NULLs never conflict in a unique index).
ALTER TABLE audit_events ADD COLUMN count BIGINT NOT NULL DEFAULT 1;
ALTER TABLE audit_events ADD COLUMN aggregate_key TEXT;
CREATE UNIQUE INDEX audit_events_aggregate ON audit_events (account_id, aggregate_key);
-- Retention deletes by age.
CREATE INDEX audit_events_by_time ON audit_events (at);
-- Password changes and "log out everywhere" end an account's sessions.
CREATE INDEX sessions_by_account ON sessions (account_id);
