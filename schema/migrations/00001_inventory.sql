-- +goose Up
-- Instances, their contact flows and phone numbers: the provider's own inventory.

CREATE TABLE instances (
    arn                text        PRIMARY KEY,
    region             text        NOT NULL,
    phone_number_limit integer     NOT NULL DEFAULT 10 CHECK (phone_number_limit >= 0),
    -- Ownership records a port-out's winning carrier must match exactly.
    owner_name         text        NOT NULL DEFAULT '',
    address            text        NOT NULL DEFAULT '',
    billing_contact    text        NOT NULL DEFAULT '',
    created_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE contact_flows (
    instance_arn text        NOT NULL REFERENCES instances (arn) ON DELETE CASCADE,
    name         text        NOT NULL CHECK (name <> ''),
    published    boolean     NOT NULL DEFAULT false,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (instance_arn, name)
);

CREATE TABLE phone_numbers (
    id           bigserial   PRIMARY KEY,
    instance_arn text        NOT NULL REFERENCES instances (arn) ON DELETE CASCADE,
    e164         text        NOT NULL CHECK (e164 ~ '^\+[1-9][0-9]{1,14}$'),
    type         text        NOT NULL CHECK (type IN ('did', 'toll_free', 'local', 'itfs', 'uifn', 'mobile')),
    state        text        NOT NULL CHECK (state IN ('provisioned', 'active', 'releasing', 'released')),
    -- The contact flow the number is mapped to (a flow of the same instance); NULL once released.
    contact_flow text,
    -- The workflow ID of the port that brought the number in; NULL for numbers claimed directly.
    port_request text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- A number is held by at most one instance unless it was released.
CREATE UNIQUE INDEX phone_numbers_held_e164 ON phone_numbers (e164) WHERE state <> 'released';
CREATE INDEX phone_numbers_instance ON phone_numbers (instance_arn, state);
CREATE INDEX phone_numbers_port_request ON phone_numbers (port_request) WHERE port_request IS NOT NULL;

-- The simulated carrier LNP database: numbers a carrier reports as not portable. Ops and tests fill it.
CREATE TABLE non_portable_numbers (
    e164       text        PRIMARY KEY,
    reason     text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE non_portable_numbers;
DROP TABLE phone_numbers;
DROP TABLE contact_flows;
DROP TABLE instances;
