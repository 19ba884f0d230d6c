package activities

import (
	"context"
	"time"

	"github.com/contactcenter/numberporting/porting"
	"github.com/contactcenter/numberporting/store"
)

// Number-level porting (DESIGN §8): the CSR pre-check, supplemental changes sent to the carrier, and
// numbers leaving a group (split off by a per-number rejection, or removed by the customer).

// CSRCheckInput asks whether an LOA version matches the losing carrier's customer service records of
// the group's numbers. The LOA carries secrets (PIN, account number): never logged, never stored.
type CSRCheckInput struct {
	WorkflowID string      `json:"workflow_id"`
	Group      string      `json:"group"`
	Carrier    string      `json:"carrier"`
	Numbers    []string    `json:"numbers"`
	LOAVersion int         `json:"loa_version"` // the version the LOA would be sent as
	LOA        porting.LOA `json:"loa"`
	// OverrideCSR: the LOA is sent whatever the check finds; the audit row says so.
	OverrideCSR bool `json:"override_csr,omitempty"`
}

// CSRCheckResult is the pre-check's outcome: how many of the numbers have a record, which LOA fields
// (porting.CSRFields names, never values) do not match them, and the numbers whose record differs.
// No record: Records 0, and the LOA is sent as before the pre-check existed.
type CSRCheckResult struct {
	Records           int      `json:"records"`
	Mismatched        []string `json:"mismatched,omitempty"`
	MismatchedNumbers []string `json:"mismatched_numbers,omitempty"`
}

// Supplemental changes (outbox kind "supp").
const (
	SuppPortDate      = store.SuppPortDate
	SuppRemoveNumbers = store.SuppRemoveNumbers
)

// SuppInput is a supplemental change of a group's port request sent to the carrier: another port
// date the customer asks for, or numbers removed from the request.
type SuppInput struct {
	WorkflowID string `json:"workflow_id"`
	Group      string `json:"group"`
	Carrier    string `json:"carrier"`
	// Round counts the group's supps (1, 2, …); each is an outbox row of its own.
	Round  int    `json:"round"`
	Change string `json:"change"` // SuppPortDate or SuppRemoveNumbers
	// Numbers are the group's numbers as the request stands after the change.
	Numbers  []string   `json:"numbers"`
	PortDate *time.Time `json:"port_date,omitempty"` // SuppPortDate: the date asked for
	Removed  []string   `json:"removed,omitempty"`   // SuppRemoveNumbers: the numbers dropped
	By       string     `json:"by,omitempty"`
	Reason   string     `json:"reason,omitempty"`
}

// DetachInput takes numbers out of a port's group: to a split group (SplitNumbers) or out of the
// port (RemoveNumbers). Numbers this port put on the instance are released, the group's phone-number
// limit increase shrinks by the numbers that leave it, and the numbers' rows follow.
type DetachInput struct {
	WorkflowID string `json:"workflow_id"`
	// Group is the group the numbers leave. RemoveNumbers may leave it empty: each number then leaves
	// whichever group of the port holds it (a port-out's group is named after its winning carrier).
	Group       string               `json:"group"`
	InstanceARN string               `json:"instance_arn"`
	Numbers     []porting.PortNumber `json:"numbers"`
	// To is the split group the numbers move to (SplitNumbers); empty for RemoveNumbers.
	To     string `json:"to,omitempty"`
	Reason string `json:"reason"`
}

// DetachResult says what detaching did on the instance.
type DetachResult struct {
	Released         int `json:"released"`
	PhoneNumberLimit int `json:"phone_number_limit"`
}

// checkCSR (SubmitLOA's pre-check) compares an LOA with the customer service records the carrier
// gateway holds for the group's numbers (the default: the customer_service_records table ops and the simulator fill),
// field by field (porting.CSRMismatches), and records the outcome in the audit log (csr_checked:
// counts, field names and numbers, never a value), once per check (store.CSRCheckKey): an LOA the
// check stops is not sent, so the corrected one is checked under the same version, and gets its own
// outcome and audit row. Nothing here logs the LOA.
//
// SubmitLOA has checked the workflow, group, carrier and version; the numbers are checked here.
func (a *Activities) checkCSR(ctx context.Context, in CSRCheckInput) (CSRCheckResult, error) {
	if err := checkNumberList("numbers", in.Numbers); err != nil {
		return CSRCheckResult{}, err
	}
	recs, err := a.carrier().CustomerServiceRecords(ctx, in.Carrier, in.Numbers)
	if err != nil {
		return CSRCheckResult{}, classify(err)
	}
	// By number, so that the outcome follows the input's order whatever order a connector answers in.
	mismatches := make(map[string][]string, len(recs))
	for _, rec := range recs {
		if _, dup := mismatches[rec.E164]; dup {
			continue
		}
		mismatches[rec.E164] = porting.CSRMismatches(in.LOA, rec)
	}
	check := store.CSRCheck{WorkflowID: in.WorkflowID, Group: in.Group, Carrier: in.Carrier, LOAVersion: in.LOAVersion, Override: in.OverrideCSR,
		LOARef: in.LOA.DocumentRef + " " + in.LOA.SignedAt.UTC().Format(time.RFC3339Nano)}
	var lists [][]string
	for _, n := range in.Numbers {
		m, ok := mismatches[n]
		if !ok {
			continue // no record of this number (or one of another carrier's): nothing to compare
		}
		check.Records++
		if len(m) > 0 {
			lists = append(lists, m)
			check.MismatchedNumbers = append(check.MismatchedNumbers, n)
		}
	}
	check.Mismatched = porting.MergeCSRFields(lists...)
	if err := store.RecordCSRCheck(ctx, a.DB, check); err != nil {
		return CSRCheckResult{}, classify(err)
	}
	return CSRCheckResult{Records: check.Records, Mismatched: check.Mismatched, MismatchedNumbers: check.MismatchedNumbers}, nil
}

