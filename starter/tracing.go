package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/contactcenter/numberporting/internal/tracing"
)

// flushTimeout bounds how long the starter waits, before it exits, for its spans to be exported:
// a collector that does not answer must not hold a support command for long.
const flushTimeout = 5 * time.Second

// untracedCommands get no span of their own. simulate-carrier runs for hours: one span over all of
// it would put every answer it gives into one endless trace; without it, each of its Temporal calls
// begins a trace of its own (UpdateWorkflow:…, QueryWorkflow:status).
var untracedCommands = map[string]bool{"simulate-carrier": true}

// setupTracing turns tracing on when OTEL_EXPORTER_OTLP_ENDPOINT is set (internal/tracing). A
// tracing setting it cannot honour is reported and the command runs untraced: tracing must never
// stand between support staff and a port.
func (a *app) setupTracing(ctx context.Context) {
	tr, err := tracing.Setup(ctx, tracing.Options{
		Service: tracing.ServiceStarter,
		OnError: func(err error) { fmt.Fprintf(a.stderr, "tracing: spans not exported: %v\n", err) },
	})
	if err == nil {
		a.interceptors, err = tr.TemporalInterceptors()
	}
	if err != nil {
		fmt.Fprintf(a.stderr, "warning: tracing off: %v\n", err)
		_ = tr.Shutdown(ctx)
		tr, a.interceptors = nil, nil
	}
	a.tracing = tr
}

// flushTracing exports the spans still buffered: the starter is a short-lived process, and what it
// does not send before it exits is lost.
func (a *app) flushTracing() {
	ctx, cancel := context.WithTimeout(context.Background(), flushTimeout)
	defer cancel()
	if err := a.tracing.Shutdown(ctx); err != nil {
		fmt.Fprintf(a.stderr, "warning: %v\n", err)
	}
}

// commandSpan begins the command's span — the root of its trace, named by the command
// ("starter port-in", "starter instance add") and nothing else: its arguments and flags hold
// numbers and passcodes. The Temporal calls and the Postgres statements of the command are its
// children. end records the exit code and ends it.
func (a *app) commandSpan(ctx context.Context, cmd *cobra.Command) (context.Context, func(error)) {
	if !a.tracing.Enabled() || untracedCommands[cmd.Name()] {
		return ctx, func(error) {}
	}
	ctx, span := a.tracing.Tracer("github.com/contactcenter/numberporting/starter").Start(ctx, cmd.CommandPath(),
		trace.WithSpanKind(trace.SpanKindClient))
	return ctx, func(err error) {
		code := exitCode(err)
		span.SetAttributes(attribute.Int("process.exit.code", code))
		if err != nil {
			// By its exit code's meaning, not its message (which names numbers and requests).
			span.SetAttributes(attribute.String("error.type", exitName(code)))
			span.SetStatus(codes.Error, "")
		}
		span.End()
	}
}

// exitName names an exit code of the CLI contract for error.type.
func exitName(code int) string {
	switch code {
	case exitBadInput:
		return "bad_input"
	case exitRefused:
		return "refused"
	case exitNotFound:
		return "not_found"
	}
	return "failure"
}
