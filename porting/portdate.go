package porting

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Port date rules (DESIGN §8 "Port dates"): which dates a carrier may give, and a winning carrier
// may ask a port-out's release for.
const (
	// PortDateBusinessHours (the default): a business day of the port's calendar, between
	// PortDayOpens and PortDayCloses local time (both included).
	PortDateBusinessHours = "business_hours"
	// PortDateAny: any future time (demos and tests that need dates seconds ahead).
	PortDateAny = "any"
)

// The porting day's hours under PortDateBusinessHours, local clock time.
const (
	PortDayOpens  = 8 * time.Hour
	PortDayCloses = 20 * time.Hour
)

// PortDateRules lists the rules a request may name.
var PortDateRules = []string{PortDateBusinessHours, PortDateAny}

func checkPortDateRule(p *problems, field, rule string) {
	if rule != "" && !contains(PortDateRules, rule) {
		p.add(field, "must be %q or %q, got %q", PortDateBusinessHours, PortDateAny, rule)
	}
}

// CheckPortDate says why t breaks the port date rule in cal, or nil. The message names the rule, the
// date in the port's zone and what the rule allows, so a carrier can send a date that fits.
func CheckPortDate(rule string, cal *BusinessCalendar, t time.Time) error {
	if rule == PortDateAny {
		return nil
	}
	local := t.In(cal.Location())
	day := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, cal.Location())
	opens, closes := day.Add(PortDayOpens), day.Add(PortDayCloses)
	rulePhrase := fmt.Sprintf("the port date rule %s allows a business day of the %s calendar, %s–%s %s",
		PortDateBusinessHours, cal.Country(), clock(PortDayOpens), clock(PortDayCloses), cal.Location())
	switch {
	case !cal.IsBusinessDay(local):
		return fmt.Errorf("%s is not a business day in %s; %s", local.Format("Mon 2 Jan 2006"), cal.Country(), rulePhrase)
	case local.Before(opens) || local.After(closes):
		return fmt.Errorf("%s is outside business hours; %s", local.Format("Mon 2 Jan 2006 15:04 MST"), rulePhrase)
	}
	return nil
}

func clock(d time.Duration) string {
	return fmt.Sprintf("%02d:%02d", int(d.Hours()), int(d.Minutes())%60)
}

// SplitGroupName is the name of the n-th split of a group (DESIGN §8): "<group>#<n>", n = 2, 3, …
// A split of a split counts on from its base group ("Acme Telecom/did#3", never "…#2#2").
func SplitGroupName(group string, n int) string {
	return BaseGroupName(group) + "#" + strconv.Itoa(n)
}

// BaseGroupName is the group a split group came from ("Acme Telecom/did" for "Acme Telecom/did#2").
func BaseGroupName(group string) string {
	if i := strings.LastIndex(group, "#"); i > 0 {
		if _, err := strconv.Atoi(group[i+1:]); err == nil {
			return group[:i]
		}
	}
	return group
}
