package notifier_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	prom "github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/contactcenter/numberporting/internal/metrics"
	"github.com/contactcenter/numberporting/internal/pgtest"
	"github.com/contactcenter/numberporting/notifier"
	"github.com/contactcenter/numberporting/porting"
	"github.com/contactcenter/numberporting/store"
)

var ctx = context.Background()

const secret = "whsec-0123456789abcdef"

var seq atomic.Int64

// env is a fresh database with an instance and a recorded port-in on it.
type env struct {
	url string
	db  *sqlx.DB
	arn string
	wf  string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{url: pgtest.NewURL(t)}
	e.db = e.open(t)
	n := seq.Add(1)
	e.arn = fmt.Sprintf("arn:aws:connect:us-east-1:123456789012:instance/notify-%d", n)
	_, err := store.AddInstance(ctx, e.db, store.Instance{ARN: e.arn})
	require.NoError(t, err)
	require.NoError(t, store.AddContactFlow(ctx, e.db, e.arn, "Main", true))
	id := fmt.Sprintf("NTF-%d", n)
	e.wf = porting.PortInWorkflowID(id)
	_, err = store.RecordPortIn(ctx, e.db, e.wf, porting.KindPortIn, porting.PortInRequest{
		RequestID: id, InstanceARN: e.arn, ContactFlow: "Main",
		Numbers:           []porting.PortNumber{{E164: fmt.Sprintf("+1212557%04d", n), Type: porting.NumberTypeDID, Carrier: "Acme"}},
		AuthorizedContact: porting.Contact{Name: "Pat Doe", Email: "pat@example.com"},
	})
	require.NoError(t, err)
	return e
}

// open is a connection pool of its own (one per notifier: a "crashed" notifier's pool is closed).
func (e *env) open(t *testing.T) *sqlx.DB {
	t.Helper()
	db, err := sqlx.Open("postgres", e.url)
	require.NoError(t, err)
	db.SetMaxOpenConns(10)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func (e *env) subscribe(t *testing.T, in store.SubscriptionInput) {
	t.Helper()
	in.InstanceARN = e.arn
	_, err := store.AddSubscription(ctx, e.db, in)
	require.NoError(t, err)
}

// queue puts n notifications for recipient in the outbox, as activities.Notify does; it returns
// their identities.
func (e *env) queue(t *testing.T, n int, recipient, kind string) []string {
	t.Helper()
	var ids []string
	for i := range n {
		key := fmt.Sprintf("%s/%d", kind, i)
		require.NoError(t, store.QueueNotification(ctx, e.db, store.Notification{
			WorkflowID: e.wf, Key: key, Kind: kind, Recipient: recipient,
			Subject: fmt.Sprintf("%s #%d", kind, i), Body: fmt.Sprintf("Body of %s #%d.", kind, i),
		}))
		ids = append(ids, store.NotificationIdentity(e.wf, key))
	}
	return ids
}

// deliveries counts the deliveries in state (any state: "").
func (e *env) deliveries(t *testing.T, state string) int {
	t.Helper()
	if state == "" {
		return pgtest.Count(t, e.db, "notification_deliveries", "")
	}
	return pgtest.Count(t, e.db, "notification_deliveries", "state = $1", state)
}

// fastConfig is the defaults with test timings: polls every 20 ms, retries after 50–100 ms.
func fastConfig() notifier.Config {
	c := notifier.Defaults()
	c.Poll = 20 * time.Millisecond
	c.Timeout = time.Second
	c.Lease = 3 * time.Second
	c.Backoff = notifier.Exponential(50*time.Millisecond, 100*time.Millisecond)
	return c
}

func testLogger(t *testing.T) *slog.Logger {
	if testing.Verbose() && os.Getenv("NOTIFIER_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// run starts a notifier on db until the test ends (or stop is called); it returns stop, which
// waits for the notifier to return.
func run(t *testing.T, db *sqlx.DB, cfg notifier.Config, m *metrics.Notifier) (stop func()) {
	t.Helper()
	n, err := notifier.New(db, cfg, testLogger(t), m)
	require.NoError(t, err)
	runCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		n.Run(runCtx)
	}()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); wg.Wait() }) }
	t.Cleanup(stop)
	return stop
}

// counter sums a counter's samples in reg whose labels include want.
func counter(t *testing.T, reg *prom.Registry, name string, want map[string]string) float64 {
	t.Helper()
	families, err := reg.Gather()
	require.NoError(t, err)
	total := 0.0
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	metric:
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			for k, v := range want {
				if labels[k] != v {
					continue metric
				}
			}
			if c := m.GetCounter(); c != nil {
				total += c.GetValue()
			}
			if h := m.GetHistogram(); h != nil {
				total += float64(h.GetSampleCount())
			}
		}
	}
	return total
}
