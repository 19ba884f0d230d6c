package porting

import (
	"encoding/json"
	"time"
)

// Number types of a US/Canada port-in.
const (
	NumberTypeDID      = "did"
	NumberTypeTollFree = "toll_free"
)

// PortNumber is one number of a PortIn request.
type PortNumber struct {
	E164    string `json:"e164"`
	Type    string `json:"type"`
	Carrier string `json:"carrier"`
}

// Contact is a person the provider can reach.
type Contact struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	Phone string `json:"phone"`
}

// PortInRequest is the input of the PortIn workflow (wire contract).
type PortInRequest struct {
	RequestID         string       `json:"request_id"`
	InstanceARN       string       `json:"instance_arn"`
	ContactFlow       string       `json:"contact_flow"`
	Numbers           []PortNumber `json:"numbers"`
	AuthorizedContact Contact      `json:"authorized_contact"`
	// Deadlines overrides the default reminder and expiry periods for this request (extension).
	Deadlines *Deadlines `json:"deadlines,omitempty"`
	// Resume is the workflow's own carry-over when it continues as new (a long port's history is
	// kept short); clients never set it (refused by validation), and a first run ignores it.
	Resume json.RawMessage `json:"resume,omitempty"`
}

// Deadlines are the reminder, escalation and expiry periods of DESIGN §4. Zero means the default.
type Deadlines struct {
	// CarrierReminderBusinessDays: escalate when the carrier has not answered, then again every period.
	CarrierReminderBusinessDays int `json:"carrier_reminder_business_days,omitempty"`
	// LOAReminderBusinessDays: remind the customer to send (or resend) the LOA every period.
	LOAReminderBusinessDays int `json:"loa_reminder_business_days,omitempty"`
	// CustomerSilenceDays: calendar days without an LOA after which the group expires.
	CustomerSilenceDays int `json:"customer_silence_days,omitempty"`
	// CarrierSilenceBusinessDays: business days without the carrier's answer to a submitted LOA after
	// which the group expires (the carrier is told to cancel, the customer and operations are told).
	CarrierSilenceBusinessDays int `json:"carrier_silence_business_days,omitempty"`
	// ProvisioningRetrySeconds: while provisioning is blocked by a condition that can heal (an
	// unpublished contact flow, Postgres down), it is tried again this often until the port date.
	ProvisioningRetrySeconds int `json:"provisioning_retry_seconds,omitempty"`
	// VerificationAttempts: how many times the test call is placed (ProvisioningRetrySeconds apart)
	// before the group fails with its numbers kept live.
	VerificationAttempts int `json:"verification_attempts,omitempty"`
	// PortDateRule is which port dates a carrier may give (DESIGN §8): PortDateBusinessHours (the
	// default: a business day of the port's calendar, 08:00–20:00 local) or PortDateAny (demos, tests).
	PortDateRule string `json:"port_date_rule,omitempty"`
	// SuppCutoffBusinessDays: a customer's request for another port date (request-port-date) is
	// refused within this many business days of the current date.
	SuppCutoffBusinessDays int `json:"supp_cutoff_business_days,omitempty"`
}

// Default deadlines (DESIGN §4).
const (
	DefaultCarrierReminderBusinessDays = 5
	DefaultLOAReminderBusinessDays     = 3
	DefaultCustomerSilenceDays         = 30
	DefaultCarrierSilenceBusinessDays  = 30
	DefaultProvisioningRetrySeconds    = 1800
	DefaultVerificationAttempts        = 3
	DefaultSuppCutoffBusinessDays      = 2
)

// WithDefaults fills zero periods with the defaults.
func (d *Deadlines) WithDefaults() Deadlines {
	out := Deadlines{}
	if d != nil {
		out = *d
	}
	if out.CarrierReminderBusinessDays <= 0 {
		out.CarrierReminderBusinessDays = DefaultCarrierReminderBusinessDays
	}
	if out.LOAReminderBusinessDays <= 0 {
		out.LOAReminderBusinessDays = DefaultLOAReminderBusinessDays
	}
	if out.CustomerSilenceDays <= 0 {
		out.CustomerSilenceDays = DefaultCustomerSilenceDays
	}
	if out.CarrierSilenceBusinessDays <= 0 {
		out.CarrierSilenceBusinessDays = DefaultCarrierSilenceBusinessDays
	}
	if out.ProvisioningRetrySeconds <= 0 {
		out.ProvisioningRetrySeconds = DefaultProvisioningRetrySeconds
	}
	if out.VerificationAttempts <= 0 {
		out.VerificationAttempts = DefaultVerificationAttempts
	}
	if out.PortDateRule == "" {
		out.PortDateRule = PortDateBusinessHours
	}
	if out.SuppCutoffBusinessDays <= 0 {
		out.SuppCutoffBusinessDays = DefaultSuppCutoffBusinessDays
	}
	return out
}

