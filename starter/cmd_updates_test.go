package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/contactcenter/numberporting/porting"
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

func TestParseRejectNumber(t *testing.T) {
	good := []struct {
		in   string
		want porting.NumberAnswer
	}{
		{"+14155550100=NOT_PORTABLE", porting.NumberAnswer{E164: "+14155550100", ReasonCode: "NOT_PORTABLE"}},
		{"+14155550100=PARTIAL_PORT:keep the BTN", porting.NumberAnswer{E164: "+14155550100", ReasonCode: "PARTIAL_PORT", Reason: "keep the BTN"}},
		{"+14155550100=6P:note: see ticket 12:30", porting.NumberAnswer{E164: "+14155550100", ReasonCode: "6P", Reason: "note: see ticket 12:30"}},
		{" +442079460100 = OTHER : rate centre, not served ", porting.NumberAnswer{E164: "+442079460100", ReasonCode: "OTHER", Reason: "rate centre, not served"}},
	}
	for _, tt := range good {
		got, err := parseRejectNumber(tt.in)
		require.NoError(t, err, tt.in)
		require.Equal(t, tt.want, got, tt.in)
		require.False(t, got.Accepted)
	}
	bad := map[string]string{
		"+14155550100":                "no '=' between the number and the reason code",
		"=NOT_PORTABLE":               "the number before '=' is missing",
		"4155550100=NOT_PORTABLE":     `the number must be E.164 like +14155550100, got "4155550100"`,
		"+14155550100=":               "the reason code after '=' is missing",
		"+14155550100=:not portable":  "the reason code after '=' is missing (use OTHER",
		"+14155550100=NOT PORTABLE":   `the reason code "NOT PORTABLE" must not contain spaces`,
		"+14155550100=NOT_PORTABLE:":  "the reason after ':' is empty",
		"+14155550100=NOT_PORTABLE: ": "the reason after ':' is empty",
	}
	for in, want := range bad {
		_, err := parseRejectNumber(in)
		require.Error(t, err, in)
		require.Equal(t, exitBadInput, exitCode(err), in)
		require.Contains(t, err.Error(), fmt.Sprintf("--reject-number %q: ", in))
		require.Contains(t, err.Error(), want, in)
		require.Contains(t, err.Error(), "expected E164=CODE[:reason]", in)
	}
}

func TestCarrierResponsePayload(t *testing.T) {
	now := time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)
	// Accepted with a date: the listed numbers are answered not accepted, with their reasons.
	r, noDate, err := carrierResponseFlags{Group: "Acme Telecom/did", Accept: true, PortDate: "2026-11-25T10:00:00-05:00",
		RejectNumbers: []string{"+14155550101=NOT_PORTABLE", "+14155550102=PARTIAL_PORT:keep +14155550100: the BTN"}}.payload(now)
	require.NoError(t, err)
	require.False(t, noDate)
	require.True(t, r.Accepted)
	require.Equal(t, time.Date(2026, 11, 25, 15, 0, 0, 0, time.UTC), r.PortDate.UTC())
	require.Equal(t, []porting.NumberAnswer{
		{E164: "+14155550101", ReasonCode: "NOT_PORTABLE"},
		{E164: "+14155550102", ReasonCode: "PARTIAL_PORT", Reason: "keep +14155550100: the BTN"},
	}, r.Numbers)
	raw, err := json.Marshal(r)
	require.NoError(t, err)
	require.Contains(t, string(raw), `"numbers":[{"e164":"+14155550101","accepted":false,"reason_code":"NOT_PORTABLE"},`)

	// Rejected as a whole: the group's reason and each number's own.
	r, _, err = carrierResponseFlags{Group: "Acme Telecom/did", Reject: true, ReasonCode: "ADDRESS_MISMATCH", Reason: "service address differs",
		RejectNumbers: []string{"+14155550101=NOT_PORTABLE"}}.payload(now)
	require.NoError(t, err)
	require.False(t, r.Accepted)
	require.Nil(t, r.PortDate)
	require.Equal(t, "ADDRESS_MISMATCH", r.ReasonCode)
	require.Equal(t, []porting.NumberAnswer{{E164: "+14155550101", ReasonCode: "NOT_PORTABLE"}}, r.Numbers)

	// Without --reject-number nothing changes: no numbers in the payload.
	r, _, err = carrierResponseFlags{Group: "g", Accept: true, PortDate: "2026-11-25T10:00:00-05:00"}.payload(now)
	require.NoError(t, err)
	require.Nil(t, r.Numbers)
	raw, err = json.Marshal(r)
	require.NoError(t, err)
	require.NotContains(t, string(raw), "numbers")

	// --accept without a date is only a cancellation's confirmation; with --reject-number it is bad input.
	_, noDate, err = carrierResponseFlags{Group: "g", Accept: true}.payload(now)
	require.NoError(t, err)
	require.True(t, noDate)
	_, _, err = carrierResponseFlags{Group: "g", Accept: true, RejectNumbers: []string{"+14155550101=NOT_PORTABLE"}}.payload(now)
	require.Equal(t, exitBadInput, exitCode(err))
	require.ErrorContains(t, err, "port_date: --reject-number with --accept needs --port-date")

	// The validator's problems with a number name the flag and the value given.
	_, _, err = carrierResponseFlags{Group: "g", Accept: true, PortDate: "2026-11-25T10:00:00-05:00",
		RejectNumbers: []string{"+14155550101=NOT_PORTABLE", "+14155550101=OTHER:again"}}.payload(now)
	require.Equal(t, exitBadInput, exitCode(err))
	require.ErrorContains(t, err, `--reject-number "+14155550101=OTHER:again" (numbers[1].e164): duplicate of numbers[0]`)

	// A past date is refused before Temporal is asked, as before.
	_, _, err = carrierResponseFlags{Group: "g", Accept: true, PortDate: "2026-11-19T10:00:00-05:00"}.payload(now)
	require.Equal(t, exitBadInput, exitCode(err))
	require.ErrorContains(t, err, "port_date: must be in the future")
}

