package activities

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Notify puts a notification in the outbox, once per (workflow, key): a retried or replayed
// notification is not sent twice.
func (a *Activities) Notify(ctx context.Context, n Notification) error {
	switch {
	case n.WorkflowID == "":
		return invalidInput("workflow_id", "is required")
	case n.Key == "":
		return invalidInput("key", "is required: unique within the workflow and the same on every retry")
	case n.Kind == "":
		return invalidInput("kind", "is required")
	case n.Recipient == "":
		return invalidInput("recipient", "is required (%s, %s or %s)", RecipientCustomer, RecipientCarrier, RecipientOperations)
	}
	return inTx(ctx, a.DB, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO notifications (workflow_id, key, kind, recipient, subject, body)
			VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (workflow_id, key) DO NOTHING`,
			n.WorkflowID, n.Key, n.Kind, n.Recipient, n.Subject, n.Body); err != nil {
			return err
		}
		return audit(ctx, tx, stepKey(n.WorkflowID, "notify", n.Key), n.WorkflowID, "notification_queued",
			map[string]any{"key": n.Key, "kind": n.Kind, "recipient": n.Recipient, "subject": n.Subject})
	})
}

// CarrierSubmission is one row of the carrier outbox, as a carrier connector (or the simulator)
// consumes it.
type CarrierSubmission struct {
	ID             int64           `json:"id"`
	IdempotencyKey string          `json:"idempotency_key"`
	WorkflowID     string          `json:"workflow_id"`
	Group          string          `json:"group"`
	Kind           string          `json:"kind"` // SubmissionPortRequest or SubmissionCancel
	Carrier        string          `json:"carrier"`
	Numbers        []string        `json:"numbers"`
	LOAVersion     int             `json:"loa_version,omitempty"` // 0: none
	Payload        json.RawMessage `json:"payload"`               // a SubmissionPayload
	CreatedAt      time.Time       `json:"created_at"`
	ConsumedAt     *time.Time      `json:"consumed_at,omitempty"`
}

type submissionRow struct {
	ID             int64          `db:"id"`
	IdempotencyKey string         `db:"idempotency_key"`
	WorkflowID     string         `db:"workflow_id"`
	Group          string         `db:"group"`
	Kind           string         `db:"kind"`
	Carrier        string         `db:"carrier"`
	Numbers        pq.StringArray `db:"numbers"`
	LOAVersion     *int           `db:"loa_version"`
	Payload        []byte         `db:"payload"`
	CreatedAt      time.Time      `db:"created_at"`
	ConsumedAt     *time.Time     `db:"consumed_at"`
}

// PendingCarrierSubmissions lists up to limit carrier submissions not yet consumed, oldest first.
func PendingCarrierSubmissions(ctx context.Context, db *sqlx.DB, limit int) ([]CarrierSubmission, error) {
	if limit <= 0 {
		limit = 100
	}
	var rows []submissionRow
	if err := db.SelectContext(ctx, &rows, `
		SELECT id, idempotency_key, workflow_id, "group", kind, carrier, numbers, loa_version, payload, created_at, consumed_at
		FROM carrier_submissions WHERE consumed_at IS NULL ORDER BY id LIMIT $1`, limit); err != nil {
		return nil, err
	}
	out := make([]CarrierSubmission, len(rows))
	for i, r := range rows {
		out[i] = CarrierSubmission{
			ID: r.ID, IdempotencyKey: r.IdempotencyKey, WorkflowID: r.WorkflowID, Group: r.Group, Kind: r.Kind,
			Carrier: r.Carrier, Numbers: []string(r.Numbers), Payload: json.RawMessage(r.Payload),
			CreatedAt: r.CreatedAt, ConsumedAt: r.ConsumedAt,
		}
		if r.LOAVersion != nil {
			out[i].LOAVersion = *r.LOAVersion
		}
	}
	return out, nil
}

// MarkCarrierSubmissionConsumed records that the carrier connector handled a submission. Idempotent.
func MarkCarrierSubmissionConsumed(ctx context.Context, db *sqlx.DB, id int64) error {
	_, err := db.ExecContext(ctx, `UPDATE carrier_submissions SET consumed_at = now() WHERE id = $1 AND consumed_at IS NULL`, id)
	return err
}

// OutboxNotification is one row of the notifications outbox.
type OutboxNotification struct {
	ID         int64      `db:"id" json:"id"`
	WorkflowID string     `db:"workflow_id" json:"workflow_id"`
	Key        string     `db:"key" json:"key"`
	Kind       string     `db:"kind" json:"kind"`
	Recipient  string     `db:"recipient" json:"recipient"`
	Subject    string     `db:"subject" json:"subject"`
	Body       string     `db:"body" json:"body"`
	CreatedAt  time.Time  `db:"created_at" json:"created_at"`
	SentAt     *time.Time `db:"sent_at" json:"sent_at,omitempty"`
}

// PendingNotifications lists up to limit notifications not yet sent, oldest first.
func PendingNotifications(ctx context.Context, db *sqlx.DB, limit int) ([]OutboxNotification, error) {
	if limit <= 0 {
		limit = 100
	}
	var out []OutboxNotification
	err := db.SelectContext(ctx, &out, `
		SELECT id, workflow_id, key, kind, recipient, subject, body, created_at, sent_at
		FROM notifications WHERE sent_at IS NULL ORDER BY id LIMIT $1`, limit)
	return out, err
}

// MarkNotificationSent records that a notification went out. Idempotent.
func MarkNotificationSent(ctx context.Context, db *sqlx.DB, id int64) error {
	_, err := db.ExecContext(ctx, `UPDATE notifications SET sent_at = now() WHERE id = $1 AND sent_at IS NULL`, id)
	return err
}
