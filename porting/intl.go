package porting

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/nyaruka/phonenumbers"
)

// Number types of an international port-in.
const (
	IntlTypeLocal    = "local"
	IntlTypeTollFree = "toll_free"
	IntlTypeITFS     = "itfs"
	IntlTypeUIFN     = "uifn"
	IntlTypeMobile   = "mobile"
)

// IntlGroup is the one LOA group of an international port-in.
const IntlGroup = "main"

// IntlNumber is one number of an international port-in. E164 may be given in the country's national
// format (leading zeros and all); validation normalizes it to E.164.
type IntlNumber struct {
	E164 string `json:"e164"`
	Type string `json:"type"`
}

// Window is a time range.
type Window struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// Contains reports whether t falls within the window.
func (w Window) Contains(t time.Time) bool { return !t.Before(w.Start) && !t.After(w.End) }

// InternationalPortInRequest is the input of the InternationalPortIn workflow (wire contract).
type InternationalPortInRequest struct {
	RequestID              string       `json:"request_id"`
	InstanceARN            string       `json:"instance_arn"`
	ContactFlow            string       `json:"contact_flow"`
	Country                string       `json:"country"`
	Numbers                []IntlNumber `json:"numbers"`
	Carrier                string       `json:"carrier"`
	CarrierAccountNumber   string       `json:"carrier_account_number"`
	PIN                    string       `json:"pin,omitempty"`
	BillingTelephoneNumber string       `json:"billing_telephone_number,omitempty"`
	InvoiceRef             string       `json:"invoice_ref"`
	PreferredWindow        Window       `json:"preferred_window"`
	AuthorizedContact      Contact      `json:"authorized_contact"`
	// Deadlines overrides the default reminder and escalation periods (extension).
	Deadlines *IntlDeadlines `json:"deadlines,omitempty"`
	// Resume is the workflow's own carry-over when it continues as new (a long port's history is
	// kept short); clients never set it (refused by validation), and a first run ignores it.
	Resume json.RawMessage `json:"resume,omitempty"`
}

// IntlDeadlines are the international periods of DESIGN §4. Zero means the default.
type IntlDeadlines struct {
	Deadlines
	PortabilityEscalationBusinessDays int `json:"portability_escalation_business_days,omitempty"`
	AcceptanceReminderBusinessDays    int `json:"acceptance_reminder_business_days,omitempty"`
	AcceptanceEscalationBusinessDays  int `json:"acceptance_escalation_business_days,omitempty"`
	// PortabilityExpiryBusinessDays: without the partner carriers' answer for this long, the request
	// ends (the customer and operations are told) instead of escalating forever.
	PortabilityExpiryBusinessDays int `json:"portability_expiry_business_days,omitempty"`
}

// Default international periods (DESIGN §4).
const (
	DefaultPortabilityEscalationBusinessDays = 5
	DefaultAcceptanceReminderBusinessDays    = 5
	DefaultAcceptanceEscalationBusinessDays  = 15
	DefaultPortabilityExpiryBusinessDays     = 20
)

// WithDefaults fills zero periods with the defaults.
func (d *IntlDeadlines) WithDefaults() IntlDeadlines {
	out := IntlDeadlines{}
	if d != nil {
		out = *d
	}
	out.Deadlines = out.Deadlines.WithDefaults()
	if out.PortabilityEscalationBusinessDays <= 0 {
		out.PortabilityEscalationBusinessDays = DefaultPortabilityEscalationBusinessDays
	}
	if out.AcceptanceReminderBusinessDays <= 0 {
		out.AcceptanceReminderBusinessDays = DefaultAcceptanceReminderBusinessDays
	}
	if out.AcceptanceEscalationBusinessDays <= 0 {
		out.AcceptanceEscalationBusinessDays = DefaultAcceptanceEscalationBusinessDays
	}
	if out.PortabilityExpiryBusinessDays <= 0 {
		out.PortabilityExpiryBusinessDays = DefaultPortabilityExpiryBusinessDays
	}
	return out
}

// PortabilityResult is the payload of the portability-result signal/update: the partner carriers'
// answer, per number where they give one, with the cost of porting if there is one.
type PortabilityResult struct {
	Portable bool                `json:"portable"`
	Numbers  []NumberPortability `json:"numbers,omitempty"`
	Cost     *Cost               `json:"cost,omitempty"`
}

// NumberPortability is one number's portability.
type NumberPortability struct {
	E164     string `json:"e164"`
	Portable bool   `json:"portable"`
	Reason   string `json:"reason,omitempty"`
}

// Cost is a price quoted for a port: an exact decimal amount (a JSON string "45.00" or number) in an
// ISO 4217 currency.
type Cost struct {
	Amount   Decimal `json:"amount"`
	Currency string  `json:"currency"`
}

