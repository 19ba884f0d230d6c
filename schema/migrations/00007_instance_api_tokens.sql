-- +goose Up
-- The instance API's rate limit (2 requests/s, burst 5 per instance) held across every worker
-- (DESIGN §8 "Bulk"): one token bucket per instance, shared through Postgres, and the simulated
-- instance API's own access log.

-- A token bucket per instance (store.TakeInstanceAPIToken): the tokens left at refilled_at, which
-- is always the database's clock (clock_timestamp()), never a worker's. A row appears, full, on an
-- instance's first request.
CREATE TABLE instance_api_tokens (
    instance_arn text             PRIMARY KEY REFERENCES instances (arn) ON DELETE CASCADE,
    tokens       double precision NOT NULL CHECK (tokens >= 0),
    refilled_at  timestamptz      NOT NULL
);

-- The simulated instance API's access log: one row per AddNumbers request it received, written in
-- the transaction that adds the numbers (a real API keeps its own). Tests measure the rate on it.
CREATE TABLE instance_api_requests (
    id           bigserial   PRIMARY KEY,
    instance_arn text        NOT NULL REFERENCES instances (arn) ON DELETE CASCADE,
    at           timestamptz NOT NULL DEFAULT clock_timestamp(),
    numbers      integer     NOT NULL CHECK (numbers >= 0)
);
CREATE INDEX instance_api_requests_instance ON instance_api_requests (instance_arn, at);

-- +goose Down
DROP TABLE instance_api_requests;
DROP TABLE instance_api_tokens;
