package porting

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Canada's calendar (rickar/cal/v2/ca, the federal list): its own holidays are skipped, the US ones
// it does not share are business days.
func TestCanadaCalendar(t *testing.T) {
	toronto, err := NewBusinessCalendar("CA", "America/Toronto")
	require.NoError(t, err)
	days := []struct {
		name     string
		day      string
		business bool
	}{
		{"Victoria Day, Mon 18 May 2026", "2026-05-18T09:00:00-04:00", false},
		{"Canada Day, Wed 1 Jul 2026", "2026-07-01T09:00:00-04:00", false},
		{"Thanksgiving (second Monday of October), Mon 12 Oct 2026", "2026-10-12T09:00:00-04:00", false},
		{"Remembrance Day, Wed 11 Nov 2026", "2026-11-11T09:00:00-05:00", false},
		{"US Thanksgiving, Thu 26 Nov 2026, is a business day in Canada", "2026-11-26T09:00:00-05:00", true},
		{"US Independence Day observed, Fri 3 Jul 2026, is a business day in Canada", "2026-07-03T09:00:00-04:00", true},
		{"US Memorial Day, Mon 25 May 2026, is a business day in Canada", "2026-05-25T09:00:00-04:00", true},
	}
	for _, tc := range days {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.business, toronto.IsBusinessDay(mustTime(t, tc.day)))
		})
	}
	moves := []struct {
		name     string
		from     string
		n        int
		want     string
		calendar string
	}{
		{"provisioning for Tue 19 May skips Victoria Day", "2026-05-19T09:00:00-04:00", -1, "2026-05-15T09:00:00-04:00", "CA"},
		{"on the US calendar the Monday is a business day", "2026-05-19T09:00:00-04:00", -1, "2026-05-18T09:00:00-04:00", "US"},
		{"over Canada Day", "2026-06-30T10:00:00-04:00", 1, "2026-07-02T10:00:00-04:00", "CA"},
		{"over Thanksgiving", "2026-10-09T10:00:00-04:00", 1, "2026-10-13T10:00:00-04:00", "CA"},
		{"over US Thanksgiving: no holiday", "2026-11-25T10:00:00-05:00", 1, "2026-11-26T10:00:00-05:00", "CA"},
	}
	for _, tc := range moves {
		t.Run(tc.name, func(t *testing.T) {
			c, err := NewBusinessCalendar(tc.calendar, "America/Toronto")
			require.NoError(t, err)
			got := c.AddBusinessDays(mustTime(t, tc.from), tc.n)
			require.Equal(t, mustTime(t, tc.want).UTC(), got.UTC(), "got %s", got)
		})
	}
}

// Countries added from rickar/cal/v2, a holiday each as the library's rules give it (the source file
// named in the case).
func TestAddedCountryHolidays(t *testing.T) {
	cases := []struct {
		name, country, day string
	}{
		{"AT Nationalfeiertag 26-Oct (at/at_holidays.go): Mon 26 Oct 2026", "AT", "2026-10-26T10:00:00+01:00"},
		{"CZ Saint Wenceslas Day 28-Sep (cz/cz_holidays.go): Mon 28 Sep 2026", "CZ", "2026-09-28T10:00:00+02:00"},
		{"KE Madaraka Day 1-Jun (ke/ke_holidays.go): Mon 1 Jun 2026", "KE", "2026-06-01T10:00:00+03:00"},
		{"CH Berchtoldstag 2-Jan in the Canton of Bern (ch.HolidaysBE): Fri 2 Jan 2026", "CH", "2026-01-02T10:00:00+01:00"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tz, ok := CountryTimeZone(tc.country)
			require.True(t, ok)
			c, err := NewBusinessCalendar(tc.country, tz)
			require.NoError(t, err)
			day := mustTime(t, tc.day)
			require.False(t, c.IsBusinessDay(day), "%s is a holiday", day)
			require.True(t, c.IsBusinessDay(day.AddDate(0, 0, 1)) || day.AddDate(0, 0, 1).Weekday() == time.Saturday,
				"the day after is a business day")
		})
	}
}