// IsPositive reports whether there is something to pay (a decimal amount above zero).
func (c Cost) IsPositive() bool { return c.Amount.IsPositive() }

// String is "45.00 GBP": the amount with at least its currency's decimals (never rounded).
func (c Cost) String() string {
	amount := c.Amount
	if digits, err := CurrencyDigits(c.Currency); err == nil {
		amount = amount.WithScale(digits)
	}
	return amount.String() + " " + c.Currency
}

// ApproveCost is the payload of the approve-cost signal/update.
type ApproveCost struct {
	Approved bool   `json:"approved"`
	By       string `json:"by"`
}

var intlTypes = []string{IntlTypeLocal, IntlTypeTollFree, IntlTypeITFS, IntlTypeUIFN, IntlTypeMobile}

// ValidateInternationalPortIn checks an international request on its own against now and returns
// it with every number normalized to E.164 (parsed in the request's country, leading zeros kept).
func ValidateInternationalPortIn(r InternationalPortInRequest, now time.Time) (InternationalPortInRequest, error) {
	var p problems
	checkRequestID(&p, r.RequestID)
	checkNoResume(&p, r.Resume)
	if ref, err := ParseInstanceARN(r.InstanceARN); err != nil {
		p.add("instance_arn", "%s", requiredOr(r.InstanceARN, err))
	} else if ref.Region == TokyoRegion {
		p.add("instance_arn", "porting is not supported for instances in the Asia Pacific (Tokyo) region (%s)", TokyoRegion)
	}
	if strings.TrimSpace(r.ContactFlow) == "" {
		p.add("contact_flow", "is required: the exact name of the published contact flow to map the numbers to")
	}
	countryKnown := false
	switch {
	case r.Country == "":
		p.add("country", "is required (ISO 3166 alpha-2, e.g. GB)")
	case r.Country == "US" || r.Country == "CA":
		p.add("country", "%s numbers (+1) are ported with a US/Canada port-in, not an international one", r.Country)
	default:
		if _, ok := countries[r.Country]; !ok {
			p.add("country", "%q: no holiday calendar for %s; supported: %s", r.Country, r.Country, strings.Join(intlCountries(), ", "))
		} else {
			countryKnown = true
		}
	}
	if len(r.Numbers) == 0 {
		p.add("numbers", "at least one number is required")
	}
	numbers := r.Numbers
	if len(numbers) > MaxNumbersPerRequest {
		p.add("numbers", "%s", tooManyNumbers(len(numbers)))
		numbers = nil // refused whatever they are: not checked one by one
	}
	out := r
	out.Numbers = make([]IntlNumber, len(numbers))
	seen := make(map[string]int, len(numbers))
	for i, n := range numbers {
		field := fmt.Sprintf("numbers[%d]", i)
		out.Numbers[i] = n
		if !contains(intlTypes, n.Type) {
			p.add(field+".type", "must be one of %s, got %q", strings.Join(intlTypes, ", "), n.Type)
		}
		if !countryKnown {
			continue
		}
		e164, ok := checkIntlNumber(&p, field, n, r.Country)
		if !ok {
			continue
		}
		out.Numbers[i].E164 = e164
		if first, dup := seen[e164]; dup {
			p.add(field+".e164", "duplicate of numbers[%d] (%s)", first, e164)
		} else {
			seen[e164] = i
		}
	}
	if strings.TrimSpace(r.Carrier) == "" {
		p.add("carrier", "is required: the current carrier's name")
	} else if strings.Contains(r.Carrier, "/") {
		p.add("carrier", "must not contain '/'")
	}
	if strings.TrimSpace(r.CarrierAccountNumber) == "" {
		p.add("carrier_account_number", "is required: the account number with the current carrier")
	}
	if r.PIN == "" && r.BillingTelephoneNumber == "" {
		p.add("pin", "a PIN or a billing_telephone_number is required")
	}
	if r.BillingTelephoneNumber != "" && !isE164(r.BillingTelephoneNumber) {
		p.add("billing_telephone_number", "must be an E.164 number like +442079460000")
	}
	if strings.TrimSpace(r.InvoiceRef) == "" {
		p.add("invoice_ref", "is required: a reference to a redacted copy of a carrier invoice")
	}
	switch w := r.PreferredWindow; {
	case w.Start.IsZero() || w.End.IsZero():
		p.add("preferred_window", "start and end are required (RFC 3339)")
	case !w.End.After(w.Start):
		p.add("preferred_window.end", "must be after start")
	case !w.Start.After(now):
		p.add("preferred_window.start", "must be in the future, got %s", w.Start.Format(time.RFC3339))
	}
	checkContact(&p, "authorized_contact", r.AuthorizedContact)
	if r.Deadlines != nil {
		checkDeadlines(&p, &r.Deadlines.Deadlines)
		d := r.Deadlines
		if d.PortabilityEscalationBusinessDays < 0 || d.AcceptanceReminderBusinessDays < 0 || d.AcceptanceEscalationBusinessDays < 0 {
			p.add("deadlines", "periods must not be negative")
		}
	}
	if err := p.err(); err != nil {
		return r, err
	}
	return out, nil
}

