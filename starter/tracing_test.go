package main

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactcenter/numberporting/internal/pgtest"
	"github.com/contactcenter/numberporting/internal/tracing"
	"github.com/contactcenter/numberporting/internal/tracing/otlptest"
)

// traced points the starter's tracing at a fresh receiver for the test.
func traced(t *testing.T) *otlptest.Receiver {
	t.Helper()
	rcv := otlptest.Start(t)
	for _, k := range []string{tracing.EnvTracesEndpoint, tracing.EnvTracesProtocol, tracing.EnvTracesExporter, tracing.EnvSDKDisabled,
		"OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES", "OTEL_TRACES_SAMPLER"} {
		t.Setenv(k, "")
	}
	t.Setenv(tracing.EnvEndpoint, rcv.HTTPEndpoint)
	t.Setenv(tracing.EnvProtocol, tracing.ProtocolHTTPProtobuf)
	return rcv
}

// TestCommandSpans: each command is a trace whose root is named by the command alone; the
// inventory's Postgres statements are its children; a failure is recorded by its exit code; and
// none of it holds the number or the passcode given as flags. The spans are exported before
// execute returns (the process exits right after).
func TestCommandSpans(t *testing.T) {
	rcv := traced(t)
	t.Setenv("DATABASE_URL", pgtest.NewURL(t))
	const (
		arn      = "arn:aws:connect:us-east-1:123456789012:instance/trace-1"
		number   = "+14155550123"
		passcode = "739204"
	)
	code, _, stderr := runCLI(t, "", "instance", "add", "--arn", arn, "--port-out-passcode", passcode)
	require.Equal(t, 0, code, stderr)
	code, _, stderr = runCLI(t, "", "number", "claim", "--instance", arn, "--e164", number)
	require.Equal(t, 0, code, stderr)
	code, _, stderr = runCLI(t, "", "--address", "127.0.0.1:1", "--dial-timeout", "1s", "status", "--workflow", "port-in-"+number)
	require.Equal(t, 1, code, stderr)

	spans := rcv.Spans()
	roots := map[string]otlptest.Span{}
	for _, s := range spans {
		assert.Equal(t, tracing.ServiceStarter, s.Service)
		if s.ParentSpanID == "" {
			roots[s.Name] = s
		}
		text := fmt.Sprint(s.Name, s.Attributes, s.Events, s.StatusMessage)
		for _, secret := range []string{"4155550123", passcode} {
			assert.NotContains(t, text, secret, "span %s", s)
		}
	}
	require.Contains(t, roots, "starter number claim", "roots: %v", roots)
	claim := roots["starter number claim"]
	assert.Equal(t, "0", claim.Attributes["process.exit.code"])
	var statements int
	for _, s := range spans {
		if s.ParentSpanID == claim.SpanID {
			assert.Equal(t, claim.TraceID, s.TraceID)
			assert.Equal(t, "github.com/XSAM/otelsql", s.Scope)
			statements++
		}
	}
	assert.Positive(t, statements, "the claim's Postgres statements under its span")

	require.Contains(t, roots, "starter status")
	status := roots["starter status"]
	assert.Equal(t, "1", status.Attributes["process.exit.code"])
	assert.Equal(t, "failure", status.Attributes["error.type"])
	assert.Equal(t, "STATUS_CODE_ERROR", status.StatusCode)
	assert.Empty(t, status.StatusMessage)
}

// TestTracingSettingsNeverStopACommand: a tracing setting the starter cannot honour is a warning;
// the command runs as it would untraced.
func TestTracingSettingsNeverStopACommand(t *testing.T) {
	traced(t)
	t.Setenv(tracing.EnvProtocol, "http/json")
	code, _, stderr := runCLI(t, "", "--address", "127.0.0.1:1", "--dial-timeout", "1s", "status", "--workflow", "port-in-x")
	assert.Equal(t, 1, code, stderr)
	assert.Contains(t, stderr, "warning: tracing off: OTEL_EXPORTER_OTLP_PROTOCOL=http/json")
	assert.Contains(t, stderr, "127.0.0.1:1", "the command's own error, as without tracing")
}

func TestTracingOffByDefault(t *testing.T) {
	for _, k := range []string{tracing.EnvEndpoint, tracing.EnvTracesEndpoint} {
		t.Setenv(k, "")
	}
	a := &app{}
	a.setupTracing(t.Context())
	assert.False(t, a.tracing.Enabled())
	assert.Nil(t, a.interceptors, "no interceptor on the Temporal client")
	assert.Nil(t, a.tracing.SQLOpener(), "lib/pq as is")
}
