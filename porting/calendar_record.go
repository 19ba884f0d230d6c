package porting

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// CalendarRecord is a business calendar's holidays over a span of local dates, recorded once in a
// port's history (with its validation) so that every business-day deadline after it is computed from
// the record, not from the holiday library: a running port replays the same deadlines whatever an
// upgrade changes in the library, without recording each deadline on its own (a side effect is a
// billed action). A deadline outside the span is the caller's to compute another way.
type CalendarRecord struct {
	From     string          `json:"from"` // first local date covered, YYYY-MM-DD
	To       string          `json:"to"`   // last local date covered
	Weekend  [2]time.Weekday `json:"weekend"`
	Holidays []string        `json:"holidays,omitempty"` // the span's days off that are not weekend days, sorted
}

const recordDate = "2006-01-02"

// Record is the calendar's holidays from the local date of from to that of to. Every port started on
// a day records the same span, so the answer is kept (the holiday library takes ~0.5 ms for a span).
func (c *BusinessCalendar) Record(from, to time.Time) CalendarRecord {
	first := localNoon(from.In(c.loc))
	last := localNoon(to.In(c.loc))
	key := c.country + "|" + c.loc.String() + "|" + first.Format(recordDate) + "|" + last.Format(recordDate)
	if r, ok := recorded.Load(key); ok {
		return r.(CalendarRecord)
	}
	r := c.record(first, last)
	if recordedSize.Add(1) > maxRecorded { // a worker running for years: start afresh now and then
		recorded.Clear()
		recordedSize.Store(0)
	}
	recorded.Store(key, r)
	return r
}

var (
	recorded     sync.Map // CalendarRecord by country, zone and span
	recordedSize atomic.Int64
)

const maxRecorded = 4096

func (c *BusinessCalendar) record(first, last time.Time) CalendarRecord {
	weekend := countries[c.country].weekend
	r := CalendarRecord{From: first.Format(recordDate), To: last.Format(recordDate), Weekend: weekend}
	for d := first; !d.After(last); d = d.AddDate(0, 0, 1) {
		if d.Weekday() != weekend[0] && d.Weekday() != weekend[1] && !c.cal.IsWorkday(d) {
			r.Holidays = append(r.Holidays, d.Format(recordDate))
		}
	}
	return r
}

func localNoon(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 12, 0, 0, 0, t.Location())
}

// AddBusinessDays is BusinessCalendar.AddBusinessDays over the record, in loc: the same local clock
// time n business days after t (before t when n < 0). ok is false when a day it passes is outside
// the record's span.
func (r CalendarRecord) AddBusinessDays(t time.Time, n int, loc *time.Location) (out time.Time, ok bool) {
	date := t.In(loc)
	step := 1
	if n < 0 {
		step, n = -1, -n
	}
	for days := 0; days < n; {
		date = date.AddDate(0, 0, step)
		workday, known := r.isWorkday(date)
		if !known {
			return time.Time{}, false
		}
		if workday {
			days++
		}
	}
	return date, true
}

func (r CalendarRecord) isWorkday(local time.Time) (workday, known bool) {
	day := local.Format(recordDate)
	if r.From == "" || day < r.From || day > r.To {
		return false, false
	}
	if local.Weekday() == r.Weekend[0] || local.Weekday() == r.Weekend[1] {
		return false, true
	}
	_, holiday := slices.BinarySearch(r.Holidays, day)
	return !holiday, true
}
