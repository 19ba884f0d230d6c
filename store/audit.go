package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// Audit writes one audit_log row, once per idempotency key.
func Audit(ctx context.Context, ex sqlx.ExecerContext, key, workflowID, action string, detail any) error {
	d, err := json.Marshal(detail)
	if err != nil {
		return fmt.Errorf("audit %s: %w", key, err)
	}
	_, err = ex.ExecContext(ctx, `
		INSERT INTO audit_log (idempotency_key, workflow_id, action, detail)
		VALUES ($1, $2, $3, $4)
		ON CONFLICT (idempotency_key) DO NOTHING`, key, workflowID, action, d)
	if err != nil {
		return fmt.Errorf("audit %s: %w", key, err)
	}
	return nil
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

// recordedResult reads the result an earlier run recorded in the audit log under key, if any.
func recordedResult(ctx context.Context, q sqlx.QueryerContext, key string, out any) (bool, error) {
	var detail []byte
	err := sqlx.GetContext(ctx, q, &detail, `SELECT detail->'result' FROM audit_log WHERE idempotency_key = $1`, key)
	if isNoRows(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := json.Unmarshal(detail, out); err != nil {
		return false, fmt.Errorf("recorded result of %s: %w", key, err)
	}
	return true, nil
}

// recordedDetail reads the whole detail an audit row keeps under key, if there is one.
func recordedDetail(ctx context.Context, q sqlx.QueryerContext, key string, out any) (bool, error) {
	var detail []byte
	err := sqlx.GetContext(ctx, q, &detail, `SELECT detail FROM audit_log WHERE idempotency_key = $1`, key)
	if isNoRows(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := json.Unmarshal(detail, out); err != nil {
		return false, fmt.Errorf("recorded detail of %s: %w", key, err)
	}
	return true, nil
}
