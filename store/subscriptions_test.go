package store_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/contactcenter/numberporting/store"
)

const testSecret = "whsec-0123456789abcdef"

func TestSubscriptionRules(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, tc := range []struct {
		name        string
		in          store.SubscriptionInput
		kind, field string
		msg         string
	}{
		{"no instance", store.SubscriptionInput{Webhook: "https://h.example.com/x", Secret: testSecret}, store.InventoryInvalid, "instance", "is required"},
		{"neither", store.SubscriptionInput{InstanceARN: f.arn}, store.InventoryInvalid, "webhook", "exactly one of --webhook URL (with --secret) or --email ADDR"},
		{"both", store.SubscriptionInput{InstanceARN: f.arn, Webhook: "https://h.example.com/x", Secret: testSecret, Email: "a@example.com"},
			store.InventoryInvalid, "webhook", "exactly one"},
		{"ftp", store.SubscriptionInput{InstanceARN: f.arn, Webhook: "ftp://h.example.com/x", Secret: testSecret}, store.InventoryInvalid, "webhook", `must be an http or https URL, got scheme "ftp"`},
		{"relative", store.SubscriptionInput{InstanceARN: f.arn, Webhook: "/hooks", Secret: testSecret}, store.InventoryInvalid, "webhook", "http or https"},
		{"no host", store.SubscriptionInput{InstanceARN: f.arn, Webhook: "https:///x", Secret: testSecret}, store.InventoryInvalid, "webhook", "with a host"},
		{"fragment", store.SubscriptionInput{InstanceARN: f.arn, Webhook: "https://h.example.com/x#y", Secret: testSecret}, store.InventoryInvalid, "webhook", "fragment"},
		{"no secret", store.SubscriptionInput{InstanceARN: f.arn, Webhook: "https://h.example.com/x"}, store.InventoryInvalid, "secret", "is required with --webhook"},
		{"short secret", store.SubscriptionInput{InstanceARN: f.arn, Webhook: "https://h.example.com/x", Secret: "hunter2"}, store.InventoryInvalid, "secret", "16 to 256 characters long, got 7"},
		{"secret for email", store.SubscriptionInput{InstanceARN: f.arn, Email: "a@example.com", Secret: testSecret}, store.InventoryInvalid, "secret", "--webhook only"},
		{"bad email", store.SubscriptionInput{InstanceARN: f.arn, Email: "not-an-address"}, store.InventoryInvalid, "email", "must be one email address"},
		{"named email", store.SubscriptionInput{InstanceARN: f.arn, Email: "Ops <ops@example.com>"}, store.InventoryInvalid, "email", "bare email address"},
		{"no dot", store.SubscriptionInput{InstanceARN: f.arn, Email: "ops@localhost"}, store.InventoryInvalid, "email", "domain with a dot"},
		{"unknown instance", store.SubscriptionInput{InstanceARN: f.arn + "-gone", Email: "a@example.com"}, store.InventoryNotFound, "instance", "does not exist"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := store.AddSubscription(ctx, f.db, tc.in)
			requireInvErr(t, err, tc.kind, tc.field, tc.msg)
			require.NotContains(t, err.Error(), "hunter2")
		})
	}
	require.Zero(t, count(t, f.db, `SELECT count(*) FROM notification_subscriptions`))
}

