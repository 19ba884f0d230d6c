package e2e

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactcenter/numberporting/internal/pgtest"
	"github.com/contactcenter/numberporting/internal/tracing/otlptest"
	"github.com/contactcenter/numberporting/porting"
)

// TestTracingFollowsAPortAcrossProcesses runs the real worker and starter with
// OTEL_EXPORTER_OTLP_ENDPOINT pointing at an OTLP receiver in the test, and follows one port-in:
// the starter's command span, the workflow's spans, its activities' and their Postgres statements'
// are one trace, across the processes (the worker exporting over gRPC, the starter over HTTP). The
// starter's spans are there when it has exited. The first worker is stopped half-way (its spans must be
// flushed at shutdown) and a second one replays the port and finishes it (a replay must not report
// the steps again). No span carries a number, the PIN or the account number.
func TestTracingFollowsAPortAcrossProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("e2e: skipped with -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	t.Cleanup(cancel)
	root := moduleRoot(t)
	bins := buildBinaries(ctx, t, root)
	dbURL := pgtest.NewURL(t)
	srv := startDevServer(ctx, t, temporalCLI(t, root))
	rcv := otlptest.Start(t)
	env := []string{
		"TEMPORAL_ADDRESS=" + srv.FrontendHostPort(),
		"TEMPORAL_NAMESPACE=" + srv.Namespace(),
		"DATABASE_URL=" + dbURL,
		"OTEL_TRACES_SAMPLER=parentbased_always_on",
		"OTEL_BSP_SCHEDULE_DELAY=200", // ms: the worker's spans arrive while the test waits
	}
	// Both OTLP protocols: the worker's spans over gRPC, the starter's over HTTP.
	workerEnv := append(slices.Clone(env), "OTEL_EXPORTER_OTLP_ENDPOINT="+rcv.GRPCEndpoint, "OTEL_EXPORTER_OTLP_PROTOCOL=grpc")
	s := starter{bin: bins.starter, env: append(env, "OTEL_EXPORTER_OTLP_ENDPOINT="+rcv.HTTPEndpoint, "OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf")}

	const (
		requestID     = "E2E-TRACE"
		workflowID    = "port-in-" + requestID
		pin           = "73920481"
		accountNumber = "ACCT-42" // loa()'s
	)
	t.Run("first worker: start the port", func(t *testing.T) {
		// The worker runs for this subtest only: its cleanup stops it (SIGTERM), half-way through the port.
		workerLog := startWorkerLogged(ctx, t, bins.worker, workerEnv, srv.Client())
		s.ok(ctx, t, "instance", "add", "--arn", instanceARN,
			"--owner-name", "Ada Lovelace", "--address", "1 Main St, Springfield", "--billing-contact", "billing@example.com")
		s.ok(ctx, t, "flow", "add", "--instance", instanceARN, "--name", publishedFlow)
		r := s.ok(ctx, t, "port-in", "--file", writeJSON(t, "port-in.json", portInRequest(requestID, publishedFlow, number1, number2)))
		require.Equal(t, workflowID, strings.TrimSpace(r.stdout))
		// The starter flushed its spans before it exited: they are here already.
		portIn := traceOf(rcv.Spans(), "starter port-in")
		require.NotNil(t, portIn.root, "the starter's spans were not exported before it exited")
		s.waitState(ctx, t, workflowID, porting.StateAwaitingLOA, time.Minute)

		// The worker's log lines of workflow code carry the trace: log and trace meet.
		logText, err := os.ReadFile(workerLog)
		require.NoError(t, err)
		assert.Contains(t, string(logText), `"TraceID":"`+portIn.root.TraceID+`"`, "the worker's log names the port's trace ID")
	})
	if t.Failed() {
		t.FailNow()
	}

	// A second worker takes the port up from its history (a replay), sends the LOA — with a PIN — to
	// the carrier and cancels the port, which ends the workflow and so its RunWorkflow span.
	secondWorkerLog := startWorkerLogged(ctx, t, bins.worker, workerEnv, srv.Client())
	l := loa("loa-v1.pdf")
	l.PIN = pin
	s.ok(ctx, t, "submit-loa", "--workflow", workflowID, "--group", group, "--file", writeJSON(t, "loa.json", l))
	s.waitState(ctx, t, workflowID, porting.StateAwaitingCarrier, time.Minute)
	s.ok(ctx, t, "cancel", "--workflow", workflowID, "--reason", "tracing test", "--by", "e2e")
	s.waitState(ctx, t, workflowID, porting.StateCancelled, time.Minute)

	// The port-in command's trace.
	var tr trace
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		tr = traceOf(rcv.Spans(), "starter port-in")
		require.NotNil(c, tr.root, "no span named \"starter port-in\"")
		require.Len(c, pids(tr.named("RunWorkflow:PortIn")), 2, "a RunWorkflow span from each worker")
		require.NotEmpty(c, tr.named("RunActivity:FinishPortRequest"), "the port's last activity")
	}, 30*time.Second, 200*time.Millisecond)
	defer func() {
		if t.Failed() {
			t.Logf("spans received:\n%s", dump(rcv.Spans()))
			t.Logf("second worker's log:\n%s", tail(secondWorkerLog, 200))
		}
	}()

	// starter port-in → StartWorkflow:PortIn (starter) → RunWorkflow:PortIn (worker) → StartActivity:RecordPortIn
	// → RunActivity:RecordPortIn → sql.* (worker, Postgres).
	assert.Equal(t, "porting-starter", tr.root.Service)
	assert.Empty(t, tr.root.ParentSpanID, "the starter's command span is the root")
	assert.Equal(t, "0", tr.root.Attributes["process.exit.code"])
	start := tr.one(t, "StartWorkflow:PortIn")
	assert.Equal(t, "porting-starter", start.Service)
	assert.Equal(t, tr.root.SpanID, start.ParentSpanID)
	assert.Equal(t, workflowID, start.Attributes["temporalWorkflowID"])
	validation := tr.one(t, "UpdateWorkflow:await-validation")
	assert.Equal(t, tr.root.SpanID, validation.ParentSpanID)

	// A RunWorkflow span from each worker that ran the port: the first one's ended when that worker
	// stopped (and was flushed at its shutdown), the second one's when the port ended. (The
	// interceptor begins RunWorkflow anew whenever a worker takes a port up from its history.)
	runs := tr.named("RunWorkflow:PortIn")
	workers := pids(runs)
	assert.Len(t, workers, 2, "the first worker's RunWorkflow span was flushed at its shutdown")
	for _, run := range runs {
		assert.Equal(t, "porting-worker", run.Service)
		assert.Equal(t, start.SpanID, run.ParentSpanID, "RunWorkflow continues the starter's StartWorkflow")
	}

	// (The portability check runs inside RecordPortIn: versionActionCost.)
	for _, typ := range []string{"RecordPortIn", "SubmitLOA", "FinishPortRequest"} {
		act := tr.one(t, "RunActivity:"+typ)
		assert.Equal(t, "porting-worker", act.Service)
		sched := tr.byID[act.ParentSpanID]
		assert.Equal(t, "StartActivity:"+typ, sched.Name, "RunActivity:%s under its StartActivity", typ)
		assert.Equal(t, "RunWorkflow:PortIn", tr.byID[sched.ParentSpanID].Name, "StartActivity:%s under the workflow's span", typ)

		var statements []otlptest.Span
		for _, sp := range tr.children(act.SpanID) {
			if sp.Scope == "github.com/XSAM/otelsql" {
				statements = append(statements, sp)
			}
		}
		require.NotEmpty(t, statements, "Postgres spans under RunActivity:%s", typ)
		for _, st := range statements {
			assert.Equal(t, "postgresql", st.Attributes["db.system.name"])
			assert.True(t, strings.HasPrefix(st.Name, "sql."), "named by operation: %s", st.Name)
		}
	}
	// The LOA (with its PIN) reached Postgres: the statement is there, with placeholders for the values.
	var loaInsert bool
	for _, sp := range tr.children(tr.one(t, "RunActivity:SubmitLOA").SpanID) {
		if q := sp.Attributes["db.query.text"]; strings.Contains(q, "INSERT INTO loa_versions") {
			loaInsert = true
			assert.Contains(t, q, "$8", "pin_hash is a parameter")
		}
	}
	assert.True(t, loaInsert, "the LOA's INSERT under RunActivity:SubmitLOA")

	// No replay reports a step again: each StartActivity span is followed by its activity's run (the
	// second worker replayed RecordPortIn, CheckPortability, Notify… without a span).
	for _, sched := range tr.prefixed("StartActivity:") {
		assert.NotEmpty(t, tr.children(sched.SpanID), "%s has no RunActivity: reported again by a replay", sched.Name)
	}

	// Each command is a trace of its own, the workflow side of its update continuing it.
	loaTrace := traceOf(rcv.Spans(), "starter submit-loa")
	require.NotNil(t, loaTrace.root)
	upd := loaTrace.one(t, "UpdateWorkflow:submit-loa")
	assert.Equal(t, loaTrace.root.SpanID, upd.ParentSpanID)
	validate := loaTrace.one(t, "ValidateUpdate:submit-loa")
	assert.Equal(t, "porting-worker", validate.Service)
	assert.Equal(t, upd.SpanID, validate.ParentSpanID)
	// HandleUpdate, like RunWorkflow, is begun again by a replay of the port: at least one.
	handles := loaTrace.named("HandleUpdate:submit-loa")
	require.NotEmpty(t, handles)
	for _, h := range handles {
		assert.Equal(t, upd.SpanID, h.ParentSpanID)
	}

	// The starter's own Postgres statements (inventory commands) are under its command span.
	inv := traceOf(rcv.Spans(), "starter instance add")
	require.NotNil(t, inv.root)
	var invSQL int
	for _, sp := range inv.children(inv.root.SpanID) {
		if sp.Scope == "github.com/XSAM/otelsql" {
			invSQL++
			assert.Equal(t, "porting-starter", sp.Service)
		}
	}
	assert.Positive(t, invSQL, "Postgres spans under starter instance add")

	// Nothing secret, nor any number, in any span of any trace.
	secrets := []string{pin, accountNumber, "4155550199" /* the authorized contact's phone */}
	for _, n := range []string{number1, number2} {
		secrets = append(secrets, strings.TrimPrefix(n, "+1"))
	}
	for _, sp := range rcv.Spans() {
		text := fmt.Sprint(sp.Name, sp.Attributes, sp.Events, sp.StatusMessage)
		for _, secret := range secrets {
			assert.NotContains(t, text, secret, "span %s", sp)
		}
	}
}

