package activities

// This file holds the activity method signatures the workflows are written against; the helper
// implementing them replaces it with real files (portin.go, provisioning.go, outbox.go, …).

import (
	"context"
	"errors"
)

var errTODO = errors.New("not implemented yet")

func (a *Activities) RecordPortIn(ctx context.Context, in RecordPortInInput) (RecordPortInResult, error) {
	return RecordPortInResult{}, errTODO
}
func (a *Activities) CheckPortability(ctx context.Context, in PortabilityInput) ([]PortabilityResult, error) {
	return nil, errTODO
}
func (a *Activities) SubmitLOA(ctx context.Context, in SubmitLOAInput) (SubmissionReceipt, error) {
	return SubmissionReceipt{}, errTODO
}
func (a *Activities) SubmitCarrierCancel(ctx context.Context, in CarrierCancelInput) (SubmissionReceipt, error) {
	return SubmissionReceipt{}, errTODO
}
func (a *Activities) Notify(ctx context.Context, n Notification) error { return errTODO }
func (a *Activities) ProvisionNumbers(ctx context.Context, in NumbersInput) (ProvisionResult, error) {
	return ProvisionResult{}, errTODO
}
func (a *Activities) ActivateNumbers(ctx context.Context, in NumbersInput) error { return errTODO }
func (a *Activities) VerifyTestCall(ctx context.Context, in NumbersInput) (VerifyResult, error) {
	return VerifyResult{}, errTODO
}
func (a *Activities) ReleaseNumbers(ctx context.Context, in NumbersInput) error   { return errTODO }
func (a *Activities) FinishPortRequest(ctx context.Context, in FinishInput) error { return errTODO }
