package porting

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The record gives the library's answer for every start and offset inside its span, and says when
// it cannot.
func TestCalendarRecordMatchesTheLibrary(t *testing.T) {
	for _, tc := range []struct{ country, tz string }{
		{"US", "America/New_York"}, {"CA", "America/Toronto"}, {"US", "America/Los_Angeles"},
		{"IL", "Asia/Jerusalem"}, {"GB", "Europe/London"}, {"JP", "Asia/Tokyo"},
	} {
		cal, err := NewBusinessCalendar(tc.country, tc.tz)
		require.NoError(t, err)
		from := time.Date(2026, 11, 20, 15, 30, 0, 0, time.UTC)
		rec := cal.Record(from.AddDate(0, 0, -30), from.AddDate(1, 0, 0))
		require.NotEmpty(t, rec.Holidays, tc.country)
		for day := 0; day < 330; day += 3 {
			start := from.AddDate(0, 0, day).Add(time.Duration(day%7) * time.Hour)
			for _, n := range []int{-1, 1, 2, 5, 10, 20} {
				got, ok := rec.AddBusinessDays(start, n, cal.Location())
				require.True(t, ok, "%s %s %+d", tc.country, start, n)
				require.Equal(t, cal.AddBusinessDays(start, n), got, "%s %s %+d", tc.country, start, n)
			}
		}
		_, ok := rec.AddBusinessDays(from.AddDate(1, 0, -2), 10, cal.Location())
		require.False(t, ok, "past the span")
		_, ok = rec.AddBusinessDays(from.AddDate(0, 0, -28), -5, cal.Location())
		require.False(t, ok, "before the span")
		_, ok = CalendarRecord{}.AddBusinessDays(from, 1, cal.Location())
		require.False(t, ok, "no record")
	}
}
