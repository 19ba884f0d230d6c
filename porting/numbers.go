package porting

import (
	"fmt"

	"github.com/nyaruka/phonenumbers"
)

// ukCrownDependencies are the regions the phone-number library gives numbers of the UK numbering
// plan (+44) in Jersey, Guernsey and the Isle of Man. They are ported as GB numbers: one numbering
// plan, and no business calendar of their own here (a request naming JE, GG or IM as its country is
// refused for that reason, like any country without a calendar).
var ukCrownDependencies = map[string]bool{"JE": true, "GG": true, "IM": true}

// numberOfCountry reports whether a number whose library region is region belongs to country:
// the same region, or a Jersey/Guernsey/Isle of Man number of the UK numbering plan for GB.
func numberOfCountry(region, country string) bool {
	return region == country || (country == "GB" && ukCrownDependencies[region])
}

// numberProblem says what is wrong with a parsed number that is not a valid number ("" when it is
// valid): a length the numbering plan does not use, or an area code / number range it does not have.
func numberProblem(num *phonenumbers.PhoneNumber) string {
	cc := int(num.GetCountryCode())
	plan := fmt.Sprintf("the +%d numbering plan", cc)
	if cc == 1 {
		plan = "the North American (+1) numbering plan"
	}
	switch phonenumbers.IsPossibleNumberWithReason(num) {
	case phonenumbers.INVALID_COUNTRY_CODE:
		return fmt.Sprintf("+%d is not a country calling code", cc)
	case phonenumbers.TOO_SHORT:
		return "too short for " + plan
	case phonenumbers.TOO_LONG:
		return "too long for " + plan
	case phonenumbers.IS_POSSIBLE_LOCAL_ONLY:
		return "too short for " + plan + " (a local number without its area code?)"
	case phonenumbers.INVALID_LENGTH:
		return "not a length " + plan + " uses"
	}
	if phonenumbers.IsValidNumber(num) {
		return ""
	}
	nsn := phonenumbers.GetNationalSignificantNumber(num)
	if cc == 1 && len(nsn) == 10 {
		area, exchange := nsn[:3], nsn[3:6]
		switch {
		case area[0] == '0' || area[0] == '1':
			return fmt.Sprintf("no such area code %s (area codes do not start with 0 or 1)", area)
		case exchange[0] == '0' || exchange[0] == '1':
			return fmt.Sprintf("exchange %s is not valid (exchanges do not start with 0 or 1)", exchange)
		case !nanpAreaCodeInUse(area):
			return fmt.Sprintf("no such area code %s in %s", area, plan)
		}
		return fmt.Sprintf("not a valid number in area code %s of %s (no such number range)", area, plan)
	}
	if region := phonenumbers.GetRegionCodeForNumber(num); region != "" && region != "ZZ" {
		return fmt.Sprintf("not a valid %s number: no such area code or number range in %s", region, plan)
	}
	return "no such area code or number range in " + plan
}

// nanpAreaCodeInUse reports whether the library knows numbers in a +1 area code, trying a few
// ordinary exchanges.
func nanpAreaCodeInUse(area string) bool {
	for _, exchange := range []string{"201", "234", "555", "456", "789", "922"} {
		if n, err := phonenumbers.Parse("+1"+area+exchange+"0100", ""); err == nil && phonenumbers.IsValidNumber(n) {
			return true
		}
	}
	return false
}
