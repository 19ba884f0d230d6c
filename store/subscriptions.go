package store

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/jmoiron/sqlx"
)

// Notification channels: how a delivery reaches its target.
const (
	ChannelWebhook = "webhook"
	ChannelEmail   = "email"
)

// Bounds of a webhook's signing secret. Below 16 characters an HMAC key can be guessed offline
// from one signed request; 256 is far more than any generator makes.
const (
	MinWebhookSecretLength = 16
	MaxWebhookSecretLength = 256
)

// SubscriptionInput asks for an instance's customer notifications to go to a webhook (with the
// secret its requests are signed with) or to an email address: exactly one of the two.
type SubscriptionInput struct {
	InstanceARN string
	Webhook     string
	Secret      string
	Email       string
}

// Subscription is one target of an instance's customer notifications, as listed: never its secret.
type Subscription struct {
	ID          int64     `db:"id" json:"id"`
	InstanceARN string    `db:"instance_arn" json:"instance_arn"`
	Channel     string    `db:"channel" json:"channel"`
	Target      string    `db:"target" json:"target"`
	HasSecret   bool      `db:"has_secret" json:"has_secret"`
	CreatedAt   time.Time `db:"created_at" json:"created_at"`
	UpdatedAt   time.Time `db:"updated_at" json:"updated_at"`
}

// SubscriptionAdded says what AddSubscription did.
type SubscriptionAdded struct {
	Subscription
	// Created: a new subscription; else the same target was already subscribed (its secret
	// replaced when a new one was given: that is how a webhook's secret is rotated).
	Created       bool `json:"created"`
	SecretChanged bool `json:"secret_changed"`
}

