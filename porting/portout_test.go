package porting

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func validPortOut() PortOutRequest {
	return PortOutRequest{
		RequestID:       "out-1",
		InstanceARN:     "arn:aws:connect:us-west-2:123456789012:instance/abc-123",
		Numbers:         []string{"+14155550100", "+18005550100"},
		WinningCarrier:  "Beta Wireless",
		CustomerContact: Contact{Name: "Ada Admin", Email: "ada@example.com"},
	}
}

func TestValidatePortOut(t *testing.T) {
	require.NoError(t, ValidatePortOut(validPortOut()))
	tokyo := validPortOut()
	tokyo.InstanceARN = "arn:aws:connect:ap-northeast-1:123456789012:instance/x"
	require.EqualError(t, ValidatePortOut(tokyo),
		"instance_arn: porting is not supported for instances in the Asia Pacific (Tokyo) region (ap-northeast-1)",
		"the admin guide: no porting in Tokyo, in either direction")
	london := validPortOut()
	london.Numbers = []string{"+442079460000", "+442079460001"}
	require.NoError(t, ValidatePortOut(london))

	cases := []struct {
		name   string
		mutate func(*PortOutRequest)
		field  string
		rule   string
	}{
		{"missing request id", func(r *PortOutRequest) { r.RequestID = "" }, "request_id", "is required"},
		{"missing arn", func(r *PortOutRequest) { r.InstanceARN = " " }, "instance_arn", "is required: a port-out cannot be processed without the instance ARN"},
		{"malformed arn", func(r *PortOutRequest) { r.InstanceARN = "instance-1" }, "instance_arn", "must look like"},
		{"unknown region", func(r *PortOutRequest) { r.InstanceARN = "arn:aws:connect:mars-1:123456789012:instance/x" }, "instance_arn", "not a region"},
		{"no numbers", func(r *PortOutRequest) { r.Numbers = nil }, "numbers", "at least one"},
		{"not e164", func(r *PortOutRequest) { r.Numbers[1] = "415-555-0100" }, "numbers[1]", "E.164"},
		{"short +1", func(r *PortOutRequest) { r.Numbers[1] = "+1415555010" }, "numbers[1]", "not a possible US/Canada number"},
		{"duplicate", func(r *PortOutRequest) { r.Numbers[1] = r.Numbers[0] }, "numbers[1]", "duplicate of numbers[0]"},
		{"two countries", func(r *PortOutRequest) { r.Numbers[1] = "+442079460000" }, "numbers[1]", "one port-out moves numbers of one country"},
		{"no calendar", func(r *PortOutRequest) { r.Numbers = []string{"+8613800138000"} }, "numbers[0]", "no holiday calendar"},
		{"no carrier", func(r *PortOutRequest) { r.WinningCarrier = "  " }, "winning_carrier", "is required"},
		{"no contact email", func(r *PortOutRequest) { r.CustomerContact.Email = "" }, "customer_contact.email", "is required"},
		{"negative expiry", func(r *PortOutRequest) { r.Deadlines = &PortOutDeadlines{WinningCarrierBusinessDays: -1} },
			"deadlines.winning_carrier_business_days", "must not be negative"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := validPortOut()
			r.Numbers = append([]string(nil), r.Numbers...)
			c.mutate(&r)
			err := ValidatePortOut(r)
			require.Error(t, err)
			var v *ValidationError
			require.ErrorAs(t, err, &v)
			found := false
			for _, p := range v.Problems {
				if p.Field == c.field {
					require.Contains(t, p.Rule, c.rule)
					found = true
				}
			}
			require.True(t, found, "no problem for %s in %v", c.field, err)
		})
	}
}

func TestPortOutCalendar(t *testing.T) {
	c, err := PortOutCalendar(validPortOut())
	require.NoError(t, err)
	require.Equal(t, "US", c.Country())
	require.Equal(t, "America/Los_Angeles", c.Location().String(), "+1 numbers: the instance region's time zone")

	london := validPortOut()
	london.Numbers = []string{"+442079460000"}
	c, err = PortOutCalendar(london)
	require.NoError(t, err)
	require.Equal(t, "GB", c.Country())
	require.Equal(t, "Europe/London", c.Location().String())
}

func TestPortOutDeadlinesDefault(t *testing.T) {
	var d *PortOutDeadlines
	require.Equal(t, 30, d.WithDefaults().WinningCarrierBusinessDays)
	require.Equal(t, 5, (&PortOutDeadlines{WinningCarrierBusinessDays: 5}).WithDefaults().WinningCarrierBusinessDays)
}

func TestValidateWinningCarrierRequest(t *testing.T) {
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	valid := func() WinningCarrierRequest {
		return WinningCarrierRequest{
			Carrier: "Beta Wireless", OwnerName: "Ada Admin", Address: "1 Main St", BillingContact: "billing@example.com",
			Numbers: []string{"+14155550100"}, LOARef: "loa-1.pdf", RequestedAt: now.Add(48 * time.Hour),
		}
	}
	require.NoError(t, ValidateWinningCarrierRequest(valid(), now))
	cases := []struct {
		name   string
		mutate func(*WinningCarrierRequest)
		want   string
	}{
		{"no carrier", func(r *WinningCarrierRequest) { r.Carrier = "" }, "carrier: is required"},
		{"no owner", func(r *WinningCarrierRequest) { r.OwnerName = "" }, "owner_name: is required"},
		{"no address", func(r *WinningCarrierRequest) { r.Address = "" }, "address: is required"},
		{"no billing", func(r *WinningCarrierRequest) { r.BillingContact = "" }, "billing_contact: is required"},
		{"no numbers", func(r *WinningCarrierRequest) { r.Numbers = nil }, "numbers: at least one"},
		{"bad number", func(r *WinningCarrierRequest) { r.Numbers = []string{"4155550100"} }, "numbers[0]: must be an E.164 number"},
		{"duplicate", func(r *WinningCarrierRequest) { r.Numbers = []string{"+14155550100", "+14155550100"} }, "numbers[1]: duplicate"},
		{"no loa", func(r *WinningCarrierRequest) { r.LOARef = " " }, "loa_ref: is required"},
		{"no time", func(r *WinningCarrierRequest) { r.RequestedAt = time.Time{} }, "requested_at: is required"},
		{"past", func(r *WinningCarrierRequest) { r.RequestedAt = now.Add(-time.Minute) }, "requested_at: must be in the future, got 2026-11-23T08:59:00Z"},
		{"now", func(r *WinningCarrierRequest) { r.RequestedAt = now }, "requested_at: must be in the future"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := valid()
			c.mutate(&r)
			require.ErrorContains(t, ValidateWinningCarrierRequest(r, now), c.want)
		})
	}
}

func TestSameCarrierAndNumbers(t *testing.T) {
	require.True(t, SameCarrier("Beta Wireless", " beta wireless "))
	require.False(t, SameCarrier("Beta Wireless", "Beta"))
	require.True(t, SameNumbers([]string{"+1", "+2"}, []string{"+2", "+1"}))
	require.False(t, SameNumbers([]string{"+1", "+2"}, []string{"+1"}))
	require.False(t, SameNumbers([]string{"+1", "+2"}, []string{"+1", "+3"}))
}
