package activities

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// What the outside parties' connectors (and the simulator, `starter simulate-carrier`) read besides
// the carrier outbox (outbox.go): the partner carriers' portability checks and the port requests as
// recorded. Plain functions, not activities: workflows never call them.

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

// PortRequestRecord is a port request as recorded in port_requests: the request as received
// (without secrets), its kind and instance.
type PortRequestRecord struct {
	WorkflowID  string          `db:"workflow_id" json:"workflow_id"`
	RequestID   string          `db:"request_id" json:"request_id"`
	Kind        string          `db:"kind" json:"kind"`
	InstanceARN string          `db:"instance_arn" json:"instance_arn"`
	State       string          `db:"state" json:"state"`
	Request     json.RawMessage `db:"-" json:"request"`
}

// GetPortRequest reads a recorded port request (not_found when the workflow recorded none).
func GetPortRequest(ctx context.Context, db *sqlx.DB, workflowID string) (PortRequestRecord, error) {
	var row struct {
		PortRequestRecord
		Request []byte `db:"request"`
	}
	err := db.GetContext(ctx, &row, `
		SELECT workflow_id, request_id, kind, instance_arn, state, request
		FROM port_requests WHERE workflow_id = $1`, workflowID)
	if isNoRows(err) {
		return PortRequestRecord{}, invErr(InventoryNotFound, "workflow_id", "no port request recorded for %s", workflowID)
	}
	out := row.PortRequestRecord
	out.Request = json.RawMessage(row.Request)
	return out, err
}
