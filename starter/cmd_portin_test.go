package main

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"

	"github.com/contactcenter/numberporting/porting"
)

func TestPortInStartOptions(t *testing.T) {
	req := porting.PortInRequest{
		RequestID:   "REQ-1",
		InstanceARN: "arn:aws:connect:us-east-1:123456789012:instance/abc-1",
		Numbers: []porting.PortNumber{
			{E164: "+14155550100", Type: "did", Carrier: "Acme Telecom"},
			{E164: "+18005550100", Type: "toll_free", Carrier: "Acme Telecom"},
			{E164: "+14155550101", Type: "did", Carrier: "Bell"},
		},
	}
	o := startOptions(portInStart(req))
	require.Equal(t, "port-in-REQ-1", o.ID)
	require.Equal(t, porting.TaskQueue, o.TaskQueue)
	require.Equal(t, enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL, o.WorkflowIDConflictPolicy)
	require.Equal(t, enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE, o.WorkflowIDReusePolicy)
	require.True(t, o.WorkflowExecutionErrorWhenAlreadyStarted)
	require.Equal(t, "Port-in REQ-1: 3 numbers from Acme Telecom, Bell to arn:aws:connect:us-east-1:123456789012:instance/abc-1", o.StaticSummary)
	require.Contains(t, o.StaticDetails, "- losing carrier(s): Acme Telecom, Bell\n")

	sa := o.TypedSearchAttributes
	kind, _ := sa.GetKeyword(porting.SearchPortKind)
	state, _ := sa.GetKeyword(porting.SearchPortState)
	arn, _ := sa.GetKeyword(porting.SearchInstanceArn)
	carriers, _ := sa.GetKeywordList(porting.SearchCarrier)
	numbers, _ := sa.GetKeywordList(porting.SearchPhoneNumbers)
	requestID, _ := sa.GetKeyword(porting.SearchRequestId)
	require.Equal(t, "REQ-1", requestID)
	require.Equal(t, porting.KindPortIn, kind)
	require.Equal(t, string(porting.StateValidating), state)
	require.Equal(t, req.InstanceARN, arn)
	require.Equal(t, []string{"Acme Telecom", "Bell"}, carriers)
	require.Equal(t, []string{"+14155550100", "+18005550100", "+14155550101"}, numbers)
}

// "Acme Telecom" and "acme telecom " are one carrier: one LOA group, one Carrier search attribute
// value, in the first occurrence's spelling; the workflow is started with the normalised request.
func TestPortInNormalizesCarriersBeforeStarting(t *testing.T) {
	data := []byte(`{"request_id": "REQ-2", "instance_arn": "arn:aws:connect:us-east-1:123456789012:instance/abc-1",
	 "contact_flow": "Main", "authorized_contact": {"name": "Pat Doe", "email": "pat@example.com"},
	 "numbers": [{"e164": "+14155550100", "type": "did", "carrier": "Acme Telecom"},
	             {"e164": "+14155550101", "type": "did", "carrier": "acme  telecom "},
	             {"e164": "+14155550102", "type": "did", "carrier": "Bell"}]}`)
	req, err := readPortIn(data, "req.json")
	require.NoError(t, err)
	for _, n := range req.Numbers[:2] {
		require.Equal(t, "Acme Telecom", n.Carrier)
	}
	carriers, _ := startOptions(portInStart(req)).TypedSearchAttributes.GetKeywordList(porting.SearchCarrier)
	require.Equal(t, []string{"Acme Telecom", "Bell"}, carriers)
}

func TestIntlPortInStartOptions(t *testing.T) {
	req := porting.InternationalPortInRequest{
		RequestID:   "INTL-1",
		InstanceARN: "arn:aws:connect:eu-west-2:123456789012:instance/abc-2",
		Carrier:     "Albion Telecom",
		Numbers:     []porting.IntlNumber{{E164: "+442079460000", Type: "local"}, {E164: "+447400123456", Type: "mobile"}},
	}
	o := startOptions(intlPortInStart(req))
	require.Equal(t, "intl-port-in-INTL-1", o.ID)
	require.Equal(t, porting.TaskQueue, o.TaskQueue)
	require.True(t, o.WorkflowExecutionErrorWhenAlreadyStarted)

	sa := o.TypedSearchAttributes
	kind, _ := sa.GetKeyword(porting.SearchPortKind)
	requestID, _ := sa.GetKeyword(porting.SearchRequestId)
	carriers, _ := sa.GetKeywordList(porting.SearchCarrier)
	numbers, _ := sa.GetKeywordList(porting.SearchPhoneNumbers)
	require.Equal(t, porting.KindInternationalPortIn, kind)
	require.Equal(t, "INTL-1", requestID)
	require.Equal(t, []string{"Albion Telecom"}, carriers)
	require.Equal(t, []string{"+442079460000", "+447400123456"}, numbers)
}

func TestStaticDetailsListAtMost20Numbers(t *testing.T) {
	p := portStart{label: "Port-in", id: "port-in-BIG", requestID: "BIG", kind: porting.KindPortIn, carriers: []string{"Acme Telecom"}}
	for i := range 25 {
		p.numbers = append(p.numbers, fmt.Sprintf("+1415555%04d", i))
	}
	d := p.staticDetails()
	require.Contains(t, d, "- numbers (25): +14155550000, ")
	require.Contains(t, d, "+14155550019 and 5 more\n")
	require.NotContains(t, d, "+14155550020")
}
