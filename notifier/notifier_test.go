package notifier_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	prom "github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactcenter/numberporting/internal/metrics"
	"github.com/contactcenter/numberporting/internal/notifytest"
	"github.com/contactcenter/numberporting/notifier"
	"github.com/contactcenter/numberporting/store"
)

func TestSignKnownAnswer(t *testing.T) {
	// printf '%s' '1700000000.{"id":"ntf_x"}' | openssl dgst -sha256 -hmac 'whsec-0123456789abcdef'
	const want = "t=1700000000,v1=cb2bb26cf1381fbbf596e8ba3c92f1f4f2f3e6e0a5015fc58ceb588d535f23f2"
	body := []byte(`{"id":"ntf_x"}`)
	require.Equal(t, want, notifier.Sign(secret, 1700000000, body))

	now := time.Unix(1700000010, 0)
	require.NoError(t, notifier.Verify(want, body, secret, now, 5*time.Minute))
	require.NoError(t, notifier.Verify("t=1700000000,v1=00,v1="+strings.TrimPrefix(want, "t=1700000000,v1="), body, secret, now, 0),
		"any v1 may match (secret rotation)")
	require.ErrorContains(t, notifier.Verify(want, []byte(`{"id":"ntf_y"}`), secret, now, 0), "no v1 signature matches")
	require.ErrorContains(t, notifier.Verify(want, body, secret+"x", now, 0), "no v1 signature matches")
	require.ErrorContains(t, notifier.Verify(want, body, secret, now.Add(time.Hour), 5*time.Minute), "tolerance")
	require.ErrorContains(t, notifier.Verify("v1=abc", body, secret, now, 0), "want t=")
}

func TestWebhookSignedByteForByte(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rx := notifytest.NewWebhook(t, secret)
	e.subscribe(t, store.SubscriptionInput{Webhook: rx.URL, Secret: secret})
	require.NoError(t, store.QueueNotification(ctx, e.db, store.Notification{
		WorkflowID: e.wf, Key: "scheduled/Acme/did/1", Kind: "port_scheduled", Recipient: store.RecipientCustomer,
		Subject: "Port date set: Mon 14 Dec — «Acme»", Body: "Your numbers port on 2026-12-14T10:00:00-05:00.\nLine two, \"quoted\" & <tagged>.",
	}))
	run(t, e.db, fastConfig(), nil)

	require.Eventually(t, func() bool { return e.deliveries(t, store.DeliveryDelivered) == 1 }, 10*time.Second, 20*time.Millisecond)
	reqs := rx.Requests()
	require.Len(t, reqs, 1)
	r := reqs[0]
	require.NoError(t, r.SignatureErr)
	id := store.NotificationIdentity(e.wf, "scheduled/Acme/did/1")
	require.Equal(t, id, r.IdempotencyKey)
	require.Equal(t, "1", r.Attempt)
	require.Equal(t, "/porting/notifications", r.Path)

	// The body is exactly the contract's seven fields.
	var createdAt time.Time
	pgtestGet(t, e, &createdAt, `SELECT created_at FROM notifications WHERE key = 'scheduled/Acme/did/1'`)
	var body map[string]any
	require.NoError(t, json.Unmarshal(r.Body, &body))
	require.Equal(t, map[string]any{
		"id": id, "workflow_id": e.wf, "kind": "port_scheduled", "recipient": "customer",
		"subject": "Port date set: Mon 14 Dec — «Acme»", "body": "Your numbers port on 2026-12-14T10:00:00-05:00.\nLine two, \"quoted\" & <tagged>.",
		"created_at": createdAt.UTC().Format(time.RFC3339Nano),
	}, body)
	parsed, err := time.Parse(time.RFC3339, body["created_at"].(string))
	require.NoError(t, err)
	require.True(t, parsed.Equal(createdAt))

	// The notifier's own Verify agrees with the receiver's independent check.
	require.NoError(t, notifier.Verify(r.Signature, r.Body, secret, time.Now(), time.Minute))
}

func pgtestGet(t *testing.T, e *env, dest any, query string) {
	t.Helper()
	require.NoError(t, e.db.GetContext(ctx, dest, query))
}

