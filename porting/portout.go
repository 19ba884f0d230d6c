package porting

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nyaruka/phonenumbers"
)

// PortOutRequest is the input of the PortOut workflow (wire contract): numbers leave the provider's
// instance for the winning carrier.
type PortOutRequest struct {
	RequestID       string   `json:"request_id"`
	InstanceARN     string   `json:"instance_arn"`
	Numbers         []string `json:"numbers"`
	WinningCarrier  string   `json:"winning_carrier"`
	CustomerContact Contact  `json:"customer_contact"`
	// Deadlines overrides the default expiry for this request (extension).
	Deadlines *PortOutDeadlines `json:"deadlines,omitempty"`
	// Resume is the workflow's own carry-over when it continues as new (a long port's history is
	// kept short); clients never set it (refused by validation), and a first run ignores it.
	Resume json.RawMessage `json:"resume,omitempty"`
}

// PortOutDeadlines are the port-out periods. Zero means the default.
type PortOutDeadlines struct {
	// WinningCarrierBusinessDays: business days without a request from the winning carrier (counted
	// from the start, and again from each rejected request) after which the port-out expires.
	WinningCarrierBusinessDays int `json:"winning_carrier_business_days,omitempty"`
	// PortDateRule is which release times a winning carrier may ask for (requested_at): like a
	// port-in's port date, PortDateBusinessHours (the default) or PortDateAny.
	PortDateRule string `json:"port_date_rule,omitempty"`
}

// DefaultWinningCarrierBusinessDays is how long a port-out waits for the winning carrier.
const DefaultWinningCarrierBusinessDays = 30

// WithDefaults fills zero periods with the defaults.
func (d *PortOutDeadlines) WithDefaults() PortOutDeadlines {
	out := PortOutDeadlines{}
	if d != nil {
		out = *d
	}
	if out.WinningCarrierBusinessDays <= 0 {
		out.WinningCarrierBusinessDays = DefaultWinningCarrierBusinessDays
	}
	if out.PortDateRule == "" {
		out.PortDateRule = PortDateBusinessHours
	}
	return out
}

// WinningCarrierRequest is the payload of the winning-carrier-request signal/update: the winning
// carrier's port-out request with the ownership details as the carrier states them, and the agreed
// release date/time.
type WinningCarrierRequest struct {
	Carrier        string    `json:"carrier"`
	OwnerName      string    `json:"owner_name"`
	Address        string    `json:"address"`
	BillingContact string    `json:"billing_contact"`
	Numbers        []string  `json:"numbers"`
	LOARef         string    `json:"loa_ref"`
	RequestedAt    time.Time `json:"requested_at"`
	// Passcode is the instance's port-out passcode as the winning carrier got it from the owner
	// (DESIGN §8 "Port-out protection"): checked before anything else when the instance has one. A
	// secret: never logged, never in a status, an audit row or Postgres in clear.
	Passcode string `json:"passcode,omitempty"`
}

// Unfreeze is the payload of the unfreeze signal/update: operations let a port-out frozen after
// too many wrong passcodes take winning-carrier requests again.
type Unfreeze struct {
	By     string `json:"by"`
	Reason string `json:"reason"`
}

// ValidateUnfreeze checks an unfreeze on its own.
func ValidateUnfreeze(u Unfreeze) error {
	var p problems
	if strings.TrimSpace(u.By) == "" {
		p.add("by", "is required: who checked the port-out and lets it go on")
	}
	if strings.TrimSpace(u.Reason) == "" {
		p.add("reason", "is required: why it may go on")
	}
	return p.err()
}

// Port-out passcodes (DESIGN §8): 4 to 10 characters.
const (
	MinPasscodeLength = 4
	MaxPasscodeLength = 10
)

// ValidatePasscode checks an instance's port-out passcode as set (the message never repeats it).
func ValidatePasscode(field, passcode string) error {
	n := len([]rune(passcode))
	var p problems
	switch {
	case n < MinPasscodeLength || n > MaxPasscodeLength:
		p.add(field, "must be %d to %d characters, got %d", MinPasscodeLength, MaxPasscodeLength, n)
	case strings.TrimSpace(passcode) != passcode:
		p.add(field, "must not start or end with white space")
	}
	return p.err()
}

