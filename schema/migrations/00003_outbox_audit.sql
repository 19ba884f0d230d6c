-- +goose Up
-- Outboxes (carrier submissions, notifications) and the audit log.

-- What the carrier gateway hands to the carrier connector (or the simulator), consumed in id order.
CREATE TABLE carrier_submissions (
    id              bigserial   PRIMARY KEY,
    idempotency_key text        NOT NULL UNIQUE,
    workflow_id     text        NOT NULL,
    "group"         text        NOT NULL,
    kind            text        NOT NULL CHECK (kind IN ('port_request', 'cancel')),
    carrier         text        NOT NULL,
    numbers         text[]      NOT NULL,
    loa_version     integer,
    -- Never holds secrets: no PIN, no full account number.
    payload         jsonb       NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    consumed_at     timestamptz
);
CREATE INDEX carrier_submissions_pending ON carrier_submissions (id) WHERE consumed_at IS NULL;
CREATE INDEX carrier_submissions_workflow ON carrier_submissions (workflow_id);

CREATE TABLE notifications (
    id          bigserial   PRIMARY KEY,
    workflow_id text        NOT NULL,
    key         text        NOT NULL,
    kind        text        NOT NULL,
    recipient   text        NOT NULL,
    subject     text        NOT NULL,
    body        text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    sent_at     timestamptz,
    UNIQUE (workflow_id, key)
);
CREATE INDEX notifications_pending ON notifications (id) WHERE sent_at IS NULL;

CREATE TABLE audit_log (
    id              bigserial   PRIMARY KEY,
    idempotency_key text        NOT NULL UNIQUE,
    workflow_id     text        NOT NULL,
    action          text        NOT NULL,
    detail          jsonb       NOT NULL DEFAULT '{}',
    at              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_workflow ON audit_log (workflow_id, at);

-- +goose Down
DROP TABLE audit_log;
DROP TABLE notifications;
DROP TABLE carrier_submissions;
