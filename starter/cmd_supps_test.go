package main

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/contactcenter/numberporting/porting"
)

func TestRequestPortDatePayload(t *testing.T) {
	now := time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)
	r, err := requestPortDatePayload(" Acme Telecom/did ", "2026-11-27T10:00:00-05:00", " support:jo ", now)
	require.NoError(t, err)
	require.Equal(t, "Acme Telecom/did", r.Group)
	require.Equal(t, "support:jo", r.By)
	require.True(t, r.PortDate.Equal(time.Date(2026, 11, 27, 15, 0, 0, 0, time.UTC)))
	raw, err := json.Marshal(r)
	require.NoError(t, err)
	require.JSONEq(t, `{"group":"Acme Telecom/did","port_date":"2026-11-27T10:00:00-05:00","by":"support:jo"}`, string(raw))

	bad := []struct {
		group, date, by string
		want            []string
	}{
		{"", "", "", []string{"group: is required", "port_date: is required", "by: is required"}},
		{"g", "2026-11-27", "ops", []string{`port_date: must be RFC 3339 with offset, e.g. 2026-11-25T10:00:00-05:00; got "2026-11-27"`}},
		{"g", "2026-11-27T10:00:00", "ops", []string{"port_date: must be RFC 3339 with offset"}},
		{"g", "2026-11-19T10:00:00-05:00", "ops", []string{"port_date: must be in the future"}},
		{"g", "tomorrow", "", []string{"port_date: must be RFC 3339", "by: is required"}},
	}
	for _, tt := range bad {
		_, err := requestPortDatePayload(tt.group, tt.date, tt.by, now)
		require.Error(t, err, "%+v", tt)
		require.Equal(t, exitBadInput, exitCode(err))
		require.Contains(t, err.Error(), "invalid port date request:")
		for _, w := range tt.want {
			require.Contains(t, err.Error(), w)
		}
	}
	// An unreadable date is not also reported as missing.
	_, err = requestPortDatePayload("g", "tomorrow", "ops", now)
	require.NotContains(t, err.Error(), "port_date: is required")
}

func TestRemoveNumbersPayload(t *testing.T) {
	r, err := removeNumbersPayload([]string{"+14155550100", " +14155550101"}, " customer keeps it ", "support:jo")
	require.NoError(t, err)
	require.Equal(t, porting.RemoveNumbers{Numbers: []string{"+14155550100", "+14155550101"}, Reason: "customer keeps it", By: "support:jo"}, r)
	raw, err := json.Marshal(r)
	require.NoError(t, err)
	require.JSONEq(t, `{"numbers":["+14155550100","+14155550101"],"reason":"customer keeps it","by":"support:jo"}`, string(raw))

	_, err = removeNumbersPayload(nil, "", "")
	require.Equal(t, exitBadInput, exitCode(err))
	require.ErrorContains(t, err, "--number (numbers): at least one number is required")
	require.ErrorContains(t, err, "reason: is required")
	require.ErrorContains(t, err, "by: is required")

	_, err = removeNumbersPayload([]string{"4155550100", "+14155550101", "+14155550101"}, "r", "b")
	require.Equal(t, exitBadInput, exitCode(err))
	require.ErrorContains(t, err, `--number "4155550100" (numbers[0]): must be an E.164 number`)
	require.ErrorContains(t, err, `--number "+14155550101" (numbers[2]): duplicate of numbers[1]`)
}

// Bad input is refused (2) before Temporal is dialled, naming the field and the rule; good input
// gets as far as the dial (1, the address named).
func TestSuppCommandsNeedNoServerForBadInput(t *testing.T) {
	future := time.Now().Add(72 * time.Hour).Format(time.RFC3339)
	base := []string{"--address", "127.0.0.1:1", "--dial-timeout", "1s"}
	run := func(args ...string) (int, string) {
		code, _, stderr := runCLI(t, "", append(append([]string{}, base...), args...)...)
		return code, stderr
	}

	bad := []struct {
		args []string
		want string
	}{
		{[]string{"request-port-date", "--group", "g", "--port-date", future, "--by", "ops"}, `"workflow" not set`},
		{[]string{"request-port-date", "--workflow", "port-in-R", "--port-date", future, "--by", "ops"}, "group: is required"},
		{[]string{"request-port-date", "--workflow", "port-in-R", "--group", "g", "--by", "ops"}, "port_date: is required"},
		{[]string{"request-port-date", "--workflow", "port-in-R", "--group", "g", "--port-date", "next week", "--by", "ops"}, "port_date: must be RFC 3339"},
		{[]string{"request-port-date", "--workflow", "port-in-R", "--group", "g", "--port-date", "2020-01-06T10:00:00Z", "--by", "ops"}, "port_date: must be in the future"},
		{[]string{"request-port-date", "--workflow", "port-in-R", "--group", "g", "--port-date", future}, "by: is required"},
		{[]string{"remove-numbers", "--number", "+14155550100", "--reason", "r", "--by", "b"}, `"workflow" not set`},
		{[]string{"remove-numbers", "--workflow", "port-in-R", "--reason", "r", "--by", "b"}, "--number (numbers): at least one number is required"},
		{[]string{"remove-numbers", "--workflow", "port-in-R", "--number", "14155550100", "--reason", "r", "--by", "b"}, `--number "14155550100" (numbers[0]): must be an E.164 number`},
		{[]string{"remove-numbers", "--workflow", "port-in-R", "--number", "+14155550100,+14155550100", "--reason", "r", "--by", "b"}, "(numbers[1]): duplicate of numbers[0]"},
		{[]string{"remove-numbers", "--workflow", "port-in-R", "--number", "+14155550100", "--by", "b"}, "reason: is required"},
		{[]string{"remove-numbers", "--workflow", "port-in-R", "--number", "+14155550100", "--reason", "r"}, "by: is required"},
	}
	for _, tt := range bad {
		code, stderr := run(tt.args...)
		require.Equal(t, 2, code, "%v: %s", tt.args, stderr)
		require.Contains(t, stderr, tt.want, "%v", tt.args)
	}

	for _, args := range [][]string{
		{"request-port-date", "--workflow", "port-in-R", "--group", "Acme Telecom/did", "--port-date", future, "--by", "ops"},
		{"remove-numbers", "--workflow", "port-in-R", "--number", "+14155550100", "--number", "+14155550101", "--reason", "r", "--by", "b"},
	} {
		code, stderr := run(args...)
		require.Equal(t, 1, code, "%v: %s", args, stderr)
		require.Contains(t, stderr, "127.0.0.1:1")
	}
}