// MaxPasscodeAttempts is how many wrong passcodes one port-out takes: the last freezes it.
const MaxPasscodeAttempts = 3

// Ownership fields a winning carrier's request is verified on, in the order they are reported.
const (
	OwnershipOwnerName      = "owner_name"
	OwnershipAddress        = "address"
	OwnershipBillingContact = "billing_contact"
	OwnershipNumbers        = "numbers"
)

// OwnershipFields lists the verified fields in report order.
var OwnershipFields = []string{OwnershipOwnerName, OwnershipAddress, OwnershipBillingContact, OwnershipNumbers}

// ValidatePortOut checks a PortOut request on its own (no database): a well-formed instance ARN
// (without it the request cannot be processed) outside the Tokyo region, E.164 numbers of one country with a business
// calendar, no duplicates, the winning carrier's name and a customer contact.
func ValidatePortOut(r PortOutRequest) error {
	var p problems
	checkRequestID(&p, r.RequestID)
	checkNoResume(&p, r.Resume)
	if strings.TrimSpace(r.InstanceARN) == "" {
		p.add("instance_arn", "is required: a port-out cannot be processed without the instance ARN")
	} else if ref, err := ParseInstanceARN(r.InstanceARN); err != nil {
		p.add("instance_arn", "%v", err)
	} else if ref.Region == TokyoRegion {
		p.add("instance_arn", "porting is not supported for instances in the Asia Pacific (Tokyo) region (%s)", TokyoRegion)
	}
	switch {
	case len(r.Numbers) == 0:
		p.add("numbers", "at least one number is required")
	case len(r.Numbers) > MaxNumbersPerRequest:
		p.add("numbers", "%s", tooManyNumbers(len(r.Numbers)))
	default:
		checkPortOutNumbers(&p, "numbers", r.Numbers)
	}
	if strings.TrimSpace(r.WinningCarrier) == "" {
		p.add("winning_carrier", "is required: the name of the carrier the numbers move to")
	}
	checkContact(&p, "customer_contact", r.CustomerContact)
	if r.Deadlines != nil && r.Deadlines.WinningCarrierBusinessDays < 0 {
		p.add("deadlines.winning_carrier_business_days", "must not be negative")
	}
	if r.Deadlines != nil {
		checkPortDateRule(&p, "deadlines.port_date_rule", r.Deadlines.PortDateRule)
	}
	return p.err()
}

// checkPortOutNumbers: every number is E.164 and possible, appears once, and all are of one country
// (+1, or one other country with a business calendar).
func checkPortOutNumbers(p *problems, field string, numbers []string) {
	seen := map[string]int{}
	country := ""
	for i, n := range numbers {
		f := fmt.Sprintf("%s[%d]", field, i)
		c, ok := numberCountry(p, f, n)
		if !ok {
			continue
		}
		if first, dup := seen[n]; dup {
			p.add(f, "duplicate of %s[%d] (%s)", field, first, n)
			continue
		}
		seen[n] = i
		switch {
		case country == "":
			country = c
		case c != country:
			p.add(f, "%s is a %s number but %s[0] is a %s number; one port-out moves numbers of one country", n, c, field, country)
		}
	}
}

