package store_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/contactcenter/numberporting/store"
)

// queue puts a notification for recipient in the outbox, as activities.Notify does.
func queue(t *testing.T, f *fixture, workflowID, key, recipient string) {
	t.Helper()
	require.NoError(t, store.QueueNotification(ctx, f.db, store.Notification{
		WorkflowID: workflowID, Key: key, Kind: "loa_requested", Recipient: recipient, Subject: "s " + key, Body: "b " + key,
	}))
}

type plannedRow struct {
	WorkflowID string `db:"workflow_id"`
	Key        string `db:"key"`
	Channel    string `db:"channel"`
	Target     string `db:"target"`
}

func planned(t *testing.T, f *fixture) []string {
	t.Helper()
	var rows []plannedRow
	require.NoError(t, f.db.SelectContext(ctx, &rows, `
		SELECT n.workflow_id, n.key, d.channel, d.target FROM notification_deliveries d
		JOIN notifications n ON n.id = d.notification_id ORDER BY 1, 2, 3, 4`))
	out := []string{}
	for _, r := range rows {
		out = append(out, fmt.Sprintf("%s %s → %s %s", r.WorkflowID, r.Key, r.Channel, r.Target))
	}
	return out
}

func TestNotificationIdentity(t *testing.T) {
	id := store.NotificationIdentity("port-in-REQ-1", "loa-requested/Acme Telecom/did")
	require.Regexp(t, `^ntf_[0-9a-f]{32}$`, id)
	require.Equal(t, id, store.NotificationIdentity("port-in-REQ-1", "loa-requested/Acme Telecom/did"), "stable")
	require.NotEqual(t, id, store.NotificationIdentity("port-in-REQ-1", "loa-requested/Acme Telecom/toll_free"))
	// The separator keeps (workflow, key) pairs apart that would concatenate alike.
	require.NotEqual(t, store.NotificationIdentity("a", "bc"), store.NotificationIdentity("ab", "c"))
}

func TestPlanDeliveriesRoutesByRecipient(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	other := f.instance(t, "us-west-2")
	_, err := store.AddSubscription(ctx, f.db, store.SubscriptionInput{InstanceARN: f.arn, Webhook: "https://a.example.com/hook", Secret: testSecret})
	require.NoError(t, err)
	_, err = store.AddSubscription(ctx, f.db, store.SubscriptionInput{InstanceARN: f.arn, Email: "pat@example.com"})
	require.NoError(t, err)
	_, err = store.AddSubscription(ctx, f.db, store.SubscriptionInput{InstanceARN: other, Email: "other@example.com"})
	require.NoError(t, err)

	wf := f.record(t, "PLAN-1", numbers(2, "Acme"))
	queue(t, f, wf, "loa-requested/Acme/did", store.RecipientCustomer)
	queue(t, f, wf, "failed/Acme/did", store.RecipientOperations)
	queue(t, f, wf, "approved-carrier/1", store.RecipientCarrier)
	// An order of a bulk request writes under the request's ID; were an order's own ID used, it
	// still finds the request's instance.
	queue(t, f, wf+".order-2", "scheduled/Acme/did~2/1", store.RecipientCustomer)
	// A workflow the database does not know as a port: nobody to send it to.
	queue(t, f, "port-in-UNKNOWN", "finished", store.RecipientCustomer)

	ops := []store.DeliveryTarget{{Channel: store.ChannelWebhook, Target: "https://ops.example.com/hook"}, {Channel: store.ChannelEmail, Target: "noc@example.com"}}
	p, err := store.PlanDeliveries(ctx, f.db, ops, 0)
	require.NoError(t, err)
	require.Equal(t, store.Planned{Notifications: 4, Deliveries: 6, Unrouted: 1}, p)
	require.Equal(t, []string{
		"port-in-PLAN-1 failed/Acme/did → email noc@example.com",
		"port-in-PLAN-1 failed/Acme/did → webhook https://ops.example.com/hook",
		"port-in-PLAN-1 loa-requested/Acme/did → email pat@example.com",
		"port-in-PLAN-1 loa-requested/Acme/did → webhook https://a.example.com/hook",
		"port-in-PLAN-1.order-2 scheduled/Acme/did~2/1 → email pat@example.com",
		"port-in-PLAN-1.order-2 scheduled/Acme/did~2/1 → webhook https://a.example.com/hook",
	}, planned(t, f))

	// The carrier's notification stays in the outbox for the carrier gateway; the rest are taken.
	require.Equal(t, 1, count(t, f.db, `SELECT count(*) FROM notifications WHERE sent_at IS NULL`))
	require.Equal(t, 1, count(t, f.db, `SELECT count(*) FROM notifications WHERE sent_at IS NULL AND recipient = 'carrier'`))

	// Taken once: a second pass plans nothing, and a later subscription gets later notifications only.
	_, err = store.AddSubscription(ctx, f.db, store.SubscriptionInput{InstanceARN: f.arn, Email: "late@example.com"})
	require.NoError(t, err)
	p, err = store.PlanDeliveries(ctx, f.db, ops, 0)
	require.NoError(t, err)
	require.Equal(t, store.Planned{}, p)
	require.Len(t, planned(t, f), 6)
}

