package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/sdk/converter"

	"github.com/contactcenter/numberporting/porting"
)

func TestWriteStatusPortIn(t *testing.T) {
	now := time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC) // Fri 10:00 in New York
	portDate := time.Date(2026, 11, 25, 15, 0, 0, 0, time.UTC)
	next := time.Date(2026, 11, 24, 15, 0, 0, 0, time.UTC)
	st := porting.Status{
		RequestID: "REQ-1", Kind: porting.KindPortIn, State: porting.StateScheduled, TimeZone: "America/New_York",
		InstanceARN: "arn:aws:connect:us-east-1:123456789012:instance/demo-1", NextDeadline: &next, NextDeadlineKind: "provisioning",
		Numbers: []porting.NumberStatus{{E164: "+14155550100", State: porting.StateScheduled, Group: "Acme Telecom/did"}},
		Groups: []porting.GroupStatus{{Group: "Acme Telecom/did", State: porting.StateScheduled, LOAVersion: 2, Rounds: 1,
			PortDate: &portDate, NextDeadline: &next, NextDeadlineKind: "provisioning", Numbers: 1}},
		History: []porting.HistoryEntry{{At: now, State: porting.StateScheduled, Note: "Acme Telecom/did: carrier accepted"}},
	}
	var out bytes.Buffer
	require.NoError(t, writeStatus(&out, "port-in-REQ-1", st, now, false))
	text := out.String()
	for _, want := range []string{
		"Time zone:      America/New_York",
		"Next deadline:  Tue 2026-11-24 10:00:00 EST (provisioning, in 4d 0h)",
		"LOA GROUPS",
		"NUMBERS\nE164          STATE      GROUP             REASON\n+14155550100  scheduled  Acme Telecom/did  -\n",
		"GROUP             STATE      NUMBERS  LOA  REJECTED  PORT DATE",
		"Acme Telecom/did  scheduled  1        v2   1         Wed 2026-11-25 10:00:00 EST  Tue 2026-11-24 10:00:00 EST (provisioning)  -",
		"2026-11-20 10:00:00 EST  scheduled  Acme Telecom/did: carrier accepted",
	} {
		assert.Contains(t, text, want)
	}
	assert.NotContains(t, text, "Outcome:")
	assert.NotContains(t, text, "SHOULD DO", "no group has an action")
	assert.NotContains(t, text, "GROUP CHANGES", "no group is split or has a date asked for")
	assert.NotContains(t, text, "CODE", "no number has its own reason code")
}

// A carrier accepted a group with a date but not two of its numbers: they left as Acme Telecom/did#2
// (loa_rejected, each with its reason); the customer then asked for another date for the rest.
func TestWriteStatusSplitGroupAndRequestedPortDate(t *testing.T) {
	now := time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)
	portDate := time.Date(2026, 11, 25, 15, 0, 0, 0, time.UTC)
	asked := time.Date(2026, 11, 27, 14, 30, 0, 0, time.UTC)
	st := porting.Status{
		RequestID: "REQ-1", Kind: porting.KindPortIn, State: porting.StateLOARejected, TimeZone: "America/New_York",
		Numbers: []porting.NumberStatus{
			{E164: "+14155550100", State: porting.StateScheduled, Group: "Acme Telecom/did"},
			{E164: "+14155550101", State: porting.StateLOARejected, Group: "Acme Telecom/did#2",
				ReasonCode: porting.ReasonNotPortable, Reason: "NOT_PORTABLE: rate centre not served"},
			{E164: "+14155550102", State: porting.StateLOARejected, Group: "Acme Telecom/did#2",
				ReasonCode: porting.ReasonPartialPort, Reason: "PARTIAL_PORT: keep the BTN"},
			{E164: "+14155550103", State: porting.StateCancelled, Reason: "removed: customer keeps it"},
		},
		Groups: []porting.GroupStatus{
			{Group: "Acme Telecom/did", State: porting.StateScheduled, LOAVersion: 1, PortDate: &portDate, RequestedPortDate: &asked, Numbers: 1},
			{Group: "Acme Telecom/did#2", State: porting.StateLOARejected, LOAVersion: 1, Rounds: 1, SplitFrom: "Acme Telecom/did", Numbers: 2,
				LastReason: "NOT_PORTABLE: rate centre not served", LastReasonCode: porting.ReasonNotPortable,
				CustomerAction: "These numbers cannot be ported from Acme Telecom."},
		},
	}
	var out bytes.Buffer
	require.NoError(t, writeStatus(&out, "port-in-REQ-1", st, now, false))
	text := out.String()
	assert.Contains(t, text, "NUMBERS\n"+
		"E164          STATE         GROUP               CODE          REASON\n"+
		"+14155550100  scheduled     Acme Telecom/did    -             -\n"+
		"+14155550101  loa_rejected  Acme Telecom/did#2  NOT_PORTABLE  NOT_PORTABLE: rate centre not served\n"+
		"+14155550102  loa_rejected  Acme Telecom/did#2  PARTIAL_PORT  PARTIAL_PORT: keep the BTN\n"+
		"+14155550103  cancelled     -                   -             removed: customer keeps it\n\n")
	assert.Contains(t, text, "GROUP               STATE         NUMBERS  LOA  REJECTED  PORT DATE                    NEXT DEADLINE  LAST REASON\n"+
		"Acme Telecom/did    scheduled     1        v1   0         Wed 2026-11-25 10:00:00 EST  -              -\n"+
		"Acme Telecom/did#2  loa_rejected  2        v1   1         -                            -              NOT_PORTABLE: rate centre not served\n")
	assert.Contains(t, text, "\nGROUP CHANGES\n"+
		"GROUP               CHANGE\n"+
		"Acme Telecom/did    requested port date Fri 2026-11-27 09:30:00 EST: date asked for, awaiting the carrier "+
		"(Wed 2026-11-25 10:00:00 EST stands until it answers)\n"+
		"Acme Telecom/did#2  split from Acme Telecom/did: numbers the carrier did not accept with the rest\n"+
		"\nWHAT THE CUSTOMER SHOULD DO\n")

	// The same status through --json's path: the query's JSON decoded renders the same.
	raw, err := json.Marshal(st)
	require.NoError(t, err)
	for _, field := range []string{`"requested_port_date":"2026-11-27T14:30:00Z"`, `"split_from":"Acme Telecom/did"`, `"numbers":2`,
		`"reason_code":"PARTIAL_PORT"`} {
		assert.Contains(t, string(raw), field)
	}
	var back porting.Status
	require.NoError(t, json.Unmarshal(raw, &back))
	var again bytes.Buffer
	require.NoError(t, writeStatus(&again, "port-in-REQ-1", back, now, false))
	assert.Equal(t, text, again.String())
}

