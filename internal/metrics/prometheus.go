// Package metrics exposes the worker's Prometheus metrics: the Temporal SDK's own (through its
// tally adapter) and the product's (ports started, completed, cancelled, state transitions, carrier
// response time in business days, provisioning time), all from one registry on one /metrics handler.
//
// The product metrics are recorded by workflow code with the helpers of porting.go, which find
// them through workflow.GetMetricsHandler(ctx) and record nothing while a workflow replays, so a
// metric counts each event once however often the history is replayed.
package metrics

import (
	"io"
	"net/http"
	"strings"
	"time"
	"unicode"

	prom "github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/uber-go/tally/v4"
	tallyprom "github.com/uber-go/tally/v4/prometheus"
	"go.temporal.io/sdk/client"
	sdktally "go.temporal.io/sdk/contrib/tally"
)

// EnvAddr is the listen address of the worker's /metrics endpoint, e.g. ":9090" (empty: none).
const EnvAddr = "METRICS_ADDR"

// reportInterval is how often tally hands counters and histograms to the Prometheus registry.
const reportInterval = time.Second

// TimerBuckets are the buckets, in seconds, of the SDK's latency timers (exposed as histograms):
// from a millisecond (task latencies) to an hour (activity schedule-to-close of a slow carrier).
var TimerBuckets = []float64{0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600}

// Prometheus is the process's metrics: Handler goes into client.Options.MetricsHandler (the SDK
// records into it, and workflows through workflow.GetMetricsHandler), HTTPHandler serves /metrics.
type Prometheus struct {
	Handler     client.MetricsHandler
	HTTPHandler http.Handler
	Registry    *prom.Registry

	closer io.Closer
}

// Options configure New.
type Options struct {
	// OnError is told about metrics the registry refuses (for example one name used with two sets
	// of labels); nil ignores them. Such a metric is dropped, never a panic.
	OnError func(error)
	// GoCollectors adds the Go runtime and process collectors (go_*, process_*).
	GoCollectors bool
}

// New builds a Prometheus registry, a tally scope reporting into it, and the SDK handler over it.
func New(opts Options) *Prometheus {
	reg := prom.NewRegistry()
	if opts.GoCollectors {
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	onError := opts.OnError
	if onError == nil {
		onError = func(error) {}
	}
	reporter := tallyprom.NewReporter(tallyprom.Options{
		Registerer:              reg,
		Gatherer:                reg,
		DefaultTimerType:        tallyprom.HistogramTimerType,
		DefaultHistogramBuckets: TimerBuckets,
		OnRegisterError:         onError,
	})
	root, closer := tally.NewRootScope(tally.ScopeOptions{
		CachedReporter:         reporter,
		Separator:              tallyprom.DefaultSeparator,
		SanitizeOptions:        &sanitizeOptions,
		OmitCardinalityMetrics: true,
	}, reportInterval)
	return &Prometheus{
		Handler: handler{
			MetricsHandler: sdktally.NewMetricsHandler(namingScope{root}),
			product:        newProduct(reg, onError),
		},
		HTTPHandler: reporter.HTTPHandler(),
		Registry:    reg,
		closer:      closer,
	}
}

// Close reports what is buffered one last time and stops the reporting loop.
func (p *Prometheus) Close() error { return p.closer.Close() }

// Metric and label names are made Prometheus-safe; label values are kept as they are
// (task_queue="number-porting", not number_porting).
var sanitizeOptions = tally.SanitizeOptions{
	NameCharacters:       tally.ValidCharacters{Ranges: tally.AlphanumericRange, Characters: tally.UnderscoreCharacters},
	KeyCharacters:        tally.ValidCharacters{Ranges: tally.AlphanumericRange, Characters: tally.UnderscoreCharacters},
	ValueCharacters:      tally.ValidCharacters{Ranges: []tally.SanitizeRange{{0, unicode.MaxRune}}},
	ReplacementCharacter: tally.DefaultReplacementCharacter,
}

// namingScope follows the OpenMetrics naming of the SDK's other languages, as
// sdktally.NewPrometheusNamingScope does: counters end in _total, timers in _seconds. Unlike it,
// histograms keep their name: the SDK records no histograms, and the product's are not all in
// seconds (porting_carrier_response_business_days).
type namingScope struct{ tally.Scope }

func (s namingScope) Counter(name string) tally.Counter {
	if !strings.HasSuffix(name, "_total") {
		name += "_total"
	}
	return s.Scope.Counter(name)
}

func (s namingScope) Timer(name string) tally.Timer {
	if !strings.HasSuffix(name, "_seconds") {
		name += "_seconds"
	}
	return s.Scope.Timer(name)
}

func (s namingScope) Tagged(tags map[string]string) tally.Scope {
	return namingScope{s.Scope.Tagged(tags)}
}

func (s namingScope) SubScope(name string) tally.Scope {
	return namingScope{s.Scope.SubScope(name)}
}
