// Package otlptest is an OTLP trace receiver for tests: it listens on loopback for OTLP/HTTP
// (protobuf, optionally gzipped) and OTLP/gRPC, like an OpenTelemetry collector would, and keeps
// every span it is sent, flattened, for the test to look at.
package otlptest

import (
	"compress/gzip"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
)

// Span is one received span. Attribute values are rendered as strings.
type Span struct {
	Service       string // the resource's service.name
	Resource      map[string]string
	Scope         string // instrumentation scope
	Name          string
	TraceID       string // hex
	SpanID        string // hex
	ParentSpanID  string // hex; empty for a root span
	Kind          string // SPAN_KIND_SERVER, …
	Attributes    map[string]string
	Events        []Event
	StatusCode    string // STATUS_CODE_UNSET, STATUS_CODE_OK, STATUS_CODE_ERROR
	StatusMessage string
	Start, End    time.Time
}

// Event is a span event.
type Event struct {
	Name       string
	Attributes map[string]string
}

// String is a one-line summary of the span for test messages.
func (s Span) String() string {
	return fmt.Sprintf("%s %q trace=%s span=%s parent=%s", s.Service, s.Name, s.TraceID, s.SpanID, s.ParentSpanID)
}

// Receiver collects spans sent over OTLP.
type Receiver struct {
	// HTTPEndpoint is the base URL for OTEL_EXPORTER_OTLP_ENDPOINT with the http/protobuf
	// protocol: spans are posted to HTTPEndpoint + "/v1/traces".
	HTTPEndpoint string
	// GRPCEndpoint is the URL for OTEL_EXPORTER_OTLP_ENDPOINT with the grpc protocol (http://:
	// plaintext).
	GRPCEndpoint string

	mu      sync.Mutex
	spans   []Span
	exports int
}

// Start runs a receiver on loopback until the test's cleanup.
func Start(t testing.TB) *Receiver {
	t.Helper()
	r := &Receiver{}

	httpLis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/traces", r.serveHTTP)
	httpSrv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = httpSrv.Serve(httpLis) }()
	r.HTTPEndpoint = "http://" + httpLis.Addr().String()

	grpcLis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	grpcSrv := grpc.NewServer()
	collectortrace.RegisterTraceServiceServer(grpcSrv, grpcService{r: r})
	go func() { _ = grpcSrv.Serve(grpcLis) }()
	r.GRPCEndpoint = "http://" + grpcLis.Addr().String()

	t.Cleanup(func() {
		_ = httpSrv.Close()
		grpcSrv.Stop()
	})
	return r
}

// Spans returns a copy of the spans received so far.
func (r *Receiver) Spans() []Span {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.spans)
}

// Exports counts the export requests received (each holds one batch of spans).
func (r *Receiver) Exports() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.exports
}

func (r *Receiver) serveHTTP(w http.ResponseWriter, req *http.Request) {
	if ct := req.Header.Get("Content-Type"); ct != "application/x-protobuf" {
		http.Error(w, "only application/x-protobuf, got "+ct, http.StatusUnsupportedMediaType)
		return
	}
	var body io.Reader = req.Body
	if req.Header.Get("Content-Encoding") == "gzip" {
		gz, err := gzip.NewReader(req.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		defer gz.Close()
		body = gz
	}
	b, err := io.ReadAll(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var msg collectortrace.ExportTraceServiceRequest
	if err := proto.Unmarshal(b, &msg); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.add(&msg)
	out, _ := proto.Marshal(&collectortrace.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

type grpcService struct {
	collectortrace.UnimplementedTraceServiceServer
	r *Receiver
}

func (s grpcService) Export(_ context.Context, req *collectortrace.ExportTraceServiceRequest) (*collectortrace.ExportTraceServiceResponse, error) {
	s.r.add(req)
	return &collectortrace.ExportTraceServiceResponse{}, nil
}

func (r *Receiver) add(req *collectortrace.ExportTraceServiceRequest) {
	var spans []Span
	for _, rs := range req.GetResourceSpans() {
		res := attrs(rs.GetResource().GetAttributes())
		for _, ss := range rs.GetScopeSpans() {
			for _, sp := range ss.GetSpans() {
				spans = append(spans, flatten(res, ss.GetScope().GetName(), sp))
			}
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.exports++
	r.spans = append(r.spans, spans...)
}

func flatten(res map[string]string, scope string, sp *tracepb.Span) Span {
	s := Span{
		Service:       res["service.name"],
		Resource:      res,
		Scope:         scope,
		Name:          sp.GetName(),
		TraceID:       hex.EncodeToString(sp.GetTraceId()),
		SpanID:        hex.EncodeToString(sp.GetSpanId()),
		Kind:          sp.GetKind().String(),
		Attributes:    attrs(sp.GetAttributes()),
		StatusCode:    sp.GetStatus().GetCode().String(),
		StatusMessage: sp.GetStatus().GetMessage(),
		Start:         time.Unix(0, int64(sp.GetStartTimeUnixNano())),
		End:           time.Unix(0, int64(sp.GetEndTimeUnixNano())),
	}
	if p := sp.GetParentSpanId(); len(p) > 0 {
		s.ParentSpanID = hex.EncodeToString(p)
	}
	for _, e := range sp.GetEvents() {
		s.Events = append(s.Events, Event{Name: e.GetName(), Attributes: attrs(e.GetAttributes())})
	}
	return s
}

func attrs(kvs []*commonpb.KeyValue) map[string]string {
	m := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		m[kv.GetKey()] = value(kv.GetValue())
	}
	return m
}

func value(v *commonpb.AnyValue) string {
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		return x.StringValue
	case *commonpb.AnyValue_BoolValue:
		return strconv.FormatBool(x.BoolValue)
	case *commonpb.AnyValue_IntValue:
		return strconv.FormatInt(x.IntValue, 10)
	case *commonpb.AnyValue_DoubleValue:
		return strconv.FormatFloat(x.DoubleValue, 'g', -1, 64)
	case *commonpb.AnyValue_BytesValue:
		return hex.EncodeToString(x.BytesValue)
	case *commonpb.AnyValue_ArrayValue:
		var parts []string
		for _, e := range x.ArrayValue.GetValues() {
			parts = append(parts, value(e))
		}
		return "[" + strings.Join(parts, ",") + "]"
	case *commonpb.AnyValue_KvlistValue:
		var parts []string
		for _, kv := range x.KvlistValue.GetValues() {
			parts = append(parts, kv.GetKey()+"="+value(kv.GetValue()))
		}
		return "{" + strings.Join(parts, ",") + "}"
	}
	return ""
}
