package activities

import (
	"context"
	"errors"
	"time"

	"github.com/contactcenter/numberporting/porting"
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
	SuppPortDate      = "port_date"
	SuppRemoveNumbers = "remove_numbers"
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
	WorkflowID  string               `json:"workflow_id"`
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

var errNotBuilt = errors.New("not built yet")

// CheckCSR compares an LOA with the customer service records the carrier gateway holds for the
// group's numbers (the default: the customer_service_records table ops and the simulator fill).
func (a *Activities) CheckCSR(ctx context.Context, in CSRCheckInput) (CSRCheckResult, error) {
	return CSRCheckResult{}, errNotBuilt
}

// SubmitSupp puts a supplemental change of a group's port request in the carrier outbox (kind
// "supp", keyed by workflow/group/supp/round). It returns the submission's ID, the same on every rerun.
func (a *Activities) SubmitSupp(ctx context.Context, in SuppInput) (SubmissionReceipt, error) {
	return SubmissionReceipt{}, errNotBuilt
}

// SplitNumbers moves numbers the carrier rejected alone into their split group (in.To): their rows
// follow (state loa_rejected, with the reason), any of them on the instance for this port are
// released and the group's limit increase shrinks. Idempotent.
func (a *Activities) SplitNumbers(ctx context.Context, in DetachInput) (DetachResult, error) {
	return DetachResult{}, errNotBuilt
}

// RemoveNumbers drops numbers from a port: released from the instance when this port put them there
// (the group's limit increase shrinks), unlocked for other ports (inactive, state cancelled, with the
// reason). A port-out put nothing on the instance (its numbers were there before it), so for a
// port-out this only unlocks the numbers, which stay with the instance. Idempotent.
func (a *Activities) RemoveNumbers(ctx context.Context, in DetachInput) (DetachResult, error) {
	return DetachResult{}, errNotBuilt
}
