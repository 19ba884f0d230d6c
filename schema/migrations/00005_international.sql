-- +goose Up
-- International port-ins first ask the partner carriers whether the numbers can be ported (and at
-- what cost). That question is not a port request: it has its own outbox, so that nothing is in
-- carrier_submissions until the customer has approved any cost.
CREATE TABLE portability_checks (
    id              bigserial   PRIMARY KEY,
    idempotency_key text        NOT NULL UNIQUE,
    workflow_id     text        NOT NULL,
    carrier         text        NOT NULL,
    country         text        NOT NULL,
    numbers         text[]      NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    consumed_at     timestamptz
);
CREATE INDEX portability_checks_pending ON portability_checks (id) WHERE consumed_at IS NULL;

-- +goose Down
DROP TABLE portability_checks;
