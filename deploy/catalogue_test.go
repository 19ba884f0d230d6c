package deploy

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/contactcenter/numberporting/internal/metrics"
	"github.com/contactcenter/numberporting/porting"
)

// The catalogue of what the worker's /metrics exposes: each series name with its labels. The
// product's and the notifier's metrics are taken from a real registry (internal/metrics) after a
// workflow recorded each of them; the SDK's are the ones named below, recorded through the same
// handler the SDK is given, and checked against the SDK's own list of names.

// series is one exposed series name and the labels its samples carry (besides job and instance,
// which Prometheus adds).
type series struct {
	family string // the metric family (a histogram's base name)
	labels map[string]bool
}

// sdkMetric is a Temporal SDK metric the deploy files may use: its name in the SDK (before the
// worker's naming scope adds _total or _seconds), how it is recorded, and the tags the SDK adds to
// those of RootTags.
type sdkMetric struct {
	name  string
	kind  string // counter, timer, gauge
	extra []string
}

// sdkRootTags are the tags every SDK metric carries (go.temporal.io/sdk internal/common/metrics.RootTags).
var sdkRootTags = []string{"namespace", "client_name", "worker_type", "workflow_type", "activity_type", "task_queue"}

var sdkMetrics = []sdkMetric{
	{"temporal_workflow_completed", "counter", nil},
	{"temporal_workflow_failed", "counter", nil},
	{"temporal_workflow_canceled", "counter", nil},
	{"temporal_workflow_continue_as_new", "counter", nil},
	{"temporal_workflow_endtoend_latency", "timer", nil},
	{"temporal_workflow_task_execution_latency", "timer", nil},
	{"temporal_workflow_task_schedule_to_start_latency", "timer", nil},
	{"temporal_workflow_task_replay_latency", "timer", nil},
	{"temporal_workflow_task_execution_failed", "counter", []string{"failure_reason"}},
	{"temporal_activity_execution_failed", "counter", []string{"failure_reason"}},
	{"temporal_activity_execution_latency", "timer", nil},
	{"temporal_activity_schedule_to_start_latency", "timer", nil},
	{"temporal_activity_succeed_endtoend_latency", "timer", nil},
	{"temporal_local_activity_execution_failed", "counter", []string{"failure_reason"}},
	{"temporal_request_failure", "counter", []string{"operation", "status_code"}},
	{"temporal_long_request_failure", "counter", []string{"operation", "status_code"}},
	{"temporal_num_pollers", "gauge", []string{"poller_type"}},
	{"temporal_worker_task_slots_available", "gauge", nil},
	{"temporal_worker_task_slots_used", "gauge", nil},
	{"temporal_sticky_cache_size", "gauge", nil},
}

// pending are product metrics the deploy files use before internal/metrics exports them: another
// change adds them. Once one is in internal/metrics, call its helper in recordProduct and delete it here.
var pending = map[string][]string{}

// prometheusSeries are the series Prometheus itself makes for each target.
var prometheusSeries = map[string][]string{
	"up": {}, "scrape_duration_seconds": {}, "scrape_samples_scraped": {},
}

type catalogue struct {
	series  map[string]series
	product []string // the porting_* families, each expected on the dashboard
}

// recordProduct records each product metric once, as the port workflows do.
func recordProduct(ctx workflow.Context) error {
	kind := porting.KindPortIn
	metrics.PortStarted(ctx, kind)
	metrics.StateTransition(ctx, kind, porting.StateValidating, porting.StateAwaitingLOA)
	metrics.CarrierResponseLatency(ctx, kind, 3)
	metrics.ProvisioningDuration(ctx, kind, 90*time.Second)
	metrics.DeadlinePassed(ctx, kind, metrics.WaitCarrierAnswer)
	for _, s := range endStates(nil) {
		metrics.PortEnded(ctx, kind, porting.State(s))
	}
	return nil
}

