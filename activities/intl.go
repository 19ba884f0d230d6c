package activities

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/contactcenter/numberporting/porting"
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

// RequestPortabilityCheck puts an international portability check for the partner carriers in
// their outbox (portability_checks), once per port. Their answer comes back as the
// portability-result signal. It returns the check's ID, the same on every rerun.
func (a *Activities) RequestPortabilityCheck(ctx context.Context, in PortabilityCheckInput) (SubmissionReceipt, error) {
	switch {
	case in.WorkflowID == "":
		return SubmissionReceipt{}, invalidInput("workflow_id", "is required")
	case in.Carrier == "":
		return SubmissionReceipt{}, invalidInput("carrier", "is required")
	case len(in.Numbers) == 0:
		return SubmissionReceipt{}, invalidInput("numbers", "at least one number is required")
	}
	key := stepKey(in.WorkflowID, "portability-check")
	var receipt SubmissionReceipt
	err := inTx(ctx, a.DB, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO portability_checks (idempotency_key, workflow_id, carrier, country, numbers)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (idempotency_key) DO NOTHING`,
			key, in.WorkflowID, in.Carrier, in.Country, pq.Array(in.Numbers)); err != nil {
			return err
		}
		if err := tx.GetContext(ctx, &receipt.SubmissionID, `SELECT id FROM portability_checks WHERE idempotency_key = $1`, key); err != nil {
			return err
		}
		return audit(ctx, tx, key, in.WorkflowID, "portability_check_requested",
			map[string]any{"carrier": in.Carrier, "country": in.Country, "numbers": in.Numbers, "check_id": receipt.SubmissionID})
	})
	return receipt, err
}

// RecordPortabilityResult records the partner carriers' portability answer on the port's numbers
// (not-portable numbers leave the port and are unlocked). Idempotent.
func (a *Activities) RecordPortabilityResult(ctx context.Context, in RecordPortabilityInput) error {
	if in.WorkflowID == "" {
		return invalidInput("workflow_id", "is required")
	}
	for i, r := range in.Results {
		if !e164Pattern.MatchString(r.E164) {
			return invalidInput(fmt.Sprintf("results[%d].e164", i), "must be an E.164 number, got %q", r.E164)
		}
	}
	return a.recordPortability(ctx, in.WorkflowID, in.Results)
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
	action := "cost_declined"
	if in.Approved {
		action = "cost_approved"
	}
	return audit(ctx, a.DB, stepKey(in.WorkflowID, "cost-decision"), in.WorkflowID, action,
		map[string]any{"amount": in.Amount, "currency": in.Currency, "by": in.By})
}
