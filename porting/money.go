package porting

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"regexp"
	"strings"

	"golang.org/x/text/currency"
)

// Decimal is an exact decimal amount of money (DESIGN §3: "amount is a decimal … kept exactly, never a
// binary float"). It keeps the digits it was given, scale included ("45.00" stays "45.00", "45" stays
// "45"), reads from a JSON string ("45.00", the usual form for money) or a JSON number (45, 45.5), and
// writes a JSON string, so workflow history, the audit log and Postgres keep exactly what was quoted.
//
// A Decimal may hold text that is not a decimal (as received): Valid says so, naming the rule, so that
// a validator can report it for its field instead of the payload failing to decode. The zero value is
// "no amount".
type Decimal struct {
	text string
}

var decimalPattern = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)

// ParseDecimal reads a decimal like "45.00", "-1" or "0.10" (no exponent, no thousands separators).
func ParseDecimal(s string) (Decimal, error) {
	d := Decimal{text: strings.TrimSpace(s)}
	if err := d.Valid(); err != nil {
		return Decimal{}, err
	}
	return d, nil
}

// MustDecimal is ParseDecimal for literals; it panics on a malformed amount.
func MustDecimal(s string) Decimal {
	d, err := ParseDecimal(s)
	if err != nil {
		panic(err)
	}
	return d
}

// NewDecimal is unscaled × 10^-scale, e.g. NewDecimal(4500, 2) is 45.00.
func NewDecimal(unscaled int64, scale int) Decimal {
	return fromParts(big.NewInt(unscaled), max(scale, 0))
}

// Valid reports why the text is not a decimal amount (nil when it is one).
func (d Decimal) Valid() error {
	switch {
	case d.text == "":
		return fmt.Errorf("is required: a decimal amount like \"45.00\"")
	case !decimalPattern.MatchString(d.text):
		return fmt.Errorf("%q is not a decimal amount (digits with an optional '.' and fraction, e.g. \"45.00\"; no exponent or separators)", d.text)
	}
	return nil
}

// IsZero reports whether no amount was given.
func (d Decimal) IsZero() bool { return d.text == "" }

// String is the amount as given ("45.00").
func (d Decimal) String() string { return d.text }

// parts is the amount as unscaled × 10^-scale; ok is false when the text is not a decimal.
func (d Decimal) parts() (*big.Int, int, bool) {
	if d.Valid() != nil {
		return nil, 0, false
	}
	digits, scale := d.text, 0
	if i := strings.IndexByte(digits, '.'); i >= 0 {
		scale = len(digits) - i - 1
		digits = digits[:i] + digits[i+1:]
	}
	v, ok := new(big.Int).SetString(digits, 10)
	return v, scale, ok
}

func fromParts(v *big.Int, scale int) Decimal {
	neg := v.Sign() < 0
	digits := new(big.Int).Abs(v).String()
	if scale > 0 {
		if len(digits) <= scale {
			digits = strings.Repeat("0", scale-len(digits)+1) + digits
		}
		digits = digits[:len(digits)-scale] + "." + digits[len(digits)-scale:]
	}
	if neg {
		digits = "-" + digits
	}
	return Decimal{text: digits}
}

// Scale is the number of digits after the decimal point ("45.00" has 2).
func (d Decimal) Scale() int {
	_, scale, _ := d.parts()
	return scale
}

// Sign is -1, 0 or +1 (0 for no amount or a malformed one).
func (d Decimal) Sign() int {
	v, _, ok := d.parts()
	if !ok {
		return 0
	}
	return v.Sign()
}

// IsPositive reports whether the amount is a decimal greater than zero.
func (d Decimal) IsPositive() bool { return d.Sign() > 0 }

// rescale is the unscaled value at a larger scale.
func rescale(v *big.Int, from, to int) *big.Int {
	return new(big.Int).Mul(v, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(to-from)), nil))
}

// Add is the exact sum, at the larger scale of the two ("0.10" + "0.20" is "0.30"). A malformed or
// missing operand counts as zero.
func (d Decimal) Add(e Decimal) Decimal {
	a, as, aok := d.parts()
	b, bs, bok := e.parts()
	if !aok {
		a, as = new(big.Int), 0
	}
	if !bok {
		b, bs = new(big.Int), 0
	}
	scale := max(as, bs)
	return fromParts(new(big.Int).Add(rescale(a, as, scale), rescale(b, bs, scale)), scale)
}

// Cmp compares the amounts' values (-1, 0, +1): "45" and "45.00" are equal.
func (d Decimal) Cmp(e Decimal) int {
	a, as, _ := d.parts()
	b, bs, _ := e.parts()
	if a == nil {
		a = new(big.Int)
	}
	if b == nil {
		b = new(big.Int)
	}
	scale := max(as, bs)
	return rescale(a, as, scale).Cmp(rescale(b, bs, scale))
}

// WithScale is the amount written with at least places decimals ("45" → "45.00" for 2); it never
// rounds away digits.
func (d Decimal) WithScale(places int) Decimal {
	v, scale, ok := d.parts()
	if !ok || scale >= places {
		return d
	}
	return fromParts(rescale(v, scale, places), places)
}

// MarshalJSON writes the amount as a JSON string ("45.00"); no amount is null.
func (d Decimal) MarshalJSON() ([]byte, error) {
	if d.text == "" {
		return []byte("null"), nil
	}
	return json.Marshal(d.text)
}

// UnmarshalJSON reads a JSON string or a JSON number, keeping its digits exactly (never through a
// float). Text that is not a decimal is kept for Valid to report; other JSON values are refused.
func (d *Decimal) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*d = Decimal{}
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*d = Decimal{text: strings.TrimSpace(s)}
	case len(b) > 0 && (b[0] == '-' || (b[0] >= '0' && b[0] <= '9')):
		*d = Decimal{text: string(b)}
	default:
		return fmt.Errorf("amount must be a decimal, as a JSON string (\"45.00\") or number, got %s", b)
	}
	return nil
}

// notMoney are ISO 4217 codes that name no currency a price can be quoted in: no currency, testing,
// precious metals, bond-market units and special drawing rights.
var notMoney = map[string]bool{
	"XXX": true, "XTS": true, "XAU": true, "XAG": true, "XPD": true, "XPT": true, "XBA": true,
	"XBB": true, "XBC": true, "XBD": true, "XDR": true, "XSU": true, "XUA": true,
}

// CurrencyDigits checks an ISO 4217 currency code (upper case, a currency money is quoted in) and
// returns how many decimals its amounts have (GBP 2, JPY 0, BHD 3).
func CurrencyDigits(code string) (int, error) {
	if len(code) != 3 || strings.ToUpper(code) != code {
		return 0, fmt.Errorf("must be an ISO 4217 code in capitals like EUR, got %q", code)
	}
	unit, err := currency.ParseISO(code)
	if err != nil || notMoney[code] {
		return 0, fmt.Errorf("%q is not an ISO 4217 currency", code)
	}
	scale, _ := currency.Standard.Rounding(unit)
	return scale, nil
}
