package activities

import "context"

// CheckCSR exposes SubmitLOA's CSR pre-check to the tests (a test file: never registered as an
// activity).
func (a *Activities) CheckCSR(ctx context.Context, in CSRCheckInput) (CSRCheckResult, error) {
	return a.checkCSR(ctx, in)
}
