package store

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"
)

// Notification is one message to the customer, the carrier or operators, for the outbox.
type Notification struct {
	WorkflowID string
	Key        string // unique within the workflow and the same on every retry and replay
	Kind       string
	Recipient  string
	Subject    string
	Body       string
}

// QueueNotification puts a notification in the outbox, once per (workflow, key), with its audit row.
func QueueNotification(ctx context.Context, db *sqlx.DB, n Notification) error {
	return QueueNotifications(ctx, db, []Notification{n})
}

// QueueNotifications puts notifications in the outbox in one transaction, each once per (workflow,
// key), with their audit rows.
func QueueNotifications(ctx context.Context, db *sqlx.DB, ns []Notification) error {
	if len(ns) == 0 {
		return nil
	}
	return InTx(ctx, db, func(tx *sqlx.Tx) error { return queueNotificationsTx(ctx, tx, ns) })
}

// queueNotificationsTx queues notifications in the caller's transaction: they are written exactly
// when what they report is (the transactional outbox).
func queueNotificationsTx(ctx context.Context, tx *sqlx.Tx, ns []Notification) error {
	for _, n := range ns {
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO notifications (workflow_id, key, kind, recipient, subject, body)
			VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (workflow_id, key) DO NOTHING`,
			n.WorkflowID, n.Key, n.Kind, n.Recipient, n.Subject, n.Body); err != nil {
			return err
		}
		if err := Audit(ctx, tx, StepKey(n.WorkflowID, "notify", n.Key), n.WorkflowID, "notification_queued",
			map[string]any{"key": n.Key, "kind": n.Kind, "recipient": n.Recipient, "subject": n.Subject}); err != nil {
			return err
		}
	}
	return nil
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
