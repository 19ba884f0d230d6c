package porting

import (
	"strings"
	"testing"
)

// Jersey, Guernsey and Isle of Man numbers are UK-numbering-plan (+44) numbers the library places in
// JE, GG and IM: they are GB numbers for an international port-in and for a port-out.
func TestCrownDependencyNumbersAreGB(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		e164, typ, country, err string
	}{
		{"+447797712345", IntlTypeMobile, "GB", ""}, // Jersey
		{"+447781123456", IntlTypeMobile, "GB", ""}, // Guernsey
		{"+447624123456", IntlTypeMobile, "GB", ""}, // Isle of Man
		{"07797 712345", IntlTypeMobile, "GB", ""},  // national format
		{"+442079460000", IntlTypeLocal, "GB", ""},
		{"+447797712345", IntlTypeMobile, "IE", "+447797712345 is a number of JE, not of IE (country)"},
		{"+33123456789", IntlTypeLocal, "GB", "+33123456789 is a number of FR, not of GB (country)"},
	} {
		var p problems
		got, ok := checkIntlNumber(&p, "numbers[0]", IntlNumber{E164: tc.e164, Type: tc.typ}, tc.country)
		if tc.err == "" {
			if !ok || p.err() != nil || !strings.HasPrefix(got, "+44") {
				t.Errorf("%s in %s: %q %v", tc.e164, tc.country, got, p.err())
			}
			continue
		}
		if ok || p.err() == nil || !strings.Contains(p.err().Error(), tc.err) {
			t.Errorf("%s in %s: %v, want %q", tc.e164, tc.country, p.err(), tc.err)
		}
	}
	// A port-out of such numbers counts on the GB calendar. (A request naming JE, GG or IM as its
	// country stays refused while they have no business calendar of their own.)
	for _, c := range []string{"JE", "GG", "IM"} {
		if _, ok := countries[c]; ok {
			t.Errorf("%s has a calendar now: accept requests naming it for its own numbers", c)
		}
	}
	out := validPortOut()
	out.Numbers = []string{"+447797712345", "+447624123456"}
	if err := ValidatePortOut(out); err != nil {
		t.Errorf("port-out of Jersey and Isle of Man numbers: %v", err)
	}
}

// A well-formed number that is not a valid one says what is wrong with it, for +1 and others.
func TestInvalidNumbersSayWhy(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ e164, country, want string }{
		{"+15555550100", "", "numbers[0].e164: +15555550100 is not a valid number: no such area code 555 in the North American (+1) numbering plan"},
		{"+12121230100", "", "numbers[0].e164: +12121230100 is not a valid number: exchange 123 is not valid (exchanges do not start with 0 or 1)"},
		{"+449999999999", "GB", "numbers[0].e164: +449999999999 is not a valid number: no such area code or number range in the +44 numbering plan"},
		{"+4420794600001", "GB", "numbers[0].e164: +4420794600001 is not a valid number: too long for the +44 numbering plan"},
		{"+44207946", "GB", "numbers[0].e164: +44207946 is not a valid number: too short for the +44 numbering plan (a local number without its area code?)"},
		{"+3319999999999", "FR", "numbers[0].e164: +3319999999999 is not a valid number: too long for the +33 numbering plan"},
		{"+8261234", "KR", "numbers[0].e164: +8261234 is not a valid number: not a valid KR number: no such area code or number range in the +82 numbering plan"},
	} {
		var p problems
		if tc.country == "" {
			checkNANPNumber(&p, "numbers[0].e164", tc.e164, NumberTypeDID)
		} else {
			checkIntlNumber(&p, "numbers[0]", IntlNumber{E164: tc.e164, Type: IntlTypeLocal}, tc.country)
		}
		err := p.err()
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s: got %v\n want %s", tc.e164, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "no country") {
			t.Errorf("%s: %v", tc.e164, err)
		}
	}
	// Port-out numbers say the same.
	out := validPortOut()
	out.Numbers = []string{"+15555550100"}
	if err := ValidatePortOut(out); err == nil || !strings.Contains(err.Error(), "numbers[0]: +15555550100 is not a valid number: no such area code 555") {
		t.Errorf("port-out: %v", err)
	}
}