func TestPlanDeliveriesConcurrently(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, err := store.AddSubscription(ctx, f.db, store.SubscriptionInput{InstanceARN: f.arn, Email: "pat@example.com"})
	require.NoError(t, err)
	wf := f.record(t, "PLAN-2", numbers(1, "Acme"))
	for i := range 300 {
		queue(t, f, wf, fmt.Sprintf("k/%d", i), store.RecipientCustomer)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	total := 0
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				p, err := store.PlanDeliveries(ctx, f.db, nil, 25)
				if !assertNoError(t, err) || p.Notifications == 0 {
					return
				}
				mu.Lock()
				total += p.Deliveries
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	require.Equal(t, 300, total)
	require.Equal(t, 300, count(t, f.db, `SELECT count(*) FROM notification_deliveries`))
}

func assertNoError(t *testing.T, err error) bool {
	t.Helper()
	if err != nil {
		t.Error(err)
		return false
	}
	return true
}

// deliveryFixture is a fixture with one webhook subscription and n customer notifications planned.
func deliveryFixture(t *testing.T, n int) (*fixture, string) {
	t.Helper()
	f := newFixture(t)
	_, err := store.AddSubscription(ctx, f.db, store.SubscriptionInput{InstanceARN: f.arn, Webhook: "https://a.example.com/hook", Secret: testSecret})
	require.NoError(t, err)
	wf := f.record(t, fmt.Sprintf("DLV-%d", seq.Add(1)), numbers(1, "Acme"))
	for i := range n {
		queue(t, f, wf, fmt.Sprintf("k/%d", i), store.RecipientCustomer)
	}
	for {
		p, err := store.PlanDeliveries(ctx, f.db, nil, 0)
		require.NoError(t, err)
		if p.Notifications == 0 {
			return f, wf
		}
	}
}

func TestClaimLeaseAndFence(t *testing.T) {
	t.Parallel()
	f, wf := deliveryFixture(t, 1)

	first, err := store.ClaimDeliveries(ctx, f.db, "a", "tok-a", 300*time.Millisecond, 10)
	require.NoError(t, err)
	require.Len(t, first, 1)
	d := first[0]
	require.Equal(t, 1, d.Attempt)
	require.Equal(t, testSecret, *d.Secret)
	require.Equal(t, wf, d.WorkflowID)
	require.Equal(t, store.NotificationIdentity(wf, "k/0"), d.Identity())

	// Held: nobody else gets it while the lease lasts.
	again, err := store.ClaimDeliveries(ctx, f.db, "b", "tok-b", time.Minute, 10)
	require.NoError(t, err)
	require.Empty(t, again)

	// The lease ends (its holder died): the next claimer gets it, as attempt 2.
	require.Eventually(t, func() bool {
		again, err = store.ClaimDeliveries(ctx, f.db, "b", "tok-b", time.Minute, 10)
		return err == nil && len(again) == 1
	}, 10*time.Second, 20*time.Millisecond)
	require.Equal(t, d.ID, again[0].ID)
	require.Equal(t, 2, again[0].Attempt)

	// The old holder's outcome is not recorded; the new holder's is.
	_, err = store.CompleteDelivery(ctx, f.db, d.ID, "tok-a", store.Outcome{Delivered: true})
	require.ErrorIs(t, err, store.ErrClaimLost)
	res, err := store.CompleteDelivery(ctx, f.db, d.ID, "tok-b", store.Outcome{Delivered: true})
	require.NoError(t, err)
	require.Equal(t, store.DeliveryDelivered, res.State)
	require.Positive(t, res.Latency)
	_, err = store.CompleteDelivery(ctx, f.db, d.ID, "tok-b", store.Outcome{Delivered: true})
	require.ErrorIs(t, err, store.ErrClaimLost, "recorded once")

	got, found, err := store.NotificationsOf(ctx, f.db, wf)
	require.NoError(t, err)
	require.True(t, found)
	require.Len(t, got, 1)
	require.Equal(t, d.Identity(), got[0].ID)
	require.NotNil(t, got[0].TakenAt)
	require.Len(t, got[0].Deliveries, 1)
	dl := got[0].Deliveries[0]
	require.Equal(t, store.DeliveryDelivered, dl.State)
	require.Equal(t, 2, dl.Attempts)
	require.NotNil(t, dl.DeliveredAt)
	require.Nil(t, dl.NextAttemptAt)
}

func TestCompleteRetriesThenFails(t *testing.T) {
	t.Parallel()
	f, wf := deliveryFixture(t, 1)
	claim := func(token string) store.ClaimedDelivery {
		t.Helper()
		var got []store.ClaimedDelivery
		require.Eventually(t, func() bool {
			var err error
			got, err = store.ClaimDeliveries(ctx, f.db, "a", token, time.Minute, 10)
			return err == nil && len(got) == 1
		}, 10*time.Second, 10*time.Millisecond)
		return got[0]
	}
	d := claim("t1")
	res, err := store.CompleteDelivery(ctx, f.db, d.ID, "t1", store.Outcome{Error: "HTTP 503 Service Unavailable", RetryIn: 50 * time.Millisecond, RetryFor: time.Hour})
	require.NoError(t, err)
	require.Equal(t, store.DeliveryPending, res.State)

	// The next retry would come after the window: failed now.
	d = claim("t2")
	require.Equal(t, 2, d.Attempt)
	res, err = store.CompleteDelivery(ctx, f.db, d.ID, "t2", store.Outcome{Error: "dial tcp: connection refused", RetryIn: time.Hour, RetryFor: time.Minute})
	require.NoError(t, err)
	require.Equal(t, store.DeliveryFailed, res.State)

	none, err := store.ClaimDeliveries(ctx, f.db, "a", "t3", time.Minute, 10)
	require.NoError(t, err)
	require.Empty(t, none, "a failed delivery is not claimed again")

	got, _, err := store.NotificationsOf(ctx, f.db, wf)
	require.NoError(t, err)
	dl := got[0].Deliveries[0]
	require.Equal(t, store.DeliveryFailed, dl.State)
	require.Equal(t, 2, dl.Attempts)
	require.Equal(t, "dial tcp: connection refused", dl.LastError)
}

func TestConcurrentClaimsNeverShareADelivery(t *testing.T) {
	t.Parallel()
	f, _ := deliveryFixture(t, 120)
	var mu sync.Mutex
	seen := map[int64]string{}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			token := fmt.Sprintf("w%d", w)
			for {
				got, err := store.ClaimDeliveries(ctx, f.db, token, token, time.Minute, 7)
				if !assertNoError(t, err) || len(got) == 0 {
					return
				}
				mu.Lock()
				for _, d := range got {
					if prev, dup := seen[d.ID]; dup {
						t.Errorf("delivery %d claimed by %s and %s", d.ID, prev, token)
					}
					seen[d.ID] = token
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	require.Len(t, seen, 120)
}

func TestNotificationsOfUnknownWorkflow(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	got, found, err := store.NotificationsOf(ctx, f.db, "port-in-NOPE")
	require.NoError(t, err)
	require.False(t, found)
	require.Empty(t, got)

	wf := f.record(t, "QUIET-1", numbers(1, "Acme"))
	got, found, err = store.NotificationsOf(ctx, f.db, wf)
	require.NoError(t, err)
	require.True(t, found, "a recorded port without notifications yet")
	require.Empty(t, got)
}
