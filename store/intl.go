package store

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/contactcenter/numberporting/porting"
)

// PortabilityCheckRequest asks the partner carriers whether an international port is possible.
type PortabilityCheckRequest struct {
	WorkflowID string
	Carrier    string
	Country    string
	Numbers    []string
}

// RequestPortabilityCheck puts an international portability check for the partner carriers in their
// outbox (portability_checks), once per port, with its audit row. It returns the check's ID, the same
// on every rerun.
func RequestPortabilityCheck(ctx context.Context, db *sqlx.DB, in PortabilityCheckRequest) (int64, error) {
	key := StepKey(in.WorkflowID, "portability-check")
	var id int64
	err := InTx(ctx, db, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO portability_checks (idempotency_key, workflow_id, carrier, country, numbers)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (idempotency_key) DO NOTHING`,
			key, in.WorkflowID, in.Carrier, in.Country, pq.Array(in.Numbers)); err != nil {
			return err
		}
		if err := tx.GetContext(ctx, &id, `SELECT id FROM portability_checks WHERE idempotency_key = $1`, key); err != nil {
			return err
		}
		return Audit(ctx, tx, key, in.WorkflowID, "portability_check_requested",
			map[string]any{"carrier": in.Carrier, "country": in.Country, "numbers": in.Numbers, "check_id": id})
	})
	return id, err
}

// RecordCostDecision keeps the customer's approval or refusal of a porting cost in the audit log.
func RecordCostDecision(ctx context.Context, db *sqlx.DB, workflowID string, amount porting.Decimal, currency string, approved bool, by string) error {
	action := "cost_declined"
	if approved {
		action = "cost_approved"
	}
	return Audit(ctx, db, StepKey(workflowID, "cost-decision"), workflowID, action,
		map[string]any{"amount": amount, "currency": currency, "by": by})
}

// PortabilityCheck is one row of the partner carriers' outbox (portability_checks): an international
// port-in asks whether its numbers can be ported; the answer comes back as portability-result.
type PortabilityCheck struct {
	ID             int64      `db:"id" json:"id"`
	IdempotencyKey string     `db:"idempotency_key" json:"idempotency_key"`
	WorkflowID     string     `db:"workflow_id" json:"workflow_id"`
	Carrier        string     `db:"carrier" json:"carrier"`
	Country        string     `db:"country" json:"country"`
	Numbers        []string   `db:"-" json:"numbers"`
	CreatedAt      time.Time  `db:"created_at" json:"created_at"`
	ConsumedAt     *time.Time `db:"consumed_at" json:"consumed_at,omitempty"`
}

// PendingPortabilityChecks lists up to limit portability checks not yet consumed, oldest first.
func PendingPortabilityChecks(ctx context.Context, db *sqlx.DB, limit int) ([]PortabilityCheck, error) {
	if limit <= 0 {
		limit = 100
	}
	var rows []struct {
		PortabilityCheck
		Numbers pq.StringArray `db:"numbers"`
	}
	if err := db.SelectContext(ctx, &rows, `
		SELECT id, idempotency_key, workflow_id, carrier, country, numbers, created_at, consumed_at
		FROM portability_checks WHERE consumed_at IS NULL ORDER BY id LIMIT $1`, limit); err != nil {
		return nil, err
	}
	out := make([]PortabilityCheck, len(rows))
	for i, r := range rows {
		out[i] = r.PortabilityCheck
		out[i].Numbers = []string(r.Numbers)
	}
	return out, nil
}

// MarkPortabilityCheckConsumed records that the partner carriers' connector handled a check. Idempotent.
func MarkPortabilityCheckConsumed(ctx context.Context, db *sqlx.DB, id int64) error {
	_, err := db.ExecContext(ctx, `UPDATE portability_checks SET consumed_at = now() WHERE id = $1 AND consumed_at IS NULL`, id)
	return err
}
