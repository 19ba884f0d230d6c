package porting

import (
	"fmt"
	"strconv"
	"sync"

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

// codeOfCountry reports whether every region of a calling code is of country (numberOfCountry): then
// every valid number of the code is.
func codeOfCountry(callingCode int, country string) bool {
	regions := phonenumbers.GetRegionCodesForCountryCode(callingCode)
	for _, r := range regions {
		if !numberOfCountry(r, country) {
			return false
		}
	}
	return len(regions) > 0
}

// numberProblem says what is wrong with a parsed number that is not a valid number ("" when it is
// valid): a length the numbering plan does not use, or an area code / number range it does not have.
func numberProblem(num *phonenumbers.PhoneNumber) string {
	return numberProblemOfType(num, phonenumbers.GetNumberType(num))
}

// numberProblemOfType is numberProblem for a number whose type the caller already has
// (phonenumbers.GetNumberType): a number is valid exactly when the library gives it a type
// (IsValidNumber and GetNumberType both look the number up in the metadata of the region
// GetRegionCodeForNumber finds; TestValidIsTyped holds the two together), so the type, which the
// caller needs anyway, saves the library a second look-up of every valid number.
func numberProblemOfType(num *phonenumbers.PhoneNumber, kind phonenumbers.PhoneNumberType) string {
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
	if kind != phonenumbers.UNKNOWN {
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

// isE164 reports whether s is an E.164 number: '+', a first digit 1-9, 2 to 15 digits in all. It is
// the regular expression ^\+[1-9][0-9]{1,14}$ written out: checked for every number of a request
// of up to 20,000, where a regular expression costs (TestIsE164IsThePattern holds the two equal).
func isE164(s string) bool {
	if len(s) < 3 || len(s) > 16 || s[0] != '+' || s[1] < '1' || s[1] > '9' {
		return false
	}
	for i := 2; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parseNANP is phonenumbers.Parse(e164, "US") for a +1 number of 10 digits whose area code starts
// with 2-9 (nanpFast), without the parser's regular expressions — the main cost of validating a
// 20,000-number request: country code 1 and the 10 digits as the national number, exactly what
// Parse makes of them (no national prefix to strip, no leading zero; TestParseNANPIsParse holds the
// two equal). Other input is left to Parse.
func parseNANP(e164 string) *phonenumbers.PhoneNumber {
	n, _ := strconv.ParseUint(e164[2:], 10, 64)
	cc := int32(1)
	return &phonenumbers.PhoneNumber{CountryCode: &cc, NationalNumber: &n}
}

// nanpFast reports whether parseNANP takes e164: +1 and 10 digits, the first 2-9.
func nanpFast(e164 string) bool {
	return len(e164) == 12 && isE164(e164) && e164[1] == '1' && e164[2] >= '2'
}

// nanpFacts is what the phone-number library says about one +1 number (nanpFast): its type
// (UNKNOWN: not a valid number) and its region. ValidatePortIn asks it of every number and
// PortInCalendarCountry (port-outs: ValidatePortOut, PortOutCountryCalendar) asks again right after,
// so the answers are kept for a while (nanpFactsOf).
type nanpFacts struct {
	kind   phonenumbers.PhoneNumberType
	region string
}

// nanpCache keeps nanpFacts of the numbers seen last, at most nanpCacheSize of them (then it starts
// over). It only saves work: the facts are the library's answers for the number, whatever the
// cache holds, so code that must be deterministic (workflow validation) may use it.
var nanpCache = struct {
	sync.Mutex
	facts map[string]nanpFacts
}{facts: map[string]nanpFacts{}}

// nanpCacheSize bounds the cache: a request's numbers twice over (two requests validated at once).
const nanpCacheSize = 2 * MaxNumbersPerRequest

// nanpFactsOf is the type and region of a +1 number (nanpFast) and the number parsed (parseNANP).
func nanpFactsOf(e164 string) (*phonenumbers.PhoneNumber, nanpFacts) {
	num := parseNANP(e164)
	nanpCache.Lock()
	f, ok := nanpCache.facts[e164]
	nanpCache.Unlock()
	if ok {
		return num, f
	}
	f = nanpFacts{kind: phonenumbers.GetNumberType(num), region: phonenumbers.GetRegionCodeForNumber(num)}
	nanpCache.Lock()
	if len(nanpCache.facts) >= nanpCacheSize {
		clear(nanpCache.facts)
	}
	nanpCache.facts[e164] = f
	nanpCache.Unlock()
	return num, f
}
