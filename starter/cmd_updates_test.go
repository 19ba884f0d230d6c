package main

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
)

// --accept without --port-date is bad input (2) naming --port-date and the rule, decided before
// Temporal is dialled for anything but an international port-in (which may be confirming a cancel).
func TestCarrierResponseAcceptWithoutPortDateIsBadInput(t *testing.T) {
	for _, wf := range []string{"port-in-REQ-1", "port-out-OUT-1"} {
		code, _, stderr := runCLI(t, "", "--address", "127.0.0.1:1", "--dial-timeout", "1s",
			"carrier-response", "--workflow", wf, "--group", "Acme Telecom/did", "--accept")
		require.Equal(t, 2, code, stderr)
		require.Contains(t, stderr, "port_date: --accept needs --port-date")
		require.Contains(t, stderr, "RFC 3339")
		require.Contains(t, stderr, wf+" is not an international port-in")
	}
	// An international port-in is asked for its state: here Temporal is unreachable (1, the address named).
	code, _, stderr := runCLI(t, "", "--address", "127.0.0.1:1", "--dial-timeout", "1s",
		"carrier-response", "--workflow", "intl-port-in-X", "--group", "main", "--accept")
	require.Equal(t, 1, code, stderr)
	require.Contains(t, stderr, "127.0.0.1:1")
}

// fakeUpdate is an accepted update whose result comes after delay (or never, when delay < 0).
type fakeUpdate struct {
	delay  time.Duration
	result string
	err    error
}

func (f fakeUpdate) WorkflowID() string { return "port-in-REQ-1" }
func (f fakeUpdate) RunID() string      { return "run" }
func (f fakeUpdate) UpdateID() string   { return "upd" }
func (f fakeUpdate) Get(ctx context.Context, valuePtr interface{}) error {
	if f.delay < 0 {
		<-ctx.Done()
		return ctx.Err()
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(f.delay):
	}
	if f.err != nil {
		return f.err
	}
	*(valuePtr.(*string)) = f.result
	return nil
}

func TestAwaitUpdate(t *testing.T) {
	run := func(h fakeUpdate, wait, timeout time.Duration) (error, string) {
		var out strings.Builder
		a := &app{stdout: &out, updateWait: wait, timeout: timeout}
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		err := a.awaitUpdate(ctx, nil, h, "port-in-REQ-1", "submit-loa")
		return err, out.String()
	}

	// The result in time: the workflow's own account, exit 0.
	err, out := run(fakeUpdate{delay: time.Millisecond, result: "group Acme Telecom/did: LOA v2 submitted"}, time.Second, time.Minute)
	require.NoError(t, err)
	require.Equal(t, "port-in-REQ-1: group Acme Telecom/did: LOA v2 submitted\n", out)

	// Accepted, but an activity it waits on keeps retrying: no result within --update-wait. Not a
	// failure (the workflow has the update): exit 0, saying so and how to follow it.
	err, out = run(fakeUpdate{delay: -1}, 50*time.Millisecond, time.Minute)
	require.NoError(t, err)
	require.Equal(t, 0, exitCode(err))
	require.Contains(t, out, "port-in-REQ-1: submit-loa was accepted and is still being applied (no result after 50ms)")
	require.Contains(t, out, "starter status --workflow port-in-REQ-1")
	require.NotContains(t, out, "is a worker polling")

	// --timeout shorter than --update-wait: the same, after --timeout.
	err, out = run(fakeUpdate{delay: -1}, time.Minute, 50*time.Millisecond)
	require.NoError(t, err)
	require.Contains(t, out, "still being applied (no result after 50ms)")

	// The handler refused it: exit 3 with the workflow's message.
	err, _ = run(fakeUpdate{delay: time.Millisecond, err: temporal.NewApplicationError("group x is scheduled, not awaiting an LOA", "Refused")}, time.Second, time.Minute)
	require.Equal(t, exitRefused, exitCode(err))
	require.Equal(t, "group x is scheduled, not awaiting an LOA", err.Error())

	// Any other error is not taken for "still being applied".
	err, _ = run(fakeUpdate{delay: time.Millisecond, err: errors.New("connection reset")}, time.Second, time.Minute)
	require.Equal(t, 1, exitCode(err))
}
