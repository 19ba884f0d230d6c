package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// The notifications outbox, delivered (DESIGN §8 "Notifications delivered"). The worker's notifier
// (package notifier) moves each customer and operations notification from the outbox into one
// delivery per target (PlanDeliveries), then claims due deliveries (ClaimDeliveries), sends them
// and records the outcome (CompleteDelivery). Everything here runs on the database's clock, so
// several workers on several machines agree on what is due and on when a lease has ended.

// Notification recipients (activities.Recipient*), as the outbox stores them.
const (
	RecipientCustomer   = "customer"
	RecipientCarrier    = "carrier"
	RecipientOperations = "operations"
)

// Delivery states.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"
)

// NotificationIdentity is a notification's identity outside the building: the webhook payload's
// id, its Idempotency-Key header and the email's Message-ID are made of it. It is derived from what
// makes the notification unique — its workflow ID and key, the outbox's unique pair — so it is
// the same on every attempt, every target, every worker, and even if the row were written again.
// It is opaque on purpose: a receiver compares it, it never parses it.
func NotificationIdentity(workflowID, key string) string {
	sum := sha256.Sum256([]byte(workflowID + "\x00" + key))
	return "ntf_" + hex.EncodeToString(sum[:16])
}

// DeliveryTarget is where a delivery goes: a channel and its URL or address.
type DeliveryTarget struct {
	Channel string
	Target  string
}

// Planned says what PlanDeliveries did.
type Planned struct {
	// Notifications taken from the outbox (their sent_at set), Deliveries planned for them, and
	// Unrouted: the notifications among them that had no target (a customer notification of an
	// instance without subscriptions, an operations one with no OPERATIONS_* target set).
	Notifications, Deliveries, Unrouted int
}

