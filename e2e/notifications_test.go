package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactcenter/numberporting/internal/notifytest"
	"github.com/contactcenter/numberporting/internal/pgtest"
	"github.com/contactcenter/numberporting/porting"
	"github.com/contactcenter/numberporting/store"
)

// TestNotificationsDeliveredEndToEnd (DESIGN §8 "Notifications delivered"): a port-in driven to
// completion through the starter, its instance subscribed by a webhook and an email address. The
// receivers — an HTTP server verifying every signature byte for byte and an SMTP server, both in
// this process — get loa_requested, port_scheduled and the end (key "finished", kind completed),
// each exactly once by its id, although the webhook refuses connections for 30 s in the middle,
// while the port is scheduled and completes.
func TestNotificationsDeliveredEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("e2e: skipped with -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	const (
		arn    = "arn:aws:connect:us-east-1:123456789012:instance/e2e-notify"
		secret = "whsec-e2e-0123456789abcdef"
		number = "+14155550190"
		down   = 30 * time.Second
	)
	hook := notifytest.NewWebhook(t, secret)
	mx := notifytest.NewSMTP(t)

	root := moduleRoot(t)
	bins := buildBinaries(ctx, t, root)
	dbURL := pgtest.NewURL(t)
	srv := startDevServer(ctx, t, temporalCLI(t, root))
	metricsAddr := freeHostPort(t)
	env := []string{
		"TEMPORAL_ADDRESS=" + srv.FrontendHostPort(),
		"TEMPORAL_NAMESPACE=" + srv.Namespace(),
		"DATABASE_URL=" + dbURL,
	}
	workerEnv := append(append([]string{}, env...),
		"METRICS_ADDR="+metricsAddr,
		"SMTP_ADDR="+mx.Addr, "SMTP_FROM=Number Porting <porting@example.com>",
		// Test timings (README "Notifications delivered"): look every 200 ms, retry after 0.5–2 s.
		"PORTING_NOTIFIER_POLL=200ms", "PORTING_NOTIFIER_BACKOFF=1s", "PORTING_NOTIFIER_BACKOFF_MAX=2s",
		"PORTING_NOTIFIER_TIMEOUT=2s", "PORTING_NOTIFIER_LEASE=10s")
	workerLog := startWorkerLogged(ctx, t, bins.worker, workerEnv, srv.Client())
	s := starter{bin: bins.starter, env: env}

	s.ok(ctx, t, "instance", "add", "--arn", arn, "--owner-name", "Ada Lovelace", "--address", "1 Main St, Springfield",
		"--billing-contact", "billing@example.com")
	s.ok(ctx, t, "flow", "add", "--instance", arn, "--name", publishedFlow)

	t.Run("subscriptions: bad input is exit 2 naming the field, an unknown instance exit 4", func(t *testing.T) {
		for _, tc := range []struct {
			args []string
			msg  string
		}{
			{[]string{"--webhook", "ftp://hooks.example.com/x", "--secret", secret}, "webhook: must be an http or https URL"},
			{[]string{"--webhook", hook.URL}, "secret: is required with --webhook"},
			{[]string{"--email", "ops at example.com"}, "email: must be one email address"},
		} {
			r := s.run(ctx, append([]string{"subscription", "add", "--instance", arn}, tc.args...)...)
			assert.Equal(t, 2, r.code, r)
			assert.Contains(t, r.stderr, tc.msg, r)
		}
		r := s.run(ctx, "subscription", "add", "--instance", arn+"-nope", "--email", "pat@example.com")
		assert.Equal(t, 4, r.code, r)
		assert.Contains(t, r.stderr, "does not exist", r)
	})

	s.ok(ctx, t, "subscription", "add", "--instance", arn, "--webhook", hook.URL, "--secret", secret)
	s.ok(ctx, t, "subscription", "add", "--instance", arn, "--email", "pat@example.com")
	r := s.ok(ctx, t, "subscription", "list", "--instance", arn)
	require.Contains(t, r.stdout, hook.URL)
	require.Contains(t, r.stdout, "pat@example.com")
	require.NotContains(t, r.stdout, secret, "never a secret")

	req := portInRequest("E2E-NOTIFY", publishedFlow, number)
	req.InstanceARN = arn
	const workflowID = "port-in-E2E-NOTIFY"
	s.ok(ctx, t, "port-in", "--file", writeJSON(t, "notify.json", req))
	s.waitState(ctx, t, workflowID, porting.StateAwaitingLOA, time.Minute)

	loaKey := "loa-requested/" + group
	loaID := store.NotificationIdentity(workflowID, loaKey)
	require.Eventually(t, func() bool { return hook.Accepted()[loaID] == 1 && len(mx.Messages()) == 1 },
		30*time.Second, 100*time.Millisecond, "loa_requested reaches both receivers")

	// The webhook goes down: connections refused for 30 s, while the port is scheduled and completes.
	hook.Refuse()
	downAt := time.Now()
	s.ok(ctx, t, "submit-loa", "--workflow", workflowID, "--group", group, "--file", writeJSON(t, "loa.json", loa("loa-notify.pdf")))
	s.waitState(ctx, t, workflowID, porting.StateAwaitingCarrier, 30*time.Second)
	s.ok(ctx, t, "carrier-response", "--workflow", workflowID, "--group", group, "--accept",
		"--port-date", time.Now().Add(6*time.Second).Format(time.RFC3339))
	s.waitState(ctx, t, workflowID, porting.StateCompleted, time.Minute)
	completedAfter := time.Since(downAt)
	require.Less(t, completedAfter, down, "the port completed while the webhook was down")
	require.Eventually(t, func() bool { return len(mx.Messages()) == 3 }, 30*time.Second, 100*time.Millisecond,
		"email, which stayed up, has all three")

	// While down, the webhook's deliveries wait, retried; nothing reached it. The receiver stays down
	// for the whole 30 s (a duration to hold, not a condition to wait for).
	time.Sleep(time.Until(downAt.Add(down)))
	notes := s.notifications(ctx, t, workflowID)
	var pendingAttempts []int
	for _, n := range notes {
		for _, d := range n.Deliveries {
			if d.Channel == store.ChannelWebhook && d.State == store.DeliveryPending {
				pendingAttempts = append(pendingAttempts, d.Attempts)
				assert.Contains(t, d.LastError, "connection refused")
			}
		}
	}
	require.Len(t, pendingAttempts, 2, "port_scheduled and the end wait for the webhook: %+v", notes)
	for _, a := range pendingAttempts {
		require.Greater(t, a, 3, "retried while down")
	}
	require.Len(t, hook.Requests(), 1, "nothing reached the webhook while it was down")

	require.NoError(t, hook.Up())
	upAt := time.Now()
	require.Eventually(t, func() bool { return len(hook.Accepted()) == 3 }, 30*time.Second, 100*time.Millisecond)
	caughtUp := time.Since(upAt)

	// Each notification exactly once, by id, on both channels; every signature verified.
	require.Eventually(t, func() bool {
		n := s.notifications(ctx, t, workflowID)
		return len(n) == 3 && allDelivered(n)
	}, 10*time.Second, 200*time.Millisecond)
	wantKinds := map[string]string{} // id → kind
	for _, n := range s.notifications(ctx, t, workflowID) {
		wantKinds[n.ID] = n.Kind
	}
	require.Equal(t, map[string]string{
		loaID:                               "loa_requested",
		mapKey(wantKinds, "port_scheduled"): "port_scheduled",
		store.NotificationIdentity(workflowID, "finished"): "completed",
	}, wantKinds)
	accepted := hook.Accepted()
	for id, kind := range wantKinds {
		assert.Equal(t, 1, accepted[id], "webhook: %s (%s) once", kind, id)
	}
	assert.Empty(t, hook.BadSignatures())
	for _, r := range hook.Requests() {
		assert.Equal(t, wantKinds[r.IdempotencyKey], r.Payload["kind"])
		assert.Equal(t, r.IdempotencyKey, r.Payload["id"])
		assert.Equal(t, workflowID, r.Payload["workflow_id"])
		assert.Equal(t, "customer", r.Payload["recipient"])
	}
	byID := map[string]int{}
	for _, m := range mx.Messages() {
		assert.Equal(t, []string{"pat@example.com"}, m.To)
		id := m.Header.Get("Idempotency-Key")
		assert.Equal(t, "<"+id+"@example.com>", m.Header.Get("Message-Id"))
		byID[id]++
	}
	assert.Equal(t, map[string]int{loaID: 1, mapKey(wantKinds, "port_scheduled"): 1, mapKey(wantKinds, "completed"): 1}, byID)

	notes = s.notifications(ctx, t, workflowID)
	var webhookAttempts []int
	for _, n := range notes {
		for _, d := range n.Deliveries {
			if d.Channel == store.ChannelWebhook {
				webhookAttempts = append(webhookAttempts, d.Attempts)
			}
		}
	}
	r = s.ok(ctx, t, "notifications", "--workflow", workflowID)
	t.Logf("starter notifications --workflow %s:\n%s", workflowID, r.stdout)

	// The worker's metrics count it.
	resp, err := http.Get("http://" + metricsAddr + "/metrics")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	text := string(body)
	assert.Contains(t, text, `porting_notification_deliveries_total{channel="webhook",outcome="delivered",recipient="customer"} 3`)
	assert.Contains(t, text, `porting_notification_deliveries_total{channel="email",outcome="delivered",recipient="customer"} 3`)
	assert.Contains(t, text, `porting_notification_deliveries_failed_total{channel="webhook",recipient="customer"} 0`)
	assert.Contains(t, text, `porting_notification_delivery_seconds_count{channel="webhook"} 3`)

	log, _ := os.ReadFile(workerLog)
	assert.NotContains(t, string(log), secret, "the worker never logs a secret")
	t.Logf("notifications e2e: webhook down %s (the port completed %s into it); webhook attempts per notification %v; "+
		"caught up %s after it came back; %d requests reached the webhook, %d emails; each notification once by id",
		down, completedAfter.Round(time.Second), webhookAttempts, caughtUp.Round(time.Millisecond), len(hook.Requests()), len(mx.Messages()))
}

func mapKey(m map[string]string, value string) string {
	for k, v := range m {
		if v == value {
			return k
		}
	}
	return ""
}

func allDelivered(notes []store.NotificationDeliveries) bool {
	for _, n := range notes {
		if len(n.Deliveries) != 2 {
			return false
		}
		for _, d := range n.Deliveries {
			if d.State != store.DeliveryDelivered {
				return false
			}
		}
	}
	return true
}

// notifications runs `notifications --workflow ID --json` and decodes it.
func (s starter) notifications(ctx context.Context, t *testing.T, workflowID string) []store.NotificationDeliveries {
	t.Helper()
	r := s.run(ctx, "notifications", "--workflow", workflowID, "--json")
	if r.code != 0 {
		t.Errorf("notifications: %s", r)
		return nil
	}
	var out []store.NotificationDeliveries
	if err := json.NewDecoder(strings.NewReader(r.stdout)).Decode(&out); err != nil {
		t.Errorf("notifications --json: %v\n%s", err, r.stdout)
	}
	return out
}
