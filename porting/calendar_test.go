package porting

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	require.NoError(t, err)
	return v
}

func TestAddBusinessDays(t *testing.T) {
	ny, err := NewBusinessCalendar("US", "America/New_York")
	require.NoError(t, err)
	cases := []struct {
		name string
		from string
		n    int
		want string
	}{
		{"design example +3", "2026-11-20T10:00:00-05:00", 3, "2026-11-25T10:00:00-05:00"},
		{"design example +4 skips Thanksgiving", "2026-11-20T10:00:00-05:00", 4, "2026-11-27T10:00:00-05:00"},
		{"zero is unchanged", "2026-11-21T10:00:00-05:00", 0, "2026-11-21T10:00:00-05:00"},
		{"from Saturday", "2026-11-21T10:00:00-05:00", 1, "2026-11-23T10:00:00-05:00"},
		{"across Christmas and New Year", "2026-12-24T09:00:00-05:00", 2, "2026-12-29T09:00:00-05:00"},
		{"New Year observed", "2026-12-31T09:00:00-05:00", 1, "2027-01-04T09:00:00-05:00"},
		{"keeps clock time across DST end", "2026-10-30T09:00:00-04:00", 1, "2026-11-02T09:00:00-05:00"},
		{"backwards over a weekend", "2026-12-07T09:00:00-05:00", -1, "2026-12-04T09:00:00-05:00"},
		{"backwards over Labor Day", "2026-09-08T09:00:00-04:00", -1, "2026-09-04T09:00:00-04:00"},
		{"five business days over Thanksgiving", "2026-11-23T12:00:00-05:00", 5, "2026-12-01T12:00:00-05:00"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := ny.AddBusinessDays(mustTime(t, tc.from), tc.n)
			require.Equal(t, mustTime(t, tc.want).UTC(), got.UTC(), "got %s", got)
		})
	}
}

func TestProvisioningTime(t *testing.T) {
	ny, err := NewBusinessCalendar("US", "America/New_York")
	require.NoError(t, err)
	cases := []struct{ portDate, want string }{
		{"2026-12-07T09:00:00-05:00", "2026-12-04T09:00:00-05:00"}, // Monday → Friday
		{"2026-11-27T09:00:00-05:00", "2026-11-25T09:00:00-05:00"}, // Friday after Thanksgiving → Wednesday
		{"2026-12-08T14:30:00-05:00", "2026-12-07T14:30:00-05:00"}, // Tuesday → Monday
		{"2026-12-07T14:00:00Z", "2026-12-04T09:00:00-05:00"},      // offset given in UTC: local clock kept
	}
	for _, tc := range cases {
		got := ny.ProvisioningTime(mustTime(t, tc.portDate))
		require.Equal(t, mustTime(t, tc.want).UTC(), got.UTC(), "port date %s: got %s", tc.portDate, got)
	}
}

func TestUnknownCountry(t *testing.T) {
	_, err := NewBusinessCalendar("XX", "UTC")
	require.ErrorContains(t, err, `country "XX"`)
}

func TestBusinessDaysBetween(t *testing.T) {
	ny, err := NewBusinessCalendar("US", "America/New_York")
	require.NoError(t, err)
	cases := []struct {
		from, to string
		want     float64
	}{
		{"2026-11-20T12:00:00-05:00", "2026-11-23T12:00:00-05:00", 1.0}, // Friday noon → Monday noon
		{"2026-11-23T09:00:00-05:00", "2026-11-23T21:00:00-05:00", 0.5},
		{"2026-11-25T00:00:00-05:00", "2026-11-28T00:00:00-05:00", 2.0}, // Wed, (Thanksgiving), Fri
		{"2026-11-23T09:00:00-05:00", "2026-11-23T08:00:00-05:00", 0},
	}
	for _, tc := range cases {
		got := ny.BusinessDaysBetween(mustTime(t, tc.from), mustTime(t, tc.to))
		require.InDelta(t, tc.want, got, 1e-9, "%s → %s", tc.from, tc.to)
	}
}

// Calendars share their time zone: loaded once, whatever the number of ports holding one.
func TestCalendarsShareTheirLocation(t *testing.T) {
	a, err := NewBusinessCalendar("US", "America/Chicago")
	require.NoError(t, err)
	b, err := NewBusinessCalendar("US", "America/Chicago")
	require.NoError(t, err)
	require.Same(t, a.Location(), b.Location())
	require.Equal(t, "America/Chicago", a.Location().String())

	_, err = NewBusinessCalendar("US", "America/Nowhere")
	require.ErrorContains(t, err, `time zone "America/Nowhere"`)
	_, stored := locations.Load("America/Nowhere")
	require.False(t, stored)
}
