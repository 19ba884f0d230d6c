-- +goose Up
-- Port requests, their numbers, LOA versions and the phone-number limit increases that accompany ports.

CREATE TABLE port_requests (
    workflow_id  text        PRIMARY KEY,
    request_id   text        NOT NULL,
    kind         text        NOT NULL,
    instance_arn text        NOT NULL,
    state        text        NOT NULL,
    -- The request as received, without secrets (PINs and account numbers are never stored in clear).
    request      jsonb       NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz
);
CREATE INDEX port_requests_instance ON port_requests (instance_arn);

CREATE TABLE port_request_numbers (
    workflow_id text        NOT NULL REFERENCES port_requests (workflow_id) ON DELETE CASCADE,
    e164        text        NOT NULL,
    "group"     text        NOT NULL,
    type        text        NOT NULL,
    carrier     text        NOT NULL,
    -- active numbers are locked against other ports; not-portable numbers and ended ports unlock them.
    active      boolean     NOT NULL DEFAULT true,
    state       text        NOT NULL,
    reason      text        NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workflow_id, e164)
);
-- A number is in at most one active port.
CREATE UNIQUE INDEX port_request_numbers_active_e164 ON port_request_numbers (e164) WHERE active;
CREATE INDEX port_request_numbers_group ON port_request_numbers (workflow_id, "group");

-- One row per LOA version of a group. The PIN is kept only as a salted SHA-256 hash and the carrier
-- account number only as its last digits: neither is ever stored in clear.
CREATE TABLE loa_versions (
    id                       bigserial   PRIMARY KEY,
    workflow_id              text        NOT NULL,
    "group"                  text        NOT NULL,
    version                  integer     NOT NULL CHECK (version >= 1),
    authorized_name          text        NOT NULL,
    company                  text        NOT NULL DEFAULT '',
    address                  text        NOT NULL,
    account_number_last4     text        NOT NULL DEFAULT '',
    pin_hash                 text,
    billing_telephone_number text        NOT NULL DEFAULT '',
    signed_at                timestamptz NOT NULL,
    document_ref             text        NOT NULL,
    created_at               timestamptz NOT NULL DEFAULT now(),
    UNIQUE (workflow_id, "group", version)
);

-- The phone-number limit increase that accompanies a port, applied once per (workflow, group) and
-- reversed once when the port's numbers are released.
CREATE TABLE limit_increases (
    workflow_id  text        NOT NULL,
    "group"      text        NOT NULL,
    instance_arn text        NOT NULL REFERENCES instances (arn) ON DELETE CASCADE,
    amount       integer     NOT NULL CHECK (amount > 0),
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workflow_id, "group")
);

-- +goose Down
DROP TABLE limit_increases;
DROP TABLE loa_versions;
DROP TABLE port_request_numbers;
DROP TABLE port_requests;
