-- +goose Up
-- Port-out protection (DESIGN §8): an instance's port-out passcode and number locks.

-- The instance's port-out passcode, only as a bcrypt hash (salted per hash, slow); NULL: the
-- instance has none. The passcode itself is never stored.
ALTER TABLE instances ADD COLUMN port_out_passcode_hash text;

-- Numbers operations have locked against port-out (starter number lock): a port-out naming one is
-- refused. A number may be locked whether or not an instance holds it; unlocking deletes the row
-- (the audit log keeps who locked and unlocked it, and when).
CREATE TABLE number_locks (
    e164      text        PRIMARY KEY CHECK (e164 ~ '^\+[1-9][0-9]{1,14}$'),
    locked_by text        NOT NULL CHECK (locked_by <> ''),
    reason    text        NOT NULL DEFAULT '',
    locked_at timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE number_locks;
ALTER TABLE instances DROP COLUMN port_out_passcode_hash;