// checkIntlNumber parses a number in its country and checks its type where the library can tell.
func checkIntlNumber(p *problems, field string, n IntlNumber, country string) (string, bool) {
	if strings.TrimSpace(n.E164) == "" {
		p.add(field+".e164", "is required")
		return "", false
	}
	num, err := phonenumbers.Parse(n.E164, country)
	if err != nil {
		p.add(field+".e164", "%q is not a phone number of %s: %v", n.E164, country, err)
		return "", false
	}
	e164 := phonenumbers.Format(num, phonenumbers.E164)
	if num.GetCountryCode() == 1 {
		p.add(field+".e164", "%s is a +1 number; it belongs to a US/Canada port-in", e164)
		return "", false
	}
	if n.Type == IntlTypeUIFN {
		// A Universal International Freephone Number is +800 and belongs to no country.
		if num.GetCountryCode() != 800 || len(e164) != 12 {
			p.add(field+".e164", "%s is not a UIFN (+800 followed by 8 digits)", e164)
			return "", false
		}
		return e164, true
	}
	// One look-up of the type, which also says whether the number is valid (numberProblemOfType).
	kind := phonenumbers.GetNumberType(num)
	if problem := numberProblemOfType(num, kind); problem != "" {
		p.add(field+".e164", "%s is not a valid number: %s", e164, problem)
		return "", false
	}
	// Jersey, Guernsey and Isle of Man numbers are of the UK numbering plan: GB numbers here. When
	// every region of the number's calling code is of the country (+44 for GB), so is the number and
	// the library need not be asked which region it is in.
	if !codeOfCountry(int(num.GetCountryCode()), country) {
		if region := phonenumbers.GetRegionCodeForNumber(num); !numberOfCountry(region, country) {
			p.add(field+".e164", "%s is a number of %s, not of %s (country)", e164, region, country)
			return "", false
		}
	}
	switch n.Type {
	case IntlTypeLocal:
		if kind != phonenumbers.FIXED_LINE && kind != phonenumbers.FIXED_LINE_OR_MOBILE && kind != phonenumbers.VOIP && kind != phonenumbers.UAN {
			p.add(field+".e164", "%s is not a local (geographic) number but its type is local", e164)
		}
	case IntlTypeMobile:
		if kind != phonenumbers.MOBILE && kind != phonenumbers.FIXED_LINE_OR_MOBILE {
			p.add(field+".e164", "%s is not a mobile number but its type is mobile", e164)
		}
	case IntlTypeTollFree, IntlTypeITFS:
		if kind != phonenumbers.TOLL_FREE {
			p.add(field+".e164", "%s is not a toll-free number but its type is %s", e164, n.Type)
		}
	}
	return e164, true
}

// intlCountries are the countries an international port-in can name.
func intlCountries() []string {
	var out []string
	for _, c := range CalendarCountries() {
		if c != "US" && c != "CA" {
			out = append(out, c)
		}
	}
	return out
}

// ValidatePortabilityResult checks a portability-result payload on its own.
func ValidatePortabilityResult(r PortabilityResult) error {
	var p problems
	for i, n := range r.Numbers {
		if !isE164(n.E164) {
			p.add(fmt.Sprintf("numbers[%d].e164", i), "must be an E.164 number, got %q", n.E164)
		}
	}
	if r.Cost != nil {
		checkCost(&p, "cost", *r.Cost)
	}
	return p.err()
}

// checkCost: the amount is a non-negative decimal with no more decimals than its currency has, and
// the currency an ISO 4217 one.
func checkCost(p *problems, field string, c Cost) {
	amountOK := true
	if err := c.Amount.Valid(); err != nil {
		p.add(field+".amount", "%v", err)
		amountOK = false
	} else if c.Amount.Sign() < 0 {
		p.add(field+".amount", "must not be negative, got %s", c.Amount)
		amountOK = false
	}
	digits, err := CurrencyDigits(c.Currency)
	if err != nil {
		p.add(field+".currency", "%v", err)
		return
	}
	if amountOK && c.Amount.Scale() > digits {
		p.add(field+".amount", "%s has %d decimals; %s amounts have at most %d", c.Amount, c.Amount.Scale(), c.Currency, digits)
	}
}

// ValidateApproveCost checks an approve-cost payload on its own.
func ValidateApproveCost(a ApproveCost) error {
	var p problems
	if strings.TrimSpace(a.By) == "" {
		p.add("by", "is required: who approved or declined the cost")
	}
	return p.err()
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
