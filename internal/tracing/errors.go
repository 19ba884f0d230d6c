package tracing

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/lib/pq"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/embedded"
	"go.temporal.io/sdk/temporal"
)

// Errors reach spans by type, never by message. The product's messages are written for the people
// who drive a port and name what is wrong — "+14155550100 is held by instance …", a validator's
// refusal quoting the request, Postgres's "invalid input syntax …: \"…\"" — and a trace backend is
// read by more people, kept longer and not redacted. The message stays where it already is (the
// workflow's history, the worker's log); the span says which kind of failure it was, with
// error.type, and the status code.
//
// Both tracing libraries, the Temporal interceptor and otelsql, record errors through the span
// (RecordError, SetStatus), so the rule is enforced once, by the tracer provider they are given:
// every span it starts is a messageFreeSpan.

// messageFreeProvider hands out tracers whose spans record errors without their messages. open
// counts the spans begun and not yet ended (see Tracing.Shutdown).
type messageFreeProvider struct {
	embedded.TracerProvider
	tp   trace.TracerProvider
	open *atomic.Int64
}

func (p messageFreeProvider) Tracer(name string, opts ...trace.TracerOption) trace.Tracer {
	return messageFreeTracer{provider: p, tracer: p.tp.Tracer(name, opts...)}
}

type messageFreeTracer struct {
	embedded.Tracer
	provider messageFreeProvider
	tracer   trace.Tracer
}

func (t messageFreeTracer) Start(ctx context.Context, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	ctx, span := t.tracer.Start(ctx, name, opts...)
	s := &messageFreeSpan{Span: span, provider: t.provider}
	if span.IsRecording() {
		s.counted = true
		t.provider.open.Add(1)
	}
	// The wrapper goes into the context too, so that code finding the span there (a library's
	// child operation ending in error) records through it.
	return trace.ContextWithSpan(ctx, s), s
}

// messageFreeSpan is a span whose errors are recorded by type: RecordError adds the exception
// event with exception.type only and sets error.type; SetStatus keeps the code and drops the
// description. It also counts itself among the provider's open spans until it ends.
type messageFreeSpan struct {
	trace.Span
	provider messageFreeProvider
	counted  bool
	ended    atomic.Bool
}

func (s *messageFreeSpan) End(opts ...trace.SpanEndOption) {
	s.Span.End(opts...)
	if s.counted && s.ended.CompareAndSwap(false, true) {
		s.provider.open.Add(-1)
	}
}

func (s *messageFreeSpan) RecordError(err error, _ ...trace.EventOption) {
	if err == nil || !s.IsRecording() {
		return
	}
	typ := errorType(err)
	s.Span.SetAttributes(attribute.String("error.type", typ))
	s.Span.AddEvent("exception", trace.WithAttributes(attribute.String("exception.type", typ)))
}

func (s *messageFreeSpan) SetStatus(code codes.Code, _ string) {
	s.Span.SetStatus(code, "")
}

func (s *messageFreeSpan) TracerProvider() trace.TracerProvider { return s.provider }

// errorType names an error without its message: a Temporal application error's type (the
// product's error codes, e.g. NumberAlreadyPorting), a Temporal timeout's kind, the Postgres
// condition, or the Go type of the innermost error.
func errorType(err error) string {
	var (
		appErr     *temporal.ApplicationError
		timeoutErr *temporal.TimeoutError
		pqErr      *pq.Error
	)
	switch {
	case errors.As(err, &appErr) && appErr.Type() != "":
		return appErr.Type()
	case errors.As(err, &timeoutErr):
		return "TimeoutError:" + timeoutErr.TimeoutType().String()
	case errors.As(err, &pqErr):
		return "postgres:" + pqErr.Code.Name()
	case errors.Is(err, context.Canceled):
		return "context.Canceled"
	case errors.Is(err, context.DeadlineExceeded):
		return "context.DeadlineExceeded"
	}
	for u := errors.Unwrap(err); u != nil; u = errors.Unwrap(err) {
		err = u
	}
	return fmt.Sprintf("%T", err)
}

// sqlErrorAttributes gives a failed statement's span the Postgres SQLSTATE (semantic conventions:
// db.response.status_code), the one fact of a Postgres error that never quotes a value.
func sqlErrorAttributes(err error) []attribute.KeyValue {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		return []attribute.KeyValue{attribute.String("db.response.status_code", string(pqErr.Code))}
	}
	return nil
}