// pids are the worker processes (process.pid) the spans come from.
func pids(spans []otlptest.Span) map[string]bool {
	out := map[string]bool{}
	for _, sp := range spans {
		out[sp.Resource["process.pid"]] = true
	}
	return out
}

// trace is the spans of one trace, indexed.
type trace struct {
	root  *otlptest.Span
	spans []otlptest.Span
	byID  map[string]otlptest.Span
}

// traceOf finds the trace whose root span is named rootName (the first one) and its spans.
func traceOf(all []otlptest.Span, rootName string) trace {
	tr := trace{byID: map[string]otlptest.Span{}}
	for i := range all {
		if all[i].Name == rootName && all[i].ParentSpanID == "" {
			tr.root = &all[i]
			break
		}
	}
	if tr.root == nil {
		return tr
	}
	for _, sp := range all {
		if sp.TraceID == tr.root.TraceID {
			tr.spans = append(tr.spans, sp)
			tr.byID[sp.SpanID] = sp
		}
	}
	return tr
}

func (tr trace) named(name string) []otlptest.Span {
	var out []otlptest.Span
	for _, sp := range tr.spans {
		if sp.Name == name {
			out = append(out, sp)
		}
	}
	return out
}

func (tr trace) prefixed(prefix string) []otlptest.Span {
	var out []otlptest.Span
	for _, sp := range tr.spans {
		if strings.HasPrefix(sp.Name, prefix) {
			out = append(out, sp)
		}
	}
	return out
}

// one is the only span of that name; the test fails otherwise.
func (tr trace) one(t *testing.T, name string) otlptest.Span {
	t.Helper()
	got := tr.named(name)
	require.Len(t, got, 1, "spans named %q", name)
	return got[0]
}

func (tr trace) children(spanID string) []otlptest.Span {
	var out []otlptest.Span
	for _, sp := range tr.spans {
		if sp.ParentSpanID == spanID {
			out = append(out, sp)
		}
	}
	return out
}

// dump lists spans by start time, for a failing test's log.
func dump(spans []otlptest.Span) string {
	sort.Slice(spans, func(i, j int) bool { return spans[i].Start.Before(spans[j].Start) })
	var b strings.Builder
	for _, sp := range spans {
		fmt.Fprintf(&b, "%-16s %-40s trace=%s span=%s parent=%s %v\n", sp.Service, sp.Name, sp.TraceID, sp.SpanID, sp.ParentSpanID, sp.Attributes)
	}
	return b.String()
}