// LOA is a Letter of Authorization as the customer supplies it. PIN and account number are secrets:
// they are never logged and never stored in clear.
type LOA struct {
	AuthorizedName         string    `json:"authorized_name"`
	Company                string    `json:"company,omitempty"`
	Address                string    `json:"address"`
	AccountNumber          string    `json:"account_number,omitempty"`
	PIN                    string    `json:"pin,omitempty"`
	BillingTelephoneNumber string    `json:"billing_telephone_number,omitempty"`
	SignedAt               time.Time `json:"signed_at"`
	DocumentRef            string    `json:"document_ref"`
}

// SubmitLOA is the payload of the submit-loa signal/update.
type SubmitLOA struct {
	Group string `json:"group"`
	LOA   LOA    `json:"loa"`
	// OverrideCSR sends the LOA to the carrier even when it does not match the losing carrier's
	// customer service record (DESIGN §8 "CSR pre-check"): the customer knows better than the record.
	OverrideCSR bool `json:"override_csr,omitempty"`
}

// CarrierResponse is the payload of the carrier-response signal/update.
type CarrierResponse struct {
	Group      string     `json:"group"`
	Accepted   bool       `json:"accepted"`
	PortDate   *time.Time `json:"port_date,omitempty"`
	ReasonCode string     `json:"reason_code,omitempty"`
	Reason     string     `json:"reason,omitempty"`
	// Numbers are the carrier's answers number by number (DESIGN §8): with accepted and a port date,
	// the numbers listed as not accepted leave the group as a split group "<group>#<n>" in
	// loa_rejected; the rest keep the date.
	Numbers []NumberAnswer `json:"numbers,omitempty"`
}

// NumberAnswer is the carrier's answer for one number of a group.
type NumberAnswer struct {
	E164       string `json:"e164"`
	Accepted   bool   `json:"accepted"`
	ReasonCode string `json:"reason_code,omitempty"`
	Reason     string `json:"reason,omitempty"`
}

// Rejected lists the numbers the answer does not accept, in its order.
func (r CarrierResponse) Rejected() []NumberAnswer {
	var out []NumberAnswer
	for _, n := range r.Numbers {
		if !n.Accepted {
			out = append(out, n)
		}
	}
	return out
}

// RequestPortDate is the payload of the request-port-date signal/update (a supplemental change): the
// customer asks the carrier for another port date; the current date stands until the carrier answers.
type RequestPortDate struct {
	Group    string    `json:"group"`
	PortDate time.Time `json:"port_date"`
	By       string    `json:"by"`
}

// RemoveNumbers is the payload of the remove-numbers signal/update: numbers dropped from an open
// request before activation (provisioned ones released, the carrier told); removing every number
// left is a cancellation.
type RemoveNumbers struct {
	Numbers []string `json:"numbers"`
	Reason  string   `json:"reason"`
	By      string   `json:"by"`
}

// Cancel is the payload of the cancel signal/update.
type Cancel struct {
	Reason string `json:"reason"`
	By     string `json:"by"`
}

// Status is the result of the status query (wire contract).
type Status struct {
	RequestID    string         `json:"request_id"`
	Kind         string         `json:"kind"`
	State        State          `json:"state"`
	Numbers      []NumberStatus `json:"numbers"`
	Groups       []GroupStatus  `json:"groups"`
	NextDeadline *time.Time     `json:"next_deadline,omitempty"`
	// Extensions.
	NextDeadlineKind string         `json:"next_deadline_kind,omitempty"`
	TimeZone         string         `json:"time_zone,omitempty"`
	InstanceARN      string         `json:"instance_arn,omitempty"`
	History          []HistoryEntry `json:"history"`
	// Ignored counts the signals the port could not take; the history lists the first ones only.
	Ignored int `json:"ignored_signals,omitempty"`
	// A page of the numbers (StatusPage): set only when Numbers does not list every number of the
	// request — NumbersTotal of them, this page from NumbersOffset, the next page from NumbersNext
	// (0: none).
	NumbersTotal  int `json:"numbers_total,omitempty"`
	NumbersOffset int `json:"numbers_offset,omitempty"`
	NumbersNext   int `json:"numbers_next,omitempty"`
	// Orders: a bulk request's groups are handled by order workflows (one per group of up to
	// OrderSize numbers); Groups lists theirs, each with its workflow_id.
	Orders int `json:"orders,omitempty"`
	// RequestWorkflowID is, in an order's status, the workflow of the request it belongs to.
	RequestWorkflowID string `json:"request_workflow_id,omitempty"`
}

// NumberStatus is one number's state in the status query.
type NumberStatus struct {
	E164   string `json:"e164"`
	State  State  `json:"state"`
	Reason string `json:"reason,omitempty"`
	Group  string `json:"group,omitempty"`
	// ReasonCode is the catalogue code of the carrier's last answer for this number alone (a
	// per-number rejection), when there was one.
	ReasonCode ReasonCode `json:"reason_code,omitempty"`
}

