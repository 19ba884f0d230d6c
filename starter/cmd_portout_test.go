package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/contactcenter/numberporting/porting"
)

func TestPortOutStartOptions(t *testing.T) {
	req := porting.PortOutRequest{
		RequestID:      "OUT-1",
		InstanceARN:    "arn:aws:connect:us-east-1:123456789012:instance/abc-1",
		Numbers:        []string{"+14155550100", "+14155550101"},
		WinningCarrier: "Beta Wireless",
	}
	o := startOptions(portOutStart(req))
	require.Equal(t, "port-out-OUT-1", o.ID)
	require.Equal(t, porting.TaskQueue, o.TaskQueue)
	require.True(t, o.WorkflowExecutionErrorWhenAlreadyStarted)

	sa := o.TypedSearchAttributes
	kind, _ := sa.GetKeyword(porting.SearchPortKind)
	state, _ := sa.GetKeyword(porting.SearchPortState)
	arn, _ := sa.GetKeyword(porting.SearchInstanceArn)
	carriers, _ := sa.GetKeywordList(porting.SearchCarrier)
	numbers, _ := sa.GetKeywordList(porting.SearchPhoneNumbers)
	requestID, _ := sa.GetKeyword(porting.SearchRequestId)
	require.Equal(t, "OUT-1", requestID)
	require.Equal(t, porting.KindPortOut, kind)
	require.Equal(t, string(porting.StateValidating), state)
	require.Equal(t, req.InstanceARN, arn)
	require.Equal(t, []string{"Beta Wireless"}, carriers)
	require.Equal(t, req.Numbers, numbers)
	require.Equal(t, "Port-out OUT-1: 2 numbers from arn:aws:connect:us-east-1:123456789012:instance/abc-1 to Beta Wireless", o.StaticSummary)
	require.Contains(t, o.StaticDetails, "- winning carrier: Beta Wireless\n")
	require.Contains(t, o.StaticDetails, "- numbers (2): +14155550100, +14155550101\n")
}

const validPortOut = `{
  "request_id": "OUT-1",
  "instance_arn": "arn:aws:connect:us-east-1:123456789012:instance/abc-1",
  "numbers": ["+14155550100"],
  "winning_carrier": "Beta Wireless",
  "customer_contact": {"name": "Pat Doe", "email": "pat@example.com"}
}`

func TestPortOutBadInputNeedsNoServer(t *testing.T) {
	// An address nothing listens on: every case below must be refused before dialing.
	base := []string{"--address", "127.0.0.1:1", "--dial-timeout", "200ms", "port-out", "--file"}

	noARN := strings.Replace(validPortOut, `"arn:aws:connect:us-east-1:123456789012:instance/abc-1"`, `""`, 1)
	code, _, stderr := runCLI(t, "", append(base, writeFile(t, "no-arn.json", noARN))...)
	require.Equal(t, 2, code, stderr)
	require.Contains(t, stderr, "instance_arn: is required: a port-out cannot be processed without the instance ARN")

	withoutField := strings.Replace(validPortOut, `"instance_arn": "arn:aws:connect:us-east-1:123456789012:instance/abc-1",`, "", 1)
	code, _, stderr = runCLI(t, "", append(base, writeFile(t, "no-arn-field.json", withoutField))...)
	require.Equal(t, 2, code, stderr)
	require.Contains(t, stderr, "instance_arn: is required")

	code, _, stderr = runCLI(t, "", append(base, writeFile(t, "typo.json", strings.Replace(validPortOut, "winning_carrier", "winning_carier", 1)))...)
	require.Equal(t, 2, code, stderr)
	require.Contains(t, stderr, "winning_carier: unknown field")

	wcr := []string{"--address", "127.0.0.1:1", "--dial-timeout", "200ms", "winning-carrier-request", "--workflow", "port-out-OUT-1", "--file"}
	past := `{"carrier": "Beta Wireless", "owner_name": "Pat Doe", "address": "1 Main St", "billing_contact": "b@example.com",
	  "numbers": ["+14155550100"], "loa_ref": "loa.pdf", "requested_at": "2020-01-01T10:00:00-05:00"}`
	code, _, stderr = runCLI(t, "", append(wcr, writeFile(t, "past.json", past))...)
	require.Equal(t, 2, code, stderr)
	require.Contains(t, stderr, "requested_at: must be in the future")

	code, _, stderr = runCLI(t, "", append(wcr, writeFile(t, "bad-time.json", strings.Replace(past, "2020-01-01T10:00:00-05:00", "next friday", 1)))...)
	require.Equal(t, 2, code, stderr)
	require.Contains(t, stderr, "RFC 3339")
}