// Every bad --reject-number is refused (2) before Temporal is dialled, naming the flag and its form;
// a good one gets as far as the dial (1, the address named).
func TestCarrierResponseRejectNumberNeedsNoServer(t *testing.T) {
	future := time.Now().Add(72 * time.Hour).Format(time.RFC3339)
	base := []string{"--address", "127.0.0.1:1", "--dial-timeout", "1s",
		"carrier-response", "--workflow", "port-in-REQ-1", "--group", "Acme Telecom/did"}
	for _, bad := range []string{"+14155550101", "+14155550101=", "=NOT_PORTABLE", "4155550101=NOT_PORTABLE",
		"+14155550101=:no code", "+14155550101=NOT PORTABLE", "+14155550101=NOT_PORTABLE:"} {
		for _, mode := range [][]string{{"--accept", "--port-date", future}, {"--reject", "--reason-code", "ADDRESS_MISMATCH"}} {
			args := append(append(append([]string{}, base...), mode...), "--reject-number", "+14155550102=NOT_PORTABLE", "--reject-number", bad)
			code, _, stderr := runCLI(t, "", args...)
			require.Equal(t, 2, code, "%s %v: %s", bad, mode, stderr)
			require.Contains(t, stderr, fmt.Sprintf("--reject-number %q", bad))
			require.Contains(t, stderr, "expected E164=CODE[:reason]")
		}
	}

	code, _, stderr := runCLI(t, "", append(base, "--accept", "--reject-number", "+14155550102=NOT_PORTABLE")...)
	require.Equal(t, 2, code, stderr)
	require.Contains(t, stderr, "port_date: --reject-number with --accept needs --port-date")

	code, _, stderr = runCLI(t, "", append(base, "--accept", "--port-date", future,
		"--reject-number", "+14155550102=NOT_PORTABLE", "--reject-number", "+14155550102=OTHER")...)
	require.Equal(t, 2, code, stderr)
	require.Contains(t, stderr, `--reject-number "+14155550102=OTHER" (numbers[1].e164): duplicate`)

	for _, mode := range [][]string{{"--accept", "--port-date", future}, {"--reject", "--reason", "address differs"}} {
		args := append(append(append([]string{}, base...), mode...), "--reject-number", "+14155550102=PARTIAL_PORT:a, b: c")
		code, _, stderr := runCLI(t, "", args...)
		require.Equal(t, 1, code, "%v: %s", mode, stderr)
		require.Contains(t, stderr, "127.0.0.1:1")
	}
}
