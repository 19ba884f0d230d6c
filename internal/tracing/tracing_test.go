package tracing

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/codes"
	"go.temporal.io/sdk/temporal"

	"github.com/contactcenter/numberporting/internal/pgtest"
	"github.com/contactcenter/numberporting/internal/tracing/otlptest"
)

func TestConfigFromEnv(t *testing.T) {
	for _, tc := range []struct {
		name    string
		env     map[string]string
		want    Config
		wantErr string
	}{
		{name: "nothing set: off", env: nil, want: Config{}},
		{name: "no endpoint, whatever else: off", env: map[string]string{EnvProtocol: "carrier-pigeon", EnvTracesExporter: "zipkin"}, want: Config{}},
		{name: "blank endpoint: off", env: map[string]string{EnvEndpoint: "  "}, want: Config{}},
		{name: "endpoint: http/protobuf by default", env: map[string]string{EnvEndpoint: "http://127.0.0.1:4318"},
			want: Config{Enabled: true, Protocol: ProtocolHTTPProtobuf}},
		{name: "traces endpoint alone", env: map[string]string{EnvTracesEndpoint: "http://127.0.0.1:4318/v1/traces"},
			want: Config{Enabled: true, Protocol: ProtocolHTTPProtobuf}},
		{name: "grpc", env: map[string]string{EnvEndpoint: "http://127.0.0.1:4317", EnvProtocol: "grpc"},
			want: Config{Enabled: true, Protocol: ProtocolGRPC}},
		{name: "the traces protocol wins", env: map[string]string{EnvEndpoint: "http://c:4317", EnvProtocol: "http/protobuf", EnvTracesProtocol: "GRPC"},
			want: Config{Enabled: true, Protocol: ProtocolGRPC}},
		{name: "otlp exporter named", env: map[string]string{EnvEndpoint: "http://c:4318", EnvTracesExporter: "otlp"},
			want: Config{Enabled: true, Protocol: ProtocolHTTPProtobuf}},
		{name: "SDK disabled", env: map[string]string{EnvEndpoint: "http://c:4318", EnvSDKDisabled: "true"}, want: Config{}},
		{name: "exporter none", env: map[string]string{EnvEndpoint: "http://c:4318", EnvTracesExporter: "none"}, want: Config{}},
		{name: "http/json has no Go exporter", env: map[string]string{EnvEndpoint: "http://c:4318", EnvProtocol: "http/json"},
			wantErr: "OTEL_EXPORTER_OTLP_PROTOCOL=http/json: use grpc or http/protobuf"},
		{name: "another exporter", env: map[string]string{EnvEndpoint: "http://c:4318", EnvTracesExporter: "zipkin"},
			wantErr: "OTEL_TRACES_EXPORTER=zipkin: only otlp"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ConfigFromEnv(func(k string) string { return tc.env[k] })
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

// clearEnv unsets (for the test) the variables that would turn tracing on or change it.
func clearEnv(t *testing.T) {
	for _, k := range []string{EnvEndpoint, EnvTracesEndpoint, EnvProtocol, EnvTracesProtocol, EnvTracesExporter,
		EnvSDKDisabled, "OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES", "OTEL_TRACES_SAMPLER"} {
		t.Setenv(k, "")
	}
}

func TestOffBuildsNothing(t *testing.T) {
	clearEnv(t)
	tr, err := Setup(context.Background(), Options{Service: ServiceWorker})
	require.NoError(t, err)
	assert.False(t, tr.Enabled())
	assert.Nil(t, tr.provider, "no tracer provider (and so no batching goroutine, no exporter)")
	ics, err := tr.TemporalInterceptors()
	require.NoError(t, err)
	assert.Nil(t, ics, "no Temporal interceptor")
	assert.Nil(t, tr.SQLOpener(), "no wrapped driver: dbconn uses sql.Open")
	_, span := tr.Tracer("x").Start(context.Background(), "s")
	assert.False(t, span.IsRecording(), "the tracer is a no-op")
	assert.NoError(t, tr.Shutdown(context.Background()))

	// A nil *Tracing is off too, so code holding none needs no check.
	var none *Tracing
	assert.False(t, none.Enabled())
	assert.Nil(t, none.SQLOpener())
	assert.NoError(t, none.Shutdown(context.Background()))
}

func TestSetupRefusesWhatItCannotHonour(t *testing.T) {
	clearEnv(t)
	t.Setenv(EnvEndpoint, "http://127.0.0.1:4318")
	t.Setenv(EnvProtocol, "http/json")
	_, err := Setup(context.Background(), Options{Service: ServiceWorker})
	require.ErrorContains(t, err, "http/json")
}

// TestExportsOverBothProtocols: a parent and a child span reach the receiver over OTLP/HTTP and
// OTLP/gRPC on Shutdown (the flush a short-lived process relies on), with the service name.
func TestExportsOverBothProtocols(t *testing.T) {
	rcv := otlptest.Start(t)
	for _, tc := range []struct{ protocol, endpoint string }{
		{ProtocolHTTPProtobuf, rcv.HTTPEndpoint},
		{ProtocolGRPC, rcv.GRPCEndpoint},
	} {
		t.Run(tc.protocol, func(t *testing.T) {
			clearEnv(t)
			t.Setenv(EnvEndpoint, tc.endpoint)
			t.Setenv(EnvProtocol, tc.protocol)
			tr, err := Setup(context.Background(), Options{Service: ServiceStarter})
			require.NoError(t, err)
			require.True(t, tr.Enabled())

			ctx, parent := tr.Tracer("test").Start(context.Background(), "parent-"+tc.protocol)
			_, child := tr.Tracer("test").Start(ctx, "child-"+tc.protocol)
			child.End()
			parent.End()
			require.NoError(t, tr.Shutdown(context.Background()))

			byName := map[string]otlptest.Span{}
			for _, s := range rcv.Spans() {
				byName[s.Name] = s
			}
			p, c := byName["parent-"+tc.protocol], byName["child-"+tc.protocol]
			require.NotEmpty(t, p.SpanID, "parent span not received: %v", rcv.Spans())
			require.NotEmpty(t, c.SpanID, "child span not received: %v", rcv.Spans())
			assert.Equal(t, ServiceStarter, p.Service)
			assert.Equal(t, p.TraceID, c.TraceID)
			assert.Equal(t, p.SpanID, c.ParentSpanID)
			assert.Empty(t, p.ParentSpanID)
		})
	}
}

func TestServiceNameFromTheEnvironmentWins(t *testing.T) {
	rcv := otlptest.Start(t)
	clearEnv(t)
	t.Setenv(EnvEndpoint, rcv.HTTPEndpoint)
	t.Setenv("OTEL_SERVICE_NAME", "porting-worker-canary")
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=staging")
	tr, err := Setup(context.Background(), Options{Service: ServiceWorker})
	require.NoError(t, err)
	_, s := tr.Tracer("test").Start(context.Background(), "s")
	s.End()
	require.NoError(t, tr.Shutdown(context.Background()))
	spans := rcv.Spans()
	require.Len(t, spans, 1)
	assert.Equal(t, "porting-worker-canary", spans[0].Service)
	assert.Equal(t, "staging", spans[0].Resource["deployment.environment.name"])
}

// enabled sets up tracing to a fresh receiver.
func enabled(t *testing.T) (*Tracing, *otlptest.Receiver) {
	t.Helper()
	rcv := otlptest.Start(t)
	clearEnv(t)
	t.Setenv(EnvEndpoint, rcv.HTTPEndpoint)
	tr, err := Setup(context.Background(), Options{Service: ServiceWorker})
	require.NoError(t, err)
	t.Cleanup(func() { _ = tr.Shutdown(context.Background()) })
	return tr, rcv
}

const (
	number = "+14155550100"
	pin    = "4711"
)

// assertNoSecrets fails when a span's name, attributes, events or status hold the number's digits
// or the PIN.
func assertNoSecrets(t *testing.T, spans []otlptest.Span) {
	t.Helper()
	for _, s := range spans {
		text := fmt.Sprint(s.Name, s.Attributes, s.Events, s.StatusMessage)
		for _, secret := range []string{strings.TrimPrefix(number, "+"), pin} {
			assert.NotContains(t, text, secret, "span %s", s)
		}
	}
}

func TestErrorsAreRecordedByTypeNotMessage(t *testing.T) {
	tr, rcv := enabled(t)
	_, s := tr.Tracer("test").Start(context.Background(), "activity")
	err := temporal.NewNonRetryableApplicationError(number+" is already porting (PIN "+pin+")", "NumberAlreadyPorting", nil)
	s.RecordError(fmt.Errorf("activity: %w", err))
	s.SetStatus(codes.Error, err.Error())
	s.End()
	_, plain := tr.Tracer("test").Start(context.Background(), "plain")
	plain.RecordError(fmt.Errorf("wrapped: %w", errors.New(number)))
	plain.End()
	require.NoError(t, tr.Shutdown(context.Background()))

	spans := rcv.Spans()
	require.Len(t, spans, 2)
	assertNoSecrets(t, spans)
	got := spans[0]
	assert.Equal(t, "NumberAlreadyPorting", got.Attributes["error.type"])
	assert.Equal(t, "STATUS_CODE_ERROR", got.StatusCode)
	assert.Empty(t, got.StatusMessage)
	require.Len(t, got.Events, 1)
	assert.Equal(t, "exception", got.Events[0].Name)
	assert.Equal(t, map[string]string{"exception.type": "NumberAlreadyPorting"}, got.Events[0].Attributes)
	assert.Equal(t, "*errors.errorString", spans[1].Attributes["error.type"], "the innermost error's Go type")
}

// TestSQLSpans runs statements through the traced driver on a real Postgres: spans named by
// operation under the caller's span, the statement text with its placeholders, never an argument —
// not even in a failure whose Postgres message quotes it — and nothing without a parent span.
func TestSQLSpans(t *testing.T) {
	tr, rcv := enabled(t)
	open := tr.SQLOpener()
	require.NotNil(t, open)
	db, err := open("postgres", pgtest.AdminURL())
	require.NoError(t, err)
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	require.NoError(t, db.PingContext(ctx))
	var n int
	require.NoError(t, db.QueryRowContext(ctx, "SELECT length($1::text)", number).Scan(&n), "no span: no parent")

	actx, activity := tr.Tracer("test").Start(ctx, "RunActivity:RecordRequest")
	var got string
	require.NoError(t, db.QueryRowContext(actx, "SELECT $1::text || $2::text", number, pin).Scan(&got))
	_, err = db.ExecContext(actx, "SELECT $1::int", number) // value "+14155550100" is out of range for type integer
	require.ErrorContains(t, err, number, "Postgres's own message quotes the value")
	activity.End()
	require.NoError(t, tr.Shutdown(context.Background()))

	spans := rcv.Spans()
	assertNoSecrets(t, spans)
	var parent otlptest.Span
	var children []otlptest.Span
	for _, s := range spans {
		if s.Name == "RunActivity:RecordRequest" {
			parent = s
		}
	}
	require.NotEmpty(t, parent.SpanID)
	for _, s := range spans {
		if s.SpanID == parent.SpanID {
			continue
		}
		assert.Equal(t, parent.SpanID, s.ParentSpanID, "every SQL span is under the activity's: %s", s)
		children = append(children, s)
	}
	var query, failed *otlptest.Span
	for i, s := range children {
		assert.Equal(t, "postgresql", s.Attributes["db.system.name"], "%s", s)
		switch s.Attributes["db.query.text"] {
		case "SELECT $1::text || $2::text":
			query = &children[i]
		case "SELECT $1::int":
			failed = &children[i]
		}
	}
	require.NotNil(t, query, "the query's span: %v", children)
	assert.Equal(t, "sql.conn.query", query.Name)
	assert.Equal(t, "STATUS_CODE_UNSET", query.StatusCode)
	require.NotNil(t, failed, "the failed statement's span: %v", children)
	assert.Equal(t, "sql.conn.exec", failed.Name)
	assert.Equal(t, "STATUS_CODE_ERROR", failed.StatusCode)
	assert.Equal(t, "22003", failed.Attributes["db.response.status_code"])
	assert.Equal(t, "postgres:numeric_value_out_of_range", failed.Attributes["error.type"])
}

// TestShutdownWaitsForOpenSpans: a span that ends a moment after Shutdown began — a workflow's
// RunWorkflow span, ended by the SDK in the background once the worker stopped — is still exported.
func TestShutdownWaitsForOpenSpans(t *testing.T) {
	tr, rcv := enabled(t)
	_, late := tr.Tracer("test").Start(context.Background(), "RunWorkflow:PortIn")
	_, forgotten := tr.Tracer("test").Start(context.Background(), "never ended")
	_ = forgotten
	go func() {
		time.Sleep(200 * time.Millisecond)
		late.End()
		late.End() // twice: counted once
	}()
	began := time.Now()
	require.NoError(t, tr.Shutdown(context.Background()))
	assert.Less(t, time.Since(began), DrainTimeout+time.Second, "a span that never ends delays the flush by DrainTimeout at most")
	var names []string
	for _, s := range rcv.Spans() {
		names = append(names, s.Name)
	}
	assert.Equal(t, []string{"RunWorkflow:PortIn"}, names)
}