func TestEmailOverSMTP(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	mx := notifytest.NewSMTP(t)
	mx.RejectNext(1) // the first message is refused for now (451): retried, then accepted
	e.subscribe(t, store.SubscriptionInput{Email: "pat@example.com"})
	cfg := fastConfig()
	cfg.SMTPAddr, cfg.SMTPFrom = mx.Addr, "Number Porting <porting@example.com>"
	cfg.OperationsEmails = []string{"noc@example.com"}
	customer := e.queue(t, 1, store.RecipientCustomer, "loa_requested")[0]
	ops := e.queue(t, 1, store.RecipientOperations, "port_failed")[0]
	run(t, e.db, cfg, nil)

	require.Eventually(t, func() bool { return e.deliveries(t, store.DeliveryDelivered) == 2 }, 10*time.Second, 20*time.Millisecond)
	require.Equal(t, 1, mx.Rejected())
	msgs := mx.Messages()
	require.Len(t, msgs, 2, "each accepted once")
	byTo := map[string]notifytest.Message{}
	for _, m := range msgs {
		require.Len(t, m.To, 1)
		byTo[m.To[0]] = m
	}
	for to, id := range map[string]string{"pat@example.com": customer, "noc@example.com": ops} {
		m, ok := byTo[to]
		require.True(t, ok, "no message to %s", to)
		require.Equal(t, "porting@example.com", m.From)
		require.Equal(t, `"Number Porting" <porting@example.com>`, m.Header.Get("From"))
		require.Equal(t, to, m.Header.Get("To"))
		require.Equal(t, "<"+id+"@example.com>", m.Header.Get("Message-Id"))
		require.Equal(t, notifier.MessageID(id, "porting@example.com"), m.Header.Get("Message-Id"))
		require.Equal(t, id, m.Header.Get("Idempotency-Key"))
		require.Equal(t, "auto-generated", m.Header.Get("Auto-Submitted"))
		require.Contains(t, m.Body, "Notification: "+id)
		require.Contains(t, m.Body, "Port: "+e.wf)
	}
	require.Equal(t, "loa_requested #0", byTo["pat@example.com"].Subject)
	require.Contains(t, byTo["pat@example.com"].Body, "Body of loa_requested #0.")
	require.Equal(t, "port_failed #0", byTo["noc@example.com"].Subject)

	var attempts []int
	require.NoError(t, e.db.SelectContext(ctx, &attempts, `SELECT attempts FROM notification_deliveries ORDER BY attempts`))
	require.Equal(t, []int{1, 2}, attempts, "the refused one took a second attempt")
}

func TestReceiverDownThenUpGetsEachOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rx := notifytest.NewWebhook(t, secret)
	e.subscribe(t, store.SubscriptionInput{Webhook: rx.URL, Secret: secret})
	rx.Refuse()
	ids := e.queue(t, 30, store.RecipientCustomer, "loa_requested")
	reg := prom.NewRegistry()
	start := time.Now()
	run(t, e.db, fastConfig(), metrics.NewNotifier(reg, nil))

	// Down: connections refused for a while, then 503 for a while.
	require.Eventually(t, func() bool {
		return pgtest0(t, e, `SELECT count(*) FROM notification_deliveries WHERE attempts >= 3`) == 30
	}, 20*time.Second, 20*time.Millisecond)
	rx.Fail(http.StatusServiceUnavailable)
	require.NoError(t, rx.Up())
	rx.Fail(http.StatusServiceUnavailable)
	require.Eventually(t, func() bool { return len(rx.Requests()) >= 60 }, 20*time.Second, 20*time.Millisecond)
	require.NoError(t, rx.Up())

	require.Eventually(t, func() bool { return e.deliveries(t, store.DeliveryDelivered) == 30 }, 20*time.Second, 20*time.Millisecond)
	took := time.Since(start)
	accepted := rx.Accepted()
	require.Len(t, accepted, 30)
	for _, id := range ids {
		require.Equal(t, 1, accepted[id], "notification %s accepted once", id)
	}
	require.Empty(t, rx.BadSignatures())
	// Every attempt of a notification carried the same body (only the signature's t may change).
	bodies := map[string]string{}
	for _, r := range rx.Requests() {
		if prev, ok := bodies[r.IdempotencyKey]; ok {
			require.Equal(t, prev, string(r.Body))
		}
		bodies[r.IdempotencyKey] = string(r.Body)
	}
	var total int
	pgtestGet(t, e, &total, `SELECT sum(attempts) FROM notification_deliveries`)
	// The notifier counts an attempt just after its outcome is committed: wait for the last ones.
	require.Eventually(t, func() bool {
		return counter(t, reg, metrics.NotificationDeliveries, map[string]string{"outcome": "delivered", "channel": "webhook", "recipient": "customer"}) == 30 &&
			counter(t, reg, metrics.NotificationDeliverySeconds, map[string]string{"channel": "webhook"}) == 30
	}, 5*time.Second, 10*time.Millisecond)
	retried := counter(t, reg, metrics.NotificationDeliveries, map[string]string{"outcome": "retried"})
	delivered := counter(t, reg, metrics.NotificationDeliveries, map[string]string{"outcome": "delivered", "channel": "webhook", "recipient": "customer"})
	require.Equal(t, 30.0, delivered)
	require.Equal(t, float64(total-30), retried)
	require.Equal(t, 30.0, counter(t, reg, metrics.NotificationDeliverySeconds, map[string]string{"channel": "webhook"}))
	t.Logf("receiver down then up: 30 notifications, %d attempts (%d refused or 503), %d requests reached the receiver, "+
		"each accepted once; all delivered %s after the start", total, total-30, len(rx.Requests()), took.Round(time.Millisecond))
}

func pgtest0(t *testing.T, e *env, query string) int {
	t.Helper()
	var n int
	if err := e.db.GetContext(ctx, &n, query); err != nil {
		t.Error(err)
	}
	return n
}

func TestTwoNotifiersNeverDoubleDeliver(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a, b := notifytest.NewWebhook(t, secret), notifytest.NewWebhook(t, secret)
	a.Slow(2 * time.Millisecond)
	b.Slow(2 * time.Millisecond)
	e.subscribe(t, store.SubscriptionInput{Webhook: a.URL + "?rx=a", Secret: secret})
	e.subscribe(t, store.SubscriptionInput{Webhook: b.URL + "?rx=b", Secret: secret})
	const n = 150
	ids := e.queue(t, n, store.RecipientCustomer, "port_scheduled")
	start := time.Now()
	run(t, e.open(t), fastConfig(), nil)
	run(t, e.open(t), fastConfig(), nil)

	require.Eventually(t, func() bool { return e.deliveries(t, store.DeliveryDelivered) == 2*n }, 60*time.Second, 50*time.Millisecond)
	took := time.Since(start)
	for name, rx := range map[string]*notifytest.Webhook{"a": a, "b": b} {
		reqs := rx.Requests()
		require.Len(t, reqs, n, "receiver %s: one request per notification, on the wire", name)
		seen := map[string]int{}
		for _, r := range reqs {
			require.NoError(t, r.SignatureErr)
			seen[r.IdempotencyKey]++
		}
		for _, id := range ids {
			require.Equal(t, 1, seen[id], "receiver %s, notification %s", name, id)
		}
	}
	var claimers []string
	require.NoError(t, e.db.SelectContext(ctx, &claimers, `SELECT DISTINCT claimed_by FROM notification_deliveries`))
	require.Len(t, claimers, 2, "both notifiers delivered some")
	var perClaimer []int
	require.NoError(t, e.db.SelectContext(ctx, &perClaimer, `SELECT count(*) FROM notification_deliveries GROUP BY claimed_by ORDER BY 1`))
	require.Equal(t, 0, pgtest0(t, e, `SELECT count(*) FROM notification_deliveries WHERE attempts <> 1`))
	t.Logf("two notifiers: %d deliveries (%d notifications × 2 webhooks) in %s, split %v, each sent once on the wire",
		2*n, n, took.Round(time.Millisecond), perClaimer)
}