// SubmitSupp puts a supplemental change of a group's port request in the carrier outbox (kind
// "supp", keyed by workflow/group/supp/round) through the carrier gateway. It returns the
// submission's ID, the same on every rerun.
func (a *Activities) SubmitSupp(ctx context.Context, in SuppInput) (SubmissionReceipt, error) {
	switch {
	case in.WorkflowID == "":
		return SubmissionReceipt{}, invalidInput("workflow_id", "is required")
	case in.Group == "":
		return SubmissionReceipt{}, invalidInput("group", "is required")
	case in.Carrier == "":
		return SubmissionReceipt{}, invalidInput("carrier", "is required")
	case in.Round < 1:
		return SubmissionReceipt{}, invalidInput("round", "must be 1 or more, got %d", in.Round)
	}
	switch in.Change {
	case SuppPortDate:
		switch {
		case in.PortDate == nil || in.PortDate.IsZero():
			return SubmissionReceipt{}, invalidInput("port_date", "is required for a %s supp", SuppPortDate)
		case len(in.Removed) > 0:
			return SubmissionReceipt{}, invalidInput("removed", "must be empty for a %s supp", SuppPortDate)
		}
	case SuppRemoveNumbers:
		if in.PortDate != nil {
			return SubmissionReceipt{}, invalidInput("port_date", "must be empty for a %s supp", SuppRemoveNumbers)
		}
		if err := checkNumberList("removed", in.Removed); err != nil {
			return SubmissionReceipt{}, err
		}
	default:
		return SubmissionReceipt{}, invalidInput("change", "must be %q or %q, got %q", SuppPortDate, SuppRemoveNumbers, in.Change)
	}
	if len(in.Numbers) > 0 {
		if err := checkNumberList("numbers", in.Numbers); err != nil {
			return SubmissionReceipt{}, err
		}
	}
	id, err := a.carrier().Supplement(ctx, store.CarrierSupp(in))
	if err != nil {
		return SubmissionReceipt{}, classify(err)
	}
	return SubmissionReceipt{SubmissionID: id}, nil
}

// SplitNumbers moves numbers the carrier rejected alone into their split group (in.To, a split of
// in.Group: porting.SplitGroupName): their rows follow (state loa_rejected, with the reason), any of
// them on the instance for this port are released and the group's limit increase shrinks.
// Idempotent: a rerun changes nothing and returns the first run's result.
func (a *Activities) SplitNumbers(ctx context.Context, in DetachInput) (DetachResult, error) {
	if err := checkDetachInput(in); err != nil {
		return DetachResult{}, err
	}
	switch {
	case in.Group == "":
		return DetachResult{}, invalidInput("group", "is required: the group the numbers leave")
	case in.To == "":
		return DetachResult{}, invalidInput("to", "is required: the split group the numbers move to")
	case in.To == in.Group || porting.BaseGroupName(in.To) != porting.BaseGroupName(in.Group):
		return DetachResult{}, invalidInput("to", "must be a split group of %q (like %q), got %q",
			in.Group, porting.SplitGroupName(in.Group, 2), in.To)
	}
	return a.detach(ctx, in)
}

// RemoveNumbers drops numbers from a port: released from the instance when this port put them there
// (the group's limit increase shrinks), unlocked for other ports (inactive, state cancelled, with the
// reason). A port-out put nothing on the instance (its numbers were there before it), so for a
// port-out this only unlocks the numbers, which stay with the instance. Idempotent: a rerun changes
// nothing and returns the first run's result.
func (a *Activities) RemoveNumbers(ctx context.Context, in DetachInput) (DetachResult, error) {
	if err := checkDetachInput(in); err != nil {
		return DetachResult{}, err
	}
	if in.To != "" {
		return DetachResult{}, invalidInput("to", "must be empty: removed numbers leave the port (SplitNumbers moves numbers to a split group)")
	}
	return a.detach(ctx, in)
}

// checkDetachInput checks what SplitNumbers and RemoveNumbers both need.
func checkDetachInput(in DetachInput) error {
	switch {
	case in.WorkflowID == "":
		return invalidInput("workflow_id", "is required")
	case len(in.Numbers) == 0:
		return invalidInput("numbers", "at least one number is required")
	}
	return checkNumbers(in.Numbers)
}

func (a *Activities) detach(ctx context.Context, in DetachInput) (DetachResult, error) {
	released, limit, err := a.instances().Detach(ctx, store.Detach(in))
	if err != nil {
		return DetachResult{}, classify(err)
	}
	return DetachResult{Released: released, PhoneNumberLimit: limit}, nil
}
