package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/contactcenter/numberporting/activities"
	"github.com/contactcenter/numberporting/internal/pgtest"
	"github.com/contactcenter/numberporting/porting"
	"github.com/contactcenter/numberporting/workflows"
)

// startSystem runs the product as a user does — the dev server, the worker binary on a fresh
// database — and returns the starter binary wired to them, with a context bounded by timeout.
func startSystem(t *testing.T, timeout time.Duration) (context.Context, starter) {
	t.Helper()
	ctx, s, _ := startSystemServer(t, timeout)
	return ctx, s
}

// startSystemServer is startSystem that also hands out the dev server (its client has no payload
// codec: fine for visibility and search attributes, which are never encrypted).
func startSystemServer(t *testing.T, timeout time.Duration) (context.Context, starter, *temporalServer) {
	t.Helper()
	if testing.Short() {
		t.Skip("e2e: skipped with -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	root := moduleRoot(t)
	cli := temporalCLI(t, root)
	bins := buildBinaries(ctx, t, root)
	dbURL := pgtest.NewURL(t)
	srv := startDevServer(ctx, t, cli)
	env := []string{
		"TEMPORAL_ADDRESS=" + srv.FrontendHostPort(),
		"TEMPORAL_NAMESPACE=" + srv.Namespace(),
		"DATABASE_URL=" + dbURL,
	}
	startWorker(ctx, t, bins.worker, env, srv.Client())
	return ctx, starter{bin: bins.starter, env: env}, srv
}

// waitState polls `status --json` until the port is in state want.
func (s starter) waitState(ctx context.Context, t *testing.T, workflowID string, want porting.State, within time.Duration) porting.Status {
	t.Helper()
	var last porting.Status
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		st, err := s.status(ctx, workflowID)
		require.NoError(c, err)
		require.Equal(c, want, st.State, "history: %+v", st.History)
		last = st
	}, within, 300*time.Millisecond, "waiting for %s to reach %s", workflowID, want)
	return last
}

// startRecordingWorker runs the dev server and a worker in this process on a fresh database, for
// recording replay histories (plain payloads: the recorded histories hold only test data).
func startRecordingWorker(t *testing.T) (context.Context, client.Client, *sqlx.DB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	srv := startDevServer(ctx, t, temporalCLI(t, moduleRoot(t)))
	db := pgtest.New(t)
	w := worker.New(srv.Client(), porting.TaskQueue, worker.Options{})
	workflows.Register(w)
	w.RegisterActivity(&activities.Activities{DB: db})
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)
	return ctx, srv.Client(), db
}