// A notifier dies after its request reached the receiver but before it recorded the outcome: its
// claim's lease ends, another notifier sends it again — with the same Idempotency-Key and body.
func TestCrashMidClaimRedeliversWithSameKey(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rx := notifytest.NewWebhook(t, secret)
	e.subscribe(t, store.SubscriptionInput{Webhook: rx.URL, Secret: secret})
	id := e.queue(t, 1, store.RecipientCustomer, "finished")[0]

	cfg := fastConfig()
	cfg.Timeout, cfg.Lease = 300*time.Millisecond, time.Second
	// Notifier A "crashes" on its first request: its database goes away while the receiver holds
	// the request, so it can no longer record anything (as a killed process would not).
	dbA := e.open(t)
	rx.OnRequest(func(notifytest.Request) { _ = dbA.Close() })
	stopA := run(t, dbA, cfg, nil)
	require.Eventually(t, func() bool { return len(rx.Requests()) == 1 }, 10*time.Second, 5*time.Millisecond)
	rx.OnRequest(nil)
	stopA()
	first := rx.Requests()[0]

	var claimedBy string
	var attempts int
	require.NoError(t, e.db.QueryRowxContext(ctx, `SELECT claimed_by, attempts FROM notification_deliveries`).Scan(&claimedBy, &attempts))
	require.Equal(t, 1, attempts)

	// Notifier B takes it over once the lease has ended.
	run(t, e.open(t), cfg, nil)
	require.Eventually(t, func() bool { return e.deliveries(t, store.DeliveryDelivered) == 1 }, 10*time.Second, 10*time.Millisecond)
	reqs := rx.Requests()
	require.Len(t, reqs, 2)
	second := reqs[1]
	require.Equal(t, id, first.IdempotencyKey)
	require.Equal(t, id, second.IdempotencyKey, "the same Idempotency-Key on the redelivery")
	require.Equal(t, string(first.Body), string(second.Body), "the same body")
	require.Equal(t, "2", second.Attempt)
	require.NoError(t, second.SignatureErr)
	gap := second.At.Sub(first.At)
	require.GreaterOrEqual(t, gap, cfg.Lease-50*time.Millisecond, "not before A's lease ended")
	require.Equal(t, map[string]int{id: 2}, rx.Accepted(), "twice on the wire, once by key")
	var newClaimer string
	pgtestGet(t, e, &newClaimer, `SELECT claimed_by FROM notification_deliveries`)
	require.NotEqual(t, claimedBy, newClaimer)
	t.Logf("crash mid-claim: redelivered %s after the first attempt (lease %s), same Idempotency-Key %s, attempt 2",
		gap.Round(time.Millisecond), cfg.Lease, id)
}

func TestRetryWindowRunsOutToFailed(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rx := notifytest.NewWebhook(t, secret)
	rx.Fail(http.StatusInternalServerError)
	e.subscribe(t, store.SubscriptionInput{Webhook: rx.URL, Secret: secret})
	e.queue(t, 1, store.RecipientCustomer, "loa_requested")
	cfg := fastConfig()
	// "24 hours" of 100 ms backoffs, shrunk to 800 ms.
	cfg.RetryFor = 800 * time.Millisecond
	cfg.Backoff = func(int) time.Duration { return 100 * time.Millisecond }
	reg := prom.NewRegistry()
	start := time.Now()
	run(t, e.db, cfg, metrics.NewNotifier(reg, nil))

	require.Eventually(t, func() bool { return e.deliveries(t, store.DeliveryFailed) == 1 }, 10*time.Second, 20*time.Millisecond)
	took := time.Since(start)
	got, _, err := store.NotificationsOf(ctx, e.db, e.wf)
	require.NoError(t, err)
	d := got[0].Deliveries[0]
	require.GreaterOrEqual(t, d.Attempts, 4)
	require.Contains(t, d.LastError, "HTTP 500 Internal Server Error")
	require.Len(t, rx.Requests(), d.Attempts)
	// The notifier counts the attempt just after its outcome is committed: wait for it.
	require.Eventually(t, func() bool {
		return counter(t, reg, metrics.NotificationDeliveriesFailed, map[string]string{"channel": "webhook", "recipient": "customer"}) == 1
	}, 5*time.Second, 10*time.Millisecond)
	require.Equal(t, 1.0, counter(t, reg, metrics.NotificationDeliveriesFailed, map[string]string{"channel": "webhook", "recipient": "customer"}))
	require.Equal(t, 0.0, counter(t, reg, metrics.NotificationDeliveriesFailed, map[string]string{"channel": "email"}), "present at 0")
	require.Equal(t, float64(d.Attempts-1), counter(t, reg, metrics.NotificationDeliveries, map[string]string{"outcome": "retried"}))

	// Failed is final: the receiver coming back changes nothing.
	require.NoError(t, rx.Up())
	require.Never(t, func() bool { return len(rx.Requests()) > d.Attempts }, 300*time.Millisecond, 20*time.Millisecond,
		"nothing more is sent")
	t.Logf("retry window of %s: %d attempts, then failed (%s)", cfg.RetryFor, d.Attempts, took.Round(time.Millisecond))
}

