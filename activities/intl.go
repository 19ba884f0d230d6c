package activities

import (
	"context"
	"fmt"
	"strings"

	"github.com/contactcenter/numberporting/porting"
	"github.com/contactcenter/numberporting/store"
)

// PortabilityCheckInput asks the partner carriers whether an international port is possible.
type PortabilityCheckInput struct {
	WorkflowID string   `json:"workflow_id"`
	Carrier    string   `json:"carrier"`
	Country    string   `json:"country"`
	Numbers    []string `json:"numbers"`
}

// RecordPortabilityInput records the partner carriers' answer.
type RecordPortabilityInput struct {
	WorkflowID string              `json:"workflow_id"`
	Results    []PortabilityResult `json:"results"`
}

// CostDecisionInput records the customer's decision on a quoted porting cost.
type CostDecisionInput struct {
	WorkflowID string `json:"workflow_id"`
	// Amount is kept exactly (a JSON string in history and in the audit log's jsonb detail).
	Amount   porting.Decimal `json:"amount"`
	Currency string          `json:"currency"`
	Approved bool            `json:"approved"`
	By       string          `json:"by"`
}

// RequestPortabilityCheck asks the partner carriers, through the carrier gateway (the default: their
// outbox, portability_checks, once per port), whether an international port is possible. Their answer
// comes back as the portability-result signal. It returns the check's ID, the same on every rerun.
func (a *Activities) RequestPortabilityCheck(ctx context.Context, in PortabilityCheckInput) (SubmissionReceipt, error) {
	switch {
	case in.WorkflowID == "":
		return SubmissionReceipt{}, invalidInput("workflow_id", "is required")
	case in.Carrier == "":
		return SubmissionReceipt{}, invalidInput("carrier", "is required")
	case len(in.Numbers) == 0:
		return SubmissionReceipt{}, invalidInput("numbers", "at least one number is required")
	}
	id, err := a.carrier().RequestPortabilityCheck(ctx, store.PortabilityCheckRequest(in))
	return SubmissionReceipt{SubmissionID: id}, classify(err)
}

// RecordPortabilityResult records the partner carriers' portability answer on the port's numbers
// (not-portable numbers leave the port and are unlocked). Idempotent.
func (a *Activities) RecordPortabilityResult(ctx context.Context, in RecordPortabilityInput) error {
	if in.WorkflowID == "" {
		return invalidInput("workflow_id", "is required")
	}
	results := make([]store.PortabilityResult, len(in.Results))
	for i, r := range in.Results {
		if !store.E164Pattern.MatchString(r.E164) {
			return invalidInput(fmt.Sprintf("results[%d].e164", i), "must be an E.164 number, got %q", r.E164)
		}
		results[i] = store.PortabilityResult(r)
	}
	return classify(store.RecordPortability(ctx, a.DB, in.WorkflowID, results))
}

// RecordCostDecision keeps the customer's approval or refusal of a porting cost in the audit log.
func (a *Activities) RecordCostDecision(ctx context.Context, in CostDecisionInput) error {
	if in.WorkflowID == "" {
		return invalidInput("workflow_id", "is required")
	}
	if strings.TrimSpace(in.By) == "" {
		return invalidInput("by", "is required")
	}
	if err := in.Amount.Valid(); err != nil {
		return invalidInput("amount", "%v", err)
	}
	return classify(store.RecordCostDecision(ctx, a.DB, in.WorkflowID, in.Amount, in.Currency, in.Approved, in.By))
}
