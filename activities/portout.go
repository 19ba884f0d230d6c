package activities

import (
	"context"
	"time"

	"github.com/contactcenter/numberporting/porting"
	"github.com/contactcenter/numberporting/store"
)

// RecordPortOutInput records a new PortOut request.
type RecordPortOutInput struct {
	WorkflowID string                 `json:"workflow_id"`
	Request    porting.PortOutRequest `json:"request"`
}

// RecordPortOutResult describes the instance the numbers leave.
type RecordPortOutResult struct {
	Region string `json:"region"`
}

// VerifyOwnershipInput is one winning-carrier request to verify against the instance's ownership
// records. Round numbers the carrier's requests of one port-out (1, 2, …); it keys the verification.
type VerifyOwnershipInput struct {
	WorkflowID  string                        `json:"workflow_id"`
	InstanceARN string                        `json:"instance_arn"`
	Numbers     []string                      `json:"numbers"` // the port-out's own numbers
	Round       int                           `json:"round"`
	Claim       porting.WinningCarrierRequest `json:"claim"`
}

// VerifyOwnershipResult names the fields of the carrier's request that differ from the ownership
// records — never the stored values themselves, which stay in Postgres (and out of workflow history).
type VerifyOwnershipResult struct {
	Matched bool `json:"matched"`
	// Mismatched lists the differing fields in porting.OwnershipFields order.
	Mismatched []string `json:"mismatched,omitempty"`
	// MissingRecords lists ownership fields the instance has no record of: no request can match them
	// until operations register them (starter instance add --owner-name … --address … --billing-contact …).
	MissingRecords []string `json:"missing_records,omitempty"`
	// PasscodeInvalid: the instance has a port-out passcode and the request's is missing or wrong.
	// It is checked first: nothing else is compared, and nothing else is said.
	PasscodeInvalid bool `json:"passcode_invalid,omitempty"`
	// PasscodeChecked: the instance has a passcode and the request's was checked (right or wrong).
	PasscodeChecked bool `json:"passcode_checked,omitempty"`
}

// ReleasePortOutInput names the numbers a port-out releases from its instance.
type ReleasePortOutInput struct {
	WorkflowID  string   `json:"workflow_id"`
	InstanceARN string   `json:"instance_arn"`
	Numbers     []string `json:"numbers"`
	Carrier     string   `json:"carrier,omitempty"` // the winning carrier, for the audit
}

// ReleasePortOutResult tells what the release did and when (the database's time of the release).
type ReleasePortOutResult struct {
	Released   []string  `json:"released"`
	ReleasedAt time.Time `json:"released_at"`
}

// RecordPortOut records a new PortOut request (store.RecordPortOut): checked against the inventory
// (the instance exists outside the Tokyo region, every number is held by it and active, none is
// locked against port-out — ErrNumberLocked, naming numbers[i] and who locked it — and none is in
// another active port), its numbers locked against other ports until FinishPortRequest unlocks them. A
// rerun for the same workflow ID is a no-op. A refusal writes nothing.
func (a *Activities) RecordPortOut(ctx context.Context, in RecordPortOutInput) (RecordPortOutResult, error) {
	r := in.Request
	switch {
	case in.WorkflowID == "":
		return RecordPortOutResult{}, invalidInput("workflow_id", "is required")
	case r.RequestID == "":
		return RecordPortOutResult{}, invalidInput("request_id", "is required")
	case r.InstanceARN == "":
		return RecordPortOutResult{}, invalidInput("instance_arn", "is required: a port-out cannot be processed without the instance ARN")
	case r.WinningCarrier == "":
		return RecordPortOutResult{}, invalidInput("winning_carrier", "is required")
	}
	if err := checkPortOutNumbers(r.Numbers); err != nil {
		return RecordPortOutResult{}, err
	}
	region, err := store.RecordPortOut(ctx, a.DB, in.WorkflowID, r)
	if err != nil {
		return RecordPortOutResult{}, classify(err)
	}
	return RecordPortOutResult{Region: region}, nil
}

// VerifyOwnership compares the winning carrier's request with the ownership records held for the
// instance (store.VerifyOwnership: owner name, service address and billing contact as
// porting.SameText reads "exactly", and the numbers as a set equal to the port-out's numbers, all
// still held active by the instance). It returns only the names of the fields that differ. Each
// round is verified once: a rerun returns the recorded result even if the records changed meanwhile.
// The request's state becomes approved or rejected_mismatch. When the instance has a port-out
// passcode, the claim's passcode is checked first: missing or wrong is {PasscodeInvalid,
// PasscodeChecked} and nothing else (no field compared); right is PasscodeChecked and the usual
// comparison. Each check is audited (port_out_passcode_checked), never with the passcode.
func (a *Activities) VerifyOwnership(ctx context.Context, in VerifyOwnershipInput) (VerifyOwnershipResult, error) {
	switch {
	case in.WorkflowID == "":
		return VerifyOwnershipResult{}, invalidInput("workflow_id", "is required")
	case in.InstanceARN == "":
		return VerifyOwnershipResult{}, invalidInput("instance_arn", "is required")
	case in.Round < 1:
		return VerifyOwnershipResult{}, invalidInput("round", "must be 1 or more, got %d", in.Round)
	}
	if err := checkPortOutNumbers(in.Numbers); err != nil {
		return VerifyOwnershipResult{}, err
	}
	res, err := store.VerifyOwnership(ctx, a.DB, store.OwnershipCheck(in))
	if err != nil {
		return VerifyOwnershipResult{}, classify(err)
	}
	return VerifyOwnershipResult(res), nil
}

// ReleasePortOutNumbers releases a port-out's numbers from its instance (store.ReleasePortOutNumbers):
// each number leaves its contact flow and becomes released (irreversible). It runs exactly once per
// port-out: a rerun returns the first run's result. The numbers must still be locked by this
// port-out. Numbers that came in through a port-in lower the phone-number limit again, by one each.
func (a *Activities) ReleasePortOutNumbers(ctx context.Context, in ReleasePortOutInput) (ReleasePortOutResult, error) {
	switch {
	case in.WorkflowID == "":
		return ReleasePortOutResult{}, invalidInput("workflow_id", "is required")
	case in.InstanceARN == "":
		return ReleasePortOutResult{}, invalidInput("instance_arn", "is required")
	}
	if err := checkPortOutNumbers(in.Numbers); err != nil {
		return ReleasePortOutResult{}, err
	}
	res, err := store.ReleasePortOutNumbers(ctx, a.DB, store.PortOutRelease(in))
	if err != nil {
		return ReleasePortOutResult{}, classify(err)
	}
	return ReleasePortOutResult(res), nil
}
