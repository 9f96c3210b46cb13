-- Issue 16 item 5. Keep in step with ../postgres/0003_owner_audit.sql.

-- The owner of the device a reset-code request named, written when the request is made, when that
-- owner is another account than the requester: the owner's audit lists every attempt on their
-- devices, other accounts' too. Only a QR whose tag verified names a device (anyone can type a
-- serial), so forged QRs stay in the requester's log alone. NULL for the requester's own devices
-- (the row is already the owner's by account_id) and for devices nobody owns.
ALTER TABLE audit_events ADD COLUMN device_owner_id INTEGER;
-- The owner's half of the key-paged listing (`WHERE device_owner_id = $1 AND id < $2 ORDER BY id
-- DESC`); the requester's half is audit_events_by_account. Partial: most rows have no other owner.
CREATE INDEX audit_events_by_device_owner ON audit_events (device_owner_id, id)
    WHERE device_owner_id IS NOT NULL;