// Every country the library covers has a calendar that loads in its own time zone.
func TestEveryCountryCalendarLoads(t *testing.T) {
	want := []string{"AR", "AT", "AU", "BE", "BG", "BR", "CA", "CH", "CY", "CZ", "DE", "DK", "EE", "ES",
		"FI", "FR", "GB", "GR", "HR", "HU", "IE", "IL", "IS", "IT", "JP", "KE", "LT", "LU", "LV", "MT",
		"MW", "MX", "NC", "NL", "NO", "NZ", "PL", "PT", "RO", "RS", "RU", "SE", "SI", "SK", "TH", "UA",
		"US", "ZA"}
	require.Equal(t, want, CalendarCountries())
	for _, country := range want {
		tz, ok := CountryTimeZone(country)
		require.True(t, ok, country)
		c, err := NewBusinessCalendar(country, tz)
		require.NoError(t, err, country)
		// 1 January is a holiday everywhere here but Israel (its rest days are Hebrew-calendar ones).
		if country != "IL" {
			require.False(t, c.IsBusinessDay(time.Date(2026, 1, 1, 12, 0, 0, 0, c.Location())), "%s: 1 Jan", country)
		}
	}
	_, err := NewBusinessCalendar("CN", "Asia/Shanghai")
	require.ErrorContains(t, err, "no holiday calendar for CN; supported: AR, AT,")
}

func TestPortInCalendarCountry(t *testing.T) {
	req := func(numbers ...string) PortInRequest {
		r := validPortIn()
		r.Numbers = nil
		for _, n := range numbers {
			kind := NumberTypeDID
			if strings.HasPrefix(n, "+18") && n[3] == n[4] { // 800, 888 (the toll-free codes used here)
				kind = NumberTypeTollFree
			}
			r.Numbers = append(r.Numbers, PortNumber{E164: n, Type: kind, Carrier: "Acme Telecom"})
		}
		return r
	}
	cases := []struct {
		name    string
		numbers []string
		want    string
		err     string
	}{
		{"US numbers", []string{"+14155550100", "+12125550100"}, "US", ""},
		{"a Toronto number", []string{"+14165550123"}, "CA", ""},
		{"toll-free takes the country of the others", []string{"+18005550100", "+16135550100"}, "CA", ""},
		{"toll-free only: US", []string{"+18005550100"}, "US", ""},
		{"Puerto Rico is on the US calendar", []string{"+17875550100", "+14155550100"}, "US", ""},
		{"US and Canada mixed", []string{"+14155550100", "+18005550100", "+14165550123"}, "",
			"numbers[2].e164: +14165550123 is a CA number but numbers[0].e164 (+14155550100) is a US number: a request's numbers must be of one country's calendar (US or CA)"},
		{"Jamaica has no calendar", []string{"+18765550100"}, "",
			"numbers[0].e164: +18765550100 is a +1 number of JM: no holiday calendar for JM; +1 numbers are ported on the US calendar (US, PR, VI, GU, AS, MP) or Canada's (CA)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := req(tc.numbers...)
			require.NoError(t, ValidatePortIn(r), "valid on its own")
			got, err := PortInCalendarCountry(r)
			if tc.err != "" {
				require.EqualError(t, err, tc.err)
				require.True(t, IsValidationError(err))
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestPortOutCountryCalendar(t *testing.T) {
	ca := validPortOut()
	ca.InstanceARN = "arn:aws:connect:ca-central-1:123456789012:instance/abc-123"
	ca.Numbers = []string{"+14165550123", "+18005550100"}
	require.NoError(t, ValidatePortOut(ca))
	c, err := PortOutCountryCalendar(ca)
	require.NoError(t, err)
	require.Equal(t, "CA", c.Country())
	require.Equal(t, "America/Toronto", c.Location().String())
	// The calendar of the ports that started before keeps every +1 number on the US calendar.
	old, err := PortOutCalendar(ca)
	require.NoError(t, err)
	require.Equal(t, "US", old.Country())

	us, err := PortOutCountryCalendar(validPortOut())
	require.NoError(t, err)
	require.Equal(t, "US", us.Country())
	require.Equal(t, "America/Los_Angeles", us.Location().String())

	london := validPortOut()
	london.Numbers = []string{"+442079460000"}
	gb, err := PortOutCountryCalendar(london)
	require.NoError(t, err)
	require.Equal(t, "GB", gb.Country())
	require.Equal(t, "Europe/London", gb.Location().String())

	mixed := validPortOut()
	mixed.Numbers = []string{"+14155550100", "+14165550123"}
	_, err = PortOutCountryCalendar(mixed)
	require.EqualError(t, err, "numbers[1]: +14165550123 is a CA number but numbers[0] (+14155550100) is a US number: a request's numbers must be of one country's calendar (US or CA)")
}
