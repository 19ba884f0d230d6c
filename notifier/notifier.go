// Package notifier delivers the notifications outbox (DESIGN §8 "Notifications delivered"). The
// workflows only queue notifications (activities.Notify writes a row of `notifications`, once per
// workflow and key); every worker runs a Notifier that takes them from there to their receivers:
// customer notifications to the webhooks and email addresses subscribed to the port's instance,
// operations notifications to OPERATIONS_WEBHOOK_URL and OPERATIONS_EMAIL. Carrier notifications
// are left to the carrier gateway's connector, which owns the conversation with carriers.
//
// Delivery is at least once on the wire and exactly once for a receiver that keeps the
// Idempotency-Key: every attempt of a notification carries the same id (store.NotificationIdentity),
// to every target. A webhook request is signed (Porting-Signature, see Sign); 2xx is delivered,
// anything else — an error status, a refused connection, a timeout — is tried again after an
// exponential, jittered backoff, until RetryFor (24 h) after the delivery was planned, when it
// fails. Email goes over SMTP with the same policy.
//
// Durability: Postgres rows with leases, not a Temporal workflow per delivery. The outbox is
// already in Postgres, written in the activity's transaction; a delivery is one more row beside
// it, planned in one transaction with the notification's taking, and a notifier claims due rows
// with FOR UPDATE SKIP LOCKED, moving their next attempt past a lease: several workers never hold
// the same row, and a worker that dies gives its rows back when the lease ends (the next attempt
// sends the same Idempotency-Key). A workflow per delivery would give the same guarantees with
// Temporal's machinery, but every start, activity and retry timer is a billed action, per
// notification and per target — dozens per port, on top of the port's own — and a Temporal
// outage would stop notifications that need nothing but Postgres and the network. What the rows
// cost is this package: a lease, a fence token and a backoff column.
package notifier

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/contactcenter/numberporting/internal/metrics"
	"github.com/contactcenter/numberporting/store"
)

// planLimit is how many notifications one pass takes from the outbox.
const planLimit = 100

// dbTimeout bounds each of a pass's statements: taking notifications, claiming, recording an outcome.
const dbTimeout = 10 * time.Second

// Notifier delivers the outbox. Several may run at once, in one process or many, on one database.
type Notifier struct {
	db      *sqlx.DB
	cfg     Config
	log     *slog.Logger
	metrics *metrics.Notifier
	webhook *webhook
	email   *email
	// name tells people which notifier claimed a delivery (claimed_by).
	name string
}

// New builds a notifier over db with a checked configuration; m may be nil (no metrics).
func New(db *sqlx.DB, cfg Config, log *slog.Logger, m *metrics.Notifier) (*Notifier, error) {
	if cfg.Backoff == nil {
		cfg.Backoff = Exponential(DefaultBackoff, DefaultBackoffMax)
	}
	if cfg.Batch <= 0 {
		cfg.Batch = DefaultBatch
	}
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	em, err := newEmail(cfg)
	if err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	return &Notifier{
		db: db, cfg: cfg, log: log.With("component", "notifier"), metrics: m,
		webhook: newWebhook(cfg.Timeout), email: em,
		name: fmt.Sprintf("%s/%d/%s", host, os.Getpid(), randomHex(4)),
	}, nil
}

// Run delivers until ctx is done, then lets the attempts under way finish and record their outcome
// (each is bounded by the timeout), and returns.
func (n *Notifier) Run(ctx context.Context) {
	n.log.Info("notifier started", "claimer", n.name, "poll", n.cfg.Poll.String(), "lease", n.cfg.Lease.String(),
		"timeout", n.cfg.Timeout.String(), "retry_for", n.cfg.RetryFor.String(),
		"operations_webhook", n.cfg.OperationsWebhookURL != "", "operations_emails", len(n.cfg.OperationsEmails),
		"smtp", n.email != nil)
	var failingSince time.Time
	var lastLogged time.Time
	for {
		busy, err := n.pass(ctx)
		if ctx.Err() != nil {
			n.log.Info("notifier stopped")
			return
		}
		// Postgres down: say so once, then every half minute, and when it is back.
		switch {
		case err != nil && failingSince.IsZero():
			failingSince, lastLogged = time.Now(), time.Now()
			n.log.Warn("notifier pass failed; retrying every poll", "error", err.Error())
		case err != nil && time.Since(lastLogged) > 30*time.Second:
			lastLogged = time.Now()
			n.log.Warn("notifier pass still failing", "since", failingSince.Format(time.RFC3339), "error", err.Error())
		case err == nil && !failingSince.IsZero():
			n.log.Info("notifier passes work again", "failed_for", time.Since(failingSince).Round(time.Second).String())
			failingSince = time.Time{}
		}
		if busy && err == nil {
			continue // more is waiting: no pause
		}
		select {
		case <-ctx.Done():
			n.log.Info("notifier stopped")
			return
		case <-time.After(n.cfg.Poll):
		}
	}
}

