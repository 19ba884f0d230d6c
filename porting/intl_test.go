package porting

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var intlNow = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

func validIntl() InternationalPortInRequest {
	return InternationalPortInRequest{
		RequestID:   "intl-1",
		InstanceARN: "arn:aws:connect:eu-west-2:123456789012:instance/abc",
		ContactFlow: "UK Support",
		Country:     "GB",
		Numbers: []IntlNumber{
			{E164: "020 7946 0000", Type: IntlTypeLocal},
			{E164: "+447400123456", Type: IntlTypeMobile},
			{E164: "0800 800 150", Type: IntlTypeTollFree},
		},
		Carrier:              "Albion Telecom",
		CarrierAccountNumber: "ACC-99887766",
		PIN:                  "2468",
		InvoiceRef:           "s3://invoices/intl-1-redacted.pdf",
		PreferredWindow:      Window{Start: intlNow.Add(14 * 24 * time.Hour), End: intlNow.Add(28 * 24 * time.Hour)},
		AuthorizedContact:    Contact{Name: "Bea Boss", Email: "bea@example.co.uk"},
	}
}

func TestValidateInternationalPortInNormalizes(t *testing.T) {
	out, err := ValidateInternationalPortIn(validIntl(), intlNow)
	require.NoError(t, err)
	require.Equal(t, "+442079460000", out.Numbers[0].E164)
	require.Equal(t, "+447400123456", out.Numbers[1].E164)
	require.Equal(t, "+44800800150", out.Numbers[2].E164)

	it := validIntl()
	it.Country, it.InstanceARN = "IT", "arn:aws:connect:eu-central-1:123456789012:instance/abc"
	it.Numbers = []IntlNumber{{E164: "06 4567 8901", Type: IntlTypeLocal}}
	out, err = ValidateInternationalPortIn(it, intlNow)
	require.NoError(t, err)
	require.Equal(t, "+390645678901", out.Numbers[0].E164, "the Italian leading zero is kept")

	uifn := validIntl()
	uifn.Numbers = []IntlNumber{{E164: "+80012345678", Type: IntlTypeUIFN}}
	_, err = ValidateInternationalPortIn(uifn, intlNow)
	require.NoError(t, err)
}

func TestValidateInternationalPortInRefusals(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*InternationalPortInRequest)
		field  string
		rule   string
	}{
		{"+1 number", func(r *InternationalPortInRequest) { r.Numbers[0].E164 = "+14155550100" }, "numbers[0].e164", "+1 number"},
		{"number of another country", func(r *InternationalPortInRequest) { r.Numbers[0].E164 = "+33123456789" }, "numbers[0].e164", "is a number of FR, not of GB"},
		{"missing invoice", func(r *InternationalPortInRequest) { r.InvoiceRef = "" }, "invoice_ref", "is required"},
		{"unknown country", func(r *InternationalPortInRequest) { r.Country = "XX" }, "country", `no holiday calendar for XX`},
		{"US country", func(r *InternationalPortInRequest) { r.Country = "US" }, "country", "US/Canada port-in"},
		{"window in the past", func(r *InternationalPortInRequest) {
			r.PreferredWindow = Window{Start: intlNow.Add(-time.Hour), End: intlNow.Add(time.Hour)}
		}, "preferred_window.start", "must be in the future"},
		{"window reversed", func(r *InternationalPortInRequest) {
			r.PreferredWindow.End = r.PreferredWindow.Start.Add(-time.Hour)
		}, "preferred_window.end", "must be after start"},
		{"no pin nor btn", func(r *InternationalPortInRequest) { r.PIN = "" }, "pin", "PIN or a billing_telephone_number"},
		{"no account", func(r *InternationalPortInRequest) { r.CarrierAccountNumber = "" }, "carrier_account_number", "is required"},
		{"no carrier", func(r *InternationalPortInRequest) { r.Carrier = "" }, "carrier", "is required"},
		{"no flow", func(r *InternationalPortInRequest) { r.ContactFlow = "" }, "contact_flow", "exact name"},
		{"bad type", func(r *InternationalPortInRequest) { r.Numbers[0].Type = "did" }, "numbers[0].type", "must be one of"},
		{"mobile typed local", func(r *InternationalPortInRequest) { r.Numbers[1].Type = IntlTypeLocal }, "numbers[1].e164", "not a local"},
		{"local typed toll-free", func(r *InternationalPortInRequest) { r.Numbers[0].Type = IntlTypeTollFree }, "numbers[0].e164", "not a toll-free"},
		{"uifn that is not +800", func(r *InternationalPortInRequest) { r.Numbers[0].Type = IntlTypeUIFN }, "numbers[0].e164", "not a UIFN"},
		{"duplicate", func(r *InternationalPortInRequest) {
			r.Numbers[1] = IntlNumber{E164: "+442079460000", Type: IntlTypeLocal}
		}, "numbers[1].e164", "duplicate of numbers[0]"},
		{"tokyo", func(r *InternationalPortInRequest) {
			r.InstanceARN = "arn:aws:connect:ap-northeast-1:123456789012:instance/x"
		}, "instance_arn", "Tokyo"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := validIntl()
			tc.mutate(&r)
			_, err := ValidateInternationalPortIn(r, intlNow)
			var v *ValidationError
			require.ErrorAs(t, err, &v)
			for _, p := range v.Problems {
				if p.Field == tc.field {
					require.Contains(t, p.Rule, tc.rule)
					return
				}
			}
			t.Fatalf("no problem for %s in %v", tc.field, err)
		})
	}
}

func TestCountryCalendars(t *testing.T) {
	cases := []struct {
		country, from string
		n             int
		want          string
	}{
		{"GB", "2026-12-24T09:00:00Z", 1, "2026-12-29T09:00:00Z"},           // Christmas Fri, Boxing Day substitute Mon 28
		{"GB", "2026-08-28T09:00:00+01:00", 1, "2026-09-01T09:00:00+01:00"}, // Summer bank holiday Mon 31 Aug
		{"DE", "2026-12-31T09:00:00+01:00", 1, "2027-01-04T09:00:00+01:00"},
		{"FR", "2026-07-13T09:00:00+02:00", 1, "2026-07-15T09:00:00+02:00"}, // 14 juillet
		{"JP", "2026-11-02T09:00:00+09:00", 1, "2026-11-04T09:00:00+09:00"}, // Culture Day 3 Nov
		{"MX", "2026-09-15T09:00:00-06:00", 1, "2026-09-17T09:00:00-06:00"}, // Independence Day 16 Sep
		{"AU", "2026-01-23T09:00:00+11:00", 1, "2026-01-27T09:00:00+11:00"}, // Australia Day Mon 26 Jan
		{"IL", "2026-09-20T09:00:00+03:00", 1, "2026-09-22T09:00:00+03:00"}, // Yom Kippur Mon 21 Sep
	}
	for _, tc := range cases {
		tz, ok := CountryTimeZone(tc.country)
		require.True(t, ok)
		c, err := NewBusinessCalendar(tc.country, tz)
		require.NoError(t, err)
		got := c.AddBusinessDays(mustTime(t, tc.from), tc.n)
		require.True(t, mustTime(t, tc.want).Equal(got), "%s: %s + %d = %s, want %s", tc.country, tc.from, tc.n, got, tc.want)
	}
}
