package activities

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jmoiron/sqlx"
)

// FinishPortRequest records a port's end: the request's state and finish time, and every number of it
// leaves the port (inactive), which unlocks it for other ports. The first finish wins; a rerun changes
// nothing. Finishing a port that was never recorded (refused at RecordPortIn) only writes the audit row.
func (a *Activities) FinishPortRequest(ctx context.Context, in FinishInput) error {
	if in.WorkflowID == "" {
		return invalidInput("workflow_id", "is required")
	}
	if !in.State.IsEnd() {
		return invalidInput("state", "must be an end state (completed, not_portable, cancelled, failed, expired), got %q", in.State)
	}
	return inTx(ctx, a.DB, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `
			UPDATE port_requests SET state = $2, finished_at = now(), updated_at = now()
			WHERE workflow_id = $1 AND finished_at IS NULL`, in.WorkflowID, in.State); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `
			UPDATE port_request_numbers SET active = false, state = $2, updated_at = now()
			WHERE workflow_id = $1 AND active`, in.WorkflowID, in.State); err != nil {
			return err
		}
		return audit(ctx, tx, stepKey(in.WorkflowID, "finish"), in.WorkflowID, "port_finished",
			map[string]any{"state": in.State, "note": in.Note})
	})
}

// AuditEntry is one row of the audit log.
type AuditEntry struct {
	ID             int64           `db:"id" json:"id"`
	IdempotencyKey string          `db:"idempotency_key" json:"idempotency_key"`
	WorkflowID     string          `db:"workflow_id" json:"workflow_id"`
	Action         string          `db:"action" json:"action"`
	Detail         json.RawMessage `db:"detail" json:"detail"`
	At             time.Time       `db:"at" json:"at"`
}

// AuditLog is a workflow's audit trail, oldest first.
func AuditLog(ctx context.Context, db *sqlx.DB, workflowID string) ([]AuditEntry, error) {
	var out []AuditEntry
	err := db.SelectContext(ctx, &out, `
		SELECT id, idempotency_key, workflow_id, action, detail, at FROM audit_log
		WHERE workflow_id = $1 ORDER BY at, id`, workflowID)
	return out, err
}