func TestSubscriptionsAddListRemove(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	hook := store.SubscriptionInput{InstanceARN: f.arn, Webhook: "https://bob:pw@hooks.example.com/porting?x=1", Secret: testSecret}
	added, err := store.AddSubscription(ctx, f.db, hook)
	require.NoError(t, err)
	require.True(t, added.Created)
	require.Equal(t, store.ChannelWebhook, added.Channel)
	require.True(t, added.HasSecret)

	// Again: the same subscription; a new secret replaces the old one (rotation).
	again, err := store.AddSubscription(ctx, f.db, hook)
	require.NoError(t, err)
	require.False(t, again.Created)
	require.False(t, again.SecretChanged)
	require.Equal(t, added.ID, again.ID)
	hook.Secret = testSecret + "-v2"
	rotated, err := store.AddSubscription(ctx, f.db, hook)
	require.NoError(t, err)
	require.True(t, rotated.SecretChanged)
	require.Equal(t, added.ID, rotated.ID)

	mail, err := store.AddSubscription(ctx, f.db, store.SubscriptionInput{InstanceARN: f.arn, Email: "noc@example.com"})
	require.NoError(t, err)
	require.False(t, mail.HasSecret)

	subs, err := store.Subscriptions(ctx, f.db, f.arn)
	require.NoError(t, err)
	require.Len(t, subs, 2)
	require.Equal(t, []string{"webhook", "email"}, []string{subs[0].Channel, subs[1].Channel})

	// The audit log knows what happened, never the secret or the URL's password.
	var details []string
	require.NoError(t, f.db.SelectContext(ctx, &details, `SELECT action || ' ' || detail::text FROM audit_log WHERE workflow_id = $1 ORDER BY id`,
		store.InstanceAuditID(f.arn)))
	require.Len(t, details, 3, details)
	for _, d := range details {
		require.NotContains(t, d, testSecret)
		require.NotContains(t, d, ":pw@")
	}
	require.Contains(t, details[1], "subscription_secret_replaced")

	_, err = store.Subscriptions(ctx, f.db, f.arn+"-gone")
	requireInvErr(t, err, store.InventoryNotFound, "instance", "does not exist")

	// Removal: its pending deliveries fail, its delivered ones stay.
	wf := f.record(t, "SUB-1", numbers(1, "Acme"))
	queue(t, f, wf, "a", store.RecipientCustomer)
	queue(t, f, wf, "b", store.RecipientCustomer)
	_, err = store.PlanDeliveries(ctx, f.db, nil, 0)
	require.NoError(t, err)
	claimed, err := store.ClaimDeliveries(ctx, f.db, "test", "tok", time.Minute, 10)
	require.NoError(t, err)
	require.Len(t, claimed, 4)
	for _, d := range claimed {
		if d.Channel == store.ChannelWebhook && d.Key == "a" {
			_, err = store.CompleteDelivery(ctx, f.db, d.ID, "tok", store.Outcome{Delivered: true})
			require.NoError(t, err)
		}
	}

	_, err = store.RemoveSubscription(ctx, f.db, store.SubscriptionRemoval{InstanceARN: f.arn, Webhook: "https://h.example.com/none"})
	requireInvErr(t, err, store.InventoryNotFound, "subscription", "no such subscription")
	_, err = store.RemoveSubscription(ctx, f.db, store.SubscriptionRemoval{InstanceARN: f.arn, ID: 1, Email: "noc@example.com"})
	requireInvErr(t, err, store.InventoryInvalid, "id", "exactly one")
	removed, err := store.RemoveSubscription(ctx, f.db, store.SubscriptionRemoval{InstanceARN: f.arn, Webhook: hook.Webhook})
	require.NoError(t, err)
	require.Equal(t, added.ID, removed.ID)
	require.Equal(t, 1, removed.Abandoned, "the webhook's other delivery was pending")
	require.Equal(t, 1, count(t, f.db, `SELECT count(*) FROM notification_deliveries WHERE channel = 'webhook' AND state = 'delivered' AND subscription_id IS NULL`))
	require.Equal(t, 1, count(t, f.db, `SELECT count(*) FROM notification_deliveries WHERE channel = 'webhook' AND state = 'failed' AND last_error = 'subscription removed'`))
	require.Equal(t, 2, count(t, f.db, `SELECT count(*) FROM notification_deliveries WHERE channel = 'email' AND state = 'pending'`))

	subs, err = store.Subscriptions(ctx, f.db, f.arn)
	require.NoError(t, err)
	require.Len(t, subs, 1)
	_, err = store.RemoveSubscription(ctx, f.db, store.SubscriptionRemoval{InstanceARN: f.arn, ID: subs[0].ID})
	require.NoError(t, err)
}

func TestRedactTarget(t *testing.T) {
	require.Equal(t, "https://bob:xxxxx@h.example.com/x", store.RedactTarget("https://bob:pw@h.example.com/x"))
	require.Equal(t, "https://h.example.com/x?token=1", store.RedactTarget("https://h.example.com/x?token=1"))
	require.Equal(t, "ops@example.com", store.RedactTarget("ops@example.com"))
}
