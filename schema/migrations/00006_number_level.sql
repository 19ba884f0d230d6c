-- +goose Up
-- Number-level porting (DESIGN §8): the losing carriers' customer service records the CSR pre-check
-- compares LOAs with, and supplemental changes ("supps") in the carrier outbox.

-- The simulated losing carriers' customer service records (CSRs), one per number: ops (starter csr
-- add) and the simulator fill it; a real carrier connector would ask the carrier instead. Text is
-- stored normalised (porting.NormalizeText). The account number is never stored in clear: only
-- porting.HashAccountNumber of it, NULL when the carrier holds none.
CREATE TABLE customer_service_records (
    e164                     text        PRIMARY KEY CHECK (e164 ~ '^\+[1-9][0-9]{1,14}$'),
    carrier                  text        NOT NULL CHECK (carrier <> ''),
    name                     text        NOT NULL CHECK (name <> ''),
    address                  text        NOT NULL CHECK (address <> ''),
    account_number_hash      text,
    billing_telephone_number text        NOT NULL DEFAULT ''
        CHECK (billing_telephone_number = '' OR billing_telephone_number ~ '^\+[1-9][0-9]{1,14}$'),
    created_at               timestamptz NOT NULL DEFAULT now(),
    updated_at               timestamptz NOT NULL DEFAULT now()
);

-- A supp changes a submitted port request (another port date, numbers removed). The constraint's
-- name is the one Postgres generated for 00003's inline CHECK; it is named here so later
-- migrations need not guess.
ALTER TABLE carrier_submissions DROP CONSTRAINT carrier_submissions_kind_check;
ALTER TABLE carrier_submissions ADD CONSTRAINT carrier_submissions_kind_check
    CHECK (kind IN ('port_request', 'cancel', 'supp'));

-- +goose Down
-- Supps cannot be kept under the old constraint: they are dropped with it.
DELETE FROM carrier_submissions WHERE kind = 'supp';
ALTER TABLE carrier_submissions DROP CONSTRAINT carrier_submissions_kind_check;
ALTER TABLE carrier_submissions ADD CONSTRAINT carrier_submissions_kind_check
    CHECK (kind IN ('port_request', 'cancel'));
DROP TABLE customer_service_records;
