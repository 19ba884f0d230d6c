package porting

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"

	"github.com/nyaruka/phonenumbers"
	"google.golang.org/protobuf/proto"
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

// isE164 is the regular expression ^\+[1-9][0-9]{1,14}$ written out.
func TestIsE164IsThePattern(t *testing.T) {
	t.Parallel()
	pattern := regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)
	cases := []string{"", "+", "+1", "+12", "+0123", "+123456789012345", "+1234567890123456", "14155550100",
		"+1415555010a", "+1 4155550100", "++14155550100", "+14155550100\n", "+１4155550100", "+9"}
	rng := rand.New(rand.NewPCG(1, 2))
	const alphabet = "+0123456789 a\n"
	for range 20000 {
		b := make([]byte, rng.IntN(18))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		if len(b) > 0 && rng.IntN(2) == 0 {
			b[0] = '+'
		}
		cases = append(cases, string(b))
	}
	for _, s := range cases {
		if isE164(s) != pattern.MatchString(s) {
			t.Errorf("%q: isE164 %v, pattern %v", s, isE164(s), pattern.MatchString(s))
		}
	}
}

// parseNANP makes of a +1 number what phonenumbers.Parse makes of it, without the parser.
func TestParseNANPIsParse(t *testing.T) {
	t.Parallel()
	numbers := []string{"+12000000000", "+19999999999", "+14155550100", "+18005550100", "+14165550100", "+12425550100"}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		numbers = append(numbers, fmt.Sprintf("+1%d%09d", 2+rng.IntN(8), rng.IntN(1_000_000_000)))
	}
	for _, s := range numbers {
		if !nanpFast(s) {
			t.Fatalf("%s: not taken by the fast path", s)
		}
		for _, region := range []string{"US", ""} {
			want, err := phonenumbers.Parse(s, region)
			if err != nil {
				t.Fatalf("%s: %v", s, err)
			}
			if got := parseNANP(s); !proto.Equal(got, want) {
				t.Errorf("%s (default region %q): parseNANP %v, Parse %v", s, region, got, want)
			}
		}
	}
	for _, s := range []string{"+10155550100", "+11155550100", "+1415555010", "+141555501000", "+24155550100", "14155550100"} {
		if nanpFast(s) {
			t.Errorf("%s: taken by the fast path", s)
		}
	}
}

// A number is valid exactly when the library gives it a type (numberProblemOfType relies on it).
func TestValidIsTyped(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(5, 6))
	for _, cc := range []int{1, 7, 33, 39, 44, 49, 61, 81, 262, 590, 800, 882} {
		for range 300 {
			s := fmt.Sprintf("+%d%d", cc, rng.IntN(10_000_000_000))
			num, err := phonenumbers.Parse(s, "")
			if err != nil {
				continue
			}
			valid, typed := phonenumbers.IsValidNumber(num), phonenumbers.GetNumberType(num) != phonenumbers.UNKNOWN
			if valid != typed {
				t.Errorf("%s: IsValidNumber %v, GetNumberType %v", s, valid, phonenumbers.GetNumberType(num))
			}
		}
	}
}

// The facts kept for +1 numbers are the library's answers; the cache starts over when full.
func TestNANPFactsCache(t *testing.T) {
	for _, s := range []string{"+14155550100", "+18005550100", "+14165550100", "+15555550100"} {
		num, _ := phonenumbers.Parse(s, "US")
		want := nanpFacts{kind: phonenumbers.GetNumberType(num), region: phonenumbers.GetRegionCodeForNumber(num)}
		for range 2 {
			if _, got := nanpFactsOf(s); got != want {
				t.Errorf("%s: %+v, want %+v", s, got, want)
			}
		}
	}
	nanpCache.Lock()
	for i := len(nanpCache.facts); i < nanpCacheSize; i++ {
		nanpCache.facts[fmt.Sprint(i)] = nanpFacts{}
	}
	nanpCache.Unlock()
	nanpFactsOf("+14155550101")
	nanpCache.Lock()
	defer nanpCache.Unlock()
	if len(nanpCache.facts) != 1 {
		t.Errorf("%d numbers kept, want 1 (started over)", len(nanpCache.facts))
	}
}
