package activities

import (
	"context"

	"github.com/contactcenter/numberporting/porting"
	"github.com/contactcenter/numberporting/store"
)

// SubmitLOA records one LOA version of a group (PIN hashed, account number reduced to its last
// digits: neither is stored in clear) and hands the port request to the carrier gateway (the
// default: the carrier outbox, keyed by workflow/group/version, in the same transaction). The group's
// numbers then await the carrier. It returns the submission's ID, the same on every rerun.
func (a *Activities) SubmitLOA(ctx context.Context, in SubmitLOAInput) (SubmissionReceipt, error) {
	switch {
	case in.WorkflowID == "":
		return SubmissionReceipt{}, invalidInput("workflow_id", "is required")
	case in.Group == "":
		return SubmissionReceipt{}, invalidInput("group", "is required")
	case in.Carrier == "":
		return SubmissionReceipt{}, invalidInput("carrier", "is required")
	case in.Version < 1:
		return SubmissionReceipt{}, invalidInput("version", "must be 1 or more, got %d", in.Version)
	}
	if err := porting.ValidateSubmitLOA(porting.SubmitLOA{Group: in.Group, LOA: in.LOA}); err != nil {
		return SubmissionReceipt{}, invalidInput("", "%v", err)
	}
	id, err := a.carrier().SubmitPortRequest(ctx, store.LOASubmission(in))
	if err != nil {
		return SubmissionReceipt{}, classify(err)
	}
	return SubmissionReceipt{SubmissionID: id}, nil
}

// SubmitCarrierCancel asks the carrier gateway to cancel the group's port request (the default: a
// row of the carrier outbox keyed by store.CarrierCancelKey). It returns the submission's ID, the
// same on every rerun.
func (a *Activities) SubmitCarrierCancel(ctx context.Context, in CarrierCancelInput) (SubmissionReceipt, error) {
	switch {
	case in.WorkflowID == "":
		return SubmissionReceipt{}, invalidInput("workflow_id", "is required")
	case in.Group == "":
		return SubmissionReceipt{}, invalidInput("group", "is required")
	case in.Carrier == "":
		return SubmissionReceipt{}, invalidInput("carrier", "is required")
	}
	id, err := a.carrier().Cancel(ctx, store.CarrierCancel(in))
	if err != nil {
		return SubmissionReceipt{}, classify(err)
	}
	return SubmissionReceipt{SubmissionID: id}, nil
}
