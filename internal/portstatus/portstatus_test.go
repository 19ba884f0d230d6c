package portstatus_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/contactcenter/numberporting/internal/portstatus"
	"github.com/contactcenter/numberporting/internal/temporalconn"
	"github.com/contactcenter/numberporting/porting"
)

const (
	taskQueue    = "portstatus-test"
	workflowType = "StatusTest"
	signalEnd    = "end"
	numbers      = 12_000 // three pages of porting.DefaultStatusNumbers
)

// How statusWorkflow ends, as its end signal says.
const (
	endWithStatus    = "with-status"    // a result carrying the final status, as a port-in's does
	endWithoutStatus = "without-status" // a result of an earlier build
	endFailed        = "failed"
)

// statusWorkflow answers the status query as the port workflows do (paged by porting.StatusPage)
// with a status of 12,000 numbers, times in a zone of their own, until its end signal; it then ends
// as the signal says, its history one note longer.
func statusWorkflow(ctx workflow.Context) (porting.PortResult, error) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		return porting.PortResult{}, err
	}
	portDate := time.Date(2026, 12, 15, 10, 0, 0, 0, ny)
	st := porting.Status{
		RequestID: "R-1", Kind: porting.KindPortIn, State: porting.StateScheduled, TimeZone: "America/New_York",
		Groups: []porting.GroupStatus{{Group: "Acme Telecom/did~1", State: porting.StateScheduled, LOAVersion: 2, PortDate: &portDate,
			LastReason: "name <mismatch> & more", Numbers: numbers, WorkflowID: "port-in-R-1.order-1", OrderOf: "Acme Telecom/did"}},
		History: []porting.HistoryEntry{{At: workflow.Now(ctx), State: porting.StateValidating, Note: "requested"}},
		Orders:  1,
	}
	for i := 0; i < numbers; i++ {
		st.Numbers = append(st.Numbers, porting.NumberStatus{E164: fmt.Sprintf("+1415%07d", i), State: porting.StateScheduled, Group: "Acme Telecom/did~1"})
	}
	if err := workflow.SetQueryHandler(ctx, porting.QueryStatus, func(page *porting.StatusPage) (porting.Status, error) {
		s := st
		page.Page(&s)
		return s, nil
	}); err != nil {
		return porting.PortResult{}, err
	}
	var end string
	workflow.GetSignalChannel(ctx, signalEnd).Receive(ctx, &end)
	st.State = porting.StateCompleted
	st.History = append(st.History, porting.HistoryEntry{At: workflow.Now(ctx), State: porting.StateCompleted, Note: "ended " + end})
	res := porting.PortResult{RequestID: st.RequestID, State: st.State, Numbers: st.Numbers}
	switch end {
	case endWithStatus:
		final := st
		final.Numbers = nil
		res.Status = &final
	case endFailed:
		return porting.PortResult{}, temporal.NewApplicationError("failed on purpose", "Test")
	}
	return res, nil
}

// system is a dev server and a worker of statusWorkflow in this process, through clients with the
// porting payload codec.
func system(t *testing.T) (context.Context, client.Client) {
	t.Helper()
	if testing.Short() {
		t.Skip("needs the Temporal dev server: skipped with -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	cli := os.Getenv("TEMPORAL_CLI")
	if cli == "" {
		cli = filepath.Join(moduleRoot(t), "bin", "temporal")
	}
	if _, err := os.Stat(cli); err != nil {
		t.Fatalf("the Temporal CLI is missing at %s (run make bin/temporal, or set TEMPORAL_CLI): %v", cli, err)
	}
	quiet := sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	hostPort := l.Addr().String()
	require.NoError(t, l.Close())
	srv, err := testsuite.StartDevServer(ctx, testsuite.DevServerOptions{
		ExistingPath:  cli,
		ClientOptions: &client.Options{HostPort: hostPort, Namespace: "default", Logger: quiet},
		LogLevel:      "error",
		Stdout:        io.Discard,
		Stderr:        io.Discard,
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Stop() })
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	c, err := temporalconn.Dial(ctx, temporalconn.Config{Address: hostPort, Namespace: "default", PayloadKey: base64.StdEncoding.EncodeToString(key)}, quiet, 30*time.Second)
	require.NoError(t, err)
	t.Cleanup(c.Close)
	w := worker.New(c, taskQueue, worker.Options{})
	w.RegisterWorkflowWithOptions(statusWorkflow, workflow.RegisterOptions{Name: workflowType})
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)
	return ctx, c
}

func moduleRoot(t *testing.T) string {
	dir, err := os.Getwd()
	require.NoError(t, err)
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		require.NotEqual(t, parent, dir, "go.mod not found")
		dir = parent
	}
}