func TestOperationsAndCarrierRouting(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	customer := notifytest.NewWebhook(t, secret)
	const opsSecret = "ops-secret-0123456789"
	ops := notifytest.NewWebhook(t, opsSecret)
	e.subscribe(t, store.SubscriptionInput{Webhook: customer.URL, Secret: secret})
	cfg := fastConfig()
	cfg.OperationsWebhookURL, cfg.OperationsWebhookSecret = ops.URL, opsSecret
	c := e.queue(t, 2, store.RecipientCustomer, "port_scheduled")
	o := e.queue(t, 3, store.RecipientOperations, "provisioning_blocked")
	e.queue(t, 1, store.RecipientCarrier, "port_out_approved")
	run(t, e.db, cfg, nil)

	require.Eventually(t, func() bool { return e.deliveries(t, store.DeliveryDelivered) == 5 }, 10*time.Second, 20*time.Millisecond)
	assert.Equal(t, map[string]int{c[0]: 1, c[1]: 1}, customer.Accepted())
	assert.Equal(t, map[string]int{o[0]: 1, o[1]: 1, o[2]: 1}, ops.Accepted())
	for _, r := range ops.Requests() {
		assert.Equal(t, "operations", r.Payload["recipient"])
	}
	assert.Equal(t, 1, pgtest0(t, e, `SELECT count(*) FROM notifications WHERE sent_at IS NULL AND recipient = 'carrier'`),
		"the carrier's notification is left to the carrier gateway")
}

// A receiver slower than the timeout is a failed attempt, and a redirect is not followed.
func TestTimeoutsAndRedirects(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	slow := notifytest.NewWebhook(t, secret)
	slow.Slow(time.Second)
	redirect := notifytest.NewWebhook(t, secret)
	redirect.Fail(http.StatusFound)
	e.subscribe(t, store.SubscriptionInput{Webhook: slow.URL, Secret: secret})
	e.subscribe(t, store.SubscriptionInput{Webhook: redirect.URL, Secret: secret})
	e.queue(t, 1, store.RecipientCustomer, "finished")
	cfg := fastConfig()
	cfg.Timeout = 200 * time.Millisecond
	run(t, e.db, cfg, nil)

	require.Eventually(t, func() bool {
		return pgtest0(t, e, `SELECT count(*) FROM notification_deliveries WHERE attempts >= 2`) == 2
	}, 10*time.Second, 20*time.Millisecond)
	var errs []string
	require.NoError(t, e.db.SelectContext(ctx, &errs, `SELECT last_error FROM notification_deliveries ORDER BY target = $1`, slow.URL))
	assert.Contains(t, errs[0], "HTTP 302 Found")
	assert.Contains(t, errs[1], "no answer within 200ms (PORTING_NOTIFIER_TIMEOUT)")

	slow.Slow(0)
	require.NoError(t, redirect.Up())
	require.Eventually(t, func() bool { return e.deliveries(t, store.DeliveryDelivered) == 2 }, 10*time.Second, 20*time.Millisecond)
}
