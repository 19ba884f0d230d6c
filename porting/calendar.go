package porting

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/rickar/cal/v2"
	"github.com/rickar/cal/v2/ar"
	"github.com/rickar/cal/v2/at"
	"github.com/rickar/cal/v2/au"
	"github.com/rickar/cal/v2/be"
	"github.com/rickar/cal/v2/bg"
	"github.com/rickar/cal/v2/br"
	"github.com/rickar/cal/v2/ca"
	"github.com/rickar/cal/v2/ch"
	"github.com/rickar/cal/v2/cy"
	"github.com/rickar/cal/v2/cz"
	"github.com/rickar/cal/v2/de"
	"github.com/rickar/cal/v2/dk"
	"github.com/rickar/cal/v2/ee"
	"github.com/rickar/cal/v2/es"
	"github.com/rickar/cal/v2/fi"
	"github.com/rickar/cal/v2/fr"
	"github.com/rickar/cal/v2/gb"
	"github.com/rickar/cal/v2/gr"
	"github.com/rickar/cal/v2/hr"
	"github.com/rickar/cal/v2/hu"
	"github.com/rickar/cal/v2/ie"
	"github.com/rickar/cal/v2/is"
	"github.com/rickar/cal/v2/it"
	"github.com/rickar/cal/v2/jp"
	"github.com/rickar/cal/v2/ke"
	"github.com/rickar/cal/v2/lt"
	"github.com/rickar/cal/v2/lu"
	"github.com/rickar/cal/v2/lv"
	"github.com/rickar/cal/v2/mt"
	"github.com/rickar/cal/v2/mw"
	"github.com/rickar/cal/v2/mx"
	"github.com/rickar/cal/v2/nc"
	"github.com/rickar/cal/v2/nl"
	"github.com/rickar/cal/v2/no"
	"github.com/rickar/cal/v2/nz"
	"github.com/rickar/cal/v2/pl"
	"github.com/rickar/cal/v2/pt"
	"github.com/rickar/cal/v2/ro"
	"github.com/rickar/cal/v2/rs"
	"github.com/rickar/cal/v2/ru"
	"github.com/rickar/cal/v2/se"
	"github.com/rickar/cal/v2/si"
	"github.com/rickar/cal/v2/sk"
	"github.com/rickar/cal/v2/th"
	"github.com/rickar/cal/v2/ua"
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