// CheckWebhookURL is the rule for a webhook: an absolute http or https URL with a host, and no
// fragment (a fragment never reaches the server).
func CheckWebhookURL(raw string) error {
	if strings.TrimSpace(raw) != raw || raw == "" {
		return errors.New("must be an absolute http(s) URL without surrounding white space")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("must be an absolute http(s) URL: %v", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("must be an http or https URL, got scheme %q", u.Scheme)
	}
	if u.Host == "" || u.Hostname() == "" {
		return errors.New("must be an absolute http(s) URL with a host, e.g. https://hooks.example.com/porting")
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return errors.New("must not have a #fragment (it never reaches the server)")
	}
	return nil
}

// CheckEmailAddress is the rule for an email target: one bare address (local@domain), no display
// name, no list.
func CheckEmailAddress(raw string) error {
	a, err := mail.ParseAddress(raw)
	if err != nil {
		return fmt.Errorf("must be one email address like ops@example.com: %v", err)
	}
	if a.Address != raw || a.Name != "" {
		return fmt.Errorf("must be a bare email address like ops@example.com (no name, brackets or white space), got %q", raw)
	}
	at := strings.LastIndexByte(raw, '@')
	if at < 1 || !strings.Contains(raw[at+1:], ".") {
		return fmt.Errorf("must have a domain with a dot after the @, got %q", raw)
	}
	return nil
}

// checkWebhookSecret never repeats the secret in its message.
func checkWebhookSecret(s string) error {
	switch {
	case s == "":
		return invErr(InventoryInvalid, "secret", "is required with --webhook: the shared secret the receiver verifies Porting-Signature with (%d to %d characters)",
			MinWebhookSecretLength, MaxWebhookSecretLength)
	case strings.TrimSpace(s) != s:
		return invErr(InventoryInvalid, "secret", "must not begin or end with white space")
	case len(s) < MinWebhookSecretLength || len(s) > MaxWebhookSecretLength:
		return invErr(InventoryInvalid, "secret", "must be %d to %d characters long, got %d", MinWebhookSecretLength, MaxWebhookSecretLength, len(s))
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return invErr(InventoryInvalid, "secret", "must not contain control characters")
	}
	return nil
}

// checkSubscription validates in and returns its channel and target.
func checkSubscription(in SubscriptionInput) (channel, target string, err error) {
	if err := checkInstanceField(in.InstanceARN); err != nil {
		return "", "", err
	}
	switch {
	case (in.Webhook == "") == (in.Email == ""):
		return "", "", invErr(InventoryInvalid, "webhook", "give exactly one of --webhook URL (with --secret) or --email ADDR")
	case in.Webhook != "":
		if err := CheckWebhookURL(in.Webhook); err != nil {
			return "", "", invErr(InventoryInvalid, "webhook", "%v", err)
		}
		if err := checkWebhookSecret(in.Secret); err != nil {
			return "", "", err
		}
		return ChannelWebhook, in.Webhook, nil
	default:
		if in.Secret != "" {
			return "", "", invErr(InventoryInvalid, "secret", "goes with --webhook only: an email subscription has no secret")
		}
		if err := CheckEmailAddress(in.Email); err != nil {
			return "", "", invErr(InventoryInvalid, "email", "%v", err)
		}
		return ChannelEmail, in.Email, nil
	}
}

func checkInstanceField(arn string) error {
	if strings.TrimSpace(arn) == "" {
		return invErr(InventoryInvalid, "instance", "is required: the instance ARN")
	}
	return nil
}

const subscriptionColumns = `id, instance_arn, channel, target, secret IS NOT NULL AS has_secret, created_at, updated_at`

// AddSubscription subscribes a webhook or an email address to the customer notifications of an
// instance that exists. Idempotent: the same target again keeps its subscription (a webhook's
// secret is replaced by the one given). Audited without the secret.
func AddSubscription(ctx context.Context, db *sqlx.DB, in SubscriptionInput) (SubscriptionAdded, error) {
	channel, target, err := checkSubscription(in)
	if err != nil {
		return SubscriptionAdded{}, err
	}
	var secret *string
	if channel == ChannelWebhook {
		secret = &in.Secret
	}
	var out SubscriptionAdded
	err = InTx(ctx, db, func(tx *sqlx.Tx) error {
		if _, err := requireInstance(ctx, tx, in.InstanceARN, false); err != nil {
			return err
		}
		var prev struct {
			ID     int64   `db:"id"`
			Secret *string `db:"secret"`
		}
		err := tx.GetContext(ctx, &prev, `
			SELECT id, secret FROM notification_subscriptions
			WHERE instance_arn = $1 AND channel = $2 AND target = $3 FOR UPDATE`, in.InstanceARN, channel, target)
		switch {
		case isNoRows(err):
			out.Created = true
		case err != nil:
			return err
		default:
			out.SecretChanged = secret != nil && (prev.Secret == nil || *prev.Secret != *secret)
		}
		if err := tx.GetContext(ctx, &out.Subscription, `
			INSERT INTO notification_subscriptions AS s (instance_arn, channel, target, secret)
			VALUES ($1, $2, $3, $4)
			ON CONFLICT (instance_arn, channel, target) DO UPDATE
			SET secret = EXCLUDED.secret,
			    updated_at = CASE WHEN s.secret IS DISTINCT FROM EXCLUDED.secret THEN now() ELSE s.updated_at END
			RETURNING `+subscriptionColumns, in.InstanceARN, channel, target, secret); err != nil {
			return err
		}
		if !out.Created && !out.SecretChanged {
			return nil
		}
		action := "subscription_added"
		if !out.Created {
			action = "subscription_secret_replaced"
		}
		key, err := eventKey(ctx, tx, InstanceAuditID(in.InstanceARN), action)
		if err != nil {
			return err
		}
		return Audit(ctx, tx, key, InstanceAuditID(in.InstanceARN), action, map[string]any{
			"subscription_id": out.ID, "channel": channel, "target": RedactTarget(target),
		})
	})
	return out, err
}

// Subscriptions lists an instance's subscriptions (not_found when the instance does not exist).
func Subscriptions(ctx context.Context, db *sqlx.DB, instanceARN string) ([]Subscription, error) {
	if err := checkInstanceField(instanceARN); err != nil {
		return nil, err
	}
	if _, err := requireInstance(ctx, db, instanceARN, false); err != nil {
		return nil, err
	}
	out := []Subscription{}
	err := db.SelectContext(ctx, &out, `SELECT `+subscriptionColumns+`
		FROM notification_subscriptions WHERE instance_arn = $1 ORDER BY id`, instanceARN)
	return out, err
}

// SubscriptionRemoval names the subscription to remove: by ID, or by its webhook URL or email
// address (exactly one).
type SubscriptionRemoval struct {
	InstanceARN string
	ID          int64
	Webhook     string
	Email       string
}

// SubscriptionRemoved says what RemoveSubscription did.
type SubscriptionRemoved struct {
	Subscription
	// Abandoned counts the subscription's pending deliveries, now failed: nobody wants them any more.
	Abandoned int `json:"abandoned"`
}

// RemoveSubscription removes one of an instance's subscriptions. Its pending deliveries fail
// ("subscription removed"); its delivered and failed ones stay, for `starter notifications`.
// Removing a subscription that is not there is not_found.
func RemoveSubscription(ctx context.Context, db *sqlx.DB, r SubscriptionRemoval) (SubscriptionRemoved, error) {
	if err := checkInstanceField(r.InstanceARN); err != nil {
		return SubscriptionRemoved{}, err
	}
	given := 0
	for _, ok := range []bool{r.ID != 0, r.Webhook != "", r.Email != ""} {
		if ok {
			given++
		}
	}
	if given != 1 {
		return SubscriptionRemoved{}, invErr(InventoryInvalid, "id", "give exactly one of --id N, --webhook URL or --email ADDR")
	}
	var out SubscriptionRemoved
	err := InTx(ctx, db, func(tx *sqlx.Tx) error {
		if _, err := requireInstance(ctx, tx, r.InstanceARN, false); err != nil {
			return err
		}
		query := `SELECT ` + subscriptionColumns + ` FROM notification_subscriptions WHERE instance_arn = $1 AND `
		var arg any
		switch {
		case r.ID != 0:
			query, arg = query+`id = $2`, r.ID
		case r.Webhook != "":
			query, arg = query+`channel = 'webhook' AND target = $2`, r.Webhook
		default:
			query, arg = query+`channel = 'email' AND target = $2`, r.Email
		}
		err := tx.GetContext(ctx, &out.Subscription, query+` FOR UPDATE`, r.InstanceARN, arg)
		if isNoRows(err) {
			return invErr(InventoryNotFound, "subscription", "instance %s has no such subscription (see `starter subscription list --instance %s`)",
				r.InstanceARN, r.InstanceARN)
		}
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `
			UPDATE notification_deliveries
			SET state = 'failed', last_error = 'subscription removed', claim_token = NULL, updated_at = clock_timestamp()
			WHERE subscription_id = $1 AND state = 'pending'`, out.ID)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		out.Abandoned = int(n)
		if _, err := tx.ExecContext(ctx, `DELETE FROM notification_subscriptions WHERE id = $1`, out.ID); err != nil {
			return err
		}
		key, err := eventKey(ctx, tx, InstanceAuditID(r.InstanceARN), "subscription-removed")
		if err != nil {
			return err
		}
		return Audit(ctx, tx, key, InstanceAuditID(r.InstanceARN), "subscription_removed", map[string]any{
			"subscription_id": out.ID, "channel": out.Channel, "target": RedactTarget(out.Target), "pending_deliveries_failed": out.Abandoned,
		})
	})
	return out, err
}

// RedactTarget is a target as it may be shown or logged: a webhook URL without the password of
// its user information (an email address as it is).
func RedactTarget(target string) string {
	u, err := url.Parse(target)
	if err != nil || u.User == nil || (u.Scheme != "http" && u.Scheme != "https") {
		return target
	}
	return u.Redacted()
}