// PlanDeliveries takes up to limit customer and operations notifications from the outbox, oldest
// first, and plans one pending delivery for each of their targets, in one transaction: a customer
// notification goes to every subscription of its port's instance at that moment, an operations
// notification to each of operations. The notification's sent_at records that it was taken. Rows
// another notifier is planning are skipped (SKIP LOCKED), and a delivery is planned once per
// (notification, channel, target) whatever happens.
//
// A port's instance is found through port_requests by the notification's workflow ID; the orders
// of a bulk request (`<request>.order-<k>`) write their notifications under the request's ID, and
// an order's own ID is mapped to its request as well. Carrier notifications are not taken: they
// are the carrier gateway's.
func PlanDeliveries(ctx context.Context, db *sqlx.DB, operations []DeliveryTarget, limit int) (Planned, error) {
	if limit <= 0 {
		limit = 100
	}
	var out Planned
	err := InTx(ctx, db, func(tx *sqlx.Tx) error {
		var rows []struct {
			ID          int64   `db:"id"`
			Recipient   string  `db:"recipient"`
			InstanceARN *string `db:"instance_arn"`
		}
		if err := tx.SelectContext(ctx, &rows, `
			SELECT n.id, n.recipient, pr.instance_arn
			FROM notifications n
			LEFT JOIN port_requests pr ON pr.workflow_id = regexp_replace(n.workflow_id, '\.order-[0-9]+$', '')
			WHERE n.sent_at IS NULL AND n.recipient <> 'carrier'
			ORDER BY n.id
			LIMIT $1
			FOR UPDATE OF n SKIP LOCKED`, limit); err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		var all, customer, ops []int64
		var arns []string
		for _, r := range rows {
			all = append(all, r.ID)
			switch {
			case r.Recipient == RecipientCustomer && r.InstanceARN != nil:
				customer, arns = append(customer, r.ID), append(arns, *r.InstanceARN)
			case r.Recipient == RecipientOperations:
				ops = append(ops, r.ID)
			}
		}
		if len(customer) > 0 {
			if _, err := tx.ExecContext(ctx, `
				INSERT INTO notification_deliveries (notification_id, channel, target, subscription_id)
				SELECT n.id, s.channel, s.target, s.id
				FROM unnest($1::bigint[], $2::text[]) AS n(id, instance_arn)
				JOIN notification_subscriptions s ON s.instance_arn = n.instance_arn
				ON CONFLICT (notification_id, channel, target) DO NOTHING`, pq.Array(customer), pq.Array(arns)); err != nil {
				return err
			}
		}
		if len(ops) > 0 && len(operations) > 0 {
			channels, targets := make([]string, len(operations)), make([]string, len(operations))
			for i, t := range operations {
				channels[i], targets[i] = t.Channel, t.Target
			}
			if _, err := tx.ExecContext(ctx, `
				INSERT INTO notification_deliveries (notification_id, channel, target)
				SELECT n.id, t.channel, t.target
				FROM unnest($1::bigint[]) AS n(id)
				CROSS JOIN unnest($2::text[], $3::text[]) AS t(channel, target)
				ON CONFLICT (notification_id, channel, target) DO NOTHING`,
				pq.Array(ops), pq.Array(channels), pq.Array(targets)); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE notifications SET sent_at = clock_timestamp() WHERE id = ANY($1)`, pq.Array(all)); err != nil {
			return err
		}
		var counts struct {
			Deliveries int `db:"deliveries"`
			Unrouted   int `db:"unrouted"`
		}
		if err := tx.GetContext(ctx, &counts, `
			SELECT count(d.id) AS deliveries,
			       count(*) FILTER (WHERE d.id IS NULL) AS unrouted
			FROM unnest($1::bigint[]) AS n(id)
			LEFT JOIN notification_deliveries d ON d.notification_id = n.id`, pq.Array(all)); err != nil {
			return err
		}
		out = Planned{Notifications: len(all), Deliveries: counts.Deliveries, Unrouted: counts.Unrouted}
		return nil
	})
	return out, err
}

// ClaimedDelivery is a delivery a notifier has claimed: everything needed to send it.
type ClaimedDelivery struct {
	ID      int64  `db:"id"`
	Channel string `db:"channel"`
	Target  string `db:"target"`
	// Secret is the subscription's webhook secret (nil for email, and for operations targets, which
	// are signed with the notifier's own OPERATIONS_WEBHOOK_SECRET).
	Secret *string `db:"secret"`
	// Attempt counts this one: 1 the first time. An attempt whose notifier died counts too: it may
	// have reached the receiver.
	Attempt int `db:"attempts"`
	// Token fences the claim: only a CompleteDelivery with it records an outcome.
	Token string `db:"claim_token"`

	NotificationID int64     `db:"notification_id"`
	WorkflowID     string    `db:"workflow_id"`
	Key            string    `db:"key"`
	Kind           string    `db:"kind"`
	Recipient      string    `db:"recipient"`
	Subject        string    `db:"subject"`
	Body           string    `db:"body"`
	CreatedAt      time.Time `db:"created_at"` // the notification's
}

// Identity is the notification's identity (NotificationIdentity).
func (d ClaimedDelivery) Identity() string { return NotificationIdentity(d.WorkflowID, d.Key) }

// ClaimDeliveries claims up to limit pending deliveries that are due, oldest due first, for
// lease: their next attempt moves to the end of the lease, so a notifier that dies holding them
// gives them back when it ends. Rows another notifier is claiming are skipped (SKIP LOCKED), and a
// row claimed under a lease that has not ended is not due: two notifiers never hold one delivery.
// token marks this claim (CompleteDelivery must show it); claimer names the notifier (for people).
func ClaimDeliveries(ctx context.Context, db *sqlx.DB, claimer, token string, lease time.Duration, limit int) ([]ClaimedDelivery, error) {
	if token == "" {
		return nil, invalidInput("token", "is required: it fences the claim")
	}
	if lease <= 0 {
		return nil, invalidInput("lease", "must be positive, got %s", lease)
	}
	if limit <= 0 {
		limit = 10
	}
	var out []ClaimedDelivery
	err := db.SelectContext(ctx, &out, `
		WITH due AS (
			SELECT d.id, s.secret, n.workflow_id, n.key, n.kind, n.recipient, n.subject, n.body, n.created_at
			FROM notification_deliveries d
			JOIN notifications n ON n.id = d.notification_id
			LEFT JOIN notification_subscriptions s ON s.id = d.subscription_id
			WHERE d.state = 'pending' AND d.next_attempt_at <= clock_timestamp()
			ORDER BY d.next_attempt_at, d.id
			LIMIT $1
			FOR UPDATE OF d SKIP LOCKED
		)
		UPDATE notification_deliveries d
		SET attempts = d.attempts + 1, claim_token = $2, claimed_by = $3,
		    next_attempt_at = clock_timestamp() + $4 * interval '1 microsecond', updated_at = clock_timestamp()
		FROM due
		WHERE d.id = due.id
		RETURNING d.id, d.channel, d.target, due.secret, d.attempts, d.claim_token, d.notification_id,
		          due.workflow_id, due.key, due.kind, due.recipient, due.subject, due.body, due.created_at`,
		limit, token, claimer, lease.Microseconds())
	return out, err
}

// Outcome is what became of one attempt.
type Outcome struct {
	Delivered bool
	// Error says why the attempt failed (kept as the delivery's last error).
	Error string
	// RetryIn is when to try again after a failure; RetryFor is how long after its delivery was
	// planned a notification may still be tried: a retry that would come later fails it instead.
	RetryIn, RetryFor time.Duration
}

// Completed is what CompleteDelivery recorded.
type Completed struct {
	// State is the delivery's state now: delivered, pending (another attempt at NextAttemptAt) or
	// failed (the retry window has run out).
	State         string    `db:"state"`
	NextAttemptAt time.Time `db:"next_attempt_at"`
	// Latency is from the notification's queueing to its delivery (delivered only).
	Latency time.Duration `db:"-"`
}

// ErrClaimLost: the claim's lease ended and another notifier claimed the delivery again (or it was
// abandoned, its subscription removed): the outcome was not recorded. The other claimer's counts.
var ErrClaimLost = errors.New("the claim on this delivery was lost (its lease ended, or its subscription was removed): outcome not recorded")

// CompleteDelivery records the outcome of a claimed attempt, if the claim still holds (token):
// delivered, or failed — then pending again at now + RetryIn, or failed for good when that is past
// the delivery's planning + RetryFor. Its last error stays once delivered, as the history of the
// attempts before.
func CompleteDelivery(ctx context.Context, db *sqlx.DB, id int64, token string, o Outcome) (Completed, error) {
	var row struct {
		Completed
		LatencySeconds *float64 `db:"latency_seconds"`
	}
	var err error
	if o.Delivered {
		err = db.GetContext(ctx, &row, `
			UPDATE notification_deliveries d
			SET state = 'delivered', delivered_at = clock_timestamp(), claim_token = NULL, updated_at = clock_timestamp()
			FROM notifications n
			WHERE d.id = $1 AND d.claim_token = $2 AND d.state = 'pending' AND n.id = d.notification_id
			RETURNING d.state, d.next_attempt_at, extract(epoch FROM d.delivered_at - n.created_at)::float8 AS latency_seconds`,
			id, token)
	} else {
		msg := o.Error
		if len(msg) > 1000 {
			msg = msg[:1000]
		}
		err = db.GetContext(ctx, &row, `
			UPDATE notification_deliveries
			SET last_error = $3, claim_token = NULL, updated_at = clock_timestamp(),
			    next_attempt_at = clock_timestamp() + $4 * interval '1 microsecond',
			    state = CASE WHEN clock_timestamp() + $4 * interval '1 microsecond' > created_at + $5 * interval '1 microsecond'
			                 THEN 'failed' ELSE 'pending' END
			WHERE id = $1 AND claim_token = $2 AND state = 'pending'
			RETURNING state, next_attempt_at, NULL::float8 AS latency_seconds`,
			id, token, msg, o.RetryIn.Microseconds(), o.RetryFor.Microseconds())
	}
	if isNoRows(err) {
		return Completed{}, ErrClaimLost
	}
	if err != nil {
		return Completed{}, err
	}
	if row.LatencySeconds != nil {
		row.Latency = time.Duration(*row.LatencySeconds * float64(time.Second))
	}
	return row.Completed, nil
}

// Delivery is one delivery of a notification, as shown to people.
type Delivery struct {
	ID             int64      `db:"id" json:"id"`
	Channel        string     `db:"channel" json:"channel"`
	Target         string     `db:"target" json:"target"`
	SubscriptionID *int64     `db:"subscription_id" json:"subscription_id,omitempty"`
	State          string     `db:"state" json:"state"`
	Attempts       int        `db:"attempts" json:"attempts"`
	LastError      string     `db:"last_error" json:"last_error,omitempty"`
	NextAttemptAt  *time.Time `db:"next_attempt_at" json:"next_attempt_at,omitempty"`
	DeliveredAt    *time.Time `db:"delivered_at" json:"delivered_at,omitempty"`
	CreatedAt      time.Time  `db:"created_at" json:"created_at"`
	UpdatedAt      time.Time  `db:"updated_at" json:"updated_at"`
}

// NotificationDeliveries is a notification with its deliveries.
type NotificationDeliveries struct {
	ID         string    `db:"-" json:"id"` // NotificationIdentity: the webhook's id and Idempotency-Key
	WorkflowID string    `db:"workflow_id" json:"workflow_id"`
	Key        string    `db:"key" json:"key"`
	Kind       string    `db:"kind" json:"kind"`
	Recipient  string    `db:"recipient" json:"recipient"`
	Subject    string    `db:"subject" json:"subject"`
	CreatedAt  time.Time `db:"created_at" json:"created_at"`
	// TakenAt is when the notifier took it from the outbox and planned its deliveries (the outbox's
	// sent_at); nil: not yet (or never, for carrier notifications, which the carrier gateway handles).
	TakenAt    *time.Time `db:"sent_at" json:"taken_at,omitempty"`
	Deliveries []Delivery `db:"-" json:"deliveries"`

	RowID int64 `db:"id" json:"-"`
}

// NotificationsOf lists a workflow's notifications, oldest first, each with its deliveries (targets
// shown without passwords). found is false when the database knows neither the workflow as a port
// nor any notification of it.
func NotificationsOf(ctx context.Context, db *sqlx.DB, workflowID string) (out []NotificationDeliveries, found bool, err error) {
	if err := db.SelectContext(ctx, &out, `
		SELECT id, workflow_id, key, kind, recipient, subject, created_at, sent_at
		FROM notifications WHERE workflow_id = $1 ORDER BY id`, workflowID); err != nil {
		return nil, false, err
	}
	if len(out) == 0 {
		var n int
		if err := db.GetContext(ctx, &n, `SELECT count(*) FROM port_requests WHERE workflow_id = $1`, workflowID); err != nil {
			return nil, false, err
		}
		return []NotificationDeliveries{}, n > 0, nil
	}
	ids := make([]int64, len(out))
	byID := make(map[int64]*NotificationDeliveries, len(out))
	for i := range out {
		out[i].ID = NotificationIdentity(out[i].WorkflowID, out[i].Key)
		out[i].Deliveries = []Delivery{}
		ids[i] = out[i].RowID
		byID[out[i].RowID] = &out[i]
	}
	var rows []struct {
		NotificationID int64 `db:"notification_id"`
		Delivery
	}
	if err := db.SelectContext(ctx, &rows, `
		SELECT notification_id, id, channel, target, subscription_id, state, attempts, last_error,
		       CASE WHEN state = 'pending' THEN next_attempt_at END AS next_attempt_at,
		       delivered_at, created_at, updated_at
		FROM notification_deliveries WHERE notification_id = ANY($1) ORDER BY id`, pq.Array(ids)); err != nil {
		return nil, false, err
	}
	for _, r := range rows {
		d := r.Delivery
		d.Target = RedactTarget(d.Target)
		n := byID[r.NotificationID]
		n.Deliveries = append(n.Deliveries, d)
	}
	return out, true, nil
}
