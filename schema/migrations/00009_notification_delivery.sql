-- +goose Up
-- Notifications delivered (DESIGN §8, issue 16): customers' subscriptions per instance, and one
-- delivery per (notification, target) that the worker's notifier claims, sends and retries.

-- Where an instance's customer notifications go: a webhook (signed with the subscription's secret)
-- or an email address. The secret is kept as given: the notifier needs it to sign every request,
-- and the receiver holds the same secret, so a hash would be useless and encrypting it with the
-- payload key would tie subscriptions to that key's rotation. It is never printed, logged or
-- audited.
CREATE TABLE notification_subscriptions (
    id           bigserial   PRIMARY KEY,
    instance_arn text        NOT NULL REFERENCES instances (arn) ON DELETE CASCADE,
    channel      text        NOT NULL CHECK (channel IN ('webhook', 'email')),
    -- The webhook's URL or the email address.
    target       text        NOT NULL CHECK (target <> ''),
    secret       text        CHECK ((channel = 'webhook') = (secret IS NOT NULL AND secret <> '')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (instance_arn, channel, target)
);

-- One row per target a notification goes to, planned when the notifier takes the notification
-- from the outbox (notifications.sent_at then records that moment). A delivery is pending until
-- a target accepted it (delivered) or the retry window ran out (failed). A notifier claims a
-- pending, due row with FOR UPDATE SKIP LOCKED and moves next_attempt_at past its lease: if it
-- dies, the row falls due again when the lease ends and another notifier sends it again, with the
-- same Idempotency-Key. claim_token fences the result: only the latest claimer records it.
CREATE TABLE notification_deliveries (
    id              bigserial   PRIMARY KEY,
    notification_id bigint      NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    channel         text        NOT NULL CHECK (channel IN ('webhook', 'email')),
    target          text        NOT NULL CHECK (target <> ''),
    -- NULL: an operations target (the worker's OPERATIONS_* settings), or a subscription since removed.
    subscription_id bigint      REFERENCES notification_subscriptions (id) ON DELETE SET NULL,
    state           text        NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts        integer     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    last_error      text        NOT NULL DEFAULT '',
    claim_token     text,
    claimed_by      text,
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    delivered_at    timestamptz,
    UNIQUE (notification_id, channel, target),
    CHECK ((state = 'delivered') = (delivered_at IS NOT NULL))
);
CREATE INDEX notification_deliveries_due ON notification_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX notification_deliveries_subscription ON notification_deliveries (subscription_id) WHERE state = 'pending';

-- The notifier's share of the outbox: customer and operations notifications not yet taken.
-- Carrier notifications are the carrier gateway's (its connector consumes them as it consumes
-- carrier_submissions): the notifier leaves them, so this index does not grow with them.
CREATE INDEX notifications_to_deliver ON notifications (id) WHERE sent_at IS NULL AND recipient <> 'carrier';

-- +goose Down
DROP INDEX notifications_to_deliver;
DROP TABLE notification_deliveries;
DROP TABLE notification_subscriptions;
