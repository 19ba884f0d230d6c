// Package tracing sets up OpenTelemetry tracing for the worker and the starter: one trace from a
// starter command through the Temporal client, the workflow and its activities down to their
// Postgres statements, exported over OTLP.
//
// Tracing is on only when OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is
// set. Otherwise Setup builds nothing — no tracer provider, no exporter, no batching goroutine, no
// interceptor, no wrapped driver — and every method of the returned value is a no-op, so a process
// without a collector pays nothing for it.
//
// Phone numbers, PINs, account numbers and passcodes must not reach a trace. The pieces are chosen
// so they cannot: the Temporal interceptor records IDs and type names, never payloads; the SQL
// driver records the statement text (parameterised: no values) and never its arguments; and every
// span's errors are recorded by type only (an error's message may name a number), see
// messageFreeSpan.
package tracing

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/XSAM/otelsql"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
	temporalotel "go.temporal.io/sdk/contrib/opentelemetry"
	"go.temporal.io/sdk/interceptor"
)

// Service names of the two binaries (resource attribute service.name; OTEL_SERVICE_NAME or
// OTEL_RESOURCE_ATTRIBUTES=service.name=… override them, as the OpenTelemetry spec says).
const (
	ServiceWorker  = "porting-worker"
	ServiceStarter = "porting-starter"
)

// The standard OpenTelemetry environment variables this package decides on. The exporters read the
// rest themselves (headers, certificates, compression, timeout), and the SDK reads the sampler
// (OTEL_TRACES_SAMPLER, OTEL_TRACES_SAMPLER_ARG), the batch settings (OTEL_BSP_*) and the resource
// (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES).
const (
	EnvEndpoint       = "OTEL_EXPORTER_OTLP_ENDPOINT"
	EnvTracesEndpoint = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
	EnvProtocol       = "OTEL_EXPORTER_OTLP_PROTOCOL"
	EnvTracesProtocol = "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"
	EnvTracesExporter = "OTEL_TRACES_EXPORTER"
	EnvSDKDisabled    = "OTEL_SDK_DISABLED"
)

// OTLP protocols (OTEL_EXPORTER_OTLP_PROTOCOL). The spec's third, http/json, has no Go exporter.
const (
	ProtocolGRPC         = "grpc"
	ProtocolHTTPProtobuf = "http/protobuf"
)

// Config is what the environment says about tracing.
type Config struct {
	// Enabled: an OTLP endpoint is set, and neither OTEL_SDK_DISABLED=true nor OTEL_TRACES_EXPORTER=none.
	Enabled bool
	// Protocol is ProtocolGRPC or ProtocolHTTPProtobuf (the spec's default).
	Protocol string
}

// ConfigFromEnv reads the configuration through getenv (os.Getenv in the binaries). It fails only
// on a value it cannot honour (an unknown protocol or exporter), and only when tracing is asked for.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	env := func(k string) string { return strings.TrimSpace(getenv(k)) }
	if env(EnvEndpoint) == "" && env(EnvTracesEndpoint) == "" {
		return Config{}, nil
	}
	if disabled, err := strconv.ParseBool(env(EnvSDKDisabled)); err == nil && disabled {
		return Config{}, nil
	}
	switch exp := strings.ToLower(env(EnvTracesExporter)); exp {
	case "none":
		return Config{}, nil
	case "", "otlp":
	default:
		return Config{}, fmt.Errorf("%s=%s: only otlp (or none) is supported", EnvTracesExporter, exp)
	}
	proto := env(EnvTracesProtocol)
	if proto == "" {
		proto = env(EnvProtocol)
	}
	switch strings.ToLower(proto) {
	case "", ProtocolHTTPProtobuf:
		proto = ProtocolHTTPProtobuf
	case ProtocolGRPC:
		proto = ProtocolGRPC
	default:
		return Config{}, fmt.Errorf("%s=%s: use %s or %s", EnvProtocol, proto, ProtocolGRPC, ProtocolHTTPProtobuf)
	}
	return Config{Enabled: true, Protocol: proto}, nil
}

// Options are what a binary tells Setup.
type Options struct {
	// Service is the default service.name: ServiceWorker or ServiceStarter.
	Service string
	// OnError receives the errors OpenTelemetry reports in the background (an export that failed);
	// nil leaves OpenTelemetry's default (a plain log line on standard error).
	OnError func(error)
}

// Tracing is the process's tracing. The zero value, a nil pointer and what Setup returns without an
// endpoint are all off: no method does anything.
type Tracing struct {
	provider *sdktrace.TracerProvider // nil: off
	tracers  messageFreeProvider      // provider, wrapped so that errors are recorded by type only
	shutdown atomic.Bool              // Shutdown was called: a second call does not wait again
}

// Setup reads the environment and, when an OTLP endpoint is set, starts a tracer provider that
// batches spans to it. Off, it returns a Tracing that does nothing, without building anything.
func Setup(ctx context.Context, o Options) (*Tracing, error) {
	cfg, err := ConfigFromEnv(os.Getenv)
	if err != nil || !cfg.Enabled {
		return &Tracing{}, err
	}
	return start(ctx, cfg, o)
}

