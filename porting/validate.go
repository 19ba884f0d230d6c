package porting

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"time"

	"github.com/nyaruka/phonenumbers"
)

// FieldError is one broken rule, naming the JSON field (dotted path) and the rule.
type FieldError struct {
	Field string `json:"field"`
	Rule  string `json:"rule"`
}

func (e FieldError) Error() string { return e.Field + ": " + e.Rule }

// ValidationError lists every broken rule of one request or payload.
type ValidationError struct {
	Problems []FieldError `json:"problems"`
}

// MaxProblemsShown is how many problems a ValidationError's message names (a 20,000-number request
// may have thousands); the rest are counted ("… and 2990 more problems"). Problems keeps them all.
const MaxProblemsShown = 10

// Error names the first MaxProblemsShown problems, "field: rule" each, and counts the others.
func (e *ValidationError) Error() string {
	shown := e.Problems[:min(len(e.Problems), MaxProblemsShown)]
	parts := make([]string, len(shown), len(shown)+1)
	for i, p := range shown {
		parts[i] = p.Error()
	}
	if more := MoreProblems(len(e.Problems)); more != "" {
		parts = append(parts, more)
	}
	return strings.Join(parts, "; ")
}

// MoreProblems is what a message that names the first MaxProblemsShown of total problems says of
// the others: "… and 2990 more problems", or "" when it names them all.
func MoreProblems(total int) string {
	switch more := total - MaxProblemsShown; {
	case more <= 0:
		return ""
	case more == 1:
		return "… and 1 more problem"
	default:
		return fmt.Sprintf("… and %d more problems", more)
	}
}

// IsValidationError reports whether err is (or wraps) a ValidationError.
func IsValidationError(err error) bool {
	var v *ValidationError
	return errors.As(err, &v)
}

type problems []FieldError

func (p *problems) add(field, format string, args ...any) {
	*p = append(*p, FieldError{Field: field, Rule: fmt.Sprintf(format, args...)})
}

func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	return &ValidationError{Problems: p}
}

var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// MaxNumbersPerRequest bounds one request of any kind (DESIGN §8: "a request holds up to 20,000
// numbers"); larger moves are split by support into several requests. Port-outs share the bound: a
// customer who leaves takes all its numbers in one port-out, and the winning carrier's request names
// them all.
const MaxNumbersPerRequest = 20000

// tooManyNumbers is the rule a request over MaxNumbersPerRequest breaks.
func tooManyNumbers(got int) string {
	return fmt.Sprintf("at most %d numbers per request, got %d; split the move into several requests", MaxNumbersPerRequest, got)
}

// ValidatePortIn checks a PortIn request on its own (no database): form of every field, +1 numbers
// of the declared type, no duplicates, and an instance outside the Tokyo region.
func ValidatePortIn(r PortInRequest) error {
	var p problems
	checkRequestID(&p, r.RequestID)
	checkNoResume(&p, r.Resume)
	if ref, err := ParseInstanceARN(r.InstanceARN); err != nil {
		p.add("instance_arn", "%s", requiredOr(r.InstanceARN, err))
	} else if ref.Region == TokyoRegion {
		p.add("instance_arn", "porting is not supported for instances in the Asia Pacific (Tokyo) region (%s)", TokyoRegion)
	}
	if strings.TrimSpace(r.ContactFlow) == "" {
		p.add("contact_flow", "is required: the name of a published contact flow of the instance")
	}
	if len(r.Numbers) == 0 {
		p.add("numbers", "at least one number is required")
	}
	numbers := r.Numbers
	if len(numbers) > MaxNumbersPerRequest {
		p.add("numbers", "%s", tooManyNumbers(len(numbers)))
		numbers = nil // refused whatever they are: not checked one by one
	}
	seen := make(map[string]int, len(numbers))
	for i, n := range numbers {
		field := fmt.Sprintf("numbers[%d]", i)
		checkNANPNumber(&p, field+".e164", n.E164, n.Type)
		if n.Type != NumberTypeDID && n.Type != NumberTypeTollFree {
			p.add(field+".type", "must be %q or %q, got %q", NumberTypeDID, NumberTypeTollFree, n.Type)
		}
		if strings.TrimSpace(n.Carrier) == "" {
			p.add(field+".carrier", "is required: the current (losing) carrier's name")
		} else if strings.Contains(n.Carrier, "/") {
			p.add(field+".carrier", "must not contain '/' (it separates carrier and type in group names)")
		}
		if first, dup := seen[n.E164]; dup && n.E164 != "" {
			p.add(field+".e164", "duplicate of numbers[%d] (%s)", first, n.E164)
		} else {
			seen[n.E164] = i
		}
	}
	checkContact(&p, "authorized_contact", r.AuthorizedContact)
	checkDeadlines(&p, r.Deadlines)
	return p.err()
}

