package porting

import (
	"fmt"
	"time"

	"github.com/rickar/cal/v2"
	"github.com/rickar/cal/v2/ca"
	"github.com/rickar/cal/v2/us"
)

// BusinessCalendar counts business days in one country's calendar, in one time zone: weekends and
// public holidays (from github.com/rickar/cal, a maintained holiday library) are skipped and the
// local clock time is kept across DST changes.
type BusinessCalendar struct {
	country string
	loc     *time.Location
	cal     *cal.BusinessCalendar
}

var holidaysByCountry = map[string][]*cal.Holiday{
	"US": us.Holidays,
	"CA": ca.Holidays,
}

// NewBusinessCalendar returns the calendar of country (ISO 3166 alpha-2) in the IANA time zone tz.
func NewBusinessCalendar(country, tz string) (*BusinessCalendar, error) {
	holidays, ok := holidaysByCountry[country]
	if !ok {
		return nil, fmt.Errorf("country %q has no business calendar", country)
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, fmt.Errorf("time zone %q: %w", tz, err)
	}
	c := cal.NewBusinessCalendar()
	c.AddHoliday(holidays...)
	return &BusinessCalendar{country: country, loc: loc, cal: c}, nil
}

// Location is the calendar's time zone.
func (c *BusinessCalendar) Location() *time.Location { return c.loc }

// Country is the calendar's country.
func (c *BusinessCalendar) Country() string { return c.country }

// IsBusinessDay reports whether t's local date is a business day.
func (c *BusinessCalendar) IsBusinessDay(t time.Time) bool { return c.cal.IsWorkday(t.In(c.loc)) }

// AddBusinessDays returns the same local clock time n business days after t (before t when n < 0).
func (c *BusinessCalendar) AddBusinessDays(t time.Time, n int) time.Time {
	return c.cal.WorkdaysFrom(t.In(c.loc), n)
}

// ProvisioningTime is when numbers are added to the instance: the port date's clock time on the
// business day before the port date.
func (c *BusinessCalendar) ProvisioningTime(portDate time.Time) time.Time {
	return c.AddBusinessDays(portDate, -1)
}