func buildCatalogue(t *testing.T) catalogue {
	t.Helper()
	var errs []error
	p := metrics.New(metrics.Options{GoCollectors: true, OnError: func(err error) { errs = append(errs, err) }})

	var s testsuite.WorkflowTestSuite
	s.SetMetricsHandler(p.Handler)
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(recordProduct)
	env.ExecuteWorkflow(recordProduct)
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())

	n := metrics.NewNotifier(p.Registry, func(err error) { errs = append(errs, err) })
	for _, o := range []string{metrics.OutcomeDelivered, metrics.OutcomeRetried, metrics.OutcomeFailed, metrics.OutcomeLost} {
		n.Attempt("webhook", "customer", o)
	}
	n.Delivered("webhook", time.Second)

	for _, m := range sdkMetrics {
		tags := map[string]string{}
		for _, k := range append(append([]string{}, sdkRootTags...), m.extra...) {
			tags[k] = "x"
		}
		h := p.Handler.WithTags(tags)
		switch m.kind {
		case "counter":
			h.Counter(m.name).Inc(1)
		case "timer":
			h.Timer(m.name).Record(time.Millisecond)
		case "gauge":
			h.Gauge(m.name).Update(1)
		default:
			t.Fatalf("%s: kind %q", m.name, m.kind)
		}
	}
	require.NoError(t, p.Close()) // tally hands what it buffered to the registry
	require.Empty(t, errs)

	families, err := p.Registry.Gather()
	require.NoError(t, err)
	c := catalogue{series: map[string]series{}}
	add := func(name, family string, labels []string) {
		l := map[string]bool{"job": true, "instance": true}
		for _, k := range labels {
			l[k] = true
		}
		c.series[name] = series{family: family, labels: l}
	}
	for _, f := range families {
		var labels []string
		for _, lp := range f.GetMetric()[0].GetLabel() {
			labels = append(labels, lp.GetName())
		}
		name := f.GetName()
		switch f.GetType() {
		case dto.MetricType_HISTOGRAM:
			add(name+"_bucket", name, append(labels, "le"))
			add(name+"_sum", name, labels)
			add(name+"_count", name, labels)
		case dto.MetricType_SUMMARY:
			add(name, name, append(labels, "quantile"))
			add(name+"_sum", name, labels)
			add(name+"_count", name, labels)
		default:
			add(name, name, labels)
		}
		if strings.HasPrefix(name, "porting_") {
			c.product = append(c.product, name)
		}
	}
	for name, labels := range pending {
		if _, ok := c.series[name]; ok {
			t.Logf("%s is exported now (its labels are the registry's): delete it from pending", name)
			continue
		}
		if inMetricsSource(t, name) {
			t.Logf("%s is in internal/metrics now but not recorded by this test: record it in recordProduct", name)
		} else {
			t.Logf("%s: not in internal/metrics yet; taken as %v (pending)", name, labels)
		}
		add(name, name, labels)
		c.product = append(c.product, name)
	}
	for name, labels := range prometheusSeries {
		add(name, name, labels)
	}
	return c
}

// inMetricsSource reports whether a Go file of internal/metrics spells name.
func inMetricsSource(t *testing.T, name string) bool {
	files, err := filepath.Glob("../internal/metrics/*.go")
	require.NoError(t, err)
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		if strings.Contains(string(b), strconv.Quote(name)) {
			return true
		}
	}
	return false
}

// TestSDKMetricNamesExist checks the SDK metrics named here against the SDK's own constants
// (go.temporal.io/sdk internal/common/metrics/constants.go), so a rename in an SDK upgrade shows.
func TestSDKMetricNamesExist(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "go.temporal.io/sdk").Output()
	if err != nil || strings.TrimSpace(string(out)) == "" {
		t.Skipf("cannot locate the SDK's module (go list: %v)", err)
	}
	path := filepath.Join(strings.TrimSpace(string(out)), "internal", "common", "metrics", "constants.go")
	src, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		t.Skipf("%s: not in the module cache", path)
	}
	require.NoError(t, err)
	known := map[string]bool{}
	prefix := regexp.MustCompile(`TemporalMetricsPrefix\s*=\s*"([a-z_]+)"`).FindSubmatch(src)
	require.NotNil(t, prefix, "TemporalMetricsPrefix in %s", path)
	for _, m := range regexp.MustCompile(`TemporalMetricsPrefix \+ "([a-z_]+)"`).FindAllSubmatch(src, -1) {
		known[string(prefix[1])+string(m[1])] = true
	}
	// TemporalRequestFailure = TemporalRequest + "_failure", and the like.
	for _, m := range regexp.MustCompile(`(TemporalRequest|TemporalLongRequest) \+ "([a-z_]+)"`).FindAllSubmatch(src, -1) {
		base := map[string]string{"TemporalRequest": "temporal_request", "TemporalLongRequest": "temporal_long_request"}[string(m[1])]
		known[base+string(m[2])] = true
	}
	require.NotEmpty(t, known)
	for _, m := range sdkMetrics {
		if !known[m.name] {
			t.Errorf("%s is not a metric of this SDK version (%s)", m.name, path)
		}
	}
}

// portingStates are the State constants of package porting (parsed from porting/states.go).
func portingStates(t *testing.T) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "../porting/states.go", nil, 0)
	require.NoError(t, err)
	var states []string
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			vs := s.(*ast.ValueSpec)
			if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "State" {
				continue
			}
			for _, v := range vs.Values {
				if lit, ok := v.(*ast.BasicLit); ok {
					u, err := strconv.Unquote(lit.Value)
					require.NoError(t, err)
					states = append(states, u)
				}
			}
		}
	}
	require.Contains(t, states, string(porting.StateFailed))
	return states
}

// endStates are the states a port ends in (porting.State.IsEnd), from all (or the defaults).
func endStates(all []string) []string {
	if all == nil {
		all = []string{"completed", "cancelled", "not_portable", "expired", "failed"}
	}
	var ends []string
	for _, s := range all {
		if porting.State(s).IsEnd() {
			ends = append(ends, s)
		}
	}
	return ends
}

// labelValues are the values a label may take where they are known; a matcher with another value
// selects nothing, silently. Labels not listed here take any value.
func labelValues(t *testing.T) map[string]map[string]bool {
	states := portingStates(t)
	return map[string]map[string]bool{
		"kind":      set(porting.KindPortIn, porting.KindInternationalPortIn, porting.KindPortOut),
		"state":     set(endStates(states)...),
		"from":      set(states...),
		"to":        set(states...),
		"outcome":   set(metrics.OutcomeDelivered, metrics.OutcomeRetried, metrics.OutcomeFailed, metrics.OutcomeLost),
		"channel":   set("webhook", "email"),
		"recipient": set("customer", "operations"),
		"job":       set("porting-worker"),
	}
}