func TestWriteStatusShowsTheCustomerAction(t *testing.T) {
	now := time.Date(2026, 11, 24, 16, 0, 0, 0, time.UTC)
	action := "Check the service address on your latest bill from Acme Telecom and send an LOA with exactly that address."
	st := porting.Status{
		RequestID: "REQ-1", Kind: porting.KindPortIn, State: porting.StateLOARejected, TimeZone: "America/New_York",
		Numbers: []porting.NumberStatus{{E164: "+14155550100", State: porting.StateLOARejected, Group: "Acme Telecom/did"}},
		Groups: []porting.GroupStatus{
			{Group: "Acme Telecom/did", State: porting.StateLOARejected, LOAVersion: 1, Rounds: 1,
				LastReason: "ADDRESS_MISMATCH: service address differs", LastReasonCode: porting.ReasonAddressMismatch, CustomerAction: action},
			{Group: "Acme Telecom/toll_free", State: porting.StateAwaitingCarrier, LOAVersion: 1},
		},
	}
	var out bytes.Buffer
	require.NoError(t, writeStatus(&out, "port-in-REQ-1", st, now, false))
	text := out.String()
	assert.Contains(t, text, "ADDRESS_MISMATCH: service address differs\n", "the carrier's own reason stays in LAST REASON")
	assert.Contains(t, text, "\nWHAT THE CUSTOMER SHOULD DO\nGROUP             CODE              ACTION\n"+
		"Acme Telecom/did  ADDRESS_MISMATCH  "+action+"\n\nHISTORY")
	assert.NotContains(t, text, "Acme Telecom/toll_free  -", "a group without an action is not listed")

	st.Kind = porting.KindPortOut
	st.Groups = []porting.GroupStatus{{Group: "Beta Wireless", State: porting.StateRejectedMismatch, LOAVersion: 1, Rounds: 1,
		LastReason: "mismatched: address", LastReasonCode: porting.ReasonAddressMismatch, CustomerAction: "Beta Wireless must send a corrected request."}}
	out.Reset()
	require.NoError(t, writeStatus(&out, "port-out-OUT-1", st, now, false))
	assert.Contains(t, out.String(), "WHAT THE WINNING CARRIER SHOULD DO\nGROUP          CODE              ACTION\n"+
		"Beta Wireless  ADDRESS_MISMATCH  Beta Wireless must send a corrected request.\n")
}

