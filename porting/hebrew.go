package porting

import (
	"time"

	"github.com/rickar/cal/v2"
)

// Israel's statutory rest days follow the Hebrew calendar, which no holiday library reachable from
// this project's module proxy covers; the dates are computed with the standard arithmetic of the
// fixed Hebrew calendar (Reingold & Dershowitz, "Calendrical Calculations", ch. 8) and plugged into
// rickar/cal as holiday functions. Tests pin known dates.

const (
	nisan  = 1
	iyyar  = 2
	sivan  = 3
	tishri = 7
)

// hebrewEpoch is the fixed day number (R.D.) of 1 Tishri AM 1.
const hebrewEpoch = -1373427

func hebrewLeapYear(y int) bool { return mod(7*y+1, 19) < 7 }

func lastMonthOfHebrewYear(y int) int {
	if hebrewLeapYear(y) {
		return 13
	}
	return 12
}

func hebrewElapsedDays(y int) int {
	months := floorDiv(235*y-234, 19)
	parts := 12084 + 13753*months
	days := 29*months + floorDiv(parts, 25920)
	if mod(3*(days+1), 7) < 3 {
		return days + 1
	}
	return days
}

func hebrewYearLengthCorrection(y int) int {
	ny0, ny1, ny2 := hebrewElapsedDays(y-1), hebrewElapsedDays(y), hebrewElapsedDays(y+1)
	switch {
	case ny2-ny1 == 356:
		return 2
	case ny1-ny0 == 382:
		return 1
	}
	return 0
}

func hebrewNewYear(y int) int {
	return hebrewEpoch + hebrewElapsedDays(y) + hebrewYearLengthCorrection(y)
}

func daysInHebrewYear(y int) int { return hebrewNewYear(y+1) - hebrewNewYear(y) }

func lastDayOfHebrewMonth(m, y int) int {
	switch {
	case m == 2 || m == 4 || m == 6 || m == 10 || m == 13:
		return 29
	case m == 12 && !hebrewLeapYear(y):
		return 29
	case m == 8 && daysInHebrewYear(y)%10 != 5: // Marheshvan is long only in 355/385-day years
		return 29
	case m == 9 && daysInHebrewYear(y)%10 == 3: // Kislev is short in 353/383-day years
		return 29
	}
	return 30
}

// fixedFromHebrew is the R.D. of day d of month m of Hebrew year y.
func fixedFromHebrew(m, d, y int) int {
	days := hebrewNewYear(y) + d - 1
	if m < tishri {
		for mm := tishri; mm <= lastMonthOfHebrewYear(y); mm++ {
			days += lastDayOfHebrewMonth(mm, y)
		}
		for mm := nisan; mm < m; mm++ {
			days += lastDayOfHebrewMonth(mm, y)
		}
	} else {
		for mm := tishri; mm < m; mm++ {
			days += lastDayOfHebrewMonth(mm, y)
		}
	}
	return days
}

// gregorianFromFixed turns an R.D. into a date (R.D. 1 is Monday 1 January of year 1).
func gregorianFromFixed(rd int) time.Time {
	return time.Date(1, time.January, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rd-1)
}

// hebrewDay is a holiday on a fixed Hebrew date. Tishri falls in the autumn of Gregorian year
// g (Hebrew year g+3761), Nisan to Elul in the spring and summer of g (Hebrew year g+3760).
func hebrewDay(name string, month, day int) *cal.Holiday {
	return &cal.Holiday{
		Name: name,
		Type: cal.ObservancePublic,
		Func: func(_ *cal.Holiday, year int) time.Time {
			hy := year + 3760
			if month >= tishri {
				hy = year + 3761
			}
			return gregorianFromFixed(fixedFromHebrew(month, day, hy))
		},
	}
}

// israelIndependenceDay is 5 Iyyar, moved to Thursday when it falls on Friday or Saturday and to
// Tuesday when it falls on Monday (so that Memorial Day does not follow a Sabbath).
var israelIndependenceDay = &cal.Holiday{
	Name: "Yom Ha'atzmaut",
	Type: cal.ObservancePublic,
	Func: func(_ *cal.Holiday, year int) time.Time {
		d := gregorianFromFixed(fixedFromHebrew(iyyar, 5, year+3760))
		switch d.Weekday() {
		case time.Friday:
			return d.AddDate(0, 0, -1)
		case time.Saturday:
			return d.AddDate(0, 0, -2)
		case time.Monday:
			return d.AddDate(0, 0, 1)
		}
		return d
	},
}

// israelHolidays are the statutory rest days of Israel.
var israelHolidays = []*cal.Holiday{
	hebrewDay("Rosh Hashanah", tishri, 1),
	hebrewDay("Rosh Hashanah (second day)", tishri, 2),
	hebrewDay("Yom Kippur", tishri, 10),
	hebrewDay("Sukkot", tishri, 15),
	hebrewDay("Shemini Atzeret", tishri, 22),
	hebrewDay("Pesach", nisan, 15),
	hebrewDay("Pesach (seventh day)", nisan, 21),
	hebrewDay("Shavuot", sivan, 6),
	israelIndependenceDay,
}

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func mod(a, b int) int { return a - b*floorDiv(a, b) }
