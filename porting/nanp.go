package porting

import (
	"fmt"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// +1 numbers (the North American Numbering Plan) are counted on their own country's calendar, in
// the instance region's time zone:
//
//   - Canadian numbers (region CA) on Canada's federal holidays;
//   - US numbers and those of the US territories (PR, VI, GU, AS, MP), which keep the US federal
//     holidays, on the US calendar;
//   - toll-free numbers (800, 888, …) are shared by the whole plan and belong to no country: they
//     take the calendar of the request's other numbers (the US calendar when there are none);
//   - the plan's other countries (the Caribbean's, Bermuda) have no holiday calendar in the library
//     and are refused.
//
// A request's numbers must all be of one calendar: mixing US and Canadian numbers is refused (a port
// is counted on one calendar; port them as two requests).

// nanpUSTerritories are the NANP regions counted on the US calendar.
var nanpUSTerritories = map[string]bool{"US": true, "PR": true, "VI": true, "GU": true, "AS": true, "MP": true}

// nanpOneCalendarRule is the rule a mixed request breaks.
const nanpOneCalendarRule = "a request's numbers must be of one country's calendar (US or CA)"

// nanpNumberCountry is the calendar country of a +1 number: "US" or "CA", "" for a toll-free number
// (no country), or a problem.
func nanpNumberCountry(e164 string) (string, string) {
	var kind phonenumbers.PhoneNumberType
	var region string
	if nanpFast(e164) {
		_, f := nanpFactsOf(e164)
		kind, region = f.kind, f.region
	} else {
		num, err := phonenumbers.Parse(e164, "US")
		if err != nil {
			return "", fmt.Sprintf("is not a possible US/Canada number: %s", e164)
		}
		kind, region = phonenumbers.GetNumberType(num), phonenumbers.GetRegionCodeForNumber(num)
	}
	if kind == phonenumbers.TOLL_FREE {
		return "", ""
	}
	switch {
	case region == "CA":
		return "CA", ""
	case nanpUSTerritories[region]:
		return "US", ""
	}
	return "", fmt.Sprintf("%s is a +1 number of %s: no holiday calendar for %s; +1 numbers are ported on the US calendar (US, PR, VI, GU, AS, MP) or Canada's (CA)",
		e164, orUnknown(region), orUnknown(region))
}

// nanpCalendarCountry is the calendar country of +1 numbers (field[i] names each): the country of
// every number that has one, "US" when none has; problems for numbers of no calendar and for a
// mix of countries.
func nanpCalendarCountry(p *problems, field func(int) string, numbers []string) string {
	country, first := "", -1
	for i, n := range numbers {
		c, problem := nanpNumberCountry(n)
		switch {
		case problem != "":
			p.add(field(i), "%s", problem)
		case c == "":
		case country == "":
			country, first = c, i
		case c != country:
			p.add(field(i), "%s is a %s number but %s (%s) is a %s number: %s",
				n, c, field(first), numbers[first], country, nanpOneCalendarRule)
		}
	}
	if country == "" {
		country = "US"
	}
	return country
}

// PortInCalendarCountry is the country whose calendar a valid PortIn request (ValidatePortIn) is
// counted on: that of its numbers, "US" or "CA" (see above). A request mixing the two, or with a +1
// number of a country without a holiday calendar, is refused with a field error naming the number.
func PortInCalendarCountry(r PortInRequest) (string, error) {
	numbers := make([]string, len(r.Numbers))
	for i, n := range r.Numbers {
		numbers[i] = n.E164
	}
	var p problems
	country := nanpCalendarCountry(&p, func(i int) string { return fmt.Sprintf("numbers[%d].e164", i) }, numbers)
	if err := p.err(); err != nil {
		return "", err
	}
	return country, nil
}

// PortOutCountryCalendar is the business calendar of a valid port-out (ValidatePortOut): for +1
// numbers, their own country's calendar (US or CA, see above) in the instance region's time zone;
// else, as PortOutCalendar, the numbers' country's calendar in its own zone. (PortOutCalendar, which
// counts every +1 number on the US calendar, stays for the ports that started with it.)
func PortOutCountryCalendar(r PortOutRequest) (*BusinessCalendar, error) {
	if len(r.Numbers) == 0 || !strings.HasPrefix(r.Numbers[0], "+1") {
		return PortOutCalendar(r)
	}
	var p problems
	country := nanpCalendarCountry(&p, func(i int) string { return fmt.Sprintf("numbers[%d]", i) }, r.Numbers)
	if err := p.err(); err != nil {
		return nil, err
	}
	ref, err := ParseInstanceARN(r.InstanceARN)
	if err != nil {
		return nil, fmt.Errorf("instance_arn: %w", err)
	}
	tz, _ := RegionTimeZone(ref.Region)
	return NewBusinessCalendar(country, tz)
}