func start(ctx context.Context, t *testing.T, c client.Client, id string) {
	t.Helper()
	_, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: taskQueue}, workflowType)
	require.NoError(t, err)
}

// end signals the workflow to end as how says and waits until it has.
func end(ctx context.Context, t *testing.T, c client.Client, id, how string) {
	t.Helper()
	require.NoError(t, c.SignalWorkflow(ctx, id, "", signalEnd, how))
	_ = c.GetWorkflow(ctx, id, "").Get(ctx, nil)
}

// query is the status query itself (for a closed workflow: replayed by the worker).
func query(ctx context.Context, t *testing.T, c client.Client, id string, page *porting.StatusPage) string {
	t.Helper()
	var args []any
	if page != nil {
		args = append(args, page)
	}
	v, err := c.QueryWorkflow(ctx, id, "", porting.QueryStatus, args...)
	require.NoError(t, err)
	var raw json.RawMessage
	require.NoError(t, v.Get(&raw))
	return string(raw)
}

var pages = []*porting.StatusPage{nil, {Offset: 5000}, {Offset: 10_000}, {Limit: 7}, {Offset: 11_998, Limit: 100}, {Offset: 20_000}}

// requireQuerysPages checks that every page the reader reads is the status query's, and where
// they came from.
func requireQuerysPages(ctx context.Context, t *testing.T, c client.Client, id string, want portstatus.Source) {
	t.Helper()
	r := portstatus.New(c, id)
	for _, page := range pages {
		raw, err := r.Page(ctx, page)
		require.NoError(t, err)
		require.Equal(t, want, r.Source(), "page %+v", page)
		require.Equal(t, query(ctx, t, c, id, page), string(raw), "page %+v", page)
	}
	all, err := portstatus.New(c, id).All(ctx)
	require.NoError(t, err)
	require.Len(t, all.Numbers, numbers)
	require.Zero(t, all.NumbersTotal+all.NumbersOffset+all.NumbersNext)
	first := map[string]any{}
	require.NoError(t, json.Unmarshal([]byte(query(ctx, t, c, id, &porting.StatusPage{Limit: 1})), &first))
	require.Equal(t, first["state"], string(all.State))
	require.Equal(t, fmt.Sprintf("+1415%07d", numbers-1), all.Numbers[numbers-1].E164)
}

// A running workflow's status is its query's; a completed one's comes from its result when the
// result carries it (the same JSON, page by page), else from the query — replayed by the worker —
// as for a workflow that failed or was terminated; no such workflow is NotFound.
func TestReaderReadsTheQueryOrTheResult(t *testing.T) {
	ctx, c := system(t)

	start(ctx, t, c, "running")
	requireQuerysPages(ctx, t, c, "running", portstatus.FromQuery)

	for _, tc := range []struct {
		id, end string
		want    portstatus.Source
	}{
		{"completed", endWithStatus, portstatus.FromResult},
		{"completed-earlier-build", endWithoutStatus, portstatus.FromReplay},
		{"failed", endFailed, portstatus.FromReplay},
	} {
		start(ctx, t, c, tc.id)
		end(ctx, t, c, tc.id, tc.end)
		requireQuerysPages(ctx, t, c, tc.id, tc.want)
	}

	start(ctx, t, c, "terminated")
	query(ctx, t, c, "terminated", nil) // its first workflow task done: a replay can answer
	require.NoError(t, c.TerminateWorkflow(ctx, "terminated", "", "test"))
	requireQuerysPages(ctx, t, c, "terminated", portstatus.FromReplay)

	_, err := portstatus.New(c, "no-such-workflow").Page(ctx, nil)
	var nf *serviceerror.NotFound
	require.True(t, errors.As(err, &nf), "%v", err)
}

// A workflow that completes while its pages are read: the pages after that come from its result.
func TestReaderFollowsAWorkflowThatCompletes(t *testing.T) {
	ctx, c := system(t)
	start(ctx, t, c, "ends-midway")
	r := portstatus.New(c, "ends-midway")
	raw, err := r.Page(ctx, nil)
	require.NoError(t, err)
	require.Equal(t, portstatus.FromQuery, r.Source())
	var first porting.Status
	require.NoError(t, json.Unmarshal(raw, &first))
	require.Equal(t, porting.StateScheduled, first.State)
	require.Equal(t, 5000, first.NumbersNext)

	end(ctx, t, c, "ends-midway", endWithStatus)
	all, err := r.Follow(ctx, first)
	require.NoError(t, err)
	require.Equal(t, portstatus.FromResult, r.Source())
	require.Len(t, all.Numbers, numbers)
	raw, err = r.Page(ctx, &porting.StatusPage{Offset: 5000})
	require.NoError(t, err)
	require.Equal(t, query(ctx, t, c, "ends-midway", &porting.StatusPage{Offset: 5000}), string(raw))
}