// numberCountry checks one number and returns the country whose calendar counts its business days:
// US for every +1 number.
func numberCountry(p *problems, field, e164 string) (string, bool) {
	if e164 == "" {
		p.add(field, "is required")
		return "", false
	}
	if !isE164(e164) {
		p.add(field, "must be an E.164 number like +14155550100, got %q", e164)
		return "", false
	}
	if nanpFast(e164) {
		// The common case, without the parser (a port-out may hold 20,000 numbers).
		num, f := nanpFactsOf(e164)
		if !phonenumbers.IsPossibleNumber(num) {
			p.add(field, "is not a possible US/Canada number: %s", e164)
			return "", false
		}
		if problem := numberProblemOfType(num, f.kind); problem != "" {
			p.add(field, "%s is not a valid number: %s", e164, problem)
			return "", false
		}
		return "US", true
	}
	num, err := phonenumbers.Parse(e164, "")
	switch {
	case strings.HasPrefix(e164, "+1") && (err != nil || !phonenumbers.IsPossibleNumber(num) || len(e164) != 12):
		p.add(field, "is not a possible US/Canada number: %s", e164)
		return "", false
	case err != nil || !phonenumbers.IsPossibleNumber(num):
		p.add(field, "is not a possible phone number: %s", e164)
		return "", false
	}
	if problem := numberProblem(num); problem != "" {
		p.add(field, "%s is not a valid number: %s", e164, problem)
		return "", false
	}
	if num.GetCountryCode() == 1 {
		return "US", true
	}
	region := phonenumbers.GetRegionCodeForNumber(num)
	if ukCrownDependencies[region] {
		region = "GB" // the UK numbering plan; counted on the GB calendar
	}
	if _, ok := countries[region]; !ok {
		p.add(field, "%s is a number of %s: no holiday calendar for it; supported: %s", e164, orUnknown(region), strings.Join(CalendarCountries(), ", "))
		return "", false
	}
	return region, true
}

func orUnknown(region string) string {
	if region == "" || region == "ZZ" {
		return "an unknown country"
	}
	return region
}

// PortOutCalendar is the business calendar of a valid port-out: the US calendar in the instance
// region's time zone for +1 numbers, else the numbers' country's calendar in its own time zone.
func PortOutCalendar(r PortOutRequest) (*BusinessCalendar, error) {
	if len(r.Numbers) == 0 {
		return nil, fmt.Errorf("numbers: at least one number is required")
	}
	var p problems
	country, ok := numberCountry(&p, "numbers[0]", r.Numbers[0])
	if !ok {
		return nil, p.err()
	}
	tz, _ := CountryTimeZone(country)
	if country == "US" {
		ref, err := ParseInstanceARN(r.InstanceARN)
		if err != nil {
			return nil, fmt.Errorf("instance_arn: %w", err)
		}
		tz, _ = RegionTimeZone(ref.Region)
	}
	return NewBusinessCalendar(country, tz)
}

// ValidateWinningCarrierRequest checks a winning carrier's request on its own against now: the
// ownership details are given (they are verified against the records later), the LOA is referenced,
// and the requested release time is in the future.
func ValidateWinningCarrierRequest(r WinningCarrierRequest, now time.Time) error {
	var p problems
	if strings.TrimSpace(r.Carrier) == "" {
		p.add("carrier", "is required: the winning carrier's name")
	}
	if r.OwnerName == "" {
		p.add("owner_name", "is required: the owner's name as the winning carrier states it")
	}
	if r.Address == "" {
		p.add("address", "is required: the service address as the winning carrier states it")
	}
	if r.BillingContact == "" {
		p.add("billing_contact", "is required: the billing contact as the winning carrier states it")
	}
	checkNumberList(&p, "numbers", r.Numbers)
	if strings.TrimSpace(r.LOARef) == "" {
		p.add("loa_ref", "is required: the reference of the LOA the customer signed for the winning carrier")
	}
	if r.RequestedAt.IsZero() {
		p.add("requested_at", "is required: the agreed release date/time (RFC 3339 with offset)")
	} else if !r.RequestedAt.After(now) {
		p.add("requested_at", "must be in the future, got %s (now is %s)", r.RequestedAt.Format(time.RFC3339), now.Format(time.RFC3339))
	}
	return p.err()
}

// SameCarrier reports whether a carrier name names the port-out's winning carrier: the same text by
// SameText (NFC, white space trimmed and collapsed, case ignored), as carrier names are compared
// everywhere (NormalizePortIn).
func SameCarrier(a, b string) bool { return SameText(a, b) }

// SameNumbers reports whether two lists hold the same numbers (as sets).
func SameNumbers(a, b []string) bool {
	as, bs := slices.Clone(a), slices.Clone(b)
	slices.Sort(as)
	slices.Sort(bs)
	return slices.Equal(slices.Compact(as), slices.Compact(bs))
}
