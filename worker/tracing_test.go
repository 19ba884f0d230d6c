package main

import (
	"bytes"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/contactcenter/numberporting/internal/temporalconn"
	"github.com/contactcenter/numberporting/internal/tracing"
)

// TestTracingSettingCheckedAtStart: a tracing setting the worker cannot honour stops it at once,
// before it touches the database, like its other settings.
func TestTracingSettingCheckedAtStart(t *testing.T) {
	clearEnv(t)
	t.Setenv(temporalconn.EnvPayloadKey, randomKey(t))
	// Nothing listens there: the refusal comes before the database is touched.
	t.Setenv("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=1")
	t.Setenv(tracing.EnvEndpoint, "http://127.0.0.1:4318")
	t.Setenv(tracing.EnvProtocol, "http/json")
	var logs bytes.Buffer
	err := run(slog.New(slog.NewJSONHandler(&logs, nil)), options{})
	require.ErrorContains(t, err, "OTEL_EXPORTER_OTLP_PROTOCOL=http/json: use grpc or http/protobuf")
}
