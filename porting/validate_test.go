package porting

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func validPortIn() PortInRequest {
	return PortInRequest{
		RequestID:   "req-1",
		InstanceARN: "arn:aws:connect:us-east-1:123456789012:instance/abc-123",
		ContactFlow: "Main IVR",
		Numbers: []PortNumber{
			{E164: "+14155550100", Type: NumberTypeDID, Carrier: "Acme Telecom"},
			{E164: "+18005550100", Type: NumberTypeTollFree, Carrier: "Acme Telecom"},
		},
		AuthorizedContact: Contact{Name: "Ada Admin", Email: "ada@example.com", Phone: "+14155550199"},
	}
}

func TestValidatePortIn(t *testing.T) {
	require.NoError(t, ValidatePortIn(validPortIn()))
	cases := []struct {
		name   string
		mutate func(*PortInRequest)
		field  string
		rule   string
	}{
		{"missing request id", func(r *PortInRequest) { r.RequestID = "" }, "request_id", "is required"},
		{"bad request id", func(r *PortInRequest) { r.RequestID = "a b" }, "request_id", "letters, digits"},
		{"missing arn", func(r *PortInRequest) { r.InstanceARN = "" }, "instance_arn", "is required"},
		{"malformed arn", func(r *PortInRequest) { r.InstanceARN = "instance-1" }, "instance_arn", "must look like"},
		{"tokyo", func(r *PortInRequest) { r.InstanceARN = "arn:aws:connect:ap-northeast-1:123456789012:instance/x" }, "instance_arn", "Tokyo"},
		{"no flow", func(r *PortInRequest) { r.ContactFlow = " " }, "contact_flow", "is required"},
		{"no numbers", func(r *PortInRequest) { r.Numbers = nil }, "numbers", "at least one"},
		{"non +1", func(r *PortInRequest) { r.Numbers[0].E164 = "+442079460000" }, "numbers[0].e164", "+1"},
		{"not e164", func(r *PortInRequest) { r.Numbers[0].E164 = "415-555-0100" }, "numbers[0].e164", "E.164"},
		{"too short", func(r *PortInRequest) { r.Numbers[0].E164 = "+1415555" }, "numbers[0].e164", "not a possible"},
		{"did that is toll-free", func(r *PortInRequest) { r.Numbers[1].Type = NumberTypeDID }, "numbers[1].e164", "is a toll-free number"},
		{"toll-free that is local", func(r *PortInRequest) { r.Numbers[0].Type = NumberTypeTollFree }, "numbers[0].e164", "not a toll-free"},
		{"bad type", func(r *PortInRequest) { r.Numbers[0].Type = "mobile" }, "numbers[0].type", `must be "did" or "toll_free"`},
		{"no carrier", func(r *PortInRequest) { r.Numbers[0].Carrier = "" }, "numbers[0].carrier", "is required"},
		{"duplicate", func(r *PortInRequest) { r.Numbers[1] = r.Numbers[0] }, "numbers[1].e164", "duplicate of numbers[0]"},
		{"no contact name", func(r *PortInRequest) { r.AuthorizedContact.Name = "" }, "authorized_contact.name", "is required"},
		{"bad email", func(r *PortInRequest) { r.AuthorizedContact.Email = "ada" }, "authorized_contact.email", "not an email"},
		{"negative deadline", func(r *PortInRequest) { r.Deadlines = &Deadlines{LOAReminderBusinessDays: -1} }, "deadlines", "negative"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := validPortIn()
			tc.mutate(&r)
			err := ValidatePortIn(r)
			require.Error(t, err)
			var v *ValidationError
			require.ErrorAs(t, err, &v)
			found := false
			for _, p := range v.Problems {
				if p.Field == tc.field {
					require.Contains(t, p.Rule, tc.rule)
					found = true
				}
			}
			require.True(t, found, "no problem for field %s in %v", tc.field, err)
		})
	}
}

func TestValidateSubmitLOA(t *testing.T) {
	ok := SubmitLOA{Group: "Acme Telecom/did", LOA: LOA{AuthorizedName: "Ada", Address: "1 Main St", SignedAt: time.Now(), DocumentRef: "doc-1"}}
	require.NoError(t, ValidateSubmitLOA(ok))
	bad := ok
	bad.LOA.AuthorizedName = ""
	bad.LOA.SignedAt = time.Time{}
	err := ValidateSubmitLOA(bad)
	require.ErrorContains(t, err, "loa.authorized_name: is required")
	require.ErrorContains(t, err, "loa.signed_at: is required")
}

func TestValidateCarrierResponse(t *testing.T) {
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	past, future := now.Add(-time.Hour), now.Add(time.Hour)
	require.NoError(t, ValidateCarrierResponse(CarrierResponse{Group: "g", Accepted: true, PortDate: &future}, now))
	require.ErrorContains(t, ValidateCarrierResponse(CarrierResponse{Group: "g", Accepted: true}, now), "port_date: is required")
	require.ErrorContains(t, ValidateCarrierResponse(CarrierResponse{Group: "g", Accepted: true, PortDate: &past}, now), "port_date: must be in the future")
	require.ErrorContains(t, ValidateCarrierResponse(CarrierResponse{Group: "g"}, now), "reason: is required")
	require.NoError(t, ValidateCarrierResponse(CarrierResponse{Group: "g", ReasonCode: "6D"}, now))
}

func TestIndexedNumbersStayUnderTheServersLimit(t *testing.T) {
	numbers := make([]string, 1000)
	for i := range numbers {
		numbers[i] = fmt.Sprintf("+1415555%04d", i)
	}
	got := IndexedNumbers(numbers)
	require.Len(t, got, MaxIndexedNumbers)
	b, err := json.Marshal(got)
	require.NoError(t, err)
	require.Less(t, len(b), 2048, "the server refuses a search attribute value over 2 KB")
	require.Equal(t, numbers[:2], IndexedNumbers(numbers[:2]))
}