// pass plans the deliveries of newly queued notifications, then claims the due deliveries and
// sends them, all at once, and records each outcome. busy: there may be more to do right away.
func (n *Notifier) pass(ctx context.Context) (busy bool, err error) {
	// A Postgres that hangs must not hang the loop: every statement is bounded too.
	planCtx, cancel := context.WithTimeout(ctx, dbTimeout)
	planned, err := store.PlanDeliveries(planCtx, n.db, n.cfg.operationsTargets(), planLimit)
	cancel()
	if err != nil {
		return false, fmt.Errorf("planning deliveries: %w", err)
	}
	if planned.Notifications > 0 {
		n.log.Debug("notifications taken from the outbox", "notifications", planned.Notifications,
			"deliveries", planned.Deliveries, "without_target", planned.Unrouted)
	}
	claimCtx, cancel := context.WithTimeout(ctx, dbTimeout)
	claimed, err := store.ClaimDeliveries(claimCtx, n.db, n.name, randomHex(16), n.cfg.Lease, n.cfg.Batch)
	cancel()
	if err != nil {
		return false, fmt.Errorf("claiming deliveries: %w", err)
	}
	var wg sync.WaitGroup
	for _, d := range claimed {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n.deliver(ctx, d)
		}()
	}
	wg.Wait()
	return planned.Notifications == planLimit || len(claimed) == n.cfg.Batch, nil
}

// deliver makes one attempt and records its outcome.
func (n *Notifier) deliver(ctx context.Context, d store.ClaimedDelivery) {
	// An attempt under way finishes even while the worker stops: cut short, it would leave the
	// receiver in doubt and the row waiting for its lease to end. The timeout bounds it.
	sendCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), n.cfg.Timeout)
	err := n.send(sendCtx, d)
	cancel()

	o := store.Outcome{Delivered: err == nil, RetryFor: n.cfg.RetryFor}
	if err != nil {
		o.Error = err.Error()
		o.RetryIn = n.cfg.Backoff(d.Attempt)
	}
	recCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), dbTimeout)
	res, rerr := store.CompleteDelivery(recCtx, n.db, d.ID, d.Token, o)
	cancel()

	log := n.log.With("delivery_id", d.ID, "notification", d.Identity(), "workflow_id", d.WorkflowID, "kind", d.Kind,
		"recipient", d.Recipient, "channel", d.Channel, "target", store.RedactTarget(d.Target), "attempt", d.Attempt)
	switch {
	case errors.Is(rerr, store.ErrClaimLost):
		n.metrics.Attempt(d.Channel, d.Recipient, metrics.OutcomeLost)
		log.Warn("delivery attempt ended after its claim was lost; the attempt of the notifier that holds it now counts",
			"sent", err == nil)
	case rerr != nil:
		// Not recorded: the lease brings the row back and it is sent again, with the same key.
		log.Error("delivery outcome not recorded; it is tried again when the lease ends", "sent", err == nil, "error", rerr.Error())
	case res.State == store.DeliveryDelivered:
		n.metrics.Attempt(d.Channel, d.Recipient, metrics.OutcomeDelivered)
		n.metrics.Delivered(d.Channel, res.Latency)
		log.Info("notification delivered", "latency", res.Latency.Round(time.Millisecond).String())
	case res.State == store.DeliveryFailed:
		n.metrics.Attempt(d.Channel, d.Recipient, metrics.OutcomeFailed)
		log.Error("notification delivery failed for good: retry window over", "retry_for", n.cfg.RetryFor.String(), "error", o.Error)
	default:
		n.metrics.Attempt(d.Channel, d.Recipient, metrics.OutcomeRetried)
		log.Warn("notification delivery attempt failed; retrying", "error", o.Error,
			"next_attempt_at", res.NextAttemptAt.UTC().Format(time.RFC3339Nano))
	}
}

func (n *Notifier) send(ctx context.Context, d store.ClaimedDelivery) error {
	switch d.Channel {
	case store.ChannelWebhook:
		secret := ""
		switch {
		case d.Secret != nil:
			secret = *d.Secret
		case d.Recipient == store.RecipientOperations:
			secret = n.cfg.OperationsWebhookSecret
		}
		return n.webhook.send(ctx, d, secret)
	case store.ChannelEmail:
		return n.email.send(ctx, d)
	}
	return fmt.Errorf("unknown channel %q", d.Channel)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}
