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
//
// With CheckCSR the LOA is first compared with the losing carrier's customer service records
// (checkCSR): one that does not match is not recorded or sent (Sent false, the fields in CSR) unless
// OverrideCSR. The check and the submission are one activity — one round trip and no extra history
// events per LOA — and a rerun of a version already sent returns that submission and the check it
// passed, without checking again (a record changed meanwhile cannot unsend it).
func (a *Activities) SubmitLOA(ctx context.Context, in SubmitLOAInput) (LOASubmitted, error) {
	switch {
	case in.WorkflowID == "":
		return LOASubmitted{}, invalidInput("workflow_id", "is required")
	case in.Group == "":
		return LOASubmitted{}, invalidInput("group", "is required")
	case in.Carrier == "":
		return LOASubmitted{}, invalidInput("carrier", "is required")
	case in.Version < 1:
		return LOASubmitted{}, invalidInput("version", "must be 1 or more, got %d", in.Version)
	}
	if err := porting.ValidateSubmitLOA(porting.SubmitLOA{Group: in.Group, LOA: in.LOA}); err != nil {
		return LOASubmitted{}, invalidInput("", "%v", err)
	}
	var out LOASubmitted
	if in.CheckCSR {
		id, sent, err := store.SubmittedLOA(ctx, a.DB, in.WorkflowID, in.Group, in.Version)
		if err != nil {
			return LOASubmitted{}, classify(err)
		}
		if sent {
			out := LOASubmitted{SubmissionID: id, Sent: true}
			last, err := store.LastCSRCheck(ctx, a.DB, in.WorkflowID, in.Group, in.Version)
			if err != nil {
				return LOASubmitted{}, classify(err)
			}
			if last != nil {
				out.CSR = &CSRCheckResult{Records: last.Records, Mismatched: last.Mismatched, MismatchedNumbers: last.MismatchedNumbers}
			}
			return out, nil
		}
		csr, err := a.checkCSR(ctx, CSRCheckInput{WorkflowID: in.WorkflowID, Group: in.Group, Carrier: in.Carrier,
			Numbers: in.Numbers, LOAVersion: in.Version, LOA: in.LOA, OverrideCSR: in.OverrideCSR})
		if err != nil {
			return LOASubmitted{}, err
		}
		out.CSR = &csr
		if len(csr.Mismatched) > 0 && !in.OverrideCSR {
			return out, nil
		}
	}
	id, err := a.carrier().SubmitPortRequest(ctx, store.LOASubmission{
		WorkflowID: in.WorkflowID, Group: in.Group, Carrier: in.Carrier, NumberType: in.NumberType,
		Numbers: in.Numbers, Version: in.Version, LOA: in.LOA,
	})
	if err != nil {
		return LOASubmitted{}, classify(err)
	}
	out.SubmissionID, out.Sent = id, true
	return out, nil
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