// The --json output is the status query's JSON: the new group fields are there when set, absent when not.
func TestStatusJSONCarriesTheReasonCode(t *testing.T) {
	g := porting.GroupStatus{Group: "Acme Telecom/did", State: porting.StateLOARejected, LOAVersion: 1,
		LastReason: "6P: foo", LastReasonCode: porting.ReasonOther, CustomerAction: "Read the reason."}
	raw, err := json.Marshal(g)
	require.NoError(t, err)
	assert.Contains(t, string(raw), `"last_reason":"6P: foo","last_reason_code":"OTHER","customer_action":"Read the reason."`)
	raw, err = json.Marshal(porting.GroupStatus{Group: "Acme Telecom/did", State: porting.StateScheduled, LOAVersion: 1})
	require.NoError(t, err)
	assert.NotContains(t, string(raw), "last_reason_code")
	assert.NotContains(t, string(raw), "customer_action")
}

func TestWriteStatusPortOut(t *testing.T) {
	now := time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)
	release := now.Add(90 * time.Second)
	st := porting.Status{
		RequestID: "OUT-1", Kind: porting.KindPortOut, State: porting.StateCompleted, TimeZone: "America/New_York",
		Numbers: []porting.NumberStatus{{E164: "+12125550100", State: porting.StateCompleted, Group: "Beta Wireless"}},
		Groups: []porting.GroupStatus{{Group: "Beta Wireless", State: porting.StateCompleted, LOAVersion: 2, Rounds: 1, PortDate: &release,
			LastReason: ""}},
		History: []porting.HistoryEntry{{At: release, State: porting.StateCompleted, Note: "1 number(s) released to Beta Wireless"}},
	}
	var out bytes.Buffer
	require.NoError(t, writeStatus(&out, "port-out-OUT-1", st, now, false))
	text := out.String()
	assert.Contains(t, text, "Outcome:        1 number(s) released to Beta Wireless")
	assert.Contains(t, text, "WINNING CARRIER\nCARRIER        STATE      REQUESTS  REJECTED  RELEASE AT")
	assert.Contains(t, text, "Beta Wireless  completed  2         1         Fri 2026-11-20 10:01:30 EST")
	assert.Contains(t, text, "NUMBERS\nE164          STATE      REASON\n")
	assert.NotContains(t, text, "LOA GROUPS")
}

func TestRelative(t *testing.T) {
	assert.Equal(t, "in 45s", relative(45*time.Second))
	assert.Equal(t, "2m 5s ago", relative(-125*time.Second))
	assert.Equal(t, "in 3h 20m", relative(200*time.Minute))
	assert.Equal(t, "in 2d 1h", relative(49*time.Hour))
}

func TestWriteList(t *testing.T) {
	sa := func(fields map[string]any) *commonpb.SearchAttributes {
		out := &commonpb.SearchAttributes{IndexedFields: map[string]*commonpb.Payload{}}
		for k, v := range fields {
			p, err := converter.GetDefaultDataConverter().ToPayload(v)
			require.NoError(t, err)
			out.IndexedFields[k] = p
		}
		return out
	}
	rows := []*workflowpb.WorkflowExecutionInfo{
		{Execution: &commonpb.WorkflowExecution{WorkflowId: "port-in-A"}, SearchAttributes: sa(map[string]any{
			"RequestId": "A", "PortKind": "port_in", "PortState": "scheduled", "InstanceArn": "arn:aws:connect:us-east-1:123456789012:instance/i-1",
			"PhoneNumbers": []string{"+14155550100", "+14155550101", "+14155550102", "+14155550103"}, "Carrier": []string{"Acme Telecom"},
			"PortDate": "2026-11-25T15:00:00Z",
		})},
		{Execution: &commonpb.WorkflowExecution{WorkflowId: "intl-port-in-B"}, SearchAttributes: sa(map[string]any{
			"PortKind": "intl_port_in", "PortState": "awaiting_loa", "InstanceArn": "arn:aws:connect:eu-west-2:123456789012:instance/i-2",
			"PhoneNumbers": []string{"+442079460100"}, "PortDate": "2026-11-25T15:00:00Z",
		})},
	}
	var out bytes.Buffer
	require.NoError(t, writeList(&out, rows))
	lines := strings.Split(out.String(), "\n")
	assert.Contains(t, lines[0], "WORKFLOW ID")
	assert.Regexp(t, `^WORKFLOW ID +REQUEST +KIND `, lines[0])
	assert.Regexp(t, `^port-in-A +A +port_in `, lines[1], "the request the workflow belongs to")
	assert.Regexp(t, `^intl-port-in-B +- +intl_port_in `, lines[2], "a port started before RequestId: no request shown")
	assert.Contains(t, lines[1], "2026-11-25 10:00 EST")
	assert.Contains(t, lines[1], "+14155550100,+14155550101,+14155550102 (+1 more)")
	assert.Contains(t, lines[1], "Acme Telecom")
	assert.Contains(t, lines[2], "2026-11-25 15:00 GMT", "an international port's date in its country's time zone")
}
