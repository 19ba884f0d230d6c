package porting

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/rickar/cal/v2"
	"github.com/rickar/cal/v2/au"
	"github.com/rickar/cal/v2/br"
	"github.com/rickar/cal/v2/ca"
	"github.com/rickar/cal/v2/de"
	"github.com/rickar/cal/v2/es"
	"github.com/rickar/cal/v2/fr"
	"github.com/rickar/cal/v2/gb"
	"github.com/rickar/cal/v2/ie"
	"github.com/rickar/cal/v2/it"
	"github.com/rickar/cal/v2/jp"
	"github.com/rickar/cal/v2/mx"
	"github.com/rickar/cal/v2/nl"
	"github.com/rickar/cal/v2/nz"
	"github.com/rickar/cal/v2/us"
	"github.com/rickar/cal/v2/za"
)

// BusinessCalendar counts business days in one country's calendar, in one time zone: weekends and
// public holidays (from github.com/rickar/cal, a maintained holiday library) are skipped and the
// local clock time is kept across DST changes.
type BusinessCalendar struct {
	country string
	loc     *time.Location
	cal     *cal.BusinessCalendar
}

// countryCalendar is what a country's business calendar is made of.
type countryCalendar struct {
	holidays []*cal.Holiday
	weekend  [2]time.Weekday
	timeZone string // where its port dates are counted (the capital's zone)
}

var satSun = [2]time.Weekday{time.Saturday, time.Sunday}

// countries are the calendars the provider ports in. Holidays come from github.com/rickar/cal,
// except Israel's, which follow the Hebrew calendar (see hebrew.go).
var countries = map[string]countryCalendar{
	"US": {us.Holidays, satSun, "America/New_York"},
	"CA": {ca.Holidays, satSun, "America/Toronto"},
	"GB": {gb.Holidays, satSun, "Europe/London"},
	"IE": {ie.Holidays, satSun, "Europe/Dublin"},
	"DE": {de.Holidays, satSun, "Europe/Berlin"},
	"FR": {fr.Holidays, satSun, "Europe/Paris"},
	"ES": {es.Holidays, satSun, "Europe/Madrid"},
	"IT": {it.Holidays, satSun, "Europe/Rome"},
	"NL": {nl.Holidays, satSun, "Europe/Amsterdam"},
	"AU": {au.HolidaysNSW, satSun, "Australia/Sydney"},
	"NZ": {nz.Holidays, satSun, "Pacific/Auckland"},
	"JP": {jp.Holidays, satSun, "Asia/Tokyo"},
	"MX": {mx.Holidays, satSun, "America/Mexico_City"},
	"BR": {br.Holidays, satSun, "America/Sao_Paulo"},
	"ZA": {za.Holidays, satSun, "Africa/Johannesburg"},
	"IL": {israelHolidays, [2]time.Weekday{time.Friday, time.Saturday}, "Asia/Jerusalem"},
}

// CountryTimeZone is the time zone a country's port dates are counted in.
func CountryTimeZone(country string) (string, bool) {
	c, ok := countries[country]
	return c.timeZone, ok
}

// calendarCountries is computed once, so that workflow code never iterates over the map.
var calendarCountries = func() []string {
	out := make([]string, 0, len(countries))
	for c := range countries {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}()

// CalendarCountries lists the countries with a business calendar, sorted.
func CalendarCountries() []string { return append([]string(nil), calendarCountries...) }

// NewBusinessCalendar returns the calendar of country (ISO 3166 alpha-2) in the IANA time zone tz.
func NewBusinessCalendar(country, tz string) (*BusinessCalendar, error) {
	cc, ok := countries[country]
	if !ok {
		return nil, fmt.Errorf("country %q has no business calendar (known: %s)", country, strings.Join(CalendarCountries(), ", "))
	}
	// Deterministic for a given binary: the worker embeds the time zone database (time/tzdata).
	//workflowcheck:ignore
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, fmt.Errorf("time zone %q: %w", tz, err)
	}
	c := cal.NewBusinessCalendar()
	c.AddHoliday(cc.holidays...)
	if cc.weekend != satSun {
		for d := time.Sunday; d <= time.Saturday; d++ {
			c.SetWorkday(d, d != cc.weekend[0] && d != cc.weekend[1])
		}
	}
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

// BusinessDaysBetween is the business time from a to b, in business days: the part of each
// calendar day between them that falls on a business day (so a carrier that answers 36 hours after
// a Friday-noon submission took 1.0 business days: half of Friday and half of Monday).
func (c *BusinessCalendar) BusinessDaysBetween(a, b time.Time) float64 {
	if !b.After(a) {
		return 0
	}
	a, b = a.In(c.loc), b.In(c.loc)
	var days float64
	for day := time.Date(a.Year(), a.Month(), a.Day(), 0, 0, 0, 0, c.loc); day.Before(b); day = day.AddDate(0, 0, 1) {
		next := day.AddDate(0, 0, 1)
		if !c.cal.IsWorkday(day) {
			continue
		}
		from, to := day, next
		if a.After(from) {
			from = a
		}
		if b.Before(to) {
			to = b
		}
		days += float64(to.Sub(from)) / float64(next.Sub(day))
	}
	return days
}
