package porting

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// bulkBudget is how long validating one request of MaxNumbersPerRequest numbers may take: well under
// what a person waits for the CLI (measured on the 2-vCPU development VM: about 0.2 s for a port-in,
// 0.6 s for an international one). Nearly all of it is the phone-number library's regular
// expressions, which the race detector (make test runs go test -race) slows about 15 times — a GB
// number costs the library ~30 µs, ~400 µs under the detector — so under it the budget is
// raceSlowdown times larger.
func bulkBudget() time.Duration {
	const budget, raceSlowdown = 3 * time.Second, 10
	if raceEnabled {
		return raceSlowdown * budget
	}
	return budget
}

// bulkPortIn is a valid PortIn request of n numbers over 4 carriers (spelled in two ways each, as
// people type them) and both types: DIDs of four US area codes and toll-free numbers of 800 and 888.
func bulkPortIn(n int) PortInRequest {
	r := validPortIn()
	r.RequestID = "bulk-1"
	carriers := []string{"Acme Telecom", "Bell South", "Cascade Networks", "Delta Voice"}
	areas := []string{"415", "212", "312", "617"}
	tollFree := []string{"800", "888"}
	r.Numbers = make([]PortNumber, n)
	for i := range r.Numbers {
		k := i / 2 // the k-th number of its type
		carrier := carriers[k%len(carriers)]
		if k%8 == 5 {
			carrier = " " + strings.ToLower(carrier) + " "
		}
		if i%2 == 0 {
			// A DID: area code, exchange 2xx-9xx, a line number.
			r.Numbers[i] = PortNumber{E164: fmt.Sprintf("+1%s%03d%04d", areas[k%len(areas)], 200+k/10000, k%10000),
				Type: NumberTypeDID, Carrier: carrier}
		} else {
			r.Numbers[i] = PortNumber{E164: fmt.Sprintf("+1%s%03d%04d", tollFree[k%len(tollFree)], 200+k/10000, k%10000),
				Type: NumberTypeTollFree, Carrier: carrier}
		}
	}
	return r
}

// bulkIntl is a valid international request of n GB numbers, written as people write them: London
// numbers in national format (020 …), mobiles in E.164.
func bulkIntl(n int) InternationalPortInRequest {
	r := validIntl()
	r.RequestID = "bulk-intl-1"
	r.Numbers = make([]IntlNumber, n)
	for i := range r.Numbers {
		if i%2 == 0 {
			k := i / 2
			r.Numbers[i] = IntlNumber{E164: fmt.Sprintf("020 7%03d %04d", 100+k/10000, k%10000), Type: IntlTypeLocal}
		} else {
			r.Numbers[i] = IntlNumber{E164: fmt.Sprintf("+4474%08d", i/2), Type: IntlTypeMobile}
		}
	}
	return r
}

func TestBulkRequestsValidateInSeconds(t *testing.T) {
	n := MaxNumbersPerRequest
	require.GreaterOrEqual(t, n, 20000, "DESIGN §8: a request holds up to 20,000 numbers")

	t.Run("port-in", func(t *testing.T) {
		r := bulkPortIn(n)
		start := time.Now()
		require.NoError(t, ValidatePortIn(r))
		validate := time.Since(start)

		start = time.Now()
		country, err := PortInCalendarCountry(r)
		require.NoError(t, err)
		require.Equal(t, "US", country)
		calendar := time.Since(start)

		start = time.Now()
		out := NormalizePortIn(r)
		normalize := time.Since(start)
		t.Logf("%d numbers: ValidatePortIn %v, PortInCalendarCountry %v, NormalizePortIn %v", n, validate, calendar, normalize)
		groups := map[string]int{}
		for _, num := range out.Numbers {
			groups[GroupName(num.Carrier, num.Type)]++
		}
		require.Len(t, groups, 8, "4 carriers × 2 types, however the carriers were typed")
		require.Less(t, validate+calendar+normalize, bulkBudget())
	})

	t.Run("international", func(t *testing.T) {
		r := bulkIntl(n)
		start := time.Now()
		out, err := ValidateInternationalPortIn(r, intlNow)
		elapsed := time.Since(start)
		require.NoError(t, err)
		require.Equal(t, "+442071000000", out.Numbers[0].E164)
		t.Logf("%d numbers: ValidateInternationalPortIn %v", n, elapsed)
		require.Less(t, elapsed, bulkBudget())
	})

	t.Run("one more is refused", func(t *testing.T) {
		// Refused for its size, without checking each number (nor saying anything of them).
		tooMany := fmt.Sprintf("numbers: at most %d numbers per request, got %d; split the move into several requests", n, n+1)
		in := bulkPortIn(n + 1)
		in.Numbers[5].E164 = "+1415"
		requireOnlyProblem(t, ValidatePortIn(in), tooMany)
		intl := bulkIntl(n + 1)
		intl.Numbers[5].E164 = "+1415"
		_, err := ValidateInternationalPortIn(intl, intlNow)
		requireOnlyProblem(t, err, tooMany)
		out := validPortOut()
		out.Numbers = make([]string, n+1)
		for i, num := range in.Numbers {
			out.Numbers[i] = num.E164
		}
		requireOnlyProblem(t, ValidatePortOut(out), tooMany)
		out.Numbers = out.Numbers[:n]
		out.Numbers[5] = "+1415"
		require.ErrorContains(t, ValidatePortOut(out), "numbers[5]: is not a possible US/Canada number: +1415", "a port-out of 20,000 numbers is checked number by number")
	})
}

func requireOnlyProblem(t *testing.T, err error, want string) {
	t.Helper()
	var v *ValidationError
	require.ErrorAs(t, err, &v)
	require.Len(t, v.Problems, 1, "%v", err)
	require.Equal(t, want, v.Problems[0].Error())
}

// A request with thousands of bad numbers: the message names the first ones and counts the rest;
// Problems holds them all.
func TestValidationErrorNamesTheFirstProblems(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		bad  int
		more string
	}{
		{1, ""},
		{MaxProblemsShown, ""},
		{MaxProblemsShown + 1, "; … and 1 more problem"},
		{3000, "; … and 2990 more problems"},
	} {
		t.Run(fmt.Sprint(tc.bad), func(t *testing.T) {
			r := validPortIn()
			r.Numbers = make([]PortNumber, tc.bad)
			for i := range r.Numbers {
				r.Numbers[i] = PortNumber{E164: fmt.Sprintf("415-555-%04d", i), Type: NumberTypeDID, Carrier: "Acme Telecom"}
			}
			err := ValidatePortIn(r)
			var v *ValidationError
			require.ErrorAs(t, err, &v)
			require.Len(t, v.Problems, tc.bad, "Problems keeps every one")
			msg := err.Error()
			for i := range min(tc.bad, MaxProblemsShown) {
				require.Contains(t, msg, fmt.Sprintf("numbers[%d].e164: must be an E.164 number like +14155550100, got \"415-555-%04d\"", i, i))
			}
			require.NotContains(t, msg, fmt.Sprintf("numbers[%d]", MaxProblemsShown))
			if tc.more == "" {
				require.NotContains(t, msg, "more problem")
			} else {
				require.True(t, strings.HasSuffix(msg, tc.more), msg)
			}
		})
	}
	require.Equal(t, "", (&ValidationError{}).Error())
}
