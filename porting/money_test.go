package porting

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestCostJSONKeepsTheAmountExactly(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, amount, out, str string
		positive             bool
	}{
		{`{"amount":"45.00","currency":"GBP"}`, "45.00", `{"amount":"45.00","currency":"GBP"}`, "45.00 GBP", true},
		{`{"amount":45,"currency":"GBP"}`, "45", `{"amount":"45","currency":"GBP"}`, "45.00 GBP", true},
		{`{"amount":45.5,"currency":"EUR"}`, "45.5", `{"amount":"45.5","currency":"EUR"}`, "45.50 EUR", true},
		{`{"amount":"0.10","currency":"USD"}`, "0.10", `{"amount":"0.10","currency":"USD"}`, "0.10 USD", true},
		{`{"amount":"0","currency":"USD"}`, "0", `{"amount":"0","currency":"USD"}`, "0.00 USD", false},
		{`{"amount":1000,"currency":"JPY"}`, "1000", `{"amount":"1000","currency":"JPY"}`, "1000 JPY", true},
		{`{"amount":"12345678901234567890.12","currency":"GBP"}`, "12345678901234567890.12", `{"amount":"12345678901234567890.12","currency":"GBP"}`, "12345678901234567890.12 GBP", true},
	} {
		var c Cost
		if err := json.Unmarshal([]byte(tc.in), &c); err != nil {
			t.Fatalf("%s: %v", tc.in, err)
		}
		if c.Amount.String() != tc.amount {
			t.Errorf("%s: amount %q, want %q", tc.in, c.Amount, tc.amount)
		}
		if err := ValidatePortabilityResult(PortabilityResult{Cost: &c}); err != nil {
			t.Errorf("%s: %v", tc.in, err)
		}
		b, _ := json.Marshal(c)
		if string(b) != tc.out {
			t.Errorf("%s: marshals %s, want %s", tc.in, b, tc.out)
		}
		if c.String() != tc.str || c.IsPositive() != tc.positive {
			t.Errorf("%s: String %q positive %v, want %q %v", tc.in, c.String(), c.IsPositive(), tc.str, tc.positive)
		}
	}
}

func TestDecimalArithmeticIsExact(t *testing.T) {
	t.Parallel()
	sum := MustDecimal("0.10").Add(MustDecimal("0.20"))
	if sum.String() != "0.30" || sum.Cmp(MustDecimal("0.3")) != 0 {
		t.Fatalf("0.10 + 0.20 = %s", sum)
	}
	if MustDecimal("45").Cmp(MustDecimal("45.00")) != 0 || MustDecimal("-1").Sign() != -1 || MustDecimal("0.00").IsPositive() {
		t.Fatal("Cmp/Sign")
	}
	if got := NewDecimal(4500, 2).String(); got != "45.00" {
		t.Fatalf("NewDecimal(4500, 2) = %s", got)
	}
	if got := NewDecimal(-5, 3).String(); got != "-0.005" {
		t.Fatalf("NewDecimal(-5, 3) = %s", got)
	}
	if got := MustDecimal("1.5").Add(MustDecimal("-2")).String(); got != "-0.5" {
		t.Fatalf("1.5 + -2 = %s", got)
	}
}

func TestValidatePortabilityResultCost(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{`{"amount":"abc","currency":"GBP"}`, `cost.amount: "abc" is not a decimal amount`},
		{`{"amount":"4.5e1","currency":"GBP"}`, `cost.amount: "4.5e1" is not a decimal amount`},
		{`{"amount":4.5e1,"currency":"GBP"}`, `cost.amount: "4.5e1" is not a decimal amount`},
		{`{"amount":"1,000.00","currency":"GBP"}`, `cost.amount: "1,000.00" is not a decimal amount`},
		{`{"amount":-1,"currency":"GBP"}`, `cost.amount: must not be negative, got -1`},
		{`{"amount":"-0.01","currency":"GBP"}`, `cost.amount: must not be negative, got -0.01`},
		{`{"currency":"GBP"}`, `cost.amount: is required`},
		{`{"amount":"45.001","currency":"GBP"}`, `cost.amount: 45.001 has 3 decimals; GBP amounts have at most 2`},
		{`{"amount":"100.5","currency":"JPY"}`, `cost.amount: 100.5 has 1 decimals; JPY amounts have at most 0`},
		{`{"amount":"45.00","currency":"XXX"}`, `cost.currency: "XXX" is not an ISO 4217 currency`},
		{`{"amount":"45.00","currency":"ABC"}`, `cost.currency: "ABC" is not an ISO 4217 currency`},
		{`{"amount":"45.00","currency":"usd"}`, `cost.currency: must be an ISO 4217 code in capitals like EUR, got "usd"`},
		{`{"amount":"45.00"}`, `cost.currency: must be an ISO 4217 code in capitals like EUR, got ""`},
	} {
		var c Cost
		if err := json.Unmarshal([]byte(tc.in), &c); err != nil {
			t.Fatalf("%s: %v", tc.in, err)
		}
		err := ValidatePortabilityResult(PortabilityResult{Cost: &c})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.in, err, tc.want)
		}
	}
	var c Cost
	if err := json.Unmarshal([]byte(`{"amount":true,"currency":"GBP"}`), &c); err == nil || !strings.Contains(err.Error(), "amount must be a decimal") {
		t.Errorf("a boolean amount: %v", err)
	}
}