func requiredOr(v string, err error) string {
	if strings.TrimSpace(v) == "" {
		return "is required"
	}
	return err.Error()
}

// checkNoResume refuses a resume given by a client: it is the workflow's own carry-over.
func checkNoResume(p *problems, resume json.RawMessage) {
	if len(resume) > 0 {
		p.add("resume", "is set by the workflow itself when it continues as new; a request must not carry it")
	}
}

// IsRequestID reports whether id is a well-formed request_id (DESIGN §3: 1-64 letters, digits, '.',
// '_' or '-', starting with a letter or digit).
func IsRequestID(id string) bool { return requestIDPattern.MatchString(id) }

func checkRequestID(p *problems, id string) {
	if id == "" {
		p.add("request_id", "is required")
	} else if !requestIDPattern.MatchString(id) {
		p.add("request_id", "must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit")
	}
}

// checkNANPNumber checks a +1 number in E.164 and, where numberType is given, that it is of that type.
func checkNANPNumber(p *problems, field, e164, numberType string) {
	if e164 == "" {
		p.add(field, "is required")
		return
	}
	if !isE164(e164) {
		p.add(field, "must be an E.164 number like +14155550100, got %q", e164)
		return
	}
	if !strings.HasPrefix(e164, "+1") {
		p.add(field, "must be a US/Canada (+1) number; %s belongs to an international port-in", e164)
		return
	}
	var (
		num  *phonenumbers.PhoneNumber
		kind phonenumbers.PhoneNumberType
	)
	if nanpFast(e164) {
		var f nanpFacts
		num, f = nanpFactsOf(e164)
		kind = f.kind
	} else {
		var err error
		num, err = phonenumbers.Parse(e164, "US")
		if err != nil || len(e164) != 12 {
			p.add(field, "is not a possible US/Canada number: %s", e164)
			return
		}
		kind = phonenumbers.GetNumberType(num)
	}
	if !phonenumbers.IsPossibleNumber(num) {
		p.add(field, "is not a possible US/Canada number: %s", e164)
		return
	}
	if problem := numberProblemOfType(num, kind); problem != "" {
		p.add(field, "%s is not a valid number: %s", e164, problem)
		return
	}
	tollFree := kind == phonenumbers.TOLL_FREE
	switch {
	case numberType == NumberTypeTollFree && !tollFree:
		p.add(field, "%s is not a toll-free number but its type is toll_free", e164)
	case numberType == NumberTypeDID && tollFree:
		p.add(field, "%s is a toll-free number but its type is did", e164)
	}
}

func checkContact(p *problems, field string, c Contact) {
	if strings.TrimSpace(c.Name) == "" {
		p.add(field+".name", "is required: the person authorized to change the phone service")
	}
	if c.Email == "" {
		p.add(field+".email", "is required")
	} else if !isEmailAddress(c.Email) {
		p.add(field+".email", "is not an email address: %q", c.Email)
	}
	if c.Phone != "" && !isE164(c.Phone) {
		p.add(field+".phone", "must be an E.164 number like +14155550100, got %q", c.Phone)
	}
}

func checkDeadlines(p *problems, d *Deadlines) {
	if d == nil {
		return
	}
	if d.CarrierReminderBusinessDays < 0 || d.LOAReminderBusinessDays < 0 || d.CustomerSilenceDays < 0 ||
		d.CarrierSilenceBusinessDays < 0 || d.ProvisioningRetrySeconds < 0 || d.VerificationAttempts < 0 ||
		d.SuppCutoffBusinessDays < 0 {
		p.add("deadlines", "periods must not be negative")
	}
	checkPortDateRule(p, "deadlines.port_date_rule", d.PortDateRule)
}

// ValidateSubmitLOA checks an LOA on its own; the workflow then checks the group and its state.
func ValidateSubmitLOA(s SubmitLOA) error {
	var p problems
	if strings.TrimSpace(s.Group) == "" {
		p.add("group", "is required, e.g. \"Acme Telecom/did\"")
	}
	l := s.LOA
	if strings.TrimSpace(l.AuthorizedName) == "" {
		p.add("loa.authorized_name", "is required: it must match the carrier's records")
	}
	if strings.TrimSpace(l.Address) == "" {
		p.add("loa.address", "is required: the service address on the carrier's records")
	}
	if strings.TrimSpace(l.DocumentRef) == "" {
		p.add("loa.document_ref", "is required: the signed LOA document")
	}
	if l.SignedAt.IsZero() {
		p.add("loa.signed_at", "is required (RFC 3339 time the LOA was signed)")
	}
	if l.BillingTelephoneNumber != "" && !isE164(l.BillingTelephoneNumber) {
		p.add("loa.billing_telephone_number", "must be an E.164 number like +14155550100")
	}
	if l.PIN != "" && (len(l.PIN) > 16 || strings.TrimSpace(l.PIN) != l.PIN) {
		p.add("loa.pin", "must be at most 16 characters without surrounding spaces")
	}
	return p.err()
}