func start(ctx context.Context, cfg Config, o Options) (*Tracing, error) {
	var (
		exp sdktrace.SpanExporter
		err error
	)
	// Both exporters take the endpoint, headers, TLS, compression and timeout from the standard
	// OTEL_EXPORTER_OTLP_* variables; neither connects before the first export.
	switch cfg.Protocol {
	case ProtocolGRPC:
		exp, err = otlptracegrpc.New(ctx)
	default:
		exp, err = otlptracehttp.New(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("tracing: OTLP exporter (%s): %w", cfg.Protocol, err)
	}
	// service.name first, then the environment's resource, which wins (OTEL_SERVICE_NAME,
	// OTEL_RESOURCE_ATTRIBUTES); host.name and process.pid tell the workers apart.
	res, err := resource.New(ctx,
		resource.WithAttributes(attribute.String("service.name", o.Service)),
		resource.WithTelemetrySDK(),
		resource.WithHost(),
		resource.WithProcessPID(),
		resource.WithFromEnv(),
	)
	if err != nil {
		_ = exp.Shutdown(ctx)
		return nil, fmt.Errorf("tracing: resource (OTEL_RESOURCE_ATTRIBUTES): %w", err)
	}
	if o.OnError != nil {
		otel.SetErrorHandler(otel.ErrorHandlerFunc(o.OnError))
	}
	// The sampler comes from OTEL_TRACES_SAMPLER (default: parent-based, always on), the batch
	// settings from OTEL_BSP_*.
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	return &Tracing{provider: tp, tracers: messageFreeProvider{tp: tp, open: new(atomic.Int64)}}, nil
}

// Enabled reports whether spans are recorded and exported.
func (t *Tracing) Enabled() bool { return t != nil && t.provider != nil }

// Tracer is a tracer of the process's provider (a no-op one when off).
func (t *Tracing) Tracer(name string) trace.Tracer {
	if !t.Enabled() {
		return noop.NewTracerProvider().Tracer(name)
	}
	return t.tracers.Tracer(name)
}

// TemporalInterceptors are the client interceptors that trace Temporal calls (none when off). Set
// on the client's options, the SDK applies them to the workers made from that client as well: the
// client side makes StartWorkflow/UpdateWorkflow/QueryWorkflow/SignalWorkflow spans and carries
// their context in the Temporal headers; the worker side continues it in RunWorkflow,
// HandleUpdate, StartActivity, RunActivity… spans. In workflow code the interceptor makes no span
// while the workflow replays (activities, timers, signals, queries, updates alike), so workflow
// code stays deterministic and a replay does not report its steps again. RunWorkflow's span is the
// exception: it is begun anew, with the workflow's start time, each time a worker takes the
// workflow up, and ends when the workflow ends or leaves that worker's cache.
func (t *Tracing) TemporalInterceptors() ([]interceptor.ClientInterceptor, error) {
	if !t.Enabled() {
		return nil, nil
	}
	i, err := temporalotel.NewTracingInterceptor(temporalotel.TracerOptions{
		Tracer: t.tracers.Tracer("temporal-sdk-go"),
	})
	if err != nil {
		return nil, fmt.Errorf("tracing: Temporal interceptor: %w", err)
	}
	return []interceptor.ClientInterceptor{i}, nil
}

// SQLOpener opens database/sql handles whose statements are traced (nil when off: sql.Open).
//
// Spans are named by the driver operation (sql.conn.query, sql.conn.exec, sql.conn.begin_tx,
// sql.tx.commit, sql.connector.connect…) and carry the statement text, which is parameterised
// ($1, $2…) and so holds no values; the arguments are never recorded (otelsql records them only
// through an AttributesGetter, which we do not set). A failed statement records its SQLSTATE
// (db.response.status_code) and condition name, not Postgres's message, which can quote a value.
// Only statements made under a span are traced: those of an activity or a starter command.
// Statements without one — the worker's migrations at start, background pollers, the pool's
// housekeeping — would each become a trace of their own, noise without a story.
func (t *Tracing) SQLOpener() func(driverName, dsn string) (*sql.DB, error) {
	if !t.Enabled() {
		return nil
	}
	opts := []otelsql.Option{
		otelsql.WithTracerProvider(t.tracers),
		// otelsql would also record metrics through the global meter provider; metrics are
		// Prometheus's job here (internal/metrics).
		otelsql.WithMeterProvider(metricnoop.NewMeterProvider()),
		otelsql.WithAttributes(attribute.String("db.system.name", "postgresql")),
		otelsql.WithSpanErrorAttributesGetter(sqlErrorAttributes),
		otelsql.WithSpanOptions(otelsql.SpanOptions{
			// database/sql resets a pooled connection before each reuse, and a query's rows get a
			// span of their own: both double the spans and say nothing the query span does not.
			OmitConnResetSession: true,
			OmitRows:             true,
			SpanFilter: func(ctx context.Context, _ otelsql.Method, _ string, _ []driver.NamedValue) bool {
				return trace.SpanContextFromContext(ctx).IsValid()
			},
		}),
	}
	return func(driverName, dsn string) (*sql.DB, error) {
		return otelsql.Open(driverName, dsn, opts...)
	}
}

// DrainTimeout bounds how long Shutdown waits for spans still open to end.
const DrainTimeout = 2 * time.Second

// Shutdown exports the spans still buffered and stops the exporter; a short-lived process (the
// starter) must call it before it exits, or its spans are lost. Bounded by ctx. Off: nothing.
//
// It first gives the spans still open up to DrainTimeout to end. When a worker stops, the SDK
// evicts the workflows it holds and ends their coroutines in the background: each ends its
// RunWorkflow span a moment after worker.Run returned. Flushed before that, the span would be lost
// and the worker's StartActivity spans of those ports left without their parent.
func (t *Tracing) Shutdown(ctx context.Context) error {
	if !t.Enabled() {
		return nil
	}
	if t.shutdown.CompareAndSwap(false, true) {
		drain, cancel := context.WithTimeout(ctx, DrainTimeout)
		defer cancel()
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for t.tracers.open.Load() > 0 && drain.Err() == nil {
			select {
			case <-drain.Done():
			case <-tick.C:
			}
		}
	}
	if err := t.provider.Shutdown(ctx); err != nil {
		return fmt.Errorf("tracing: flushing spans: %w", err)
	}
	return nil
}
