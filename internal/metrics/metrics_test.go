package metrics

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/uber-go/tally/v4"
	"go.temporal.io/sdk/client"
	sdktally "go.temporal.io/sdk/contrib/tally"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/contactcenter/numberporting/porting"
)

// portLike records what a port workflow would, in the order it would.
func portLike(ctx workflow.Context) error {
	kind := porting.KindPortIn
	PortStarted(ctx, kind)
	StateTransition(ctx, kind, porting.StateValidating, porting.StateAwaitingLOA)
	StateTransition(ctx, kind, porting.StateAwaitingLOA, porting.StateAwaitingLOA) // no change: not counted
	StateTransition(ctx, kind, porting.StateAwaitingLOA, porting.StateAwaitingCarrier)
	if err := workflow.Sleep(ctx, 72*time.Hour); err != nil {
		return err
	}
	CarrierResponseLatency(ctx, kind, 3)
	CarrierResponseLatency(ctx, kind, 4.5)
	StateTransition(ctx, kind, porting.StateAwaitingCarrier, porting.StateScheduled)
	ProvisioningDuration(ctx, kind, 90*time.Second)
	PortEnded(ctx, kind, porting.StateCompleted)
	PortEnded(ctx, porting.KindInternationalPortIn, porting.StateCancelled)
	PortEnded(ctx, porting.KindPortOut, porting.StateExpired)
	return nil
}

func scrape(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b)
}

// sample finds the line of a sample whose name is name and whose labels include all of labels.
func sample(text, name string, labels ...string) (string, bool) {
	for _, line := range strings.Split(text, "\n") {
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		ok := true
		for _, l := range labels {
			ok = ok && strings.Contains(line, l)
		}
		if ok {
			return line, true
		}
	}
	return "", false
}

func assertSample(t *testing.T, text, name, value string, labels ...string) {
	t.Helper()
	line, ok := sample(text, name, labels...)
	if assert.True(t, ok, "no %s%v in:\n%s", name, labels, text) {
		assert.True(t, strings.HasSuffix(line, " "+value), "%s: want %s", line, value)
	}
}

func TestProductMetricsFromAWorkflow(t *testing.T) {
	var errs []error
	p := New(Options{OnError: func(err error) { errs = append(errs, err) }})
	var s testsuite.WorkflowTestSuite
	s.SetMetricsHandler(p.Handler)
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(portLike)
	env.ExecuteWorkflow(portLike)
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	require.NoError(t, p.Close()) // reports what tally buffered

	text := scrape(t, p.HTTPHandler)
	kind := `kind="port_in"`
	// (The test environment hands workflows its root handler, without the workflow's tags.)
	assertSample(t, text, PortsStarted, "1", kind, `workflow_type=""`)
	assert.Contains(t, text, "# HELP "+PortsStarted+" Ports whose workflow began.")
	assertSample(t, text, StateTransitions, "1", kind, `from="validating"`, `to="awaiting_loa"`)
	assertSample(t, text, StateTransitions, "1", kind, `from="awaiting_loa"`, `to="awaiting_carrier"`)
	_, same := sample(text, StateTransitions, `from="awaiting_loa"`, `to="awaiting_loa"`)
	assert.False(t, same, "a non-change is not a transition")
	assertSample(t, text, PortsCompleted, "1", kind)
	assertSample(t, text, PortsCancelled, "1", `kind="intl_port_in"`)
	assertSample(t, text, PortsEnded, "1", kind, `state="completed"`)
	assertSample(t, text, PortsEnded, "1", `kind="port_out"`, `state="expired"`)
	_, expiredCancelled := sample(text, PortsCancelled, `kind="port_out"`)
	assert.False(t, expiredCancelled)

	// Histograms keep their names (no _seconds appended to business days) and their own buckets.
	assertSample(t, text, CarrierResponseBusinessDays+"_count", "2", kind)
	assertSample(t, text, CarrierResponseBusinessDays+"_sum", "7.5", kind)
	assertSample(t, text, CarrierResponseBusinessDays+"_bucket", "0", kind, `le="2"`)
	assertSample(t, text, CarrierResponseBusinessDays+"_bucket", "1", kind, `le="3"`)
	assertSample(t, text, CarrierResponseBusinessDays+"_bucket", "2", kind, `le="5"`)
	assertSample(t, text, ProvisioningSeconds+"_count", "1", kind)
	assertSample(t, text, ProvisioningSeconds+"_sum", "90", kind)
	assertSample(t, text, ProvisioningSeconds+"_bucket", "1", kind, `le="120"`)
	assert.NotContains(t, text, "business_days_seconds")
	assert.Empty(t, errs)
}

