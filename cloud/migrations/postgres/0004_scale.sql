-- Issue 18 item 2: no statement's cost grows with the data. Keep in step with ../sqlite/0004_scale.sql.

-- The device list (`WHERE owner_account_id = $1 ORDER BY added_at, serial`) reads its rows in
-- order from the index instead of sorting them.
CREATE INDEX devices_by_owner_in_order ON devices (owner_account_id, added_at, serial);
DROP INDEX devices_by_owner;
-- The purge of old rate-limit windows (`WHERE window_start < $1`) no longer scans every counter.
CREATE INDEX rate_limit_hits_by_window ON rate_limit_hits (window_start);
