package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"

	"github.com/contactcenter/numberporting/internal/temporalconn"
	"github.com/contactcenter/numberporting/porting"
	"github.com/contactcenter/numberporting/store"
)

func TestExitCode(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, 0},
		{"plain error", errors.New("boom"), 1},
		{"deadline", context.DeadlineExceeded, 1},
		{"bad input", badInput("numbers[0].e164: must be E.164"), 2},
		{"usage", usageError(errors.New(`unknown flag: --nope`)), 2},
		{"usage keeps a typed error", usageError(refused("no")), 3},
		{"validation error", &porting.ValidationError{Problems: []porting.FieldError{{Field: "request_id", Rule: "is required"}}}, 2},
		{"wrapped validation error", fmt.Errorf("port-in: %w", &porting.ValidationError{}), 2},
		{"refused", refused("group Acme Telecom/did is scheduled, not awaiting an LOA"), 3},
		{"update rejected by the workflow", temporal.NewApplicationError("group Acme Telecom/did is scheduled, not awaiting an LOA", ""), 3},
		{"already started", serviceerror.NewWorkflowExecutionAlreadyStarted("started", "", ""), 3},
		{"not found", notFound("no workflow port-in-x"), 4},
		{"service not found", serviceerror.NewNotFound("workflow not found"), 4},
		{"wrapped service not found", fmt.Errorf("query: %w", serviceerror.NewNotFound("workflow not found")), 4},
		{"unreachable", &temporalconn.UnreachableError{Address: "127.0.0.1:1", Err: errors.New("connection refused")}, 1},
		{"unknown namespace while dialing", &temporalconn.UnreachableError{Address: "x", Err: serviceerror.NewNotFound("namespace nope not found")}, 1},
		{"failure wrapping not found", failure(serviceerror.NewNotFound("x"), "x"), 1},
		{"inventory invalid", &store.InventoryError{Kind: "invalid", Field: "arn", Msg: "bad"}, 2},
		{"inventory refused", &store.InventoryError{Kind: "refused", Field: "e164", Msg: "limit"}, 3},
		{"inventory not found", &store.InventoryError{Kind: "not_found", Field: "instance", Msg: "no such instance"}, 4},
		{"inventory unknown kind", &store.InventoryError{Kind: "weird"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, exitCode(tt.err))
		})
	}
}

func TestWriteErrorShowsTheWorkflowsMessageOnly(t *testing.T) {
	var b bytes.Buffer
	writeError(&b, fmt.Errorf("update: %w", temporal.NewApplicationError("group Acme Telecom/did is scheduled, not awaiting an LOA", "Refused")))
	require.Equal(t, "group Acme Telecom/did is scheduled, not awaiting an LOA\n", b.String())

	b.Reset()
	writeError(&b, &porting.ValidationError{Problems: []porting.FieldError{{Field: "a", Rule: "x"}, {Field: "b", Rule: "y"}}})
	require.Equal(t, "invalid input:\n  a: x\n  b: y\n", b.String())
}