// GroupStatus is one LOA group's state in the status query.
type GroupStatus struct {
	Group        string     `json:"group"`
	State        State      `json:"state"`
	LOAVersion   int        `json:"loa_version"`
	PortDate     *time.Time `json:"port_date,omitempty"`
	NextDeadline *time.Time `json:"next_deadline,omitempty"`
	// Extensions.
	NextDeadlineKind string `json:"next_deadline_kind,omitempty"`
	Rounds           int    `json:"rejection_rounds,omitempty"`
	LastReason       string `json:"last_reason,omitempty"`
	// LastReasonCode is the catalogue code of the last rejection (OTHER for a code the catalogue
	// does not know; LastReason keeps the carrier's own code and text), CustomerAction what the
	// customer should do about it. Both are cleared when the carrier accepts.
	LastReasonCode ReasonCode `json:"last_reason_code,omitempty"`
	CustomerAction string     `json:"customer_action,omitempty"`
	// RequestedPortDate is the date the customer asked for (request-port-date) while the carrier has
	// not answered; PortDate stands until it does.
	RequestedPortDate *time.Time `json:"requested_port_date,omitempty"`
	// SplitFrom names the group a split group's numbers left when the carrier rejected them alone.
	SplitFrom string `json:"split_from,omitempty"`
	// Numbers counts the group's numbers (removed ones and those split off no longer count).
	Numbers int `json:"numbers,omitempty"`
	// WorkflowID is the order workflow that handles the group in a bulk request (DESIGN §8 "Bulk"):
	// its updates (submit-loa, carrier-response, request-port-date, remove-numbers) go there.
	WorkflowID string `json:"workflow_id,omitempty"`
	// OrderOf is the LOA group a bulk request's order belongs to ("Acme Telecom/did" for
	// "Acme Telecom/did~3"): one LOA serves all of its orders.
	OrderOf string `json:"order_of,omitempty"`
}

// HistoryEntry is one line of a port's history: a state change, or a signal that was ignored and why.
type HistoryEntry struct {
	At    time.Time `json:"at"`
	State State     `json:"state"`
	Note  string    `json:"note"`
}

// PortResult is what a port workflow returns when it ends.
type PortResult struct {
	RequestID string         `json:"request_id"`
	State     State          `json:"state"`
	Reason    string         `json:"reason,omitempty"`
	Numbers   []NumberStatus `json:"numbers"`
	// Status is what the status query of the ended workflow answers, but for its numbers (they are
	// Numbers above, not repeated: its own "numbers" is null). A port-in or international port-in
	// request sets it (not an order of a bulk request: its result is in its request's history), so
	// the status of a completed request is read from its result — one history event — instead of a
	// query, which a worker answers for a closed workflow by replaying its whole history. Results
	// of earlier builds have none. FinalStatus puts it together.
	Status *Status `json:"status,omitempty"`
}

// FinalStatus is the status query's answer of the workflow that returned r, all its numbers listed
// (page it with StatusPage.Page as the query does), when r carries it.
func (r PortResult) FinalStatus() (Status, bool) {
	if r.Status == nil {
		return Status{}, false
	}
	st := *r.Status
	st.Numbers = r.Numbers
	return st, true
}

// ValidationOutcome is the result of the await-validation update.
type ValidationOutcome struct {
	Accepted bool   `json:"accepted"`
	State    State  `json:"state"`
	Reason   string `json:"reason,omitempty"`
}

// GroupName is the contract's LOA group name for a port-in: `<carrier>/<type>`.
func GroupName(carrier, numberType string) string { return carrier + "/" + numberType }

// StatusPage is the status query's optional argument (DESIGN §8 "Bulk"): which numbers to list. A
// status answer of a request of thousands of numbers would pass the server's payload limits, so it
// lists at most Limit numbers from Offset (DefaultStatusNumbers without an argument) and says where
// the next page starts; `starter status` follows the pages.
type StatusPage struct {
	Offset int `json:"numbers_offset,omitempty"`
	Limit  int `json:"numbers_limit,omitempty"`
}

// DefaultStatusNumbers is how many numbers a status answer lists when the query names no page:
// every number of any request up to this size.
const DefaultStatusNumbers = 5000

// Page cuts st.Numbers to the page and sets NumbersTotal and NumbersNext when numbers are left out.
func (p *StatusPage) Page(st *Status) {
	offset, limit := 0, DefaultStatusNumbers
	if p != nil {
		offset = max(p.Offset, 0)
		if p.Limit > 0 {
			limit = min(p.Limit, DefaultStatusNumbers)
		}
	}
	total := len(st.Numbers)
	if offset == 0 && total <= limit {
		return
	}
	start, end := min(offset, total), min(offset+limit, total)
	st.Numbers = st.Numbers[start:end]
	st.NumbersTotal, st.NumbersOffset = total, start
	if end < total {
		st.NumbersNext = end
	}
}