func TestSDKMetricsNaming(t *testing.T) {
	p := New(Options{GoCollectors: true})
	h := p.Handler.WithTags(map[string]string{"task_queue": "number-porting", "bad-key": "x"})
	h.Counter("temporal_workflow_completed").Inc(2)
	h.Timer("temporal_activity_execution_latency").Record(1500 * time.Millisecond)
	h.Gauge("temporal_num_pollers").Update(3)
	require.NoError(t, p.Close())

	text := scrape(t, p.HTTPHandler)
	// Counters end in _total, timers in _seconds (histograms); label values are kept as they are.
	assertSample(t, text, "temporal_workflow_completed_total", "2", `task_queue="number-porting"`, `bad_key="x"`)
	assertSample(t, text, "temporal_activity_execution_latency_seconds_count", "1")
	assertSample(t, text, "temporal_activity_execution_latency_seconds_bucket", "1", `le="2.5"`)
	assertSample(t, text, "temporal_num_pollers", "3")
	assert.Contains(t, text, "go_goroutines")
}

func TestConflictingLabelsAreReportedNotPanics(t *testing.T) {
	var errs []error
	p := New(Options{OnError: func(err error) { errs = append(errs, err) }})
	p.Handler.WithTags(map[string]string{"a": "1"}).Counter("porting_test").Inc(1)
	p.Handler.WithTags(map[string]string{"b": "1"}).Counter("porting_test").Inc(1)
	require.NoError(t, p.Close())
	require.NotEmpty(t, errs)
	assert.Contains(t, scrape(t, p.HTTPHandler), "porting_test_total")
}

func TestNoTallyHandlerIsANoOp(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment() // the SDK's no-op metrics handler
	env.RegisterWorkflow(portLike)
	env.ExecuteWorkflow(portLike)
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
}

// wrapper stands for the SDK's replay-aware handler around the worker's.
type wrapper struct{ client.MetricsHandler }

func (w wrapper) WithTags(tags map[string]string) client.MetricsHandler {
	return wrapper{w.MetricsHandler.WithTags(tags)}
}
func (w wrapper) Unwrap() client.MetricsHandler { return w.MetricsHandler }

func TestTagsReachTheProductMetrics(t *testing.T) {
	p := New(Options{})
	// What the SDK does: client root tags, then the worker's task queue, then the workflow type.
	h := wrapper{p.Handler.WithTags(map[string]string{"namespace": "default", "task_queue": "_none_", "client_name": "temporal_go"})}
	wf := h.WithTags(map[string]string{"task_queue": "number-porting"}).WithTags(map[string]string{"workflow_type": "PortIn"})

	found, ok := find(wf)
	require.True(t, ok)
	assert.Equal(t, map[string]string{"namespace": "default", "task_queue": "number-porting", "client_name": "temporal_go", "workflow_type": "PortIn"}, found.tags)
	_, ok = find(wrapper{client.MetricsNopHandler})
	assert.False(t, ok)

	// The SDK's tally helpers still reach the tally scope underneath.
	assert.NotEqual(t, tally.NoopScope, sdktally.ScopeFromHandler(wf))
	require.NoError(t, p.Close())
}
