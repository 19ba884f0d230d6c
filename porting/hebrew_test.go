package porting

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestIsraelHolidays(t *testing.T) {
	// Known dates of the Israeli rest days.
	cases := []struct {
		name string
		date string
	}{
		{"Rosh Hashanah 5786", "2025-09-23"},
		{"Rosh Hashanah 5786 day 2", "2025-09-24"},
		{"Yom Kippur 5786", "2025-10-02"},
		{"Sukkot 5786", "2025-10-07"},
		{"Pesach 5786", "2026-04-02"},
		{"Rosh Hashanah 5787", "2026-09-12"},
		{"Yom Kippur 5787", "2026-09-21"},
		{"Pesach 5784", "2024-04-23"},
		{"Shavuot 5784", "2024-06-12"},
		{"Rosh Hashanah 5784", "2023-09-16"},
		{"Independence Day 2024 (moved from Monday to Tuesday)", "2024-05-14"},
		{"Independence Day 2023 (Wednesday)", "2023-04-26"},
	}
	il, err := NewBusinessCalendar("IL", "Asia/Jerusalem")
	require.NoError(t, err)
	for _, tc := range cases {
		d, err := time.ParseInLocation("2006-01-02", tc.date, il.Location())
		require.NoError(t, err)
		d = d.Add(10 * time.Hour)
		// A holiday on a weekday is not a business day; check the holiday list directly as well.
		found := false
		for _, h := range israelHolidays {
			a, _ := h.Calc(d.Year())
			if a.Year() == d.Year() && a.YearDay() == d.YearDay() {
				found = true
			}
		}
		require.True(t, found, "%s: %s is not in the holiday list", tc.name, tc.date)
		require.False(t, il.IsBusinessDay(d), "%s: %s", tc.name, tc.date)
	}
}

func TestIsraelWeekendIsFridaySaturday(t *testing.T) {
	il, err := NewBusinessCalendar("IL", "Asia/Jerusalem")
	require.NoError(t, err)
	thu := time.Date(2026, 11, 19, 10, 0, 0, 0, il.Location())
	require.Equal(t, time.Date(2026, 11, 22, 10, 0, 0, 0, il.Location()), il.AddBusinessDays(thu, 1), "Thursday + 1 is Sunday")
	require.True(t, il.IsBusinessDay(time.Date(2026, 11, 22, 10, 0, 0, 0, il.Location())), "Sunday is a business day")
}
