// Package logging builds the worker's logger: JSON (log/slog) to standard error, with a handler
// that redacts secrets as a last line of defence, and a worker interceptor that adds the port's
// request_id to every workflow and activity log line.
package logging

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"reflect"
	"strings"
	"time"
)

// Redacted replaces the value of a sensitive attribute.
const Redacted = "[REDACTED]"

// EnvLevel sets the log level: debug, info (default), warn or error.
const EnvLevel = "LOG_LEVEL"

// sensitive are the attribute names whose values never reach a log, compared case-insensitively
// and without '_' or '-': pin, account_number (AccountNumber), carrier_account_number,
// billing_telephone_number, and the port-out passcode (passcode, port_out_passcode).
var sensitive = map[string]bool{
	"pin":                    true,
	"accountnumber":          true,
	"carrieraccountnumber":   true,
	"billingtelephonenumber": true,
	"passcode":               true,
	"portoutpasscode":        true,
}

// IsSensitive reports whether an attribute or JSON field of this name is redacted.
func IsSensitive(key string) bool {
	k := strings.ToLower(key)
	k = strings.NewReplacer("_", "", "-", "", " ", "").Replace(k)
	return sensitive[k]
}

// New is the worker's logger: JSON lines on w, redacted, at level.
func New(w io.Writer, level slog.Leveler) *slog.Logger {
	return slog.New(NewRedactingHandler(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})))
}

// LevelFromEnv reads LOG_LEVEL (default info).
func LevelFromEnv() (slog.Level, error) {
	var l slog.Level
	v := os.Getenv(EnvLevel)
	if v == "" {
		return slog.LevelInfo, nil
	}
	err := l.UnmarshalText([]byte(v))
	return l, err
}

// NewRedactingHandler wraps next so that the values of sensitive attributes — at any depth of
// groups, and as fields of structs, maps and slices logged as values — are replaced by Redacted.
func NewRedactingHandler(next slog.Handler) slog.Handler {
	return &redactingHandler{next: next}
}

type redactingHandler struct{ next slog.Handler }

func (h *redactingHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

func (h *redactingHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(redactAttr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h *redactingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	red := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		red[i] = redactAttr(a)
	}
	return &redactingHandler{next: h.next.WithAttrs(red)}
}

func (h *redactingHandler) WithGroup(name string) slog.Handler {
	return &redactingHandler{next: h.next.WithGroup(name)}
}

func redactAttr(a slog.Attr) slog.Attr {
	if IsSensitive(a.Key) {
		return slog.String(a.Key, Redacted)
	}
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindGroup:
		attrs := v.Group()
		red := make([]slog.Attr, len(attrs))
		for i, g := range attrs {
			red[i] = redactAttr(g)
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(red...)}
	case slog.KindAny:
		return slog.Attr{Key: a.Key, Value: redactAny(v.Any())}
	}
	return slog.Attr{Key: a.Key, Value: v}
}

var timeType = reflect.TypeOf(time.Time{})

// redactAny redacts composite values (structs, maps, slices, JSON documents) through their JSON
// form, which is how the JSON handler would print them. Errors and scalars are left alone.
func redactAny(v any) slog.Value {
	switch x := v.(type) {
	case nil, error, slog.LogValuer:
		return slog.AnyValue(v)
	case json.RawMessage:
		return redactJSON(x, v)
	case []byte:
		return slog.AnyValue(v)
	}
	t := reflect.TypeOf(v)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == timeType {
		return slog.AnyValue(v)
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map, reflect.Slice, reflect.Array, reflect.Interface:
	default:
		return slog.AnyValue(v)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return slog.AnyValue(v)
	}
	return redactJSON(b, v)
}

func redactJSON(b []byte, orig any) slog.Value {
	var tree any
	if err := json.Unmarshal(b, &tree); err != nil {
		return slog.AnyValue(orig)
	}
	if !redactTree(tree) {
		return slog.AnyValue(orig)
	}
	return slog.AnyValue(tree)
}

// redactTree redacts sensitive keys of decoded JSON in place and reports whether it changed anything.
func redactTree(v any) bool {
	changed := false
	switch x := v.(type) {
	case map[string]any:
		for k, sub := range x {
			if IsSensitive(k) {
				x[k] = Redacted
				changed = true
				continue
			}
			changed = redactTree(sub) || changed
		}
	case []any:
		for _, sub := range x {
			changed = redactTree(sub) || changed
		}
	}
	return changed
}