// ValidateCarrierResponse checks a carrier response on its own against now.
func ValidateCarrierResponse(r CarrierResponse, now time.Time) error {
	var p problems
	if strings.TrimSpace(r.Group) == "" {
		p.add("group", "is required")
	}
	if r.Accepted {
		if r.PortDate == nil || r.PortDate.IsZero() {
			p.add("port_date", "is required when accepted (RFC 3339 with offset, the FOC date)")
		} else if !r.PortDate.After(now) {
			p.add("port_date", "must be in the future, got %s", r.PortDate.Format(time.RFC3339))
		}
	} else if strings.TrimSpace(r.Reason) == "" && strings.TrimSpace(r.ReasonCode) == "" {
		p.add("reason", "is required when rejected (reason or reason_code)")
	}
	seen := map[string]int{}
	for i, n := range r.Numbers {
		field := fmt.Sprintf("numbers[%d]", i)
		if !isE164(n.E164) {
			p.add(field+".e164", "must be an E.164 number like +14155550100, got %q", n.E164)
		} else if first, dup := seen[n.E164]; dup {
			p.add(field+".e164", "duplicate of numbers[%d] (%s)", first, n.E164)
		} else {
			seen[n.E164] = i
		}
		if !n.Accepted {
			if strings.TrimSpace(n.Reason) == "" && strings.TrimSpace(n.ReasonCode) == "" {
				p.add(field+".reason", "is required for a number not accepted (reason or reason_code)")
			}
		}
		if n.Accepted && !r.Accepted {
			p.add(field+".accepted", "a number cannot be accepted when the response rejects the group; "+
				"accept the group with a port date and list the numbers not accepted")
		}
	}
	return p.err()
}

// ValidateRequestPortDate checks a customer's request for another port date on its own against now;
// the workflow then checks the group, its state, the cut-off and the port date rule.
func ValidateRequestPortDate(r RequestPortDate, now time.Time) error {
	var p problems
	if strings.TrimSpace(r.Group) == "" {
		p.add("group", "is required, e.g. \"Acme Telecom/did\"")
	}
	if r.PortDate.IsZero() {
		p.add("port_date", "is required: the date the customer asks for (RFC 3339 with offset)")
	} else if !r.PortDate.After(now) {
		p.add("port_date", "must be in the future, got %s", r.PortDate.Format(time.RFC3339))
	}
	if strings.TrimSpace(r.By) == "" {
		p.add("by", "is required: who asked for the new date")
	}
	return p.err()
}

// ValidateRemoveNumbers checks a remove-numbers request on its own; the workflow then checks that
// each number is part of the request and can still be removed.
func ValidateRemoveNumbers(r RemoveNumbers) error {
	var p problems
	checkNumberList(&p, "numbers", r.Numbers)
	if strings.TrimSpace(r.Reason) == "" {
		p.add("reason", "is required: why the numbers are removed")
	}
	if strings.TrimSpace(r.By) == "" {
		p.add("by", "is required: who asked for the removal")
	}
	return p.err()
}

// ValidateCancel checks a cancel request on its own.
func ValidateCancel(c Cancel) error {
	var p problems
	if strings.TrimSpace(c.Reason) == "" {
		p.add("reason", "is required")
	}
	if strings.TrimSpace(c.By) == "" {
		p.add("by", "is required: who asked for the cancellation")
	}
	return p.err()
}

// checkNumberList: at least one number, each E.164, none twice (field[i] names the one at fault).
func checkNumberList(p *problems, field string, numbers []string) {
	if len(numbers) == 0 {
		p.add(field, "at least one number is required")
	}
	seen := map[string]int{}
	for i, n := range numbers {
		f := fmt.Sprintf("%s[%d]", field, i)
		if !isE164(n) {
			p.add(f, "must be an E.164 number like +14155550100, got %q", n)
		} else if first, dup := seen[n]; dup {
			p.add(f, "duplicate of %s[%d] (%s)", field, first, n)
		} else {
			seen[n] = i
		}
	}
}

// isEmailAddress reports whether s is a bare email address. net/mail only parses (its debug log is
// compiled out), which workflowcheck cannot prove.
func isEmailAddress(s string) bool {
	//workflowcheck:ignore
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s
}