// countries are the calendars the provider ports in: every country github.com/rickar/cal/v2 has a
// package for (its aa and ecb packages are common definitions and the TARGET calendar, not
// countries), and Israel, whose rest days follow the Hebrew calendar (see hebrew.go). Each uses the
// library's national list (Holidays), except Australia (New South Wales, Sydney's state) and
// Switzerland (the Canton of Bern, the federal city's: ch.Holidays is every canton's holidays at
// once, and the only federal one is 1 August). Canada's national list (ca.Holidays) is the federal
// one (Easter Monday, Civic Day, Truth and Reconciliation and Remembrance Day included), which the
// provinces' own lists differ from by a day or two. A multi-zone country's dates are counted in its
// capital's zone (America/Sao_Paulo is Brasília's; Moscow for Russia, Lisbon for Portugal, Madrid for
// Spain, Mexico City for Mexico), except +1 numbers, which use the instance region's zone. Every
// country the library covers has a Saturday/Sunday weekend; Israel's is Friday/Saturday.
var countries = map[string]countryCalendar{
	"AR": {ar.Holidays, satSun, "America/Argentina/Buenos_Aires"},
	"AT": {at.Holidays, satSun, "Europe/Vienna"},
	"AU": {au.HolidaysNSW, satSun, "Australia/Sydney"},
	"BE": {be.Holidays, satSun, "Europe/Brussels"},
	"BG": {bg.Holidays, satSun, "Europe/Sofia"},
	"BR": {br.Holidays, satSun, "America/Sao_Paulo"},
	"CA": {ca.Holidays, satSun, "America/Toronto"},
	"CH": {ch.HolidaysBE, satSun, "Europe/Zurich"},
	"CY": {cy.Holidays, satSun, "Asia/Nicosia"},
	"CZ": {cz.Holidays, satSun, "Europe/Prague"},
	"DE": {de.Holidays, satSun, "Europe/Berlin"},
	"DK": {dk.Holidays, satSun, "Europe/Copenhagen"},
	"EE": {ee.Holidays, satSun, "Europe/Tallinn"},
	"ES": {es.Holidays, satSun, "Europe/Madrid"},
	"FI": {fi.Holidays, satSun, "Europe/Helsinki"},
	"FR": {fr.Holidays, satSun, "Europe/Paris"},
	"GB": {gb.Holidays, satSun, "Europe/London"},
	"GR": {gr.Holidays, satSun, "Europe/Athens"},
	"HR": {hr.Holidays, satSun, "Europe/Zagreb"},
	"HU": {hu.Holidays, satSun, "Europe/Budapest"},
	"IE": {ie.Holidays, satSun, "Europe/Dublin"},
	"IL": {israelHolidays, [2]time.Weekday{time.Friday, time.Saturday}, "Asia/Jerusalem"},
	"IS": {is.Holidays, satSun, "Atlantic/Reykjavik"},
	"IT": {it.Holidays, satSun, "Europe/Rome"},
	"JP": {jp.Holidays, satSun, "Asia/Tokyo"},
	"KE": {ke.Holidays, satSun, "Africa/Nairobi"},
	"LT": {lt.Holidays, satSun, "Europe/Vilnius"},
	"LU": {lu.Holidays, satSun, "Europe/Luxembourg"},
	"LV": {lv.Holidays, satSun, "Europe/Riga"},
	"MT": {mt.Holidays, satSun, "Europe/Malta"},
	"MW": {mw.Holidays, satSun, "Africa/Blantyre"},
	"MX": {mx.Holidays, satSun, "America/Mexico_City"},
	"NC": {nc.Holidays, satSun, "Pacific/Noumea"},
	"NL": {nl.Holidays, satSun, "Europe/Amsterdam"},
	"NO": {no.Holidays, satSun, "Europe/Oslo"},
	"NZ": {nz.Holidays, satSun, "Pacific/Auckland"},
	"PL": {pl.Holidays, satSun, "Europe/Warsaw"},
	"PT": {pt.Holidays, satSun, "Europe/Lisbon"},
	"RO": {ro.Holidays, satSun, "Europe/Bucharest"},
	"RS": {rs.Holidays, satSun, "Europe/Belgrade"},
	"RU": {ru.Holidays, satSun, "Europe/Moscow"},
	"SE": {se.Holidays, satSun, "Europe/Stockholm"},
	"SI": {si.Holidays, satSun, "Europe/Ljubljana"},
	"SK": {sk.Holidays, satSun, "Europe/Bratislava"},
	"TH": {th.Holidays, satSun, "Asia/Bangkok"},
	"UA": {ua.Holidays, satSun, "Europe/Kyiv"},
	"US": {us.Holidays, satSun, "America/New_York"},
	"ZA": {za.Holidays, satSun, "Africa/Johannesburg"},
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
		return nil, fmt.Errorf("country %q: no holiday calendar for %s; supported: %s", country, country, strings.Join(CalendarCountries(), ", "))
	}
	loc, err := loadLocation(tz)
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

// locations holds each time zone loaded so far (name → *time.Location), shared by every calendar: a
// Location does not change once loaded, and a port keeps its calendar (one Location, ~2.5 KB) for
// as long as the worker caches the port.
var locations sync.Map

// loadLocation is time.LoadLocation, once per time zone. Deterministic for a given binary: the
// worker embeds the time zone database (time/tzdata).
func loadLocation(tz string) (*time.Location, error) {
	if loc, ok := locations.Load(tz); ok {
		return loc.(*time.Location), nil
	}
	//workflowcheck:ignore
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, err
	}
	shared, _ := locations.LoadOrStore(tz, loc)
	return shared.(*time.Location), nil
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
